import { describe, expect, it } from 'vitest';
import { renderOptionNames } from './option-flags.ts';

describe('renderOptionNames', () => {
  it('renders the option names a library hint writes in backticks as the flags a user types', () => {
    expect(renderOptionNames('pass `caFile` with the PEM CA certificate, or list the host in `plainHttp`')).toBe(
      'pass --ca-file with the PEM CA certificate, or list the host in --plain-http',
    );
    expect(renderOptionNames('raise `artifactLimits.maxBytes` only if the archive is legitimate')).toBe(
      'raise --max-uncompressed-bytes only if the archive is legitimate',
    );
    expect(renderOptionNames('log in, or point `dockerConfigDir` at the right directory')).toBe('log in, or point DOCKER_CONFIG at the right directory');
  });

  it('leaves text without option names, and backticked words it does not know, as they are', () => {
    expect(renderOptionNames('check the reference')).toBe('check the reference');
    expect(renderOptionNames('use `from.artifact` for falcoctl artifacts')).toBe('use `from.artifact` for falcoctl artifacts');
  });
});
