// Manifests the tests write inline, kept in one table so the schema agreement test runs every one of them.

const digest = `sha256:${'a'.repeat(64)}`;
const json = 'ghcr.io/falcosecurity/plugins/plugin/json:0.7.4';
const falcoImage = 'docker.io/falcosecurity/falco:0.44.1-debian';

function manifest(...lines: string[]): string {
  return ['apiVersion: falco-airgap/v1alpha1', 'kind: PluginsManifest', ...lines].join('\n');
}

function withPlugins(...plugins: string[]): string {
  return manifest('falco: {version: 0.44.1}', 'platforms: [linux/amd64]', 'plugins:', ...plugins.map((p) => `  - ${p}`));
}

export const inlineManifests = {
  /** Valid: an artifact pinned by tag and digest. */
  pinnedByDigest: manifest(
    'falco: {version: 0.44.1}',
    'platforms: [linux/arm64]',
    'plugins:',
    `  - {name: json, version: 0.7.4, from: {artifact: "${json}@${digest}"}}`,
  ),
  /** Valid: rulesfiles only. */
  rulesfilesOnly: manifest(
    'falco: {version: 0.44.1}',
    'platforms: [linux/amd64]',
    'rulesfiles:',
    '  - {name: falco-rules, version: 5.1.0, from: {artifact: "ghcr.io/falcosecurity/rules/falco-rules:5.1.0"}}',
  ),
  /** Four mistakes in one document: every one is reported. */
  fourProblems: manifest('falco: {version: "1"}', 'platforms: [linux/mips]', 'plugins:', '  - {name: a, version: x, from: {artifact: "r/a"}}'),
  /** `platform:` where `platforms:` was meant. */
  misspeltKey: manifest('falco: {version: 0.44.1}', 'platform: [linux/amd64]', 'plugins: []'),
  neitherSource: withPlugins('{name: container, version: 0.7.1, from: {path: /usr/share/falco/plugins/libcontainer.so}}'),
  artifactWithPath: withPlugins(`{name: json, version: 0.7.4, from: {artifact: "${json}", path: /libjson.so}}`),
  unknownSourceKey: withPlugins(`{name: json, version: 0.7.4, from: {artifact: "${json}", tag: latest}}`),
  emptyName: withPlugins(`{name: "", version: 0.7.4, from: {artifact: "${json}"}}`),
  entryTwice: withPlugins(`{name: json, version: 0.7.4, from: {artifact: "${json}"}}`, `{name: json, version: 0.7.4, from: {artifact: "${json}"}}`),
  imageRootPath: withPlugins(`{name: container, version: 0.7.1, from: {image: "${falcoImage}", path: /}}`),
  badRulesfileName: manifest(
    'falco: {version: 0.44.1}',
    'platforms: [linux/amd64]',
    'rulesfiles:',
    '  - {name: Falco_Rules, version: 5.1.0, from: {artifact: "ghcr.io/falcosecurity/rules/falco-rules:5.1.0"}}',
  ),
  noPlatforms: manifest('falco: {version: 0.44.1}', 'platforms: []', 'plugins: []'),
  nothingToMirror: manifest('falco: {version: 0.44.1}', 'platforms: [linux/amd64]'),
  notAMapping: '- apiVersion: falco-airgap/v1alpha1\n',
  collectionKey: manifest('falco: {version: 0.44.1}', 'platforms: [linux/amd64]', 'plugins: []', '? [a]', ': b'),
  /** Aliases that expand to 10^5 items: refused before anything reads them. */
  aliasBomb: manifest(
    'falco: {version: 0.44.1}',
    'platforms: [linux/amd64]',
    'x1: &a [x, x, x, x, x, x, x, x, x, x]',
    ...[2, 3, 4, 5].map(
      (n) =>
        `x${n}: &${'abcde'[n - 1]} [${Array(10)
          .fill(`*${'abcde'[n - 2]}`)
          .join(', ')}]`,
    ),
  ),
} as const;
