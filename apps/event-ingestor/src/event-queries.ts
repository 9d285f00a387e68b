import type { Queryable } from './database.ts';
import { FALCO_PRIORITIES, severityOf, type FalcoPriority, type OutputFieldValue } from './falco-event.ts';
import { EVENTS_TABLE } from './migrations.ts';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** Which events a list shows. Every filter given must hold. */
export interface EventFilter {
  /** The clusters the reader may see; events of others never appear. Unset: every cluster; empty: none. */
  clusters?: readonly string[];
  cluster?: string;
  rule?: string;
  priorities?: readonly FalcoPriority[];
  /** This priority or a more severe one. */
  minPriority?: FalcoPriority;
  /** Event time from (inclusive) ... */
  from?: Date;
  /** ... to (exclusive). */
  to?: Date;
  /** Case-insensitive substring of the output or the rule name. */
  text?: string;
  /** False positives are hidden unless asked for (default `exclude`). */
  falsePositives?: 'exclude' | 'include' | 'only';
  limit?: number;
  /** The `next` cursor of the previous page. */
  cursor?: string;
}

export interface StoredEvent {
  id: string;
  cluster: string;
  time: Date;
  receivedAt: Date;
  priority: FalcoPriority;
  rule: string;
  output: string;
  source: string;
  hostname: string | null;
  tags: string[];
  uuid: string | null;
  outputFields: Record<string, OutputFieldValue>;
  falsePositive: { by: string; at: Date } | null;
}

export interface EventPage {
  events: StoredEvent[];
  /** Pass as `cursor` for the next (older) page; absent on the last page. */
  next?: string;
}

/** Who may touch an event: the clusters the reader may see (unset: every cluster). */
export interface EventScope {
  clusters?: readonly string[];
}

export class EventQueryError extends Error {
  override name = 'EventQueryError';
}

const COLUMNS = `id, cluster, time, received_at, priority, rule, output, source, hostname, tags, uuid, output_fields,
  false_positive_by, false_positive_at, (extract(epoch FROM time) * 1000000)::bigint::text AS time_us`;
const EVENT_ID = /^[0-9a-f]{64}$/;
const CURSOR = /^(\d{1,17})\.([0-9a-f]{64})$/;

interface EventRecord {
  id: string;
  cluster: string;
  time: Date;
  received_at: Date;
  priority: FalcoPriority;
  rule: string;
  output: string;
  source: string;
  hostname: string | null;
  tags: string[];
  uuid: string | null;
  output_fields: Record<string, OutputFieldValue>;
  false_positive_by: string | null;
  false_positive_at: Date | null;
  time_us: string;
}

