export {
  createIngestor,
  DEFAULT_BODY_LIMIT,
  DEFAULT_BURST,
  DEFAULT_RATE,
  DEFAULT_RETENTION_DAYS,
  type BatchOptions,
  type Ingestor,
  type IngestorOptions,
} from './server.ts';
export { main, version, type IngestorProcess } from './main.ts';
export { DEFAULT_PORT, ENV_PREFIX, parseIngestorArgs, usage, variableOf, type IngestorConfig, type ParsedCommand } from './config.ts';
export { IngestorError, IngestorErrorCode, RequestErrorCode } from './errors.ts';
export {
  createEventValidator,
  DEFAULT_EVENT_LIMITS,
  FALCO_PRIORITIES,
  falcoEventSchema,
  parseEventTime,
  severityOf,
  type EventCheck,
  type EventLimits,
  type FalcoEvent,
  type FalcoPriority,
  type OutputFieldValue,
} from './falco-event.ts';
export { canonicalJson, eventId } from './event-id.ts';
export { eventRow, insertEvents, type EventRow } from './event-store.ts';
export {
  buildListQuery,
  DEFAULT_PAGE_SIZE,
  EventQueryError,
  getEvent,
  listEvents,
  markFalsePositive,
  MAX_PAGE_SIZE,
  unmarkFalsePositive,
  type EventFilter,
  type EventPage,
  type EventScope,
  type StoredEvent,
} from './event-queries.ts';
export { createDatabasePool, type DatabaseOptions, type Queryable } from './database.ts';
export { EVENTS_TABLE, migrate, MIGRATIONS, type Migration } from './migrations.ts';
export {
  dayOf,
  maintainPartitions,
  partitionDay,
  partitionName,
  planPartitions,
  retentionStart,
  type MaintenanceResult,
  type RetentionPolicy,
} from './partitions.ts';
export { createRateLimiter, type RateDecision, type RateLimiter, type RateLimitOptions } from './rate-limit.ts';
export {
  clientAddressKey,
  createFailureLimiter,
  createSignInGuard,
  DEFAULT_SIGN_IN_LIMITS,
  type FailureCheck,
  type FailureLimiter,
  type FailureLimiterOptions,
  type FailureOutcome,
  type SignInAttempt,
  type SignInGuard,
  type SignInGuardOptions,
  type SignInLimited,
  type SignInLimits,
} from './sign-in-limit.ts';
export { createBatcher, BatcherClosedError, BatcherFullError, type Batcher, type BatcherOptions } from './batcher.ts';
export { createIngestorMetrics, METRICS_CONTENT_TYPE, type IngestorMetrics, type RejectReason } from './metrics.ts';
export { CONTENT_SECURITY_POLICY, readCookie, registerEventView, SESSION_COOKIE, type EventViewOptions } from './event-view.ts';
export {
  authenticateOperator,
  MIN_TOKEN_LENGTH,
  openOperatorTokensFile,
  parseOperatorTokens,
  type Operator,
  type OperatorDirectory,
  type OperatorEntry,
  type OperatorTokensFile,
} from './operator-tokens.ts';
export { parseViewQuery, scopeOf, viewQueryString, type ParsedViewQuery, type ViewQuery } from './view-query.ts';
export { checkCsrfToken, csrfToken, issueSession, SESSION_TTL_SECONDS, verifySession } from './view-session.ts';
export { escapeHtml, html, SafeHtml } from './html.ts';
