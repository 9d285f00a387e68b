import pg from 'pg';

/** What the event store and queries need of a database: one query at a time (a pool or a client). */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

export interface DatabaseOptions {
  connectionString: string;
  /** Connections per replica (default 10). */
  maxConnections?: number;
  /** Longest wait for a connection, in milliseconds (default 5 s). */
  connectTimeoutMs?: number;
  /** Longest a statement may run on the server, in milliseconds (default 30 s); the client gives up a little later. */
  statementTimeoutMs?: number;
}

/** A pool whose every wait is bounded; an idle connection that breaks is dropped and reported, never fatal. */
export function createDatabasePool(options: DatabaseOptions, onError: (error: Error) => void = () => {}): pg.Pool {
  const statementTimeoutMs = options.statementTimeoutMs ?? 30_000;
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: statementTimeoutMs,
    query_timeout: statementTimeoutMs + 5_000,
    application_name: 'falco-event-ingestor',
    keepAlive: true,
  });
  pool.on('error', onError);
  return pool;
}
