// bench/s3: publish throughput against `aws s3 cp --recursive`, and the loader's start-to-exec time
// and peak RSS against the seed's pre-start script (`aws s3 cp` per plugin), on the testbed's S3
// server with the same files. Run from the repository root:
//   node --conditions=@falco-airgap/source bench/s3/run.ts [--rounds N] [--out results.json]
// It builds the CLI and the loader first; the AWS CLI comes from PyPI (pip install awscli).
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { platformDirectory, type Platform } from '@falco-airgap/core';
import { serializeLock, type LockedPlugin, type PluginsLock } from '@falco-airgap/manifest';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BUILT_BINARY, builtLoader } from '../../apps/s3-loader/test/built-binary.ts';
import { requireTestbed } from '@falco-airgap/testbed/env';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MiB = 1024 * 1024;
// Five plugins at sizes like the official ones, for both platforms: 100 MiB in all.
const PLUGINS: { name: string; mib: number }[] = [
  { name: 'container', mib: 20 },
  { name: 'k8saudit', mib: 14 },
  { name: 'cloudtrail', mib: 10 },
  { name: 'json', mib: 4 },
  { name: 'k8smeta', mib: 2 },
];
const PLATFORMS: Platform[] = ['linux/amd64', 'linux/arm64'];

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, out: { type: 'string' } } });
const rounds = Number(values.rounds);

const env = requireTestbed('TESTBED_S3_ENDPOINT', 'TESTBED_S3_ACCESS_KEY', 'TESTBED_S3_SECRET_KEY', 'TESTBED_S3_REGION');
const endpoint = env.TESTBED_S3_ENDPOINT!;
const awsEnv = {
  AWS_ACCESS_KEY_ID: env.TESTBED_S3_ACCESS_KEY!,
  AWS_SECRET_ACCESS_KEY: env.TESTBED_S3_SECRET_KEY!,
  AWS_REGION: env.TESTBED_S3_REGION!,
  AWS_DEFAULT_REGION: env.TESTBED_S3_REGION!,
};
const client = new S3Client({
  endpoint,
  region: awsEnv.AWS_REGION,
  forcePathStyle: true,
  credentials: { accessKeyId: awsEnv.AWS_ACCESS_KEY_ID, secretAccessKey: awsEnv.AWS_SECRET_ACCESS_KEY },
});
const bucket = `bench-s3-${randomBytes(4).toString('hex')}`;

interface Timed {
  ms: number;
  stdout: string;
  stderr: string;
  code: number | null;
}

