// Times `falco-airgap build --push` against the same builds through the `docker build` CLI, in one
// run on the testbed engine, every round clean (the images of both sides removed first):
//   (a) a clean build and push of the three images: ours vs docker build + docker push with the same
//       Dockerfiles, contexts, build args and labels, in the same order (falco and plugin-loader in
//       parallel, then s3-loader); goal at most 1.1x
//   (b) a rebuild after one plugin changed vs the clean build; goal at most 0.3x
//   node bench/build/bench.ts [--rounds N] [--json] [--cli PATH-TO-bin.js]
// Needs the testbed (tools/testbed/testbed up docker registry), a built CLI and loader (npm run build).
import { createDockerEngine } from '@falco-airgap/container-engine';
import { buildRealPlugins, compilePlugin } from '@falco-airgap/fixtures';
import { planImageSet, type ImagePlan } from '@falco-airgap/image-builder';
import { ensureImageBases, writeFixtureLock, type FixtureLock } from '@falco-airgap/test-support';
import { requireTestbed } from '@falco-airgap/testbed/env';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs, promisify } from 'node:util';

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, '../..');
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, json: { type: 'boolean', default: false }, cli: { type: 'string' } } });
const rounds = Math.max(1, Number(values.rounds));
const env = requireTestbed('TESTBED_REGISTRY', 'TESTBED_DOCKER_HOST', 'TESTBED_DOCKER_CLI');
const registry = env.TESTBED_REGISTRY!;
const dockerDir = join(repoRoot, 'docker');
const loader = join(repoRoot, 'apps/s3-loader/dist/falco-s3-loader');
const cliDist = values.cli ? resolve(values.cli) : join(repoRoot, 'apps/orchestrator/dist/bin.js');
for (const file of [cliDist, loader]) if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build first`);

const docker = (...args: string[]) => run(env.TESTBED_DOCKER_CLI!, ['--host', env.TESTBED_DOCKER_HOST!, ...args], { maxBuffer: 64 * 1024 * 1024 });

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

async function fixtureLock(dir: string, jsonVersion: string): Promise<FixtureLock> {
  const real = await buildRealPlugins();
  const k8saudit = real.plugins.find((p) => p.name === 'k8saudit')!;
  const json = compilePlugin({ name: 'json', version: jsonVersion, apiVersion: '3.9.0' });
  const k8sBytes = { 'linux/amd64': await readFile(k8saudit.files['linux/amd64']), 'linux/arm64': await readFile(k8saudit.files['linux/arm64']) };
  return writeFixtureLock(dir, {
    plugins: [
      { name: 'k8saudit', version: k8saudit.version, bytes: (platform) => k8sBytes[platform] },
      { name: 'json', version: jsonVersion, bytes: (platform) => Buffer.from(json.find((b) => b.platform === platform)!.library) },
    ],
    rulesfiles: [{ name: 'falco-rules', version: '5.1.0', files: [{ file: 'falco_rules.yaml', text: '- rule: Bench rule\n  condition: evt.type = open\n' }] }],
  });
}

/** Our build as users run it: the CLI process, start-up included. */
function ours(work: string, target: string, bases: { base: string; falco: string }): Promise<number> {
  return timed(() =>
    run(
      process.execPath,
      [
        cliDist,
        '--quiet',
        'build',
        '--push',
        '--registry',
        target,
        '--plain-http',
        registry,
        '--docker-dir',
        dockerDir,
        '--s3-loader-binary',
        loader,
        '--base-image',
        bases.base,
        '--falco-image',
        bases.falco,
      ],
      { cwd: work, env: { ...process.env, DOCKER_HOST: env.TESTBED_DOCKER_HOST!, DOCKER_CONFIG: join(work, 'docker-config') } },
    ),
  );
}

/** The contexts our builder would send, unpacked into directories the docker CLI builds from. */
async function unpackContexts(plans: ImagePlan[], into: string): Promise<Map<string, string>> {
  const dirs = new Map<string, string>();
  for (const plan of plans) {
    const dir = join(into, plan.name);
    await mkdir(dir, { recursive: true });
    const tarFile = join(into, `${plan.name}.tar`);
    await pipeline(plan.context.pack(), createWriteStream(tarFile));
    await run('tar', ['-xf', tarFile, '-C', dir]);
    dirs.set(plan.name, dir);
  }
  return dirs;
}

/** The same builds through `docker build` and `docker push`, in the same order, with the same args and labels. */
function theirs(plans: ImagePlan[], dirs: Map<string, string>, target: string, ourTarget: string): Promise<number> {
  const retarget = (value: string) => value.replaceAll(ourTarget, target);
  const buildAndPush = async (plan: ImagePlan) => {
    const args = ['build', '--quiet', '-f', join(dirs.get(plan.name)!, plan.dockerfile)];
    const buildArgs = { ...plan.buildArgs, FALCO_AIRGAP_CONTEXT_DIGEST: plan.contextDigest };
    for (const [name, value] of Object.entries(buildArgs)) args.push('--build-arg', `${name}=${retarget(value)}`);
    for (const [name, value] of Object.entries(plan.labels)) args.push('--label', `${name}=${value}`);
    for (const reference of plan.references) args.push('-t', retarget(reference));
    await docker(...args, dirs.get(plan.name)!);
    for (const reference of plan.references) await docker('push', '--quiet', retarget(reference));
  };
  const byName = (name: string) => plans.find((p) => p.name === name)!;
  return timed(async () => {
    const falco = buildAndPush(byName('falco'));
    const pluginLoader = buildAndPush(byName('plugin-loader'));
    await falco;
    await Promise.all([buildAndPush(byName('s3-loader')), pluginLoader]);
  });
}

/** Removes every image under a registry path, and the build cache they leave. */
async function removeImages(prefix: string): Promise<void> {
  const { stdout } = await docker('images', '--format', '{{.Repository}}:{{.Tag}}');
  const tags = stdout.split('\n').filter((line) => line.startsWith(`${prefix}/`));
  if (tags.length) await docker('rmi', '--force', ...tags);
  await docker('image', 'prune', '--force');
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const bases = await ensureImageBases(createDockerEngine({ host: env.TESTBED_DOCKER_HOST }));
  const root = await mkdtemp(join(tmpdir(), 'bench-build-'));
  const session = randomBytes(3).toString('hex');
  const samples = { ours: [] as number[], theirs: [] as number[], incremental: [] as number[] };
  try {
    for (let round = 0; round < rounds; round++) {
      const work = join(root, `round-${round}`);
      const fixture = await fixtureLock(work, '0.7.4');
      await mkdir(join(work, 'docker-config'));
      const ourTarget = `${registry}/bench-build-${session}-${round}-ours`;
      const theirTarget = `${registry}/bench-build-${session}-${round}-docker`;
      const plans = await planImageSet({
        images: ['falco', 's3-loader', 'plugin-loader'],
        registry: ourTarget,
        falcoVersion: '0.44.1',
        baseImage: bases.base,
        falcoImage: bases.falco,
        dockerDir,
        lock: { lock: fixture.lock, lockBytes: await readFile(fixture.lockPath), extractedDir: fixture.extractedDir },
        s3LoaderBinary: loader,
      });
      const dirs = await unpackContexts(plans, join(work, 'contexts'));

      // Alternate who goes first, so neither side always meets a warmer page cache.
      const sides = [
        async () => samples.theirs.push(await theirs(plans, dirs, theirTarget, ourTarget)),
        async () => {
          samples.ours.push(await ours(work, ourTarget, bases));
          // Then one plugin changes: only the plugin-loader image contains it.
          await fixtureLock(work, '0.7.5');
          samples.incremental.push(await ours(work, ourTarget, bases));
        },
      ];
      for (const side of round % 2 ? sides.reverse() : sides) {
        await removeImages(`${registry}/bench-build-${session}`);
        await side();
      }
      await removeImages(`${registry}/bench-build-${session}`);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  const result = {
    rounds,
    medianMs: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, Math.round(median(v))])),
    ratios: { cleanVsDockerBuild: median(samples.ours) / median(samples.theirs), incrementalVsClean: median(samples.incremental) / median(samples.ours) },
    goals: { cleanVsDockerBuild: 1.1, incrementalVsClean: 0.3 },
  };
  if (values.json) {
    console.log(JSON.stringify(result));
    return;
  }
  const ms = (n: number) => `${n.toString().padStart(7)} ms`;
  console.log(`build bench, median of ${rounds} round(s) on the testbed engine, pushing to ${registry}`);
  console.log(`  (a) clean build + push of falco, falco-s3-loader, falco-plugin-loader`);
  console.log(`      docker build + docker push         ${ms(result.medianMs.theirs!)}`);
  console.log(`      falco-airgap build --push          ${ms(result.medianMs.ours!)}   ratio ${result.ratios.cleanVsDockerBuild.toFixed(2)}x (goal <= 1.1x)`);
  console.log(`  (b) one plugin changed, against the clean build`);
  console.log(
    `      falco-airgap build --push          ${ms(result.medianMs.incremental!)}   ratio ${result.ratios.incrementalVsClean.toFixed(2)}x (goal <= 0.3x)`,
  );
}

await main();
