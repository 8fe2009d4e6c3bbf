export { createAdapterServer, type AdapterServer, type AdapterServerDeps } from './adapter-server.ts';
export { adapterConfigSchema, type AdapterConfig } from './config.ts';
export { ADAPTER_ERRORS, type AdapterErrorCode } from './errors.ts';
export { ADAPTER_AUDIT_ACTIONS, type AdapterAuditAction } from './audit.ts';
export { AdapterServerCore, PREVIEW_ROWS } from './core.ts';
export type { AdapterTables } from './db/schema.ts';
export { adminUi, type AdminUiOptions } from './ui/index.ts';
