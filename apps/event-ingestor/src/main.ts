import { isFalcoAirgapError, type ErrorCategory } from '@falco-airgap/core';
import { createJwksFileVerifier } from '@falco-airgap/fleet-identity';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import packageJson from '../package.json' with { type: 'json' };
import { parseIngestorArgs, usage } from './config.ts';
import { registerEventView } from './event-view.ts';
import { openOperatorTokensFile } from './operator-tokens.ts';
import { createIngestor, type Ingestor } from './server.ts';

export const version: string = packageJson.version;

/** The process as arguments, so tests run the whole program in-process with no globals touched. */
export interface IngestorProcess {
  argv: readonly string[];
  env: Record<string, string | undefined>;
  /** Where JSON log lines go. */
  stdout: Writable;
  stderr: (text: string) => void;
  /** Aborted on SIGTERM or SIGINT: stop taking events, store those in flight, exit. */
  signal: AbortSignal;
  /** Told the address once the server listens. */
  onListening?: (address: string) => void;
}

const EXIT_BY_CATEGORY: Record<ErrorCategory, number> = { input: 2, verification: 3, operational: 1 };

/** The ingestor's whole life: configuration, start, serve until the signal, drain. Resolves with the exit code. */
export async function main(proc: IngestorProcess): Promise<number> {
  let ingestor: Ingestor | undefined;
  try {
    const command = parseIngestorArgs(proc.argv, proc.env);
    if (command.kind === 'help') {
      proc.stdout.write(`${usage(version)}\n`);
      return 0;
    }
    if (command.kind === 'version') {
      proc.stdout.write(`${version}\n`);
      return 0;
    }
    const { config } = command;
    const verifier = await createJwksFileVerifier({
      file: config.jwksFile,
      issuer: config.issuer,
      audience: config.audience,
      onReload: (event) =>
        event.ok
          ? ingestor?.app.log.info({ file: event.file, keyIds: event.keyIds }, 'verification keys reloaded')
          : ingestor?.app.log.error(
              { file: event.file, code: event.error.code, err: event.error },
              'the JWKS file was refused; the previous keys stay in force',
            ),
    });
    ingestor = createIngestor({
      database: { connectionString: config.databaseUrl },
      verifier,
      retentionDays: config.retentionDays,
      rateLimit: { rate: config.rate, burst: config.burst },
      bodyLimit: config.bodyLimit,
      logger: { level: config.logLevel, stream: proc.stdout, base: { service: 'falco-event-ingestor', version } },
    });
    if (config.operatorTokensFile !== '') {
      const operators = await openOperatorTokensFile({
        file: config.operatorTokensFile,
        onReload: (event) =>
          event.ok
            ? ingestor?.app.log.info({ operators: event.operators }, 'operator tokens reloaded')
            : ingestor?.app.log.error({ code: event.error.code, err: event.error }, 'the operator tokens file was refused; the previous tokens stay in force'),
      });
      const secureCookie = config.viewSecureCookie === 'auto' ? 'auto' : config.viewSecureCookie === 'always';
      registerEventView(ingestor, {
        operators,
        secureCookie,
        signInLimits: {
          perOperator: config.viewSignInFailuresPerOperator,
          perAddress: config.viewSignInFailuresPerAddress,
          windowSeconds: config.viewSignInWindowSeconds,
        },
      });
    }
    if (proc.signal.aborted) return 130;
    const address = await ingestor.start({ host: config.host, port: config.port });
    ingestor.app.log.info({ address, keyIds: verifier.status().keyIds, retentionDays: config.retentionDays }, 'listening');
    proc.onListening?.(address);
    if (!proc.signal.aborted) await once(proc.signal, 'abort');
    ingestor.app.log.info('draining');
    await ingestor.close();
    ingestor = undefined;
    return 0;
  } catch (error) {
    proc.stderr(`${describeFailure(error)}\n`);
    await ingestor?.close().catch(() => undefined);
    return isFalcoAirgapError(error) ? EXIT_BY_CATEGORY[error.category] : 1;
  }
}

function describeFailure(error: unknown): string {
  if (isFalcoAirgapError(error)) return `error[${error.code}]: ${error.message}${error.hint ? ` — ${error.hint}` : ''}`;
  return `error[INGEST_UNEXPECTED]: ${error instanceof Error ? error.message : String(error)}`;
}
