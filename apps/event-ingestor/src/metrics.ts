/** The few Prometheus metric kinds the ingestor needs, rendered in the text exposition format (version 0.0.4). */

type Labels = Record<string, string>;

interface Metric {
  render(): string;
}

export class Counter implements Metric {
  private readonly values = new Map<string, number>();
  readonly name: string;
  private readonly help: string;
  constructor(name: string, help: string) {
    this.name = name;
    this.help = help;
  }

  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  get(labels: Labels = {}): number {
    return this.values.get(labelText(labels)) ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (this.values.size === 0) lines.push(`${this.name} 0`);
    for (const [labels, value] of this.values) lines.push(`${this.name}${labels} ${value}`);
    return lines.join('\n');
  }
}

export class Gauge implements Metric {
  readonly name: string;
  private readonly help: string;
  private readonly read: () => number;
  constructor(name: string, help: string, read: () => number) {
    this.name = name;
    this.help = help;
    this.read = read;
  }

  render(): string {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`, `${this.name} ${this.read()}`].join('\n');
  }
}

export class Histogram implements Metric {
  readonly name: string;
  private readonly help: string;
  private readonly buckets: readonly number[];
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  constructor(name: string, help: string, buckets: readonly number[]) {
    this.name = name;
    this.help = help;
    this.buckets = buckets;
    this.counts = buckets.map(() => 0);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    for (const [i, bound] of this.buckets.entries()) if (value <= bound) this.counts[i]!++;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [i, bound] of this.buckets.entries()) lines.push(`${this.name}_bucket{le="${bound}"} ${this.counts[i]}`);
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.count}`, `${this.name}_sum ${this.sum}`, `${this.name}_count ${this.count}`);
    return lines.join('\n');
  }
}

/** Why a request was refused: the `reason` label of the rejected counter. */
export type RejectReason =
  | 'no_token'
  | 'invalid_token'
  | 'expired_token'
  | 'unknown_key'
  | 'content_type'
  | 'body_too_large'
  | 'malformed_json'
  | 'invalid_event'
  | 'time_out_of_range'
  | 'overloaded';

export interface IngestorMetrics {
  accepted: Counter;
  duplicates: Counter;
  rejected: Counter;
  rateLimited: Counter;
  insertSeconds: Histogram;
  insertedRows: Counter;
  insertFailures: Counter;
  partitionsDropped: Counter;
  render(): string;
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function createIngestorMetrics(gauges: { pendingEvents: () => number; verificationKeys: () => number }): IngestorMetrics {
  const prefix = 'falco_event_ingestor';
  const metrics = {
    accepted: new Counter(`${prefix}_events_accepted_total`, 'Events stored or found already stored, answered with success.'),
    duplicates: new Counter(`${prefix}_events_duplicate_total`, 'Accepted events that were already stored (retried deliveries).'),
    rejected: new Counter(`${prefix}_events_rejected_total`, 'Requests refused, by reason.'),
    rateLimited: new Counter(`${prefix}_events_rate_limited_total`, "Requests refused with 429 because their cluster's bucket was empty."),
    insertSeconds: new Histogram(
      `${prefix}_insert_duration_seconds`,
      'Time to insert and commit one batch.',
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    ),
    insertedRows: new Counter(`${prefix}_inserted_rows_total`, 'Rows written by batched inserts.'),
    insertFailures: new Counter(`${prefix}_insert_failures_total`, 'Batches that could not be stored.'),
    partitionsDropped: new Counter(`${prefix}_partitions_dropped_total`, 'Day partitions dropped by retention.'),
  };
  const all: Metric[] = [
    ...Object.values(metrics),
    new Gauge(`${prefix}_pending_events`, 'Events waiting for the next batch insert.', gauges.pendingEvents),
    new Gauge(`${prefix}_verification_keys`, 'Keys in the JWKS in force.', gauges.verificationKeys),
  ];
  return { ...metrics, render: () => `${all.map((m) => m.render()).join('\n')}\n` };
}

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`).join(',')}}`;
}
