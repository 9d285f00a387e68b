import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ManifestError } from './errors.ts';
import { parseLock, serializeLock } from './lock.ts';
import type { PluginsLock } from './types.ts';

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const hex = (c: string) => c.repeat(64);

function sampleLock(): PluginsLock {
  return {
    apiVersion: 'falco-airgap/v1alpha1',
    kind: 'PluginsLock',
    generatedAt: '2026-01-01T00:00:00.000Z',
    falco: { version: '0.44.1' },
    manifestSha256: hex('0'),
    plugins: [
      {
        name: 'k8saudit',
        version: '0.18.0',
        source: { artifact: 'ghcr.io/falcosecurity/plugins/plugin/k8saudit:0.18.0' },
        resolvedDigest: digest('1'),
        platforms: [
          {
            platform: 'linux/arm64',
            manifestDigest: digest('2'),
            layerDigest: digest('3'),
            file: 'libk8saudit.so',
            sha256: hex('4'),
            size: 10,
            elfMachine: 'aarch64',
            pluginApiVersion: '3.10.0',
            pluginApiVersionSource: 'artifact-config',
            path: 'linux-arm64/libk8saudit.so',
          },
          {
            platform: 'linux/amd64',
            manifestDigest: digest('5'),
            layerDigest: digest('6'),
            file: 'libk8saudit.so',
            sha256: hex('d'),
            size: 11,
            elfMachine: 'x86-64',
            pluginApiVersion: '3.10.0',
            pluginApiVersionSource: 'artifact-config',
            path: 'linux-amd64/libk8saudit.so',
          },
        ],
      },
      {
        name: 'container',
        version: '0.7.1',
        source: { image: 'docker.io/falcosecurity/falco:0.44.1-debian', path: '/usr/share/falco/plugins/libcontainer.so' },
        resolvedDigest: digest('8'),
        platforms: [],
      },
    ],
    rulesfiles: [
      {
        name: 'falco-rules',
        version: '5.1.0',
        source: { artifact: 'ghcr.io/falcosecurity/rules/falco-rules:5.1.0' },
        resolvedDigest: digest('9'),
        manifestDigest: digest('9'),
        layerDigest: digest('a'),
        files: [{ file: 'falco_rules.yaml', sha256: hex('b'), size: 12, path: 'rules/falco_rules.yaml' }],
      },
    ],
  };
}

