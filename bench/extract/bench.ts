// Times `falco-airgap extract` against the two ways users mirror plugins without it, in one run on
// the same fixtures, all cold (empty caches, image removed from the engine):
//   (a) the seed approach: docker pull + docker create + docker cp per platform of the Falco image
//   (b) skopeo copy --all of every artifact the manifest names into an OCI layout directory
//   node bench/extract/bench.ts [--rounds N] [--json] [--cli PATH-TO-bin.js]
// Needs the testbed (tools/testbed/testbed up docker registry) and a built CLI (npm run build).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { FIXTURE_FALCO_IMAGE_TAG, FIXTURE_PLUGIN_DIR, FIXTURE_PLUGINS, fixtureRepository, publishFixturesTo } from '@falco-airgap/fixtures';
import { requireTestbed } from '@falco-airgap/testbed/env';

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, '../..');
const PLATFORMS = ['linux/amd64', 'linux/arm64'] as const;

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, json: { type: 'boolean', default: false }, cli: { type: 'string' } } });
const rounds = Math.max(1, Number(values.rounds));
const env = requireTestbed('TESTBED_REGISTRY', 'TESTBED_DOCKER_HOST');
const registry = env.TESTBED_REGISTRY!;
const dockerEnv = { ...process.env, DOCKER_HOST: env.TESTBED_DOCKER_HOST! };
const image = `${registry}/${fixtureRepository.falcoImage}:${FIXTURE_FALCO_IMAGE_TAG}`;
const imagePath = `${FIXTURE_PLUGIN_DIR}/libcontainer.so`;

const cliDist = values.cli ? resolve(values.cli) : join(repoRoot, 'apps/orchestrator/dist/bin.js');
if (!existsSync(cliDist)) throw new Error(`${cliDist} is missing: run npm run build first`);

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

function manifestYaml(options: { imageOnly: boolean }): string {
  const plugins = [
    ...(options.imageOnly
      ? []
      : FIXTURE_PLUGINS.map(
          (p) => `  - name: ${p.name}\n    version: ${p.version}\n    from:\n      artifact: ${registry}/${fixtureRepository.plugin(p.name)}:${p.version}\n`,
        )),
    `  - name: container\n    version: 0.7.1\n    from:\n      image: ${image}\n      path: ${imagePath}\n`,
  ];
  const rules = options.imageOnly
    ? 'rulesfiles: []\n'
    : `rulesfiles:\n  - name: falco-rules\n    version: 5.1.0\n    from:\n      artifact: ${registry}/${fixtureRepository.rulesfile('falco-rules')}:5.1.0\n`;
  return `apiVersion: falco-airgap/v1alpha1\nkind: PluginsManifest\nfalco:\n  version: 0.44.1\nplatforms: [${PLATFORMS.join(', ')}]\nplugins:\n${plugins.join('')}${rules}`;
}

/** Our extract, cold: a fresh cache and output directory, the CLI as users run it. */
async function ours(work: string, manifest: string, name: string): Promise<number> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  return timed(() =>
    run(process.execPath, [
      cliDist,
      '--quiet',
      'extract',
      '--manifest',
      manifest,
      '--out',
      join(dir, 'plugins'),
      '--cache-dir',
      join(dir, 'cache'),
      '--plain-http',
      registry,
    ]),
  );
}

/** The seed approach, per platform: pull, create, cp, rm; the image is removed first so every pull is cold. */
async function seed(work: string): Promise<number> {
  const docker = (...args: string[]) => run('docker', args, { env: dockerEnv });
  await docker('rmi', '-f', image).catch(() => undefined);
  await docker('image', 'prune', '-f');
  let total = 0;
  for (const platform of PLATFORMS) {
    const out = join(work, 'seed', platform.replace('/', '-'));
    await mkdir(out, { recursive: true });
    total += await timed(async () => {
      await docker('pull', '--platform', platform, image);
      const { stdout } = await docker('create', '--platform', platform, image);
      const id = stdout.trim();
      await docker('cp', `${id}:${imagePath}`, out);
      await docker('rm', id);
    });
    await docker('rmi', '-f', image);
  }
  return total;
}

/** skopeo copy --all of every artifact the full manifest names, one command each, into one OCI layout. */
async function skopeo(work: string): Promise<number> {
  const layout = join(work, 'skopeo-oci');
  const refs = [
    ...FIXTURE_PLUGINS.map((p) => [`${fixtureRepository.plugin(p.name)}:${p.version}`, p.name]),
    [`${fixtureRepository.rulesfile('falco-rules')}:5.1.0`, 'falco-rules'],
    [`${fixtureRepository.falcoImage}:${FIXTURE_FALCO_IMAGE_TAG}`, 'falco'],
  ];
  return timed(async () => {
    for (const [ref, tag] of refs)
      await run('skopeo', ['copy', '--all', '--quiet', '--src-tls-verify=false', `docker://${registry}/${ref}`, `oci:${layout}:${tag}`]);
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  await publishFixturesTo({ registry, plainHttp: true });
  const root = await mkdtemp(join(tmpdir(), 'bench-extract-'));
  const imageManifest = join(root, 'image-only.yaml');
  const fullManifest = join(root, 'full.yaml');
  await writeFile(imageManifest, manifestYaml({ imageOnly: true }));
  await writeFile(fullManifest, manifestYaml({ imageOnly: false }));
  const samples = { oursImage: [] as number[], seed: [] as number[], oursAll: [] as number[], skopeo: [] as number[], oursRerun: [] as number[] };
  try {
    for (let round = 0; round < rounds; round++) {
      const work = join(root, `round-${round}`);
      samples.seed.push(await seed(work));
      samples.oursImage.push(await ours(work, imageManifest, 'ours-image'));
      samples.skopeo.push(await skopeo(work));
      samples.oursAll.push(await ours(work, fullManifest, 'ours-all'));
      // Same output and cache again: nothing changed, so nothing may be downloaded or rewritten.
      samples.oursRerun.push(await ours(work, fullManifest, 'ours-all'));
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  const result = {
    rounds,
    medianMs: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, Math.round(median(v))])),
    ratios: {
      oursVsSeed: median(samples.oursImage) / median(samples.seed),
      oursVsSkopeo: median(samples.oursAll) / median(samples.skopeo),
    },
    goals: { oursVsSeed: 0.5, oursVsSkopeo: 1.2, rerunMs: 1000 },
  };
  if (values.json) {
    console.log(JSON.stringify(result));
    return;
  }
  const ms = (n: number) => `${n.toString().padStart(6)} ms`;
  console.log(`extract bench, median of ${rounds} cold round(s), fixtures on ${registry}`);
  console.log(`  (a) Falco image plugin, ${PLATFORMS.length} platforms`);
  console.log(`      docker pull + create + cp        ${ms(result.medianMs.seed!)}`);
  console.log(`      falco-airgap extract             ${ms(result.medianMs.oursImage!)}   ratio ${result.ratios.oursVsSeed.toFixed(2)}x (goal <= 0.5x)`);
  console.log(`  (b) whole fixture manifest: ${FIXTURE_PLUGINS.length} plugins, rules, image`);
  console.log(`      skopeo copy --all, per artifact  ${ms(result.medianMs.skopeo!)}`);
  console.log(`      falco-airgap extract             ${ms(result.medianMs.oursAll!)}   ratio ${result.ratios.oursVsSkopeo.toFixed(2)}x (goal <= 1.2x)`);
  console.log(`  (c) the same extract again, nothing changed`);
  console.log(`      falco-airgap extract             ${ms(result.medianMs.oursRerun!)}   (goal < 1000 ms)`);
}

await main();
