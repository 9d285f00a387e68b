// Times `falco-airgap pipeline --env local` on the testbed: the first run (extract, build and push,
// deploy) against the no-op re-run, which must write nothing remote (no registry upload, no S3 PUT,
// no new Helm revision), and the re-run against the seed's way of redeploying the same chart with
// the same values, `helm upgrade --install --wait`, which always writes a revision. Both strategies.
//   node bench/pipeline/bench.ts [--rounds N] [--json] [--cli PATH-TO-bin.js]
// Needs the testbed (tools/testbed/testbed up) and a built CLI and loader (npm run build).
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createDockerEngine } from '@falco-airgap/container-engine';
import { publishFixturesTo } from '@falco-airgap/fixtures';
import { ensureImageBases } from '@falco-airgap/test-support';
import { requireTestbed } from '@falco-airgap/testbed/env';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';

const exec = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, '../..');
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, json: { type: 'boolean', default: false }, cli: { type: 'string' } } });
const rounds = Math.max(1, Number(values.rounds));
const env = requireTestbed(
  'TESTBED_REGISTRY',
  'TESTBED_REGISTRY_LOG',
  'TESTBED_DOCKER_HOST',
  'TESTBED_S3_ENDPOINT',
  'TESTBED_S3_ACCESS_KEY',
  'TESTBED_S3_SECRET_KEY',
  'TESTBED_S3_REGION',
  'TESTBED_HELM',
  'TESTBED_KUBECONFIG',
  'TESTBED_KUBECTL',
);
const cli = values.cli ? resolve(values.cli) : join(repoRoot, 'apps/orchestrator/dist/bin.js');
const loader = join(repoRoot, 'apps/s3-loader/dist/falco-s3-loader');
for (const file of [cli, loader]) if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build first`);

const id = randomBytes(3).toString('hex');
const registry = env.TESTBED_REGISTRY!;
const images = `${registry}/bench-pipeline-${id}`;
const bucket = `bench-pipeline-${id}`;
const s3 = new S3Client({
  endpoint: env.TESTBED_S3_ENDPOINT!,
  region: env.TESTBED_S3_REGION!,
  forcePathStyle: true,
  credentials: { accessKeyId: env.TESTBED_S3_ACCESS_KEY!, secretAccessKey: env.TESTBED_S3_SECRET_KEY! },
});
const kube = ['--kubeconfig', env.TESTBED_KUBECONFIG!];

interface Sample {
  strategy: string;
  firstMs: number;
  rerunMs: number;
  helmUpgradeMs: number;
  rerunWrites: { registry: number; s3: number; helmRevisions: number };
}

async function timed<T>(work: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const result = await work();
  return [performance.now() - started, result];
}

const registryWrites = async (offset: number) =>
  (await readFile(env.TESTBED_REGISTRY_LOG!, 'utf8'))
    .slice(offset)
    .split('\n')
    .filter((line) => /"(PUT|POST|PATCH|DELETE) /.test(line) && line.includes(`bench-pipeline-${id}`)).length;
const storeState = async () =>
  ((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? [])
    .map((o) => `${o.Key} ${o.ETag} ${o.LastModified?.toISOString()}`)
    .sort()
    .join('\n');
const revisions = async (release: string, namespace: string) =>
  (JSON.parse((await exec(env.TESTBED_HELM!, ['history', release, '-n', namespace, '-o', 'json', ...kube])).stdout) as unknown[]).length;

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'bench-pipeline-'));
  const namespaces: string[] = [];
  try {
    await publishFixturesTo({ registry, plainHttp: true });
    const bases = await ensureImageBases(createDockerEngine({ host: env.TESTBED_DOCKER_HOST }));
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const shipped = await readFile(join(repoRoot, 'plugins/plugins-manifest.yaml'), 'utf8');
    await writeFile(join(root, 'manifest.yaml'), shipped.replaceAll('ghcr.io/', `${registry}/`).replaceAll('docker.io/', `${registry}/`));
    const samples: Sample[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const strategy of ['sidecar', 's3'] as const) {
        const namespace = `bench-pipeline-${id}-${strategy}-${round}`;
        namespaces.push(namespace);
        const release = `falco-${strategy}-${round}`;
        await writeFile(
          join(root, 'falco-airgap.config.yaml'),
          [
            'apiVersion: falco-airgap/v1',
            'kind: Config',
            'environments:',
            '  local:',
            `    registry: { host: ${images}-${round}, plainHttp: true }`,
            `    cluster: { kubeconfig: ${env.TESTBED_KUBECONFIG} }`,
            `    strategy: ${strategy}`,
            `    store: { bucket: ${bucket}, prefix: round-${round}, channel: local, endpoint: '${env.TESTBED_S3_ENDPOINT}', region: ${env.TESTBED_S3_REGION} }`,
            `    namespace: ${namespace}`,
            `    release: ${release}`,
            '',
          ].join('\n'),
        );
        const args = [
          cli,
          'pipeline',
          '--env',
          'local',
          '--manifest',
          'manifest.yaml',
          '--out',
          `plugins-${strategy}-${round}`,
          '--cache-dir',
          `cache-${round}`,
          '--base-image',
          bases.base,
          '--falco-image',
          bases.falco,
          '--docker-dir',
          join(repoRoot, 'docker'),
          '--s3-loader-binary',
          loader,
          '--chart',
          join(repoRoot, 'helm/falco-airgap'),
          '--quiet',
        ];
        const processEnv = {
          ...process.env,
          CI: '1',
          DOCKER_HOST: env.TESTBED_DOCKER_HOST!,
          DOCKER_CONFIG: join(root, 'no-docker-config'),
          FALCO_AIRGAP_HELM: env.TESTBED_HELM!,
          AWS_ACCESS_KEY_ID: env.TESTBED_S3_ACCESS_KEY!,
          AWS_SECRET_ACCESS_KEY: env.TESTBED_S3_SECRET_KEY!,
        };
        const [firstMs] = await timed(() => exec(process.execPath, args, { cwd: root, env: processEnv }));
        const logOffset = (await stat(env.TESTBED_REGISTRY_LOG!)).size;
        const objects = await storeState();
        const revisionsBefore = await revisions(release, namespace);
        const [rerunMs] = await timed(() => exec(process.execPath, args, { cwd: root, env: processEnv }));
        const rerunWrites = {
          registry: await registryWrites(logOffset),
          s3: (await storeState()) === objects ? 0 : 1,
          helmRevisions: (await revisions(release, namespace)) - revisionsBefore,
        };
        // The seed's redeploy: the same chart with the values the pipeline gave helm, every time a new revision.
        const deployed = (await exec(env.TESTBED_HELM!, ['get', 'values', release, '-n', namespace, '-o', 'yaml', ...kube])).stdout;
        await writeFile(join(root, 'values.yaml'), deployed);
        const [helmUpgradeMs] = await timed(() =>
          exec(env.TESTBED_HELM!, [
            'upgrade',
            '--install',
            release,
            join(repoRoot, 'helm/falco-airgap'),
            '-n',
            namespace,
            '-f',
            join(root, 'values.yaml'),
            '--wait',
            ...kube,
          ]),
        );
        samples.push({ strategy, firstMs, rerunMs, helmUpgradeMs, rerunWrites });
      }
    }
    report(samples);
  } finally {
    for (const namespace of namespaces)
      await exec(env.TESTBED_KUBECTL!, ['delete', 'namespace', namespace, '--wait=false', '--ignore-not-found', ...kube]).catch(() => undefined);
    s3.destroy();
    await rm(root, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (n: number) => `${Math.round(n).toLocaleString('en').replaceAll(',', ' ')} ms`.padStart(10);

function report(samples: Sample[]): void {
  const byStrategy = ['sidecar', 's3'].map((strategy) => {
    const mine = samples.filter((s) => s.strategy === strategy);
    const first = median(mine.map((s) => s.firstMs));
    const rerun = median(mine.map((s) => s.rerunMs));
    const helm = median(mine.map((s) => s.helmUpgradeMs));
    const writes = mine.reduce((sum, s) => sum + s.rerunWrites.registry + s.rerunWrites.s3 + s.rerunWrites.helmRevisions, 0);
    return {
      strategy,
      medianMs: { first, rerun, helmUpgrade: helm },
      ratios: { rerunVsFirst: rerun / first, rerunVsHelmUpgrade: rerun / helm },
      rerunRemoteWrites: writes,
    };
  });
  if (values.json) {
    console.log(JSON.stringify({ rounds, strategies: byStrategy, samples }));
    return;
  }
  console.log(`pipeline bench, median of ${rounds} round(s) on the testbed (registry, MinIO, API server with kwok nodes, helm)`);
  for (const s of byStrategy) {
    console.log(`  --strategy ${s.strategy}`);
    console.log(`      first run (extract, build + push, deploy)   ${ms(s.medianMs.first)}`);
    console.log(
      `      no-op re-run                                 ${ms(s.medianMs.rerun)}   ratio ${s.ratios.rerunVsFirst.toFixed(2)}x of the first run (goal < 2 s)`,
    );
    console.log(`      helm upgrade --install --wait, same values   ${ms(s.medianMs.helmUpgrade)}   re-run ratio ${s.ratios.rerunVsHelmUpgrade.toFixed(2)}x`);
    console.log(`      remote writes of the re-runs                 ${String(s.rerunRemoteWrites).padStart(10)}   (goal 0)`);
  }
}

await main();
