// Summarises a V8 .cpuprofile (from `node --cpu-prof` or the inspector's Profiler.stop): self time
// per function and per area of the code (the SS's modules, @jplink packages, node internals,
// third-party packages), so that a benchmark run can say where the time goes.
// Standalone: npx tsx scripts/bench/ss-bench-profile.ts <file.cpuprofile> [top=20]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  gcMs: number;
  programMs: number;
  functions: Array<{ name: string; where: string; area: string; selfMs: number; share: number }>;
  /** JavaScript functions of this repository (services/, packages/) by inclusive time: the time of every sample with the function on its stack. */
  inclusive: Array<{ name: string; where: string; totalMs: number; share: number }>;
  areas: Array<{ area: string; selfMs: number; share: number }>;
  /** Self time grouped by the kind of work (see kindOf). */
  kinds: Array<{ kind: string; selfMs: number; share: number }>;
}

/** A coarse kind of work for a sampled function (self time), to say where an SS's CPU goes. */
export function kindOf(name: string, area: string): string {
  if (area === 'GC') return 'garbage collection';
  if (/^(writev|writeBuffer|writeUtf8String|writeLatin1String|writevGeneric|writeGeneric)$/.test(name)) return 'socket writes (TLS encryption + syscalls)';
  if (/^(readStart|onStreamRead|read)$/.test(name) && (area.startsWith('native') || area.startsWith('node:'))) return 'socket reads';
  if (/^(Hash|update|digest)$/.test(name) && (area.startsWith('native') || area === 'node:crypto')) return 'SHA-256 hashing';
  if (/^(run|SignJob|VerifyJob|signOneShot|verifyOneShot|Sign|Verify)$/.test(name)) return 'ECDSA sign / verify';
  if (/getPeerCertificate/.test(name)) return 'TLS getPeerCertificate';
  if (/^(_copyActual|_copy|copy|concat|createUnsafeBuffer|createUnsafeArrayBuffer|allocUnsafe|allocate|createPool)$/.test(name)) return 'buffer copies and allocation';
  if (area === 'npm:zod') return 'zod validation';
  if (/^npm:(kysely|pg|pg-protocol|pg-types|pg-pool)$/.test(area)) return 'kysely + pg (SQL building, wire protocol)';
  if (area.startsWith('packages/') || area.startsWith('security-server') || area.startsWith('services/')) return 'JP-Link code (own JS)';
  if (area.startsWith('node:')) return 'node http / streams / events (JS)';
  if (area === 'V8/native (program)') return 'V8 (program)';
  return 'other';
}

/** Which part of the system a script URL belongs to. */
export function areaOf(url: string, functionName: string): string {
  if (!url) {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'V8/native (program)';
    return 'native (C++ bindings)';
  }
  const path = url.replace(/^file:\/\//, '');
  if (path.startsWith('node:')) return `node:${path.slice(5).split('/')[1] ?? path.slice(5)}`.replace(/^node:internal$/, 'node:internal');
  const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return `npm:${pkg[1]}`;
  const own = /\/(services|packages)\/([^/]+)\/src\/(?:([^/]+)\/)?/.exec(path);
  if (own) return own[1] === 'services' && own[3] && !own[3].endsWith('.ts') ? `${own[2]}/${own[3]}` : `${own[1]}/${own[2]}`;
  return path.split('/').slice(-2).join('/');
}

/** Short location; no line for modules loaded through tsx (their profile positions are not the source lines). */
function describeWhere(url: string, lineNumber: number): string {
  if (!url) return '';
  const path = url.replace(/^file:\/\//, '').replace(/^.*?\/(services|packages|node_modules)\//, '$1/');
  return lineNumber > 0 ? `${path}:${lineNumber + 1}` : path;
}

export function summariseProfile(file: string, top = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    // The delta before sample i is time spent up to it; attribute the next delta (V8's own convention in DevTools).
    const delta = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, delta));
  }
  const functions = new Map<string, { name: string; where: string; area: string; us: number }>();
  const areas = new Map<string, number>();
  const kinds = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let gc = 0;
  let program = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    total += us;
    const area = areaOf(url, functionName);
    if (area === 'idle') {
      idle += us;
      continue;
    }
    if (area === 'GC') gc += us;
    if (area === 'V8/native (program)') program += us;
    const name = functionName || '(anonymous)';
    const where = describeWhere(url, lineNumber);
    const key = `${name}@${where}`;
    const entry = functions.get(key) ?? { name, where, area, us: 0 };
    entry.us += us;
    functions.set(key, entry);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const kind = kindOf(name, area);
    kinds.set(kind, (kinds.get(kind) ?? 0) + us);
  }
  // Inclusive time of the repository's own functions (each function counted once per sample).
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inclusiveUs = new Map<string, { name: string; where: string; us: number }>();
  for (const [id, us] of selfUs) {
    if (areaOf(byId.get(id)!.callFrame.url, byId.get(id)!.callFrame.functionName) === 'idle') continue;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const { functionName, url, lineNumber } = byId.get(at)!.callFrame;
      if (!/\/(services|packages)\/[^/]+\/src\//.test(url)) continue;
      const where = describeWhere(url, lineNumber);
      const key = `${functionName}@${where}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const entry = inclusiveUs.get(key) ?? { name: functionName || '(anonymous)', where, us: 0 };
      entry.us += us;
      inclusiveUs.set(key, entry);
    }
  }
  const busy = total - idle;
  return {
    inclusive: [...inclusiveUs.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, totalMs: f.us / 1000, share: busy ? f.us / busy : 0 })),
    totalMs: total / 1000,
    idleMs: idle / 1000,
    gcMs: gc / 1000,
    programMs: program / 1000,
    functions: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, area: f.area, selfMs: f.us / 1000, share: busy ? f.us / busy : 0 })),
    kinds: [...kinds.entries()].sort((a, b) => b[1] - a[1]).map(([kind, us]) => ({ kind, selfMs: us / 1000, share: busy ? us / busy : 0 })),
    areas: [...areas.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([area, us]) => ({ area, selfMs: us / 1000, share: busy ? us / busy : 0 })),
  };
}

export function formatSummary(title: string, summary: ProfileSummary, topAreas = 12): string {
  const busy = summary.totalMs - summary.idleMs;
  const out = [
    `${title}: ${(summary.totalMs / 1000).toFixed(1)} s profiled, busy ${(busy / 1000).toFixed(1)} s (${((busy / summary.totalMs) * 100).toFixed(0)} %), GC ${((summary.gcMs / busy) * 100).toFixed(1)} % of busy`,
    '  self time by kind of work (share of busy):',
    ...summary.kinds.map((k) => `    ${(k.share * 100).toFixed(1).padStart(5)} %  ${k.kind}`),
    '  self time by area (share of busy):',
    ...summary.areas.slice(0, topAreas).map((a) => `    ${(a.share * 100).toFixed(1).padStart(5)} %  ${a.area}`),
    '  top functions by self time (share of busy):',
    ...summary.functions.map((f) => `    ${(f.share * 100).toFixed(1).padStart(5)} %  ${f.name}  ${f.where}`),
    '  repository functions by inclusive time (share of busy):',
    ...summary.inclusive.map((f) => `    ${(f.share * 100).toFixed(1).padStart(5)} %  ${f.name}  ${f.where}`),
  ];
  return out.join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: ss-bench-profile.ts <file.cpuprofile> [top]');
    process.exit(2);
  }
  console.log(formatSummary(file, summariseProfile(file, Number(process.argv[3] ?? 20))));
}
