import { makeDirectory, yamlErrorLine } from '@falco-airgap/core';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { parse } from 'yaml';
import { comparePaths, unsafePathReason } from './bundle-paths.ts';
import { BundleError, BundleErrorCode, ioError } from './errors.ts';
import { BLOCK, decodeHeader, decodePaxRecords, encodeFileHeader, endOfArchive, isZeroBlock, paddingOf } from './tar-format.ts';

/** A packaged chart is read whole; refuse one that unpacks to more than this. */
const MAX_CHART_BYTES = 64 * 1024 * 1024;

export interface PackagedChart {
  name: string;
  version: string;
  appVersion: string | undefined;
  /** `<name>-<version>.tgz`, as `helm package` names it. */
  fileName: string;
  bytes: Buffer;
}

/**
 * A chart directory as helm reads a packaged chart (`<name>/...` in a gzipped tar), the same bytes for
 * the same files: sorted, one mtime, no owners, gzip without a timestamp. `.helmignore` is honoured.
 */
export async function packageChart(dir: string, mtime: number): Promise<PackagedChart> {
  const metadata = await readChartMetadata(dir);
  const ignore = await helmIgnore(dir);
  const files = (
    await readdir(dir, { withFileTypes: true, recursive: true }).catch((cause: unknown) => {
      throw ioError(`cannot read the chart directory ${dir}`, cause);
    })
  )
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .filter((path) => !ignore(path))
    .sort(comparePaths);
  const blocks: Buffer[] = [];
  for (const path of files) {
    const bytes = await readFile(join(dir, path));
    blocks.push(encodeFileHeader({ path: `${metadata.name}/${path}`, size: bytes.length, mode: 0o644, mtime }), bytes, Buffer.alloc(paddingOf(bytes.length)));
  }
  blocks.push(endOfArchive());
  return {
    ...metadata,
    fileName: `${metadata.name}-${metadata.version}.tgz`,
    bytes: gzipSync(Buffer.concat(blocks), { level: constants.Z_BEST_COMPRESSION }),
  };
}

/** Unpacks a packaged chart into `dest` (replacing what was there): `dest/Chart.yaml`, `dest/templates/...`. */
export async function unpackChart(bytes: Uint8Array, dest: string): Promise<{ name: string; version: string }> {
  let tar: Buffer;
  try {
    tar = gunzipSync(bytes, { maxOutputLength: MAX_CHART_BYTES });
  } catch (cause) {
    throw badChart(`not a gzip archive of at most ${MAX_CHART_BYTES} bytes (${(cause as Error).message})`, cause);
  }
  const files = new Map<string, Buffer>();
  let top: string | undefined;
  for (let at = 0; ;) {
    if (at + BLOCK > tar.length) throw badChart('it ends before its end marker');
    const block = tar.subarray(at, at + BLOCK);
    if (isZeroBlock(block)) break;
    let header = decodeHeader(block);
    if (!header) throw badChart(`a damaged header at byte ${at}`);
    at += BLOCK;
    let path = header.path;
    if (header.type === 'pax') {
      const records = decodePaxRecords(tar.subarray(at, at + header.size));
      at += header.size + paddingOf(header.size);
      header = decodeHeader(tar.subarray(at, at + BLOCK));
      if (!records || !header) throw badChart('a malformed extended header');
      at += BLOCK;
      path = records.path ?? header.path;
    }
    const name = path.replace(/\/$/, '');
    const unsafe = unsafePathReason(name);
    if (unsafe) throw badChart(`the entry "${path}": ${unsafe}`);
    if (header.type === 'directory') continue;
    if (header.type !== 'file') throw badChart(`the entry ${name} is not a regular file`);
    const [first, ...rest] = name.split('/');
    if (!rest.length || (top !== undefined && first !== top)) throw badChart(`the entry ${name} is not inside the chart's one directory`);
    top = first;
    if (at + header.size > tar.length) throw badChart(`${name} is cut short`);
    files.set(rest.join('/'), tar.subarray(at, at + header.size));
    at += header.size + paddingOf(header.size);
  }
  const chartYaml = files.get('Chart.yaml');
  if (!chartYaml) throw badChart('it has no Chart.yaml');
  await rm(dest, { recursive: true, force: true });
  for (const [path, content] of files) {
    const file = join(dest, path);
    await makeDirectory(dirname(file));
    await writeFile(file, content).catch((cause: unknown) => {
      throw ioError(`cannot write ${file}`, cause);
    });
  }
  let metadata: { name?: unknown; version?: unknown } | null;
  try {
    metadata = parse(chartYaml.toString('utf8')) as typeof metadata;
  } catch (cause) {
    throw badChart(`its Chart.yaml is not valid YAML: ${yamlErrorLine((cause as Error).message)}`, cause);
  }
  return { name: String(metadata?.name), version: String(metadata?.version) };
}

async function readChartMetadata(dir: string): Promise<Pick<PackagedChart, 'name' | 'version' | 'appVersion'>> {
  let metadata: { name?: unknown; version?: unknown; appVersion?: unknown };
  try {
    metadata = (parse(await readFile(join(dir, 'Chart.yaml'), 'utf8')) ?? {}) as typeof metadata;
  } catch (cause) {
    throw new BundleError(
      BundleErrorCode.SourceMissing,
      `${dir} is not a chart directory (no readable Chart.yaml)`,
      'set `chart.dir` to the helm/falco-airgap directory',
      {
        cause,
      },
    );
  }
  if (typeof metadata.name !== 'string' || typeof metadata.version !== 'string') {
    throw new BundleError(BundleErrorCode.SourceMissing, `${join(dir, 'Chart.yaml')} has no name or version`, 'fix Chart.yaml');
  }
  return { name: metadata.name, version: metadata.version, appVersion: typeof metadata.appVersion === 'string' ? metadata.appVersion : undefined };
}

/** The `.helmignore` patterns helm applies when it packages: globs on a path or its base name, `dir/` for directories, `#` comments. */
async function helmIgnore(dir: string): Promise<(path: string) => boolean> {
  const text = await readFile(join(dir, '.helmignore'), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw ioError(`cannot read ${join(dir, '.helmignore')}`, error);
  });
  const patterns = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#') && !line.startsWith('!'))
    .map((line) => ({ directory: line.endsWith('/'), glob: globToRegExp(line.replace(/\/$/, '').replace(/^\//, '')) }));
  return (path) => {
    const segments = path.split('/');
    return patterns.some(({ directory, glob }) => {
      const candidates = directory ? segments.slice(0, -1) : [path, segments.at(-1)!];
      return (
        candidates.some((candidate) => glob.test(candidate)) ||
        (directory && segments.slice(0, -1).some((_, i) => glob.test(segments.slice(0, i + 1).join('/'))))
      );
    });
  };
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

function badChart(detail: string, cause?: unknown): BundleError {
  return new BundleError(BundleErrorCode.BadArchive, `the bundle's chart is not a valid packaged chart: ${detail}`, 'create the bundle again', { cause });
}
