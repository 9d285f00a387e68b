import {
  AUTO_VERSION,
  findVersion,
  isExpired,
  latestSupported,
  OFFICIAL_RULES_REPOSITORY,
  resolveFalcoVersion,
  upstreamImages,
  type FalcoVersionEntry,
  type FalcoVersionsCatalogue,
} from '@falco-airgap/manifest';
import { compareSemver } from '@falco-airgap/core';
import { CliError, CliErrorCode } from '../cli-error.ts';
import type { CommandContext, CommandOutcome } from '../context.ts';
import { readCatalogue, resolveEnvironmentFalco } from '../config/falco-environment.ts';
import type { VersionsFlags } from '../options/versions.ts';

/** A catalogue entry as --json prints it, with its state today. */
interface VersionRow extends FalcoVersionEntry {
  expired: boolean;
  latestSupported: boolean;
}

function rowsOf(catalogue: FalcoVersionsCatalogue, now: Date): VersionRow[] {
  const latest = latestSupported(catalogue)?.version;
  return [...catalogue.versions]
    .sort((a, b) => compareSemver(b.version, a.version))
    .map((entry) => ({ ...entry, expired: isExpired(entry, now), latestSupported: entry.version === latest }));
}

function lifecycle(row: VersionRow): string {
  if (row.classification !== 'deprecated') return row.latestSupported ? `${row.classification} (latest)` : row.classification;
  return row.expired ? `expired ${row.expirationDate}` : `deprecated, expires ${row.expirationDate}`;
}

/** Aligned columns for a terminal, tab-separated values for a pipe. */
export function formatTable(header: string[], rows: string[][], aligned: boolean): string {
  const all = [header, ...rows];
  if (!aligned) return all.map((row) => `${row.join('\t')}\n`).join('');
  const widths = header.map((_, column) => Math.max(...all.map((row) => row[column]!.length)));
  return all.map((row) => `${row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')}\n`).join('');
}

/** `falco-airgap versions list`: every Falco version of the catalogue, newest first, with its lifecycle. */
export async function versionsList(ctx: CommandContext, options: VersionsFlags): Promise<CommandOutcome> {
  const catalogue = await readCatalogue(ctx, options.versionsFile);
  const rows = rowsOf(catalogue, new Date());
  const table = formatTable(
    ['VERSION', 'LIFECYCLE', 'LIBS', 'PLUGIN API', 'FALCO-RULES', 'INCUBATING', 'SANDBOX', 'FALCOSIDEKICK'],
    rows.map((row) => [
      row.version,
      lifecycle(row),
      row.libsVersion,
      row.pluginApiVersion,
      row.rules['falco-rules'],
      row.rules['falco-incubating-rules'] ?? '-',
      row.rules['falco-sandbox-rules'] ?? '-',
      row.falcosidekick ?? '-',
    ]),
    Boolean(ctx.stdoutIsTTY),
  );
  return { data: { catalogue: catalogue.file, versions: rows }, output: table };
}

/** `falco-airgap versions show VERSION`: one version with what it ships and what to mirror for it; auto names the latest supported. */
export async function versionsShow(ctx: CommandContext, version: string, options: VersionsFlags): Promise<CommandOutcome> {
  const catalogue = await readCatalogue(ctx, options.versionsFile);
  const entry = version === AUTO_VERSION ? latestSupported(catalogue) : findVersion(catalogue, version);
  if (!entry) throw unknownVersion(version, catalogue);
  const row = rowsOf(catalogue, new Date()).find((r) => r.version === entry.version)!;
  const rules = Object.entries(entry.rules).map(([name, v]) => [`rules ${name}`, `${v}  ${OFFICIAL_RULES_REPOSITORY}/${name}:${v}`]);
  const lines: [string, string][] = [
    ['version', entry.version],
    ['lifecycle', lifecycle(row)],
    ...(entry.releaseDate ? [['released', entry.releaseDate] as [string, string]] : []),
    ['libs', entry.libsVersion],
    ['plugin API', `${entry.pluginApiVersion} (loads plugins requiring ${entry.pluginApiVersion.split('.')[0]}.x up to ${entry.pluginApiVersion})`],
    ['engine', entry.engineVersion],
    ...(rules as [string, string][]),
    ...Object.entries(entry.plugins).map(([name, v]): [string, string] => [`plugin ${name}`, v]),
    ...upstreamImages(entry).map((image): [string, string] => [`image ${image.name}`, image.reference]),
  ];
  const width = Math.max(...lines.map(([key]) => key.length));
  return {
    data: { catalogue: catalogue.file, version: row, images: upstreamImages(entry) },
    output: lines.map(([key, value]) => `${key.padEnd(width)}  ${value}\n`).join(''),
  };
}

