// compose.yaml is checked against the compose-spec schema by dclint (no Docker engine here),
// and a broken copy must fail the same check, so the check itself is known to work.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;

function dclint(file: string, cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(join(root, 'node_modules/.bin/dclint'), [file], { cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

describe('compose files', () => {
  it('pass the compose-spec schema and lint rules', async () => {
    for (const file of ['compose.yaml', 'docker/security-server.compose.yaml', 'docker/adapter-server.compose.yaml']) {
      const result = await dclint(file, root);
      expect(result.output, file).not.toMatch(/error/);
      expect(result.code, file).toBe(0);
    }
  });

  it('fails the check when a key or a condition is misspelled', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jplink-compose-'));
    await copyFile(join(root, '.dclintrc.yaml'), join(dir, '.dclintrc.yaml'));
    const original = await readFile(join(root, 'compose.yaml'), 'utf8');
    await writeFile(join(dir, 'compose.yaml'), original.replace('    ports:\n', '    portz:\n'));
    expect((await dclint('compose.yaml', dir)).code).not.toBe(0);
    await writeFile(join(dir, 'compose.yaml'), original.replace('condition: service_healthy', 'condition: service_helthy'));
    expect((await dclint('compose.yaml', dir)).code).not.toBe(0);
  });

  it('refer only to files the repository has or documents', async () => {
    const text = await readFile(join(root, 'compose.yaml'), 'utf8');
    expect(existsSync(join(root, 'docker/node-service.Dockerfile'))).toBe(true);
    expect(existsSync(join(root, 'docker/center.env.example'))).toBe(true);
    expect(existsSync(join(root, 'docker/security-server.env.example'))).toBe(true);
    const operations = await readFile(join(root, 'docs/operations/center.md'), 'utf8');
    for (const secret of text.matchAll(/file: \.\/(docker\/secrets\/\w+)/g)) expect(operations).toContain(secret[1]);
    expect(operations).toContain('docker/center.env');
    const ssText = await readFile(join(root, 'docker/security-server.compose.yaml'), 'utf8');
    const ssOperations = await readFile(join(root, 'docs/operations/security-server.md'), 'utf8');
    for (const secret of ssText.matchAll(/file: \.\/(secrets\/[\w.]+)/g)) expect(ssOperations).toContain(`docker/${secret[1]}`);
    expect(ssOperations).toContain('docker/security-server.env');
  });
});
