import type { Queryable } from './database.ts';
import { eventId } from './event-id.ts';
import { severityOf, type FalcoEvent } from './falco-event.ts';
import { EVENTS_TABLE } from './migrations.ts';

/** One event as the store writes it: the body as sent, the cluster its token proved, and the id derived from both. */
export interface EventRow {
  id: string;
  cluster: string;
  time: string;
  priority: string;
  severity: number;
  rule: string;
  output: string;
  source: string;
  hostname: string | null;
  tags: string[];
  uuid: string | null;
  output_fields: FalcoEvent['output_fields'];
}

export function eventRow(cluster: string, event: FalcoEvent): EventRow {
  return {
    id: eventId(cluster, event),
    cluster,
    time: event.time,
    priority: event.priority,
    severity: severityOf(event.priority),
    rule: event.rule,
    output: event.output,
    source: event.source,
    hostname: event.hostname ?? null,
    tags: event.tags ?? [],
    uuid: event.uuid ?? null,
    output_fields: event.output_fields,
  };
}

// One parameter for the whole batch: the statement is the same text whatever the batch size, and values never touch SQL.
const INSERT = `
  INSERT INTO ${EVENTS_TABLE} (id, cluster, time, priority, severity, rule, output, source, hostname, tags, uuid, output_fields)
  SELECT id, cluster, time, priority, severity, rule, output, source, hostname, tags, uuid, output_fields
  FROM jsonb_to_recordset($1::jsonb) AS r(
    id text, cluster text, time timestamptz, priority text, severity smallint, rule text, output text,
    source text, hostname text, tags text[], uuid text, output_fields jsonb)
  ON CONFLICT DO NOTHING
  RETURNING id`;

/** Inserts a batch in one statement (one transaction); returns the ids newly stored, the others were there already. */
export async function insertEvents(db: Queryable, rows: readonly EventRow[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const result = await db.query<{ id: string }>(INSERT, [JSON.stringify(rows)]);
  return new Set(result.rows.map((row) => row.id));
}
