import { createHash } from 'node:crypto';
import type { FalcoEvent } from './falco-event.ts';

/**
 * The id of an event as stored: SHA-256 (hex) of the cluster's name and the event's canonical JSON. A delivery
 * retried, by Falcosidekick or by a proxy, gets the same id and is stored once; the same event from another cluster is
 * another event.
 */
export function eventId(cluster: string, event: FalcoEvent): string {
  return createHash('sha256').update(cluster).update('\n').update(canonicalJson(event)).digest('hex');
}

/** JSON with object keys sorted at every level and no whitespace: equal values give equal text whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
