import { describe, expect, it } from 'vitest';
import { parseReference } from './reference.ts';

describe('parseReference', () => {
  it.each([
    [
      'ghcr.io/falcosecurity/plugins/plugin/k8saudit:0.18.0',
      { registry: 'ghcr.io', repository: 'falcosecurity/plugins/plugin/k8saudit', tag: '0.18.0', digest: undefined },
    ],
    [
      'localhost:5000/falcosecurity/falco:0.44.1-debian',
      { registry: 'localhost:5000', repository: 'falcosecurity/falco', tag: '0.44.1-debian', digest: undefined },
    ],
    ['falcosecurity/falco:0.44.1', { registry: 'docker.io', repository: 'falcosecurity/falco', tag: '0.44.1', digest: undefined }],
    ['alpine:3', { registry: 'docker.io', repository: 'library/alpine', tag: '3', digest: undefined }],
    [`127.0.0.1:5000/a/b@sha256:${'f'.repeat(64)}`, { registry: '127.0.0.1:5000', repository: 'a/b', tag: undefined, digest: `sha256:${'f'.repeat(64)}` }],
  ])('parses %s', (input, expected) => {
    expect(parseReference(input)).toEqual({ ok: true, reference: expected });
  });

  it.each([
    ['ghcr.io/falcosecurity/plugins/plugin/k8saudit', 'no-tag-or-digest'],
    ['ghcr.io/a/b@sha256:abc', 'bad-digest'],
    ['ghcr.io/A/b:1', 'syntax'],
    ['ghcr.io/a//b:1', 'syntax'],
    ['ghcr.io/a/b:-bad', 'syntax'],
    ['', 'syntax'],
  ])('refuses %s (%s)', (input, problem) => {
    const result = parseReference(input);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem).toBe(problem);
  });
});
