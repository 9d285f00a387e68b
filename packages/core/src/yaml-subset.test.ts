import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMap, isScalar, isSeq, parseDocument, stringify, type Node } from 'yaml';
import { parseYamlSubset, stringifyYamlSubset, yamlErrorLine, yamlSubsetValue, type YamlSubsetNode } from './yaml-subset.ts';

const REPO_ROOT = join(import.meta.dirname, '..', '..', '..');

/** Our node's starts against yaml's node ranges, for every key and value. */
function expectSameStarts(ours: YamlSubsetNode | null, theirs: unknown, where: string): void {
  if (ours === null) {
    expect(theirs === null || (isScalar(theirs) && theirs.value === null && theirs.source === ''), `${where}: empty value`).toBe(true);
    return;
  }
  expect((theirs as Node).range?.[0], `${where}: start`).toBe(ours.start);
  if (ours.kind === 'scalar') expect(isScalar(theirs), where).toBe(true);
  else if (ours.kind === 'seq') {
    expect(isSeq(theirs) && theirs.items.length === ours.items.length, where).toBe(true);
    ours.items.forEach((item, i) => expectSameStarts(item, (theirs as { items: unknown[] }).items[i], `${where}[${i}]`));
  } else {
    expect(isMap(theirs) && theirs.items.length === ours.pairs.length, where).toBe(true);
    ours.pairs.forEach((pair, i) => {
      const { key, value } = (theirs as { items: { key: unknown; value: unknown }[] }).items[i]!;
      expectSameStarts(pair.key, key, `${where}.key(${String(pair.key.value)})`);
      expectSameStarts(pair.value, value, `${where}.${String(pair.key.value)}`);
    });
  }
}

/** Parses with the subset; when it answers, yaml must parse cleanly to the same value and positions. Returns whether it answered. */
function expectAgreesWithYaml(text: string): boolean {
  const node = parseYamlSubset(text);
  if (node === undefined) return false;
  const doc = parseDocument(text, { uniqueKeys: true, strict: true });
  const where = JSON.stringify(text);
  expect(
    doc.errors.map((e) => e.code),
    where,
  ).toEqual([]);
  expect(
    doc.warnings.map((e) => e.code),
    where,
  ).toEqual([]);
  expect(yamlSubsetValue(node), where).toStrictEqual(doc.toJS());
  expectSameStarts(node, doc.contents, where);
  return true;
}

const ACCEPTED = [
  '',
  '# only a comment\n\n   # another\n',
  'a: 1\n',
  'a: 1',
  'a: 1\r\nb:\r\n  - x\r\n  - "y"\r\n',
  'key: value # comment\nother:   spaced out value   \n',
  'nested:\n  deeper:\n    deepest: x\n  back: y\ntop: z\n',
  'plugins:\n- name: a\n  version: 0.1.0\n- name: b\n',
  'plugins:\n  - name: a\n    from:\n      artifact: ghcr.io/x/y:1.0\n  - name: b\n',
  '-   a: 1\n    b: 2\n-   c\n',
  '- - a\n  - b\n- - c\n',
  '- a:\n  - x\n  b: 1\n',
  '-\n  a: 1\n-\n- # comment\n  - x\n',
  'k: # comment\n  a: 1\n',
  'a:\n\n  # between\n  - x\n# out dented comment\n  - y\n',
  'empty:\nnull1: ~\nnull2: Null\nnull3: NULL\nnot: nULL\n',
  'b1: true\nb2: True\nb3: TRUE\nb4: false\nb5: False\nb6: FALSE\ns1: yes\ns2: no\ns3: on\ns4: off\ns5: tRUE\n',
  'i1: 0\ni2: -0\ni3: +1\ni4: 0o17\ni5: 0x1F\ni6: 0x\ni7: 0o\ni8: 0o8\ni9: 007\ni10: 12345678901234567890123\ni11: +0x1\ni12: 1_000\n',
  'f1: 1.5\nf2: .5\nf3: 5.\nf4: -.inf\nf5: +.INF\nf6: .Inf\nf7: .nan\nf8: .NaN\nf9: .NAN\nf10: 1e3\nf11: 1E-3\nf12: .5e+2\nf13: 1.e1\nf14: 1.50\nf15: .\nf16: +.5\n',
  'v1: 0.12.0\nv2: 2026-01-01T00:00:00.000Z\nv3: 2026-01-01\nv4: 3.10\n',
  's: a:b\nt: http://x:80/y\nu: a#b\nv: -x\nw: ---\nx: a, b\ny: a]b\nz: x"y\'z\n',
  'a:b: c\n',
  '"quoted key": 1\n\'single key\': 2\n"": empty\n"a" : 3\n',
  'd: "esc \\\\ \\" \\n \\t \\/ \\u00e9 \\x41 \\U0001F600 \\0 \\e \\_ \\N \\L \\P"\n',
  "s: 'it''s'\nt: ''\nu: '#not a comment'\n",
  'a: "x" # c\nb: \'y\'   # c\n',
  'platforms: [linux/amd64, linux/arm64]\nnone: []\nspaced: [ a , "b" ,\'c\' ]\nempty: {}\nblank: { }\nnums: [1, -2.5, true, null, ~]\n',
  '- [a, b]\n- {}\n- []\n',
  '---\na: 1\n',
  '# c\n--- # doc\n- x\n',
  'scalar\n',
  '"quoted root"\n',
  '[a, b]\n',
  '  a: 1\n  b:\n    - c\n',
  '<<: 1\n__proto__: 2\nconstructor: 3\ntoString: 4\n',
  'unicode: é 日本 😀\n"é": ü\n',
  'x: -1\ny: -1a\n',
  'a: 1 #c\nb: 1#c\n',
];

