export { createSecurityServer, type SecurityServer, type SecurityServerDeps } from './security-server.ts';
export { securityServerConfigSchema, type SecurityServerConfig } from './config.ts';
export { XROAD_ERRORS, SS_ADMIN_ERRORS, XRoadError, xroadErrorStatus, type XRoadErrorType } from './errors.ts';
export { SECURITY_SERVER_AUDIT_ACTIONS } from './audit.ts';
export { checkMessageLog, type LogCheckResult, type LogProblem } from './messagelog/check.ts';
export type { SecurityServerTables } from './db/schema.ts';
