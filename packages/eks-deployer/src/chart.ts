import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { parse } from 'yaml';
import { DeployError, DeployErrorCode } from './errors.ts';

/** The chart a deploy installs, and a digest of its content that says whether it changed. */
export interface ChartInfo {
  /** A chart directory, or an oci:// or repo reference helm resolves. */
  ref: string;
  name: string;
  version: string;
  appVersion: string | undefined;
  /** sha256 over the chart's files for a directory; the reference and version otherwise. */
  digest: string;
}

/** Reads Chart.yaml and hashes every file of a chart directory (paths and bytes, in a fixed order). */
export async function readChart(dir: string): Promise<ChartInfo> {
  let metadata: { name?: unknown; version?: unknown; appVersion?: unknown };
  try {
    metadata = (parse(await readFile(join(dir, 'Chart.yaml'), 'utf8')) ?? {}) as typeof metadata;
  } catch (cause) {
    throw new DeployError(
      DeployErrorCode.ChartRejected,
      `${dir} is not a chart directory (no readable Chart.yaml)`,
      'set `chart` to the helm/falco-airgap directory or a chart reference',
      cause,
    );
  }
  if (typeof metadata.name !== 'string' || typeof metadata.version !== 'string') {
    throw new DeployError(DeployErrorCode.ChartRejected, `${join(dir, 'Chart.yaml')} has no name or version`, 'fix Chart.yaml');
  }
  const hash = createHash('sha256');
  for (const file of await listFiles(dir)) {
    const path = relative(dir, file).split(sep).join('/');
    const bytes = await readFile(file);
    hash.update(`${path}\0${bytes.length}\0`).update(bytes);
  }
  return {
    ref: dir,
    name: metadata.name,
    version: metadata.version,
    appVersion: typeof metadata.appVersion === 'string' ? metadata.appVersion : undefined,
    digest: `sha256:${hash.digest('hex')}`,
  };
}

/** A chart helm fetches (oci:// or repo/name) at a fixed version: the version is what identifies its content. */
export function chartReference(ref: string, name: string, version: string, appVersion?: string): ChartInfo {
  return { ref, name, version, appVersion, digest: `${ref}@${version}` };
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}