/** The SELECT of one page, as text and values: pure, so what a filter does can be read and tested without a database. */
export function buildListQuery(filter: EventFilter): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const where: string[] = [];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  if (filter.clusters !== undefined) where.push(`cluster = ANY(${param([...filter.clusters])}::text[])`);
  if (filter.cluster !== undefined) where.push(`cluster = ${param(filter.cluster)}`);
  if (filter.rule !== undefined) where.push(`rule = ${param(filter.rule)}`);
  if (filter.priorities !== undefined) where.push(`priority = ANY(${param(filter.priorities.map(checkPriority))}::text[])`);
  if (filter.minPriority !== undefined) where.push(`severity <= ${param(severityOf(checkPriority(filter.minPriority)))}`);
  if (filter.from !== undefined) where.push(`time >= ${param(checkDate(filter.from, 'from'))}`);
  if (filter.to !== undefined) where.push(`time < ${param(checkDate(filter.to, 'to'))}`);
  if (filter.text !== undefined && filter.text !== '') {
    const pattern = param(`%${filter.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    where.push(`(output ILIKE ${pattern} ESCAPE '\\' OR rule ILIKE ${pattern} ESCAPE '\\')`);
  }
  const falsePositives = filter.falsePositives ?? 'exclude';
  if (falsePositives === 'exclude') where.push('false_positive_at IS NULL');
  if (falsePositives === 'only') where.push('false_positive_at IS NOT NULL');
  if (filter.cursor !== undefined) {
    const m = CURSOR.exec(filter.cursor);
    if (!m) throw new EventQueryError(`cursor ${JSON.stringify(filter.cursor)} is not one this store handed out`);
    where.push(`(time, id) < (timestamptz 'epoch' + ${param(m[1])}::bigint * interval '1 microsecond', ${param(m[2])})`);
  }
  const limit = filter.limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) throw new EventQueryError(`limit ${limit} is not between 1 and ${MAX_PAGE_SIZE}`);
  // One row more than the page tells whether another page follows.
  const text = `SELECT ${COLUMNS} FROM ${EVENTS_TABLE}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY time DESC, id DESC LIMIT ${param(limit + 1)}`;
  return { text, values };
}

/** One page of events, newest first. */
export async function listEvents(db: Queryable, filter: EventFilter = {}): Promise<EventPage> {
  const { text, values } = buildListQuery(filter);
  const { rows } = await db.query<EventRecord>(text, values);
  const limit = filter.limit ?? DEFAULT_PAGE_SIZE;
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { events: page.map(toStoredEvent), ...(rows.length > limit && last ? { next: `${last.time_us}.${last.id}` } : {}) };
}

/** One event by id, if it exists and the scope lets the reader see its cluster. */
export async function getEvent(db: Queryable, id: string, scope: EventScope = {}): Promise<StoredEvent | undefined> {
  if (!EVENT_ID.test(id)) return undefined;
  const { text, values } = scoped(`SELECT ${COLUMNS} FROM ${EVENTS_TABLE} WHERE id = $1`, [id], scope);
  const { rows } = await db.query<EventRecord>(text, values);
  return rows[0] && toStoredEvent(rows[0]);
}

/** Marks an event a false positive, saying who and when; marking it again keeps the first mark. Undefined when not found or out of scope. */
export async function markFalsePositive(db: Queryable, id: string, mark: { by: string; at?: Date }, scope: EventScope = {}): Promise<StoredEvent | undefined> {
  if (mark.by.trim() === '' || mark.by.length > 256) throw new EventQueryError('a false-positive mark needs who made it (1 to 256 characters)');
  if (!EVENT_ID.test(id)) return undefined;
  const { text, values } = scoped(
    `UPDATE ${EVENTS_TABLE} SET false_positive_by = COALESCE(false_positive_by, $2), false_positive_at = COALESCE(false_positive_at, $3) WHERE id = $1`,
    [id, mark.by, mark.at ?? new Date()],
    scope,
  );
  const { rows } = await db.query<EventRecord>(`${text} RETURNING ${COLUMNS}`, values);
  return rows[0] && toStoredEvent(rows[0]);
}

/** Takes the false-positive mark off an event, so it shows in the default view again. */
export async function unmarkFalsePositive(db: Queryable, id: string, scope: EventScope = {}): Promise<StoredEvent | undefined> {
  if (!EVENT_ID.test(id)) return undefined;
  const { text, values } = scoped(`UPDATE ${EVENTS_TABLE} SET false_positive_by = NULL, false_positive_at = NULL WHERE id = $1`, [id], scope);
  const { rows } = await db.query<EventRecord>(`${text} RETURNING ${COLUMNS}`, values);
  return rows[0] && toStoredEvent(rows[0]);
}

function scoped(text: string, values: unknown[], scope: EventScope): { text: string; values: unknown[] } {
  if (scope.clusters === undefined) return { text, values };
  return { text: `${text} AND cluster = ANY($${values.length + 1}::text[])`, values: [...values, [...scope.clusters]] };
}

function toStoredEvent(row: EventRecord): StoredEvent {
  return {
    id: row.id,
    cluster: row.cluster,
    time: row.time,
    receivedAt: row.received_at,
    priority: row.priority,
    rule: row.rule,
    output: row.output,
    source: row.source,
    hostname: row.hostname,
    tags: row.tags,
    uuid: row.uuid,
    outputFields: row.output_fields,
    falsePositive: row.false_positive_by !== null && row.false_positive_at !== null ? { by: row.false_positive_by, at: row.false_positive_at } : null,
  };
}

function checkPriority(priority: FalcoPriority): FalcoPriority {
  if (!(FALCO_PRIORITIES as readonly string[]).includes(priority))
    throw new EventQueryError(`priority ${JSON.stringify(priority)} is not one of ${FALCO_PRIORITIES.join(', ')}`);
  return priority;
}

function checkDate(date: Date, name: string): Date {
  if (Number.isNaN(date.getTime())) throw new EventQueryError(`${name} is not a valid date`);
  return date;
}
