// Installs the workspace's dependencies with pnpm 10 (through npx, so a machine with only
// Node and npm works) when node_modules is missing or older than the lockfile.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`JP-Link needs Node.js >= 20.19; this is ${process.versions.node}.`);
  process.exit(1);
}
const marker = 'node_modules/.modules.yaml';
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync('pnpm-lock.yaml').mtimeMs;
if (stale) {
  console.error('Installing dependencies (pnpm 10 via npx)…');
  execFileSync('npx', ['-y', 'pnpm@10', 'install', '--frozen-lockfile'], { stdio: 'inherit' });
}
