import type pg from 'pg';
import { EVENTS_TABLE, MAINTENANCE_LOCK_KEY } from './migrations.ts';

const DAY_MS = 86_400_000;
const PARTITION_NAME = new RegExp(`^${EVENTS_TABLE}_(\\d{4})(\\d{2})(\\d{2})$`);

/** A UTC day as `YYYY-MM-DD`. */
export type Day = string;

export function dayOf(ms: number): Day {
  return new Date(ms).toISOString().slice(0, 10);
}

export function partitionName(day: Day): string {
  return `${EVENTS_TABLE}_${day.replaceAll('-', '')}`;
}

/** The day a partition holds, or undefined for a table that is not one of ours. */
export function partitionDay(name: string): Day | undefined {
  const m = PARTITION_NAME.exec(name);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : undefined;
}

export interface RetentionPolicy {
  /** Whole days kept before today (UTC); a partition older than that is dropped whole. */
  retentionDays: number;
  /** Days after today whose partitions exist before their first event. */
  daysAhead: number;
}

/** The first instant kept: midnight UTC `retentionDays` days before today. Events older than this are refused, as they would be dropped at once. */
export function retentionStart(nowMs: number, retentionDays: number): number {
  return startOfDay(nowMs) - retentionDays * DAY_MS;
}

// Midnight UTC of the day `ms` falls in, by arithmetic: asked for every event, so no date text is written and read back.
function startOfDay(ms: number): number {
  // Whole milliseconds first, as a Date keeps them.
  const whole = Math.trunc(ms);
  return whole - (((whole % DAY_MS) + DAY_MS) % DAY_MS);
}

/** Which day partitions to create and which to drop: every day from the retention start to `daysAhead` after today exists; older ones go. */
export function planPartitions(nowMs: number, policy: RetentionPolicy, existing: readonly string[]): { create: Day[]; drop: string[] } {
  const start = retentionStart(nowMs, policy.retentionDays);
  const have = new Set(existing);
  const create: Day[] = [];
  for (let t = start; t <= Date.parse(`${dayOf(nowMs)}T00:00:00Z`) + policy.daysAhead * DAY_MS; t += DAY_MS) {
    if (!have.has(partitionName(dayOf(t)))) create.push(dayOf(t));
  }
  const drop = existing.filter((name) => {
    const day = partitionDay(name);
    return day !== undefined && Date.parse(`${day}T00:00:00Z`) < start;
  });
  return { create, drop: drop.sort() };
}

export interface MaintenanceResult {
  created: string[];
  dropped: string[];
  /** Partitions that could not be dropped now (a long query held them); the next run tries again. */
  deferred: string[];
}

/**
 * Creates the day partitions the window needs and drops those past retention. Replicas take turns on an advisory
 * lock; a drop waits at most `lockTimeoutMs` for queries on the table, so ingestion never stalls behind it.
 */
export async function maintainPartitions(pool: pg.Pool, nowMs: number, policy: RetentionPolicy, lockTimeoutMs = 5_000): Promise<MaintenanceResult> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MAINTENANCE_LOCK_KEY]);
    try {
      const { rows } = await client.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass`,
        [EVENTS_TABLE],
      );
      const plan = planPartitions(
        nowMs,
        policy,
        rows.map((row) => row.name),
      );
      const result: MaintenanceResult = { created: [], dropped: [], deferred: [] };
      await client.query(`SET lock_timeout = ${Math.max(1, Math.floor(lockTimeoutMs))}`);
      for (const day of plan.create) {
        const next = dayOf(Date.parse(`${day}T00:00:00Z`) + DAY_MS);
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${partitionName(day)} PARTITION OF ${EVENTS_TABLE} FOR VALUES FROM ('${day}T00:00:00Z') TO ('${next}T00:00:00Z')`,
        );
        result.created.push(partitionName(day));
      }
      for (const name of plan.drop) {
        try {
          await client.query(`DROP TABLE IF EXISTS ${name}`);
          result.dropped.push(name);
        } catch (error) {
          // 55P03: lock_not_available.
          if ((error as { code?: string }).code !== '55P03') throw error;
          result.deferred.push(name);
        }
      }
      return result;
    } finally {
      await client.query('RESET lock_timeout');
      await client.query('SELECT pg_advisory_unlock($1)', [MAINTENANCE_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}
