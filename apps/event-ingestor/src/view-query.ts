import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type EventFilter } from './event-queries.ts';
import { FALCO_PRIORITIES, type FalcoPriority } from './falco-event.ts';
import type { Operator } from './operator-tokens.ts';

/** The filters of the list as the form and the API take them (query parameters), normalised. */
export interface ViewQuery {
  cluster: string;
  rule: string;
  /** This priority or a more severe one. */
  priority: string;
  /** UTC, `YYYY-MM-DDTHH:MM` (what a datetime-local input sends) or RFC 3339. */
  from: string;
  to: string;
  q: string;
  fp: 'exclude' | 'include' | 'only';
  cursor: string;
  limit: string;
}

export type ParsedViewQuery = { ok: true; query: ViewQuery; filter: EventFilter } | { ok: false; query: ViewQuery; parameter: string; message: string };

const FIELDS = ['cluster', 'rule', 'priority', 'from', 'to', 'q', 'cursor', 'limit'] as const;
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$/;
const ZONED_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;
const MAX_PARAMETER_LENGTH = 1024;

/** Which clusters an operator may see, as the queries take it (unset: every cluster). */
export function scopeOf(operator: Operator): { clusters?: readonly string[] } {
  return operator.clusters === 'all' ? {} : { clusters: operator.clusters };
}

/**
 * Turns query parameters into a filter limited to the operator's clusters: the scope is part of every query, whatever
 * the parameters ask for. Pure, so the page and the API refuse the same things.
 */
export function parseViewQuery(parameters: Record<string, unknown>, operator: Operator): ParsedViewQuery {
  const text = (name: string) => {
    const value = parameters[name];
    const first = Array.isArray(value) ? value[0] : value;
    return typeof first === 'string' ? first.trim().slice(0, MAX_PARAMETER_LENGTH) : '';
  };
  const fpText = text('fp');
  const query: ViewQuery = { ...(Object.fromEntries(FIELDS.map((name) => [name, text(name)])) as Omit<ViewQuery, 'fp'>), fp: 'exclude' };
  const refuse = (parameter: string, message: string): ParsedViewQuery => ({ ok: false, query, parameter, message });
  if (fpText === 'include' || fpText === 'only') query.fp = fpText;
  else if (fpText !== '' && fpText !== 'exclude') return refuse('fp', 'must be exclude, include or only');

  const filter: EventFilter = { ...scopeOf(operator), falsePositives: query.fp };
  if (query.cluster !== '') filter.cluster = query.cluster;
  if (query.rule !== '') filter.rule = query.rule;
  if (query.priority !== '') {
    if (!(FALCO_PRIORITIES as readonly string[]).includes(query.priority)) return refuse('priority', `must be one of ${FALCO_PRIORITIES.join(', ')}`);
    filter.minPriority = query.priority as FalcoPriority;
  }
  for (const bound of ['from', 'to'] as const) {
    const value = query[bound];
    if (value === '') continue;
    const time = LOCAL_TIME.test(value) ? Date.parse(`${value}Z`) : ZONED_TIME.test(value) ? Date.parse(value) : NaN;
    if (Number.isNaN(time)) return refuse(bound, 'must be a time like 2026-05-01T12:00 (UTC) or 2026-05-01T12:00:00+02:00');
    filter[bound] = new Date(time);
  }
  if (filter.from && filter.to && filter.from >= filter.to) return refuse('to', 'must be later than from');
  if (query.q !== '') filter.text = query.q;
  if (query.cursor !== '') filter.cursor = query.cursor;
  if (query.limit !== '') {
    const limit = Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) return refuse('limit', `must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
    filter.limit = limit;
  } else {
    filter.limit = DEFAULT_PAGE_SIZE;
  }
  return { ok: true, query, filter };
}

/** The query string of a list, without empty parameters and the defaults: what links and redirects carry. */
export function viewQueryString(query: Partial<ViewQuery>): string {
  const entries = Object.entries(query).filter(([name, value]) => value !== undefined && value !== '' && !(name === 'fp' && value === 'exclude'));
  return new URLSearchParams(entries as [string, string][]).toString();
}