const REFUSED = [
  '\ufeffa: 1\n',
  'a:\n\tb: 1\n',
  'a: b\tc\n',
  'a: 1\rb: 2\n',
  'a: &x 1\nb: *x\n',
  'a: !!str 1\n',
  '%YAML 1.2\n---\na: 1\n',
  'a: |\n  text\n',
  'a: >\n  text\n',
  'a: multi\n  line\n',
  'a: "multi\n  line"\n',
  "a: 'multi\n  line'\n",
  '? complex\n: key\n',
  'a: {b: 1}\n',
  'a: [b, [c]]\n',
  'a: [b, {c: d}]\n',
  'a: [b,\n  c]\n',
  'a: [b, ]\n',
  'a: 1\n...\n',
  'a: 1\n---\nb: 2\n',
  '--- a: 1\n',
  'a: 1\na: 2\n',
  'a: 1\n"a": 2\n',
  '1: x\n',
  'true: y\n',
  'null: z\n',
  '~: z\n',
  'a: b: c\n',
  'a: b:\n',
  'a: -\n',
  'a: - b\n',
  'a: ? b\n',
  'a: :b\n',
  'a: @b\n',
  'a: `b`\n',
  'a: %b\n',
  'a: "bad \\q escape"\n',
  'a: "unterminated\n',
  'a: "x"y\n',
  'a: "x"#c\n',
  'a:\n  value on next line\n',
  'a: 1\n  b: 2\n',
  'a:\n    b: 1\n  c: 2\n',
  'a: 1\n- b\n',
  '- a\nb: 1\n',
  'key\nother\n',
  'a: 1\n b: 2\n',
  'a: "\\ud800"\n\u0007',
  'a: b\u2028c\n',
];