describe('plugins-lock.yaml', () => {
  it('serialises deterministically whatever the input order', () => {
    const a = sampleLock();
    const b = sampleLock();
    b.plugins.reverse();
    b.plugins[1]!.platforms.reverse();
    expect(serializeLock(a)).toBe(serializeLock(b));
    const text = serializeLock(a);
    expect(text.indexOf('name: container')).toBeLessThan(text.indexOf('name: k8saudit'));
    expect(text.indexOf('platform: linux/amd64')).toBeLessThan(text.indexOf('platform: linux/arm64'));
  });

  it('round-trips through parseLock to the same bytes', () => {
    const text = serializeLock(sampleLock());
    expect(serializeLock(parseLock(text, 'lock.yaml'))).toBe(text);
  });

  it('refuses a lock whose path leaves the extracted directory', () => {
    const text = serializeLock(sampleLock()).replace('path: linux-amd64/libk8saudit.so', 'path: ../../etc/passwd');
    try {
      parseLock(text, 'lock.yaml');
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(ManifestError);
      expect((err as ManifestError).code).toBe('LOCK_BAD_ENTRY');
      expect((err as ManifestError).position?.line).toBeGreaterThan(1);
    }
  });

  it('reads a lock written before pluginApiVersionSource as what extract read then, and refuses an unknown source', () => {
    const text = serializeLock(sampleLock());
    const older = text.replaceAll(/^ *pluginApiVersionSource: .*\n/gm, '');
    expect(older).not.toContain('pluginApiVersionSource');
    expect(
      parseLock(older, 'lock.yaml')
        .plugins.find((p) => p.name === 'k8saudit')!
        .platforms.map((p) => p.pluginApiVersionSource),
    ).toEqual(['artifact-config', 'artifact-config']);
    expect(() => parseLock(text.replace('pluginApiVersionSource: artifact-config', 'pluginApiVersionSource: guess'), 'lock.yaml')).toThrow(
      /"guess" is not one of elf-constant/,
    );
  });

  it('records the dependencies a rulesfile resolved, sorted, and leaves the key out when there are none', () => {
    const plain = serializeLock(sampleLock());
    expect(plain).not.toContain('dependencies');
    const lock = sampleLock();
    lock.rulesfiles[0]!.dependencies = [
      { name: 'k8saudit', version: '0.18.0', satisfiedBy: 'k8saudit-eks' },
      { name: 'json', version: '0.7.4', satisfiedBy: 'json' },
    ];
    const text = serializeLock(lock);
    expect(text).toContain('    dependencies:\n      - name: json\n        version: 0.7.4\n        satisfiedBy: json\n      - name: k8saudit\n');
    const parsed = parseLock(text, 'lock.yaml');
    expect(parsed.rulesfiles[0]!.dependencies!.map((d) => d.satisfiedBy)).toEqual(['json', 'k8saudit-eks']);
    expect(parsed.plugins[0]).not.toHaveProperty('dependencies');
    expect(serializeLock(parsed)).toBe(text);
    const schema = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'schema', 'plugins-lock.schema.json'), 'utf8')) as object;
    const validate = new Ajv2020({ allErrors: true, strict: true, strictRequired: false }).compile(schema);
    expect(validate(parse(text))).toBe(true);
    const bad = text.replace('satisfiedBy: json', 'satisfiedBy: ""');
    expect(validate(parse(bad))).toBe(false);
    expect(() => parseLock(text.replace('satisfiedBy: json\n', ''), 'lock.yaml')).toThrow(ManifestError);
  });

  it('records a verified signature after the dependencies, and the parser and the schema refuse an unknown foundVia', () => {
    const lock = sampleLock();
    lock.plugins[0]!.signature = { keyFingerprint: digest('e'), foundVia: 'referrers', signatureDigest: digest('f') };
    const text = serializeLock(lock);
    expect(text).toContain(`    signature:\n      keyFingerprint: ${digest('e')}\n      foundVia: referrers\n      signatureDigest: ${digest('f')}\n`);
    const parsed = parseLock(text, 'lock.yaml');
    expect(parsed.plugins.find((p) => p.name === lock.plugins[0]!.name)!.signature).toEqual(lock.plugins[0]!.signature);
    expect(parsed.plugins.filter((p) => p.signature)).toHaveLength(1);
    expect(parsed.rulesfiles[0]).not.toHaveProperty('signature');
    expect(serializeLock(parsed)).toBe(text);
    const schema = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'schema', 'plugins-lock.schema.json'), 'utf8')) as object;
    const validate = new Ajv2020({ allErrors: true, strict: true, strictRequired: false }).compile(schema);
    expect(validate(parse(text))).toBe(true);
    const bad = text.replace('foundVia: referrers', 'foundVia: rumour');
    expect(validate(parse(bad))).toBe(false);
    expect(() => parseLock(bad, 'lock.yaml')).toThrow(/"rumour" is not one of tag, referrers/);
  });

  it('refuses a malformed sha256', () => {
    const text = serializeLock(sampleLock()).replace(`sha256: ${hex('d')}`, 'sha256: nothex');
    expect(() => parseLock(text, 'lock.yaml')).toThrow(/not a lowercase hex sha256/);
  });

  it('is read alike by parseLock and the shipped lock schema', () => {
    const schema = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'schema', 'plugins-lock.schema.json'), 'utf8')) as object;
    const validate = new Ajv2020({ allErrors: true, strict: true, strictRequired: false }).compile(schema);
    const text = serializeLock(sampleLock());
    expect(validate(parse(text))).toBe(true);
    for (const [from, to] of [
      ['path: linux-amd64/libk8saudit.so', 'path: ../../etc/passwd'],
      ['path: linux-amd64/libk8saudit.so', 'path: linux-amd64//libk8saudit.so'],
      [`sha256: ${hex('d')}`, 'sha256: nothex'],
      ['version: 0.18.0', 'version: 0.18.0-01'],
    ] as const) {
      const bad = text.replace(from, to);
      expect(() => parseLock(bad, 'lock.yaml'), to).toThrow(ManifestError);
      expect(validate(parse(bad)), to).toBe(false);
    }
  });
});
