import { sleep } from '@falco-airgap/core';
import { FleetIdentityErrorCode, isFleetIdentityError, type ClusterTokenVerifier } from '@falco-airgap/fleet-identity';
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type pg from 'pg';
import { BatcherClosedError, BatcherFullError, createBatcher, type Batcher } from './batcher.ts';
import { createDatabasePool } from './database.ts';
import { RequestErrorCode } from './errors.ts';
import { eventRow, insertEvents, type EventRow } from './event-store.ts';
import { createEventValidator, DEFAULT_EVENT_LIMITS, type EventLimits } from './falco-event.ts';
import { createIngestorMetrics, METRICS_CONTENT_TYPE, type IngestorMetrics, type RejectReason } from './metrics.ts';
import { migrate } from './migrations.ts';
import { dayOf, maintainPartitions, retentionStart, type MaintenanceResult, type RetentionPolicy } from './partitions.ts';
import { createRateLimiter } from './rate-limit.ts';

export const DEFAULT_BODY_LIMIT = 65_536;
export const DEFAULT_RETENTION_DAYS = 30;
export const DEFAULT_RATE = 50;
export const DEFAULT_BURST = 200;

export interface BatchOptions {
  /** Rows per INSERT at most (default 500). */
  maxSize?: number;
  /** Longest an event waits for others to share its INSERT, in milliseconds (default 5). */
  maxDelayMs?: number;
  /** Events waiting beyond which requests get 503 at once (default 10 000). */
  maxPending?: number;
  /** INSERTs in flight at once (default 4). */
  concurrency?: number;
}

export interface IngestorOptions {
  /** A PostgreSQL URL (the ingestor owns and ends the pool), or a pool of the caller's. */
  database: { connectionString: string; maxConnections?: number } | { pool: pg.Pool };
  verifier: ClusterTokenVerifier;
  /** Whole days of events kept before today, UTC (default 30); older day partitions are dropped. */
  retentionDays?: number;
  /** Day partitions created ahead of today (default 3). */
  partitionsAhead?: number;
  /** Per cluster and per replica: average events per second and the burst allowed (default 50/s, 200). */
  rateLimit?: { rate: number; burst: number };
  /** Largest request body in bytes (default 64 KiB). */
  bodyLimit?: number;
  eventLimits?: Partial<EventLimits>;
  batch?: BatchOptions;
  /** How far an event's time may lie in the future, for clocks that run ahead (default one day). */
  maxFutureSeconds?: number;
  /** How often partitions are created ahead and old ones dropped (default hourly). */
  maintenanceIntervalMs?: number;
  /** Fastify's logger option (default: no logging). */
  logger?: FastifyServerOptions['logger'];
  /** The clock for time windows and retention, in milliseconds (default `Date.now`). */
  now?: () => number;
}

export interface Ingestor {
  /** The Fastify instance: routes of other features (the event view) are registered on it before `start`. */
  app: FastifyInstance;
  pool: pg.Pool;
  metrics: IngestorMetrics;
  /** Runs the migrations, creates the partitions, starts listening; resolves with the address. */
  start(listen?: { host?: string; port?: number }): Promise<string>;
  /** Creates the partitions ahead and drops those past retention, now. */
  runMaintenance(): Promise<MaintenanceResult>;
  /** Stops accepting, answers what is in flight after its rows are committed, and closes the pool it owns. */
  close(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    cluster: string | undefined;
  }
}

interface Refusal {
  status: number;
  code: RequestErrorCode | FleetIdentityErrorCode;
  reason: RejectReason | undefined;
  message: string;
  path?: string;
  headers?: Record<string, string>;
}