describe('parseYamlSubset', () => {
  it.each(ACCEPTED)('reads %j exactly as yaml does', (text) => {
    expect(expectAgreesWithYaml(text)).toBe(true);
  });

  it.each(REFUSED)('leaves %j to the full parser', (text) => {
    expect(parseYamlSubset(text)).toBeUndefined();
  });

  it('leaves a key longer than yaml allows on one line to the full parser', () => {
    expect(parseYamlSubset(`${'k'.repeat(1100)}: v\n`)).toBeUndefined();
  });

  it('gives null for an empty document, with or without comments', () => {
    expect(parseYamlSubset('')).toBeNull();
    expect(parseYamlSubset('# nothing\n\n')).toBeNull();
    expect(yamlSubsetValue(null)).toBeNull();
  });

  it('reads every YAML file of the repository exactly as yaml does, or leaves it to yaml', () => {
    const files = execFileSync('git', ['ls-files', '*.yaml', '*.yml'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(files.length).toBeGreaterThan(50);
    const accepted = files.filter((file) => expectAgreesWithYaml(readFileSync(join(REPO_ROOT, file), 'utf8')));
    expect(accepted).toContain('plugins/plugins-manifest.yaml');
    expect(accepted).toContain('packages/manifest/versions.yaml');
  });

  it('reads a lock written by the lock writer, and writes the same bytes from its value', () => {
    expect(expectAgreesWithYaml(LOCK_TEXT)).toBe(true);
    const value = yamlSubsetValue(parseYamlSubset(LOCK_TEXT)!);
    expect(`${LOCK_HEADER}${stringifyYamlSubset(value)}`).toBe(LOCK_TEXT);
  });
});

/** Small deterministic generator (mulberry32), so a failure names a reproducible seed. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick, chance: (p: number) => next() < p };
}
type Random = ReturnType<typeof random>;

// prettier-ignore
const TRICKY_PLAIN = [
  'yes', 'no', 'on', 'off', 'y', 'n', '0o17', '0o8', '0x1F', '0xg', '+1', '-1', '-0', '+0', '1e3', '1E-3', '.5', '5.', '-.inf', '+.INF', '.NaN',
  '.nan', '~', 'null', 'Null', 'NULL', 'nULL', 'true', 'True', 'TRUE', 'tRUE', 'false', '1_000', '0b101', '12345678901234567890123', '0.12.0',
  '3.10.0', '3.10', '2026-01-01T00:00:00.000Z', 'linux/amd64', 'a:b', 'a#b', 'http://x:80/y', '-x', '--x', '---', '...x', 'a b', 'é', '日本', '😀',
  'a,b', 'a]b', 'x{y}', 'a"b', "a'b", '<<', '__proto__', 'toString', '=', '1.', '+.5', '0x', '.', '+', '-.', 'e3', '1e', '08', '0099', '1.5e+3',
  '.5e-2', '-1.0', '1.50', 'sha256:4444', '9007199254740993', '0x7fffffffffffffffff', 'a: b', 'a #b', 'a:', '- a', '? a', ': a', '&a', '*a', '!a',
  '|', '>', '%a', '@a', '`a',
];
const PLAIN_CHARS = [...'ab10.-:# ,[]{}"\'!&*?|>%@`éexo+~/\\'];
const QUOTED_CHARS = ['a', ' ', '"', "'", '\\', '\n', '\t', '/', 'é', '😀', '#', ':', '\u0007', '\u00a0', '1', 'x'];

function plainText(r: Random): string {
  if (r.chance(0.6)) return r.pick(TRICKY_PLAIN);
  return Array.from({ length: 1 + r.int(6) }, () => r.pick(PLAIN_CHARS)).join('');
}

function quotedText(r: Random): string {
  const chars = Array.from({ length: r.int(6) }, () => r.pick(QUOTED_CHARS));
  if (r.chance(0.5))
    return `'${chars
      .filter((c) => c !== '\n' && c !== '\t' && c !== '\u0007')
      .join('')
      .replaceAll("'", "''")}'`;
  const escaped = chars.map((c) => {
    if (c === '"' || c === '\\') return `\\${c}`;
    if (c === '\n') return '\\n';
    if (c === '\t') return r.pick(['\\t', '\\u0009', '\\x09']);
    if (c === '\u0007') return '\\a';
    if (c === '/') return r.pick(['/', '\\/']);
    if (c === '😀') return r.pick(['😀', '\\U0001F600', '\\ud83d\\ude00']);
    if (c === 'é') return r.pick(['é', '\\u00e9', '\\xe9', '\\u00E9']);
    return c;
  });
  return `"${escaped.join('')}"`;
}

const scalarText = (r: Random) => (r.chance(0.7) ? plainText(r) : quotedText(r));

// prettier-ignore
const KEYS = ['name', 'version', 'from', 'artifact', 'image', 'path', 'a', 'b', 'plugins', 'x y', 'a:b', 'a#b', '"q"', "'s'", '"a"', '1', 'true', '~', '-k', '<<'];

type Shape = { t: 'map'; pairs: [string, Shape][] } | { t: 'seq'; items: Shape[] } | { t: 'text'; text: string } | { t: 'null' };

function shape(r: Random, depth: number): Shape {
  const roll = r.next();
  if (depth > 0 && roll < 0.35) {
    const pairs = Array.from({ length: 1 + r.int(4) }, (): [string, Shape] => [r.chance(0.8) ? r.pick(KEYS) : scalarText(r), shape(r, depth - 1)]);
    return { t: 'map', pairs };
  }
  if (depth > 0 && roll < 0.6) return { t: 'seq', items: Array.from({ length: 1 + r.int(3) }, () => shape(r, depth - 1)) };
  if (roll < 0.68) return { t: 'null' };
  if (roll < 0.74) {
    const items = Array.from({ length: r.int(4) }, () => scalarText(r));
    return { t: 'text', text: items.length ? `[${items.join(r.pick([', ', ',', ' , ']))}]` : r.pick(['[]', '[ ]', '{}', '{ }']) };
  }
  return { t: 'text', text: scalarText(r) };
}

/** Renders a shape as block YAML in one of the styles people write. */
function render(r: Random, node: Shape, indent: number, step: number): string[] {
  const pad = ' '.repeat(indent);
  const comment = () => (r.chance(0.1) ? r.pick([' # c', '  #: x', ' #']) : '');
  if (node.t === 'map') {
    return node.pairs.flatMap(([key, value]) => {
      const head = `${pad}${key}${r.chance(0.05) ? ' ' : ''}:`;
      if (value.t === 'null') return [`${head}${comment()}`];
      if (value.t === 'text') return [`${head}${r.pick([' ', ' ', '  '])}${value.text}${comment()}`];
      const sameIndent = value.t === 'seq' && r.chance(0.4);
      return [`${head}${comment()}`, ...render(r, value, sameIndent ? indent : indent + step, step)];
    });
  }
  if (node.t === 'seq') {
    return node.items.flatMap((item) => {
      if (item.t === 'null') return [`${pad}-${comment()}`];
      if (item.t === 'text') return [`${pad}-${r.pick([' ', ' ', '   '])}${item.text}${comment()}`];
      if (r.chance(0.7)) {
        const gap = r.pick([1, 1, 3]);
        const lines = render(r, item, indent + 1 + gap, step);
        return [`${pad}-${' '.repeat(gap)}${lines[0]!.trimStart()}`, ...lines.slice(1)];
      }
      return [`${pad}-${comment()}`, ...render(r, item, indent + step, step)];
    });
  }
  return [`${pad}${node.t === 'null' ? '' : node.text}`];
}

function documentText(r: Random): string {
  const lines = render(r, shape(r, 3), r.chance(0.1) ? 2 : 0, r.pick([1, 2, 2, 4]));
  for (let i = 0; i < 2; i++) if (r.chance(0.2)) lines.splice(r.int(lines.length + 1), 0, r.pick(['', '# note', '   # indented note', '  ']));
  if (r.chance(0.1)) lines.unshift(r.pick(['---', '--- # start']));
  let text = lines.join(r.chance(0.15) ? '\r\n' : '\n') + (r.chance(0.9) ? '\n' : '');
  if (r.chance(0.2)) {
    const at = r.int(text.length + 1);
    text = r.chance(0.5) ? text.slice(0, at) + r.pick([' ', '-', ':', '#', '"', '\n', '\t', '  ']) + text.slice(at) : text.slice(0, at) + text.slice(at + 1);
  }
  return text;
}

describe('parseYamlSubset against yaml on generated documents', () => {
  it('agrees with yaml on every document it accepts (seed 20260101)', () => {
    const r = random(20260101);
    let accepted = 0;
    const total = 3000;
    for (let i = 0; i < total; i++) if (expectAgreesWithYaml(documentText(r))) accepted++;
    // The generator is meant to probe the edges: a fair share must still be accepted for the comparison to mean anything.
    expect(accepted).toBeGreaterThan(total * 0.2);
  });
});

const LOCK_HEADER = '# Generated by falco-airgap extract. Do not edit: re-run extract to change it.\n';
const LOCK_TEXT = `${LOCK_HEADER}apiVersion: falco-airgap/v1alpha1
kind: PluginsLock
generatedAt: 2026-01-01T00:00:00.000Z
falco:
  version: 0.44.1
manifestSha256: "0000000000000000000000000000000000000000000000000000000000000000"
plugins:
  - name: container
    version: 0.7.1
    source:
      image: docker.io/falcosecurity/falco:0.44.1-debian
      path: /usr/share/falco/plugins/libcontainer.so
    resolvedDigest: sha256:8888888888888888888888888888888888888888888888888888888888888888
    platforms: []
  - name: k8saudit
    version: 0.18.0
    source:
      artifact: ghcr.io/falcosecurity/plugins/plugin/k8saudit:0.18.0
    resolvedDigest: sha256:1111111111111111111111111111111111111111111111111111111111111111
    platforms:
      - platform: linux/amd64
        manifestDigest: sha256:5555555555555555555555555555555555555555555555555555555555555555
        layerDigest: sha256:6666666666666666666666666666666666666666666666666666666666666666
        file: libk8saudit.so
        sha256: dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd
        size: 11
        elfMachine: x86-64
        pluginApiVersion: 3.10.0
        pluginApiVersionSource: artifact-config
        path: linux-amd64/libk8saudit.so
      - platform: linux/arm64
        manifestDigest: sha256:2222222222222222222222222222222222222222222222222222222222222222
        layerDigest: sha256:3333333333333333333333333333333333333333333333333333333333333333
        file: libk8saudit.so
        sha256: "4444444444444444444444444444444444444444444444444444444444444444"
        size: 10
        elfMachine: aarch64
        pluginApiVersion: 3.10.0
        pluginApiVersionSource: artifact-config
        path: linux-arm64/libk8saudit.so
    signature:
      keyFingerprint: sha256:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee
      foundVia: referrers
      signatureDigest: sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
rulesfiles:
  - name: falco-rules
    version: 5.1.0
    source:
      artifact: ghcr.io/falcosecurity/rules/falco-rules:5.1.0
    resolvedDigest: sha256:9999999999999999999999999999999999999999999999999999999999999999
    manifestDigest: sha256:9999999999999999999999999999999999999999999999999999999999999999
    layerDigest: sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
    files:
      - file: falco_rules.yaml
        sha256: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
        size: 12
        path: rules/falco_rules.yaml
    dependencies:
      - name: json
        version: 0.7.4
        satisfiedBy: json
      - name: k8saudit
        version: 0.18.0
        satisfiedBy: k8saudit
`;

const yamlText = (value: unknown) => stringify(value, { lineWidth: 0, indent: 2 });

function randomValue(r: Random, depth: number): unknown {
  const roll = r.next();
  if (depth > 0 && roll < 0.25) {
    const object: Record<string, unknown> = {};
    for (let i = r.int(4); i > 0; i--) object[r.chance(0.7) ? r.pick(KEYS) : randomString(r)] = r.chance(0.1) ? undefined : randomValue(r, depth - 1);
    return object;
  }
  if (depth > 0 && roll < 0.45) return Array.from({ length: r.int(4) }, () => (r.chance(0.05) ? undefined : randomValue(r, depth - 1)));
  if (roll < 0.5) return r.pick([null, true, false]);
  if (roll < 0.6) return r.pick([0, 1, -1, 10, 1.5, -2.25, 0.1, 1e21, 1e-7, 2 ** 53 + 2, 123456789.125, 12, 3e300, -0, NaN, Infinity]);
  return randomString(r);
}

function randomString(r: Random): string {
  if (r.chance(0.4)) return r.pick(TRICKY_PLAIN);
  return Array.from({ length: r.int(7) }, () => r.pick([...PLAIN_CHARS, ...QUOTED_CHARS])).join('');
}

const hex = (r: Random, n: number) => Array.from({ length: n }, () => r.pick([...'0123456789abcdef'])).join('');
const digits = (r: Random, n: number) => Array.from({ length: n }, () => r.pick([...'0123456789'])).join('');

function lockShapedValue(r: Random): unknown {
  const sha = () => (r.chance(0.1) ? digits(r, 64) : r.chance(0.05) ? `${digits(r, 30)}e${digits(r, 33)}` : hex(r, 64));
  const version = () => `${r.int(3)}.${r.int(40)}.${r.int(12)}`;
  return {
    apiVersion: 'falco-airgap/v1alpha1',
    kind: 'PluginsLock',
    generatedAt: new Date(Date.UTC(2020 + r.int(10), r.int(12), 1 + r.int(28), r.int(24))).toISOString(),
    falco: { version: version() },
    manifestSha256: sha(),
    plugins: Array.from({ length: r.int(4) }, () => ({
      name: r.pick(['k8saudit', 'json', 'container', 'k8smeta', 'cloudtrail']),
      version: version(),
      source: r.chance(0.5)
        ? { artifact: `ghcr.io/falcosecurity/plugins/plugin/json:${version()}` }
        : { image: `docker.io/falcosecurity/falco:${version()}-debian`, path: '/usr/share/falco/plugins/libcontainer.so' },
      resolvedDigest: `sha256:${sha()}`,
      platforms: Array.from({ length: r.int(3) }, () => ({
        platform: r.pick(['linux/amd64', 'linux/arm64']),
        manifestDigest: `sha256:${sha()}`,
        file: 'libjson.so',
        sha256: sha(),
        size: r.int(50_000_000),
        elfMachine: r.pick(['x86-64', 'aarch64']),
        pluginApiVersion: version(),
        path: 'linux-amd64/libjson.so',
      })),
      ...(r.chance(0.3) ? { dependencies: [{ name: 'json', version: version(), satisfiedBy: 'json' }] } : {}),
    })),
    rulesfiles: Array.from({ length: r.int(3) }, () => ({
      name: 'falco-rules',
      version: version(),
      source: { artifact: `ghcr.io/falcosecurity/rules/falco-rules:${version()}` },
      layerDigest: `sha256:${sha()}`,
      files: [{ file: 'falco_rules.yaml', sha256: sha(), size: r.int(1_000_000), path: 'rules/falco_rules.yaml' }],
    })),
  };
}

describe('stringifyYamlSubset', () => {
  it('writes what yaml writes, byte for byte, whenever it writes (seed 424242)', () => {
    const r = random(424242);
    let written = 0;
    const total = 3000;
    for (let i = 0; i < total; i++) {
      const value = randomValue(r, 3);
      const ours = stringifyYamlSubset(value);
      if (ours === undefined) continue;
      written++;
      expect(ours, JSON.stringify(value)).toBe(yamlText(value));
      if (expectAgreesWithYaml(ours)) expect(yamlSubsetValue(parseYamlSubset(ours)!)).toStrictEqual(JSON.parse(JSON.stringify(value)));
    }
    expect(written).toBeGreaterThan(total * 0.5);
  });

  it('writes every lock-shaped value, and reads what it wrote', () => {
    const r = random(7);
    for (let i = 0; i < 100; i++) {
      const value = lockShapedValue(r);
      const ours = stringifyYamlSubset(value);
      expect(ours).toBe(yamlText(value));
      expect(expectAgreesWithYaml(ours!)).toBe(true);
      expect(yamlSubsetValue(parseYamlSubset(ours!)!)).toStrictEqual(value);
    }
  });

  it('quotes strings that would read back as something else, as yaml does', () => {
    const value = { a: '0.12.0', b: '1e3', c: 'true', d: '', e: 'a: b', f: ' x', g: "it's", h: 'say "hi"', i: 'both \' and "', j: '0o17', k: '#x', l: '~' };
    expect(stringifyYamlSubset(value)).toBe(yamlText(value));
    expect(stringifyYamlSubset({ list: [], map: {}, nested: { list: ['a', { b: 1 }] } })).toBe('list: []\nmap: {}\nnested:\n  list:\n    - a\n    - b: 1\n');
  });

  it('leaves values it cannot reproduce exactly to yaml', () => {
    const shared = { a: 1 };
    class Point {
      x = 1;
    }
    for (const value of [
      undefined,
      new Date(0),
      new Map(),
      new Point(),
      NaN,
      Infinity,
      -0,
      10n,
      'two\nlines',
      'tab\there',
      '---',
      '...x',
      [shared, shared],
      { f: () => 1 },
      Symbol('s'),
      { [`${'k'.repeat(1100)}`]: 1 },
    ]) {
      expect(stringifyYamlSubset(value)).toBeUndefined();
    }
  });
});

describe('yamlErrorLine', () => {
  it('keeps the first line, cuts each long quoted piece to 40 characters and the line to 200', () => {
    expect(yamlErrorLine('Unexpected scalar token in YAML stream: "abc"\n\n  abc\n  ^')).toBe('Unexpected scalar token in YAML stream: "abc"');
    const long = `Unexpected scalar token in YAML stream: "${'\\u0000'.repeat(100)}" and "${'x'.repeat(41)}"`;
    expect(yamlErrorLine(long)).toBe(`Unexpected scalar token in YAML stream: "${'\\u0000'.repeat(6)}\\u00…" and "${'x'.repeat(40)}…"`);
    expect(yamlErrorLine(`Plain ${'y'.repeat(300)}`)).toBe(`Plain ${'y'.repeat(194)}…`);
  });
});
