/** One entry of a falcoctl index (`falcoctl index add`), field for field as falcoctl reads it. */
export interface FalcoctlIndexEntry {
  name: string;
  type: 'plugin' | 'rulesfile';
  registry: string;
  repository: string;
  description: string;
  home: string;
  keywords: string[];
  license: string;
  maintainers: { email: string; name: string }[];
  sources: string[];
}

/**
 * The index.yaml falcoctl fetches: a YAML list of entries sorted by name, keys in falcoctl's own
 * order. Every scalar is written double-quoted (JSON string syntax is valid YAML), so no value can
 * change type or structure.
 */
export function serializeFalcoctlIndex(entries: readonly FalcoctlIndexEntry[]): string {
  const q = (value: string) => JSON.stringify(value);
  const list = (values: readonly string[]) => `[${values.map(q).join(', ')}]`;
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (!sorted.length) return '[]\n';
  return sorted
    .map((e) =>
      [
        `- name: ${q(e.name)}`,
        `  type: ${q(e.type)}`,
        `  registry: ${q(e.registry)}`,
        `  repository: ${q(e.repository)}`,
        `  description: ${q(e.description)}`,
        `  home: ${q(e.home)}`,
        `  keywords: ${list(e.keywords)}`,
        `  license: ${q(e.license)}`,
        e.maintainers.length
          ? `  maintainers:\n${e.maintainers.map((m) => `    - email: ${q(m.email)}\n      name: ${q(m.name)}`).join('\n')}`
          : '  maintainers: []',
        `  sources: ${list(e.sources)}`,
      ].join('\n'),
    )
    .join('\n')
    .concat('\n');
}
