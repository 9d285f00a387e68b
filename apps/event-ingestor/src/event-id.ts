import { hash } from 'node:crypto';
import type { FalcoEvent } from './falco-event.ts';

/**
 * The id of an event as stored: SHA-256 (hex) of the cluster's name and the event's canonical JSON. A delivery
 * retried, by Falcosidekick or by a proxy, gets the same id and is stored once; the same event from another cluster is
 * another event.
 */
export function eventId(cluster: string, event: FalcoEvent): string {
  // Hashed in one call: the newline keeps a surrogate half of the cluster from pairing with the JSON, so the bytes are those of the parts.
  return hash('sha256', `${cluster}\n${canonicalJson(event)}`, 'hex');
}

/** JSON with object keys sorted at every level and no whitespace: equal values give equal text whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? 'null';
  // Members already in order and all scalars (output_fields as Go marshals it, tags): JSON.stringify writes the same text at once.
  if (isFlatAndSorted(value)) return JSON.stringify(value);
  if (Array.isArray(value)) {
    let text = '[';
    // A hole (never from JSON.parse) is written as nothing, as Array.prototype.join writes it.
    for (let i = 0; i < value.length; i++) text += `${i === 0 ? '' : ','}${i in value ? canonicalJson(value[i]) : ''}`;
    return `${text}]`;
  }
  const keys = Object.keys(value).sort();
  let text = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    text += `${i === 0 ? '' : ','}${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`;
  }
  return `${text}}`;
}

// True when JSON.stringify would write exactly the canonical text: no toJSON, no holes, keys in sort order, only strings, numbers, booleans and null.
function isFlatAndSorted(value: object): boolean {
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!(i in value) || !isScalar(value[i])) return false;
    return true;
  }
  // Plain objects only: JSON.stringify writes boxed primitives and JSON.rawJSON values as what they hold, not as their keys.
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    // `<` compares UTF-16 code units, as the default sort does.
    if (i > 0 && !(keys[i - 1]! < keys[i]!)) return false;
    if (!isScalar((value as Record<string, unknown>)[keys[i]!])) return false;
  }
  return true;
}

function isScalar(value: unknown): boolean {
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
