export { createCenter, centerUrls, readPassphrase, type Center, type CenterDeps } from './center.ts';
export { centerConfigSchema, type CenterConfig } from './config.ts';
export { CENTER_ERRORS } from './errors.ts';
export { CENTER_AUDIT_ACTIONS, type CenterAuditAction } from './audit/events.ts';
export type { CenterTables } from './db/schema.ts';
