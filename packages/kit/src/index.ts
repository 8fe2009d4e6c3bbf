/**
 * @jplink/kit — the shared service kit. See docs/service-kit.md.
 */
export {
  AppError,
  defineErrors,
  isAppError,
  KIT_ERRORS,
  type AppErrorOptions,
  type ErrorCatalogue,
  type ErrorCatalogueInput,
  type ErrorDef,
  type KitErrorCode,
} from './errors.ts';
export {
  buildErrorBody,
  classifyError,
  errorHandler,
  errorResponseSchema,
  notFoundHandler,
  sendError,
  validationIssueSchema,
  type ErrorResponse,
  type ValidationIssue,
} from './error-handler.ts';
export {
  CONFIG_EXIT_CODE,
  ConfigError,
  deepFreeze,
  envBool,
  envDuration,
  envInt,
  envList,
  envPort,
  envString,
  envUrl,
  isProductionMode,
  loadConfig,
  loadConfigOrExit,
  refuseInProduction,
  type ConfigIssue,
  type EnvSource,
  type ExitIo,
} from './config.ts';
export {
  createLogger,
  genReqId,
  loggerOptions,
  REDACTED_HEADERS,
  REDACTED_KEYS,
  redactPaths,
  REQUEST_ID_RE,
  type Logger,
  type LoggerConfig,
} from './logger.ts';
export {
  createHttpApp,
  DEFAULT_BODY_LIMIT,
  OPENAPI_VERSION,
  type App,
  type HttpAppOptions,
  type OpenApiInfo,
  type PreRoutingListener,
} from './http-app.ts';
export {
  readyResponseSchema,
  registerHealth,
  runCheck,
  type CheckResult,
  type HealthCheck,
  type HealthOptions,
  type ReadyResponse,
} from './health.ts';
export { registerMetrics, UNMATCHED_ROUTE, type MetricsOptions } from './metrics.ts';
export {
  listen,
  onShutdown,
  type BoundAddress,
  type ListenOptions,
  type ShutdownHandle,
  type ShutdownOptions,
} from './shutdown.ts';
export { assertErrorsDocumented, parseErrorsDoc, type DocumentedCode } from './openapi.ts';
export { auditEvent, type AuditActor, type AuditEvent, type AuditSink } from './audit.ts';
export { apiKeyMatches, bearerToken, generateApiKey, hashApiKey, requireApiKey } from './api-keys.ts';
export { readSecretFile } from './secret-file.ts';
export { openSecret, sealSecret } from './secret-box.ts';
