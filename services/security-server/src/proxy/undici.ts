// undici's dispatchers without the rest of undici. `import 'undici'` loads fetch, WebSocket,
// EventSource, caches and mocks as well — about 8 MB more resident memory per Security Server
// (measured with process.memoryUsage().rss), which the ≤ 300 MB target cannot spare. Only Pool
// and Agent are loaded here, from their files in the package; the version is pinned (~7.30) in
// package.json because these paths are not undici's public entry point. The types are undici's own.
import { createRequire } from 'node:module';
import type { Agent as AgentType, Pool as PoolType } from 'undici';

const load = createRequire(import.meta.url);
export const Pool = load('undici/lib/dispatcher/pool.js') as typeof PoolType;
export const Agent = load('undici/lib/dispatcher/agent.js') as typeof AgentType;
export type Pool = PoolType;
export type Agent = AgentType;
export type { Dispatcher, buildConnector } from 'undici';