function run(command: string, args: string[], extraEnv: Record<string, string> = {}): Promise<Timed> {
  return new Promise((resolveRun, reject) => {
    const started = performance.now();
    const child = spawn(command, args, {
      env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/root', ...awsEnv, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolveRun({ ms: performance.now() - started, stdout, stderr, code }));
  });
}

async function mustRun(command: string, args: string[], extraEnv: Record<string, string> = {}): Promise<Timed> {
  const result = await run(command, args, extraEnv);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.code}:\n${result.stderr}`);
  return result;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function bytesUnder(prefix: string): Promise<number> {
  let total = 0;
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) total += o.Size ?? 0;
    token = page.NextContinuationToken;
  } while (token);
  return total;
}

async function deletePrefix(prefix: string): Promise<void> {
  for (;;) {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    if (!page.Contents?.length) return;
    await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: page.Contents.map((o) => ({ Key: o.Key! })), Quiet: true } }));
  }
}

/** The tree extract leaves: plugins/extracted/<os>-<arch>/lib<name>.so and plugins/plugins-lock.yaml. */
async function writeTree(root: string): Promise<{ lockPath: string; extracted: string; totalBytes: number }> {
  const extracted = join(root, 'plugins/extracted');
  const plugins: LockedPlugin[] = [];
  let totalBytes = 0;
  for (const plugin of PLUGINS) {
    const locked: LockedPlugin = {
      name: plugin.name,
      version: '1.0.0',
      source: { artifact: `registry.example/plugin/${plugin.name}:1.0.0` },
      resolvedDigest: `sha256:${'1'.repeat(64)}`,
      platforms: [],
    };
    for (const platform of PLATFORMS) {
      const bytes = randomBytes(plugin.mib * MiB);
      const path = `${platformDirectory(platform)}/lib${plugin.name}.so`;
      await mkdir(join(extracted, platformDirectory(platform)), { recursive: true });
      await writeFile(join(extracted, path), bytes);
      totalBytes += bytes.length;
      locked.platforms.push({
        platform,
        manifestDigest: `sha256:${'2'.repeat(64)}`,
        layerDigest: `sha256:${'3'.repeat(64)}`,
        file: `lib${plugin.name}.so`,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        size: bytes.length,
        elfMachine: platform === 'linux/amd64' ? 'x86-64' : 'aarch64',
        pluginApiVersion: '3.10.0',
        pluginApiVersionSource: 'artifact-config',
        path,
      });
    }
    plugins.push(locked);
  }
  const lock: PluginsLock = {
    apiVersion: 'falco-airgap/v1alpha1',
    kind: 'PluginsLock',
    generatedAt: new Date().toISOString(),
    falco: { version: '0.44.1' },
    manifestSha256: '0'.repeat(64),
    plugins,
    rulesfiles: [],
  };
  const lockPath = join(root, 'plugins/plugins-lock.yaml');
  await writeFile(lockPath, serializeLock(lock));
  return { lockPath, extracted, totalBytes };
}

// The built CLI, as users run it (npm's bin), not the TypeScript sources.
const cli = (args: string[]) => mustRun(process.execPath, [join(repoRoot, 'apps/orchestrator/dist/bin.js'), ...args]);

/**
 * Drops a file from the page cache, so it is read back as from an image layer: a binary the build
 * just wrote sits in the cache in large folios, which maps more of it per page fault and inflates RSS.
 */
async function evictFromPageCache(file: string): Promise<void> {
  await mustRun('sync', [file]);
  await mustRun('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']);
}

async function main(): Promise<void> {
  const awsVersion = spawnSync('aws', ['--version'], { encoding: 'utf8' });
  if (awsVersion.status !== 0) throw new Error('the AWS CLI is missing: pip install awscli');
  // Builds what is measured: the CLI with its libraries (nx skips what is current), then the loader binary.
  await mustRun('npx', ['nx', 'run-many', '-t', 'build', '-p', '@falco-airgap/cli', '@falco-airgap/s3-plugin-store', '--output-style=static'], {
    PATH: `${join(repoRoot, 'node_modules/.bin')}:${process.env.PATH}`,
  });
  // The loader is built afresh: its peak RSS is measured right after the build as well as from a cold page cache.
  await mustRun('npm', ['run', 'build', '-w', '@falco-airgap/s3-loader'], { PATH: `${join(repoRoot, 'node_modules/.bin')}:${process.env.PATH}` });
  const work = await mkdtemp(join(tmpdir(), 'bench-s3-'));
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  try {
    const tree = await writeTree(work);
    const results: Record<string, unknown> = {
      date: new Date().toISOString(),
      machine: `${spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()} cores, ${process.platform}/${process.arch}`,
      awsCli: (awsVersion.stdout || awsVersion.stderr).trim(),
      s3: `MinIO on ${endpoint} (testbed)`,
      plugins: PLUGINS.map((p) => `${p.name} ${p.mib} MiB x ${PLATFORMS.length}`),
      totalBytes: tree.totalBytes,
      rounds,
    };

    // Publish: every round goes to fresh prefixes, so both tools upload everything; the order alternates.
    const awsMs: number[] = [];
    const oursMs: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const aws = () =>
        mustRun('aws', ['s3', 'cp', '--recursive', '--only-show-errors', '--endpoint-url', endpoint, tree.extracted, `s3://${bucket}/aws-${i}/`]);
      const ours = () => cli(['--quiet', 'publish', '--bucket', bucket, '--prefix', `ours-${i}`, '--endpoint', endpoint, '--lock', tree.lockPath]);
      const [first, second] = i % 2 === 0 ? [aws, ours] : [ours, aws];
      const a = await first();
      const b = await second();
      (i % 2 === 0 ? awsMs : oursMs).push(a.ms);
      (i % 2 === 0 ? oursMs : awsMs).push(b.ms);
      for (const prefix of [`aws-${i}/`, `ours-${i}/blobs/`]) {
        const stored = await bytesUnder(prefix);
        if (stored !== tree.totalBytes) throw new Error(`${prefix} holds ${stored} bytes, expected ${tree.totalBytes}`);
      }
      await deletePrefix(`aws-${i}/`);
      if (i > 0) await deletePrefix(`ours-${i}/`);
    }
    const noop = await cli(['--quiet', 'publish', '--bucket', bucket, '--prefix', 'ours-0', '--endpoint', endpoint, '--lock', tree.lockPath]);
    const mibps = (ms: number) => tree.totalBytes / MiB / (ms / 1000);
    results.publish = {
      awsCliMs: awsMs.map(Math.round),
      falcoAirgapMs: oursMs.map(Math.round),
      awsCliMiBps: +mibps(median(awsMs)).toFixed(1),
      falcoAirgapMiBps: +mibps(median(oursMs)).toFixed(1),
      throughputRatio: +(median(awsMs) / median(oursMs)).toFixed(2),
      unchangedRepublishMs: Math.round(noop.ms),
    };

    // Loader: 5 plugins for linux/amd64, a fresh plugin directory per run, no cache.
    await cli(['--quiet', 'publish', '--bucket', bucket, '--prefix', 'loader', '--endpoint', endpoint, '--lock', tree.lockPath, '--channel', 'bench']);
    const peakRss = async (binary: string, label: string): Promise<number[]> => {
      const rss: number[] = [];
      for (let i = 0; i < 3; i++) {
        const dest = join(work, `rss-${label}-${i}`);
        const timed = await mustRun('/usr/bin/time', ['-f', '%M', binary], {
          FALCO_S3_LOADER_BUCKET: bucket,
          FALCO_S3_LOADER_PREFIX: 'loader',
          FALCO_S3_LOADER_CHANNEL: 'bench',
          FALCO_S3_LOADER_ENDPOINT: endpoint,
          FALCO_S3_LOADER_DEST: dest,
        });
        rss.push(+(Number(timed.stderr.trim().split('\n').at(-1)) / 1024).toFixed(1));
        await rm(dest, { recursive: true });
      }
      return rss;
    };
    // The binary exactly as the build left it, before anything else has read it (a copy would).
    const afterBuildRss = await peakRss(BUILT_BINARY, 'after-build');
    const loader = builtLoader();
    await evictFromPageCache(loader);
    for (const p of PLUGINS) {
      await mustRun('aws', [
        's3',
        'cp',
        '--only-show-errors',
        '--endpoint-url',
        endpoint,
        join(tree.extracted, 'linux-amd64', `lib${p.name}.so`),
        `s3://${bucket}/seed/lib${p.name}.so`,
      ]);
    }
    const marker = join(work, 'exec-mark');
    const fakeFalco = join(work, 'falco');
    await writeFile(fakeFalco, `#!/bin/sh\ndate +%s%3N > "${marker}"\n`);
    await chmod(fakeFalco, 0o755);
    const startToExec = async (command: string, args: string[], extraEnv: Record<string, string>) => {
      await rm(marker, { force: true });
      const started = Date.now();
      await mustRun(command, args, extraEnv);
      return Number((await readFile(marker, 'utf8')).trim()) - started;
    };
    const seedMs: number[] = [];
    const loaderMs: number[] = [];
    const installedBytes = PLUGINS.reduce((n, p) => n + p.mib * MiB, 0);
    for (let i = 0; i < rounds; i++) {
      const seedDest = join(work, `seed-dest-${i}`);
      const loaderDest = join(work, `loader-dest-${i}`);
      const seed = () =>
        startToExec('sh', [join(repoRoot, 'bench/s3/seed-prestart.sh'), fakeFalco], {
          BUCKET: bucket,
          PREFIX: 'seed',
          PLUGINS: PLUGINS.map((p) => p.name).join(' '),
          DEST: seedDest,
          ENDPOINT: endpoint,
        });
      const ours = () =>
        startToExec('sh', [join(repoRoot, 'docker/base/falco-s3-loader-entrypoint.sh'), fakeFalco], {
          FALCO_S3_LOADER_BIN: loader,
          FALCO_S3_LOADER_BUCKET: bucket,
          FALCO_S3_LOADER_PREFIX: 'loader',
          FALCO_S3_LOADER_CHANNEL: 'bench',
          FALCO_S3_LOADER_ENDPOINT: endpoint,
          FALCO_S3_LOADER_DEST: loaderDest,
        });
      if (i % 2 === 0) {
        seedMs.push(await seed());
        loaderMs.push(await ours());
      } else {
        loaderMs.push(await ours());
        seedMs.push(await seed());
      }
      for (const p of PLUGINS) {
        const a = await readFile(join(seedDest, `lib${p.name}.so`));
        const b = await readFile(join(loaderDest, `lib${p.name}.so`));
        if (!a.equals(b) || a.length !== p.mib * MiB) throw new Error(`lib${p.name}.so differs between the two approaches`);
      }
      await rm(seedDest, { recursive: true });
      await rm(loaderDest, { recursive: true });
    }
    await evictFromPageCache(loader);
    const coldRss = await peakRss(loader, 'cold');
    const rss = [...afterBuildRss, ...coldRss];
    results.loader = {
      plugins: PLUGINS.length,
      bytes: installedBytes,
      seedScriptMs: seedMs,
      loaderMs,
      timeRatio: +(median(loaderMs) / median(seedMs)).toFixed(3),
      peakRssMiB: +Math.max(...rss).toFixed(1),
      peakRssAfterBuildMiB: afterBuildRss,
      peakRssColdMiB: coldRss,
      binaryBytes: (await readFile(loader)).length,
    };
    results.goals = {
      publishAtLeastAwsCli: (results.publish as { throughputRatio: number }).throughputRatio >= 1.0,
      loaderAtMostPoint3OfScript: (results.loader as { timeRatio: number }).timeRatio <= 0.3,
      loaderUnder80MiB: Math.max(...rss) < 80,
    };
    const text = JSON.stringify(results, null, 2);
    console.log(text);
    if (values.out) await writeFile(values.out, `${text}\n`);
  } finally {
    await deletePrefix('');
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
    client.destroy();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
