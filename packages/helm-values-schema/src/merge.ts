export type ValuesLayer = Record<string, unknown>;

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Layers values files the way `helm -f a.yaml -f b.yaml` does: maps merge key by key, later layers
 * win, lists and scalars are replaced whole, and null is kept so it can delete a chart default later.
 */
export function mergeValues(...layers: readonly ValuesLayer[]): ValuesLayer {
  let out: ValuesLayer = {};
  for (const layer of layers) out = mergeTwo(out, layer);
  return out;
}

function mergeTwo(base: ValuesLayer, next: ValuesLayer): ValuesLayer {
  const out: ValuesLayer = { ...base };
  for (const [key, value] of Object.entries(next)) {
    const current = out[key];
    out[key] = isMap(value) && isMap(current) ? mergeTwo(current, value) : structuredClone(value);
  }
  return out;
}

/**
 * Puts user values over the chart defaults the way helm does before rendering: a null removes the
 * default, maps merge, anything else replaces the default. The result is what the templates and
 * values.schema.json see.
 */
export function coalesceValues(defaults: ValuesLayer, values: ValuesLayer): ValuesLayer {
  const out: ValuesLayer = structuredClone(values);
  for (const [key, fallback] of Object.entries(defaults)) {
    if (!(key in out)) {
      out[key] = structuredClone(fallback);
      continue;
    }
    const value = out[key];
    if (value === null) delete out[key];
    else if (isMap(value) && isMap(fallback)) out[key] = coalesceValues(fallback, value);
  }
  return out;
}