/** The ingestor: POST (or PUT) /events, /metrics, /healthz and /readyz on one Fastify instance. */
export function createIngestor(options: IngestorOptions): Ingestor {
  const now = options.now ?? Date.now;
  const policy: RetentionPolicy = { retentionDays: options.retentionDays ?? DEFAULT_RETENTION_DAYS, daysAhead: options.partitionsAhead ?? 3 };
  if (!Number.isInteger(policy.retentionDays) || policy.retentionDays < 1) throw new RangeError(`retentionDays must be a whole number of days, at least 1`);
  if (!Number.isInteger(policy.daysAhead) || policy.daysAhead < 2)
    throw new RangeError(`partitionsAhead must be at least 2, so tomorrow's partition exists before midnight`);
  const maxFutureMs = (options.maxFutureSeconds ?? 86_400) * 1000;
  const ownsPool = 'connectionString' in options.database;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // A line per request would cost more than storing the event; refusals are counted in /metrics instead.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
  });
  const pool =
    'pool' in options.database
      ? options.database.pool
      : createDatabasePool(
          {
            connectionString: options.database.connectionString,
            ...(options.database.maxConnections ? { maxConnections: options.database.maxConnections } : {}),
          },
          (error) => app.log.warn({ err: error }, 'an idle database connection failed'),
        );
  const validate = createEventValidator({ ...DEFAULT_EVENT_LIMITS, ...options.eventLimits });
  const limiter = createRateLimiter({ rate: options.rateLimit?.rate ?? DEFAULT_RATE, burst: options.rateLimit?.burst ?? DEFAULT_BURST });
  let closing = false;
  let maintenanceTimer: NodeJS.Timeout | undefined;

  const batcher: Batcher<EventRow, boolean> = createBatcher({
    maxBatchSize: options.batch?.maxSize ?? 500,
    maxDelayMs: options.batch?.maxDelayMs ?? 5,
    maxPending: options.batch?.maxPending ?? 10_000,
    concurrency: options.batch?.concurrency ?? 4,
    flush: async (rows) => {
      const started = performance.now();
      try {
        const stored = await insertWithPartitions(rows);
        metrics.insertSeconds.observe((performance.now() - started) / 1000);
        metrics.insertedRows.inc({}, stored.size);
        return rows.map((row) => stored.has(row.id));
      } catch (error) {
        metrics.insertFailures.inc();
        app.log.error({ err: error, rows: rows.length }, 'a batch of events could not be stored');
        throw error;
      }
    },
  });
  const metrics = createIngestorMetrics({ pendingEvents: () => batcher.pending(), verificationKeys: () => options.verifier.status().keyIds.length });

  // A day partition missing (a clock past midnight before the hourly run): create it and try once more.
  const insertWithPartitions = async (rows: EventRow[]) => {
    try {
      return await insertEvents(pool, rows);
    } catch (error) {
      if ((error as { code?: string }).code !== '23514') throw error;
      await runMaintenance();
      return insertEvents(pool, rows);
    }
  };

  const runMaintenance = async () => {
    const result = await maintainPartitions(pool, now(), policy);
    metrics.partitionsDropped.inc({}, result.dropped.length);
    if (result.created.length + result.dropped.length + result.deferred.length > 0) app.log.info(result, 'partitions maintained');
    return result;
  };

  const refuse = (reply: FastifyReply, refusal: Refusal) => {
    if (refusal.reason !== undefined) metrics.rejected.inc({ reason: refusal.reason });
    for (const [name, value] of Object.entries(refusal.headers ?? {})) void reply.header(name, value);
    return reply
      .code(refusal.status)
      .send({ error: { code: refusal.code, message: refusal.message, ...(refusal.path === undefined ? {} : { path: refusal.path }) } });
  };

  app.decorateRequest('cluster', undefined);
  // Only JSON is taken: every other media type gets 415 from Fastify before any body is read.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const known: Record<string, Omit<Refusal, 'message'>> = {
      FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: RequestErrorCode.UnsupportedMediaType, reason: 'content_type' },
      FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: RequestErrorCode.MalformedJson, reason: 'malformed_json' },
      FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: RequestErrorCode.BodyTooLarge, reason: 'body_too_large' },
      FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: RequestErrorCode.MalformedJson, reason: 'malformed_json' },
      FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: RequestErrorCode.MalformedJson, reason: 'malformed_json' },
    };
    const match = error.code ? known[error.code] : undefined;
    if (match) {
      const message =
        match.status === 415
          ? 'send the event as Content-Type: application/json'
          : match.status === 413
            ? `the body is larger than ${app.initialConfig.bodyLimit} bytes`
            : 'the body is not one JSON object';
      return refuse(reply, { ...match, message });
    }
    // Fastify's own JSON parser reports syntax errors and prototype poisoning with a 400 status of their own.
    if (error.statusCode === 400 || error instanceof SyntaxError)
      return refuse(reply, { status: 400, code: RequestErrorCode.MalformedJson, reason: 'malformed_json', message: 'the body is not valid JSON' });
    app.log.error({ err: error }, 'request failed');
    return refuse(reply, { status: 500, code: RequestErrorCode.Unavailable, reason: undefined, message: 'the event could not be stored; try again' });
  });

  // While closing, every answer ends its connection: a kept-alive socket would hold the shutdown for the keep-alive timeout.
  // A callback hook, not an async one: it runs for every answer and then costs no promise.
  app.addHook('onSend', (_request, reply, _payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done();
  });

  app.setNotFoundHandler((_request, reply) => refuse(reply, { status: 404, code: RequestErrorCode.NotFound, reason: undefined, message: 'no such endpoint' }));

  // Identity and rate first, before the body is read: an unauthenticated or flooding sender costs no parsing and no database work.
  const authenticate = async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization;
    const token = typeof header === 'string' ? /^Bearer +([^\s]+)\s*$/i.exec(header)?.[1] : undefined;
    if (token === undefined) {
      return refuse(reply, {
        status: 401,
        code: RequestErrorCode.Unauthenticated,
        reason: 'no_token',
        message: 'send the cluster token as Authorization: Bearer <token>',
        headers: { 'www-authenticate': 'Bearer realm="falco-event-ingestor"' },
      });
    }
    try {
      request.cluster = (await options.verifier.verify(token)).cluster;
    } catch (error) {
      if (!isFleetIdentityError(error)) throw error;
      const reason: RejectReason =
        error.code === FleetIdentityErrorCode.Expired ? 'expired_token' : error.code === FleetIdentityErrorCode.UnknownKey ? 'unknown_key' : 'invalid_token';
      return refuse(reply, {
        status: 401,
        code: error.code,
        reason,
        message: `${error.message}; ${error.hint}`,
        headers: { 'www-authenticate': `Bearer realm="falco-event-ingestor", error="invalid_token", error_description="${error.code}"` },
      });
    }
    const decision = limiter.take(request.cluster);
    if (!decision.allowed) {
      metrics.rateLimited.inc();
      return refuse(reply, {
        status: 429,
        code: RequestErrorCode.RateLimited,
        reason: undefined,
        message: `cluster ${request.cluster} sends more events than this replica takes; retry after ${decision.retryAfterSeconds}s`,
        headers: { 'retry-after': String(decision.retryAfterSeconds) },
      });
    }
    return undefined;
  };

  const ingestEvent = async (request: FastifyRequest, reply: FastifyReply) => {
    const checked = validate(request.body);
    if (!checked.ok)
      return refuse(reply, {
        status: 400,
        code: RequestErrorCode.InvalidEvent,
        reason: 'invalid_event',
        message: `${checked.path || 'the body'} ${checked.message}`,
        path: checked.path,
      });
    const t = now();
    if (checked.timeMs < retentionStart(t, policy.retentionDays) || checked.timeMs > t + maxFutureMs) {
      return refuse(reply, {
        status: 400,
        code: RequestErrorCode.TimeOutOfRange,
        reason: 'time_out_of_range',
        message: `/time is outside the days kept (${dayOf(retentionStart(t, policy.retentionDays))} to ${dayOf(t + maxFutureMs)}); check the clock of the node that sent it`,
        path: '/time',
      });
    }
    const row = eventRow(request.cluster!, checked.event);
    let stored: boolean;
    try {
      stored = await batcher.submit(row);
    } catch (error) {
      if (error instanceof BatcherFullError || error instanceof BatcherClosedError) {
        return refuse(reply, {
          status: 503,
          code: RequestErrorCode.Overloaded,
          reason: 'overloaded',
          message: 'too many events wait to be stored; retry shortly',
          headers: { 'retry-after': '1' },
        });
      }
      app.log.error({ err: error }, 'an event could not be stored');
      return refuse(reply, {
        status: 503,
        code: RequestErrorCode.Unavailable,
        reason: undefined,
        message: 'the database did not take the event; retry shortly',
        headers: { 'retry-after': '5' },
      });
    }
    metrics.accepted.inc();
    if (!stored) metrics.duplicates.inc();
    return reply.code(stored ? 201 : 200).send({ id: row.id, cluster: row.cluster, duplicate: !stored });
  };
  // Falcosidekick's webhook output sends with PUT instead when its `webhook.method` says so: the same request otherwise.
  app.route({ method: ['POST', 'PUT'], url: '/events', onRequest: authenticate, handler: ingestEvent });

  app.get('/metrics', async (_request, reply) => reply.header('content-type', METRICS_CONTENT_TYPE).send(metrics.render()));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const problems: string[] = [];
    if (closing) problems.push('shutting down');
    if (options.verifier.status().keyIds.length === 0) problems.push('the JWKS holds no key');
    const timeout = new AbortController();
    try {
      await Promise.race([pool.query('SELECT 1'), sleep(2_000, timeout.signal).then(() => Promise.reject(new Error('no answer within 2s')))]);
    } catch (error) {
      problems.push(`database: ${(error as Error).message}`);
    } finally {
      timeout.abort();
    }
    return reply.code(problems.length === 0 ? 200 : 503).send({ status: problems.length === 0 ? 'ready' : 'not ready', problems });
  });

  return {
    app,
    pool,
    metrics,
    async start(listen = {}) {
      const applied = await migrate(pool);
      if (applied.length > 0) app.log.info({ applied }, 'schema migrated');
      await runMaintenance();
      const address = await app.listen({ host: listen.host ?? '127.0.0.1', port: listen.port ?? 0 });
      const intervalMs = options.maintenanceIntervalMs ?? 3_600_000;
      maintenanceTimer = setInterval(() => {
        runMaintenance().catch((error: unknown) => app.log.error({ err: error }, 'partition maintenance failed; the next run tries again'));
      }, intervalMs);
      maintenanceTimer.unref();
      return address;
    },
    runMaintenance,
    async close() {
      closing = true;
      if (maintenanceTimer !== undefined) clearInterval(maintenanceTimer);
      // Requests in flight wait for their batch, and Fastify waits for them: batches go out at once from here on.
      batcher.drain();
      await app.close();
      await batcher.close();
      if (ownsPool) await pool.end();
    },
  };
}
