import { DEFAULT_AUDIENCE, DEFAULT_ISSUER } from '@falco-airgap/fleet-identity';
import { parseArgs } from 'node:util';
import { IngestorError, IngestorErrorCode } from './errors.ts';
import { DEFAULT_BODY_LIMIT, DEFAULT_BURST, DEFAULT_RATE, DEFAULT_RETENTION_DAYS } from './server.ts';
import { DEFAULT_SIGN_IN_LIMITS } from './sign-in-limit.ts';

export const ENV_PREFIX = 'FALCO_EVENT_INGESTOR_';
export const DEFAULT_PORT = 8080;

/** Everything the ingestor process is told, from flags or FALCO_EVENT_INGESTOR_* variables (a flag wins). */
export interface IngestorConfig {
  databaseUrl: string;
  jwksFile: string;
  issuer: string;
  audience: string;
  retentionDays: number;
  rate: number;
  burst: number;
  host: string;
  port: number;
  bodyLimit: number;
  logLevel: string;
  /** Empty: no event view. */
  operatorTokensFile: string;
  viewSecureCookie: 'auto' | 'always' | 'never';
  viewSignInFailuresPerOperator: number;
  viewSignInFailuresPerAddress: number;
  viewSignInWindowSeconds: number;
}

interface Setting {
  flag: string;
  description: string;
  default?: string;
  kind: 'text' | 'integer' | 'number';
  min?: number;
}

const SETTINGS: Record<keyof IngestorConfig, Setting> = {
  databaseUrl: {
    flag: 'database-url',
    kind: 'text',
    description: 'PostgreSQL URL, e.g. postgres://user:password@host:5432/db (prefer the variable: flags show in ps)',
  },
  jwksFile: { flag: 'jwks-file', kind: 'text', description: 'JWKS of the keys cluster tokens are signed with; re-read when it changes' },
  issuer: { flag: 'issuer', kind: 'text', default: DEFAULT_ISSUER, description: 'the "iss" cluster tokens must carry' },
  audience: { flag: 'audience', kind: 'text', default: DEFAULT_AUDIENCE, description: 'the "aud" cluster tokens must carry' },
  retentionDays: {
    flag: 'retention-days',
    kind: 'integer',
    min: 1,
    default: String(DEFAULT_RETENTION_DAYS),
    description: 'whole days of events kept before today (UTC)',
  },
  rate: {
    flag: 'rate',
    kind: 'number',
    min: 0.001,
    default: String(DEFAULT_RATE),
    description: 'events per second each cluster may send to each replica, on average',
  },
  burst: { flag: 'burst', kind: 'integer', min: 1, default: String(DEFAULT_BURST), description: 'events a cluster may send at once before the rate applies' },
  host: { flag: 'host', kind: 'text', default: '0.0.0.0', description: 'address to listen on' },
  port: { flag: 'port', kind: 'integer', min: 0, default: String(DEFAULT_PORT), description: 'port to listen on' },
  bodyLimit: { flag: 'body-limit', kind: 'integer', min: 1024, default: String(DEFAULT_BODY_LIMIT), description: 'largest request body in bytes' },
  logLevel: { flag: 'log-level', kind: 'text', default: 'info', description: 'fatal, error, warn, info, debug or trace' },
  operatorTokensFile: {
    flag: 'operator-tokens-file',
    kind: 'text',
    default: '',
    description: 'operator tokens and the clusters each may see (JSON); serves the event view at /view and /api when set',
  },
  viewSecureCookie: {
    flag: 'view-secure-cookie',
    kind: 'text',
    default: 'auto',
    description: "Secure attribute of the view's session cookie: auto (when the request is HTTPS), always or never",
  },
  viewSignInFailuresPerOperator: {
    flag: 'view-sign-in-failures-per-operator',
    kind: 'integer',
    min: 1,
    default: String(DEFAULT_SIGN_IN_LIMITS.perOperator),
    description: 'failed sign-ins per operator name in the window, then 429 until the oldest leaves it',
  },
  viewSignInFailuresPerAddress: {
    flag: 'view-sign-in-failures-per-address',
    kind: 'integer',
    min: 1,
    default: String(DEFAULT_SIGN_IN_LIMITS.perAddress),
    description: 'failed sign-ins (page or API token) per client address in the window, then 429',
  },
  viewSignInWindowSeconds: {
    flag: 'view-sign-in-window-seconds',
    kind: 'integer',
    min: 1,
    default: String(DEFAULT_SIGN_IN_LIMITS.windowSeconds),
    description: 'the sliding window failed sign-ins are counted in, per replica',
  },
};