export interface VersionsResolveOptions extends VersionsFlags {
  env?: string | undefined;
  autoUpdate?: boolean | undefined;
}

/**
 * `falco-airgap versions resolve [VERSION]`: the version an environment (--env) or a request (VERSION, default
 * auto) gets under the lifecycle policy; prints the version alone on stdout, refuses an expired or unknown one (exit 2).
 */
export async function versionsResolve(ctx: CommandContext, requested: string | undefined, options: VersionsResolveOptions): Promise<CommandOutcome> {
  if (options.env !== undefined) {
    if (requested !== undefined)
      throw new CliError('give a version or --env, not both', CliErrorCode.Usage, 'input', 'drop the version to resolve the environment');
    const decided = await resolveEnvironmentFalco(ctx, { env: options.env, versionsFile: options.versionsFile, purpose: 'deliver' });
    if (!decided) {
      throw new CliError(
        `environment ${options.env} names no Falco version`,
        CliErrorCode.Usage,
        'input',
        `set environments.${options.env}.falco.version (a version, or auto), or resolve a version: falco-airgap versions resolve auto`,
      );
    }
    return {
      data: {
        env: options.env,
        requested: decided.requested,
        version: decided.version,
        classification: decided.entry.classification,
        movedFrom: decided.movedFrom,
      },
      output: `${decided.version}\n`,
    };
  }
  const catalogue = await readCatalogue(ctx, options.versionsFile);
  const version = requested ?? AUTO_VERSION;
  const resolution = resolveFalcoVersion(catalogue, { version, autoUpdate: options.autoUpdate }, new Date());
  if (resolution.status === 'refused') {
    if (resolution.reason === 'expired') {
      throw new CliError(
        `Falco ${version} expired on ${resolution.entry!.expirationDate}`,
        CliErrorCode.FalcoVersionRefused,
        'input',
        resolution.latestSupported
          ? `use ${resolution.latestSupported.version}, or --auto-update to see where an environment moves`
          : 'add a supported version to the catalogue',
      );
    }
    if (resolution.reason === 'no-supported') {
      throw new CliError(`the catalogue ${catalogue.file} classifies no version as supported`, CliErrorCode.FalcoVersionRefused, 'input', 'name a version');
    }
    throw unknownVersion(version, catalogue);
  }
  const { entry } = resolution;
  if (resolution.warning?.kind === 'deprecated') {
    ctx.reporter.event({
      type: 'diagnostic',
      severity: 'warning',
      code: 'FALCO_VERSION_DEPRECATED',
      message: `Falco ${entry.version} is deprecated and expires on ${resolution.warning.expirationDate}`,
      hint: `move to ${latestSupported(catalogue)?.version ?? 'a supported version'}`,
    });
  }
  if (resolution.movedFrom) {
    ctx.reporter.event({
      type: 'diagnostic',
      severity: 'info',
      code: 'FALCO_VERSION_UPDATED',
      message: `${version} → ${entry.version}: autoUpdate moves a ${resolution.movedFrom.because === 'newer-supported' ? 'supported but older' : resolution.movedFrom.because} version to the latest supported one`,
    });
  }
  return {
    data: { requested: version, version: entry.version, classification: entry.classification, movedFrom: resolution.movedFrom },
    output: `${entry.version}\n`,
  };
}

function unknownVersion(version: string, catalogue: FalcoVersionsCatalogue): CliError {
  return new CliError(
    `Falco ${version} is not in the versions catalogue ${catalogue.file}`,
    CliErrorCode.UnknownFalcoVersion,
    'input',
    `known versions: ${catalogue.versions.map((v) => v.version).join(', ')}, or auto`,
  );
}
