import { describe, expect, it } from 'vitest';
import { authKey, redact, renderChangeset, renderNpmrc, summaryLine, tail } from './release-files.ts';

describe('renderNpmrc', () => {
  it('sends everything to the internal registry for the publisher', () => {
    const text = renderNpmrc({ internalRegistry: 'http://127.0.0.1:4873/', token: 'tok-123456', cacheDir: '/tmp/c' });
    expect(text).toContain('registry=http://127.0.0.1:4873/\n');
    expect(text).toContain('//127.0.0.1:4873/:_authToken=tok-123456\n');
    expect(text).not.toContain(':registry=');
  });

  it('sends only the scope to the internal registry for a consumer', () => {
    const text = renderNpmrc({
      internalRegistry: 'http://127.0.0.1:4873/',
      token: 'tok-123456',
      scope: '@falco-airgap',
      defaultRegistry: 'https://registry.npmjs.org/',
      cacheDir: '/tmp/c',
    });
    expect(text.split('\n').slice(0, 2)).toEqual(['@falco-airgap:registry=http://127.0.0.1:4873/', 'registry=https://registry.npmjs.org/']);
  });
});

describe('authKey', () => {
  it('drops the protocol and keeps a trailing slash', () => {
    expect(authKey('http://127.0.0.1:4873')).toBe('//127.0.0.1:4873/');
    expect(authKey('https://npm.example.com/repository/npm-internal')).toBe('//npm.example.com/repository/npm-internal/');
  });
});

describe('renderChangeset', () => {
  it('lists every package with the bump type in front matter', () => {
    expect(renderChangeset(['@falco-airgap/manifest', '@falco-airgap/cli'], 'minor', 'rehearsal')).toBe(
      "---\n'@falco-airgap/manifest': minor\n'@falco-airgap/cli': minor\n---\n\nrehearsal\n",
    );
  });

  it('refuses an empty package list', () => {
    expect(() => renderChangeset([], 'patch', 'x')).toThrow(/at least one package/);
  });
});

describe('redact', () => {
  it('hides every occurrence of a secret', () => {
    expect(redact('a sEcReT-1 b sEcReT-1', ['sEcReT-1'])).toBe('a *** b ***');
  });
});

describe('summaryLine', () => {
  it('mentions skipped steps only when there are some', () => {
    expect(summaryLine({ passed: 16, failed: 0, skipped: 0 })).toBe('release:verify: 16 passed, 0 failed');
    expect(summaryLine({ passed: 4, failed: 1, skipped: 11 })).toBe('release:verify: 4 passed, 1 failed, 11 skipped');
  });
});

describe('tail', () => {
  it('keeps the last lines and says how many were dropped', () => {
    expect(tail('1\n2\n3\n4\n', 2)).toBe('… 2 earlier lines\n3\n4');
  });
});