export type ParsedCommand = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; config: IngestorConfig };

export function variableOf(flag: string): string {
  return `${ENV_PREFIX}${flag.toUpperCase().replaceAll('-', '_')}`;
}

export function usage(version: string): string {
  const column = (flag: string) => (flag.length < 30 ? flag.padEnd(30) : `${flag}\n${' '.repeat(30)}`);
  const rows = Object.values(SETTINGS).map(
    (s) =>
      column(`  --${s.flag} <value>`) +
      `${s.description}${s.default === undefined ? ' (required)' : ` (default ${s.default})`}\n${' '.repeat(30)}env ${variableOf(s.flag)}`,
  );
  return [
    `falco-event-ingestor ${version}: receives Falco events from Falcosidekick, proves each cluster by its token, keeps them in PostgreSQL`,
    '',
    'usage: falco-event-ingestor [options]',
    '',
    ...rows,
    '  --help, --version',
    '',
    'Endpoints: POST or PUT /events (Bearer cluster token), GET /metrics, /healthz, /readyz; with operator tokens the event view',
    'at /view and its API at /api (Bearer operator token). SIGTERM drains and exits 0.',
  ].join('\n');
}

/** Reads flags and variables into a configuration; every problem is an input error naming the flag and its variable. */
export function parseIngestorArgs(argv: readonly string[], env: Record<string, string | undefined>): ParsedCommand {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean' },
        version: { type: 'boolean' },
        ...Object.fromEntries(Object.values(SETTINGS).map((s) => [s.flag, { type: 'string' as const }])),
      },
    }));
  } catch (cause) {
    throw new IngestorError(IngestorErrorCode.Usage, (cause as Error).message, 'run falco-event-ingestor --help for the options', cause);
  }
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const config: Record<string, string | number> = {};
  for (const [key, setting] of Object.entries(SETTINGS)) {
    const raw = (values[setting.flag] as string | undefined) ?? nonEmpty(env[variableOf(setting.flag)]) ?? setting.default;
    const where = `--${setting.flag} (${variableOf(setting.flag)})`;
    if (raw === undefined)
      throw new IngestorError(IngestorErrorCode.Config, `${where} is required`, `set ${variableOf(setting.flag)} or pass --${setting.flag}`);
    if (setting.kind === 'text') {
      config[key] = raw;
      continue;
    }
    const value = Number(raw);
    const whole = setting.kind === 'integer' ? Number.isInteger(value) : Number.isFinite(value);
    if (raw.trim() === '' || !whole || value < (setting.min ?? 0)) {
      throw new IngestorError(
        IngestorErrorCode.Config,
        `${where} is ${JSON.stringify(raw)}`,
        `give ${setting.kind === 'integer' ? 'a whole number' : 'a number'} of at least ${setting.min ?? 0}`,
      );
    }
    config[key] = value;
  }
  if (!/^postgres(ql)?:\/\//.test(config.databaseUrl as string)) {
    throw new IngestorError(
      IngestorErrorCode.Config,
      `--database-url (${variableOf('database-url')}) is not a postgres:// URL`,
      'e.g. postgres://ingestor:secret@db:5432/falco_events',
    );
  }
  if (!['auto', 'always', 'never'].includes(config.viewSecureCookie as string)) {
    throw new IngestorError(
      IngestorErrorCode.Config,
      `--view-secure-cookie (${variableOf('view-secure-cookie')}) is ${JSON.stringify(config.viewSecureCookie)}`,
      'give auto, always or never',
    );
  }
  return { kind: 'run', config: config as unknown as IngestorConfig };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
