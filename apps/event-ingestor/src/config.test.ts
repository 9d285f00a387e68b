import { describe, expect, it } from 'vitest';
import { parseIngestorArgs, usage, variableOf } from './config.ts';

const required = { FALCO_EVENT_INGESTOR_DATABASE_URL: 'postgres://u:p@db:5432/events', FALCO_EVENT_INGESTOR_JWKS_FILE: '/etc/falco-ingestor/jwks.json' };

describe('ingestor configuration', () => {
  it('has defaults for all but the database and the JWKS', () => {
    expect(parseIngestorArgs([], required)).toEqual({
      kind: 'run',
      config: {
        databaseUrl: 'postgres://u:p@db:5432/events',
        jwksFile: '/etc/falco-ingestor/jwks.json',
        issuer: 'falco-airgap',
        audience: 'falco-event-ingestor',
        retentionDays: 30,
        rate: 50,
        burst: 200,
        host: '0.0.0.0',
        port: 8080,
        bodyLimit: 65_536,
        logLevel: 'info',
        operatorTokensFile: '',
        viewSecureCookie: 'auto',
        viewSignInFailuresPerOperator: 5,
        viewSignInFailuresPerAddress: 20,
        viewSignInWindowSeconds: 900,
      },
    });
  });

  it('takes variables, and flags over variables', () => {
    const env = { ...required, FALCO_EVENT_INGESTOR_RATE: '2.5', FALCO_EVENT_INGESTOR_PORT: '9000', FALCO_EVENT_INGESTOR_BURST: '' };
    const parsed = parseIngestorArgs(['--port', '9100', '--retention-days=90'], env);
    expect(parsed).toMatchObject({ kind: 'run', config: { rate: 2.5, port: 9100, retentionDays: 90, burst: 200 } });
    const limits = parseIngestorArgs(['--view-sign-in-failures-per-operator', '3'], { ...required, FALCO_EVENT_INGESTOR_VIEW_SIGN_IN_WINDOW_SECONDS: '60' });
    expect(limits).toMatchObject({ config: { viewSignInFailuresPerOperator: 3, viewSignInFailuresPerAddress: 20, viewSignInWindowSeconds: 60 } });
    expect(variableOf('body-limit')).toBe('FALCO_EVENT_INGESTOR_BODY_LIMIT');
  });

  it('refuses what it cannot use, naming the flag and its variable', () => {
    expect(() => parseIngestorArgs([], {})).toThrow(
      expect.objectContaining({ code: 'INGEST_CONFIG', category: 'input', message: '--database-url (FALCO_EVENT_INGESTOR_DATABASE_URL) is required' }),
    );
    expect(() => parseIngestorArgs(['--retention-days', '0'], required)).toThrow(
      expect.objectContaining({ code: 'INGEST_CONFIG', message: '--retention-days (FALCO_EVENT_INGESTOR_RETENTION_DAYS) is "0"' }),
    );
    expect(() => parseIngestorArgs(['--burst', '1.5'], required)).toThrow(expect.objectContaining({ code: 'INGEST_CONFIG' }));
    expect(() => parseIngestorArgs(['--view-sign-in-failures-per-address', '0'], required)).toThrow(
      expect.objectContaining({
        code: 'INGEST_CONFIG',
        message: '--view-sign-in-failures-per-address (FALCO_EVENT_INGESTOR_VIEW_SIGN_IN_FAILURES_PER_ADDRESS) is "0"',
      }),
    );
    expect(() => parseIngestorArgs(['--database-url', 'mysql://db'], required)).toThrow(
      expect.objectContaining({ message: expect.stringContaining('is not a postgres:// URL') }),
    );
    expect(() => parseIngestorArgs(['--unknown'], required)).toThrow(expect.objectContaining({ code: 'INGEST_USAGE' }));
  });

  it('answers --help and --version without configuration', () => {
    expect(parseIngestorArgs(['--help'], {})).toEqual({ kind: 'help' });
    expect(parseIngestorArgs(['--version'], {})).toEqual({ kind: 'version' });
    expect(usage('1.2.3')).toContain('env FALCO_EVENT_INGESTOR_JWKS_FILE');
  });
});
