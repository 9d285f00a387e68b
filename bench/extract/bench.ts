// Times `falco-airgap extract` against the tools users mirror plugins with otherwise, in one run on
// the same content from the testbed registry, every cold round with empty caches and fresh outputs:
//   (a) the seed approach: docker pull + docker create + docker cp per platform of the Falco image
//   (b) skopeo copy --all of every artifact the fixture manifest names into an OCI layout directory
//   (c) `falcoctl artifact install` of six falcoctl artifacts (real plugins built with the real SDKs,
//       stand-in plugins, the rules), and a raw `curl` of the same blobs
//   (d) a `--locked` re-run with nothing changed, against the cold run it follows
//   (e) bytes written per run (write_bytes of /proc/<pid>/io), against falcoctl's
//   (f) `falco-airgap --version` against a bare `node -e 0`
//   node bench/extract/bench.ts [--rounds N] [--json] [--cli PATH-TO-bin.js] [--baseline PATH-TO-bin.js] [--skip-docker] [--link RTTms,RATE]
// --baseline times another build of the CLI in the same rounds as (c), (d) and (f), for a before/after in the same conditions.
// (c) and (d) also time floor.mjs: the same requests, inflates, hashes and writes in a bare Node.js script, the least Node.js spends here.
// --link (e.g. 30ms,100mbit) puts (c) and (d) behind a relay with that round trip and rate, as a registry across a WAN would be.
// Needs the testbed (tools/testbed/testbed up docker registry plugins) and a built CLI (npm run build).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import {
  FIXTURE_FALCO_IMAGE_TAG,
  FIXTURE_FALCO_VERSION,
  FIXTURE_PLUGIN_DIR,
  FIXTURE_PLUGINS,
  buildRealPlugins,
  falcoctlPush,
  fixtureRepository,
  publishFixturesTo,
} from '@falco-airgap/fixtures';
import { parseLink, tcpProxy, type LinkMode, type TcpProxy } from '@falco-airgap/test-support';
import { requireTestbed } from '@falco-airgap/testbed/env';

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, '../..');
const PLATFORMS = ['linux/amd64', 'linux/arm64'] as const;
/** falcoctl installs one platform, so the comparison with it mirrors one platform too. */
const PEER_PLATFORM = 'linux/amd64';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
    cli: { type: 'string' },
    baseline: { type: 'string' },
    'skip-docker': { type: 'boolean', default: false },
    link: { type: 'string' },
  },
});
const link: LinkMode | undefined = values.link ? parseLink(values.link) : undefined;
const rounds = Math.max(1, Number(values.rounds));
const env = requireTestbed('TESTBED_REGISTRY', 'TESTBED_DOCKER_HOST', 'TESTBED_FALCOCTL');
const registry = env.TESTBED_REGISTRY!;
const falcoctl = env.TESTBED_FALCOCTL!;
const dockerEnv = { ...process.env, DOCKER_HOST: env.TESTBED_DOCKER_HOST! };
const image = `${registry}/${fixtureRepository.falcoImage}:${FIXTURE_FALCO_IMAGE_TAG}`;
const imagePath = `${FIXTURE_PLUGIN_DIR}/libcontainer.so`;

const cliDist = values.cli ? resolve(values.cli) : join(repoRoot, 'apps/orchestrator/dist/bin.js');
if (!existsSync(cliDist)) throw new Error(`${cliDist} is missing: run npm run build first`);
const baselineDist = values.baseline ? resolve(values.baseline) : undefined;
if (baselineDist && !existsSync(baselineDist)) throw new Error(`${baselineDist} is missing`);

/** One process run: wall time, CPU time and the bytes it (and its children) wrote to storage. */
interface Measured {
  ms: number;
  cpuMs: number;
  writtenBytes: number;
  stdout: string;
}

/**
 * Runs a command under `sh`, which reads its own /proc/<pid>/io and stat after the command exits: a
 * reaped child's I/O and CPU count to its parent, so they cover the command and everything it started.
 */
async function measured(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; stdoutFile: string }): Promise<Measured> {
  const script = 'out="$1"; shift; "$@" > "$out"; rc=$?; cat /proc/$$/io /proc/$$/stat; exit $rc';
  const started = performance.now();
  const { stdout } = await run('sh', ['-c', script, 'sh', options.stdoutFile, command, ...args], {
    env: options.env ?? process.env,
    maxBuffer: 16 * 1024 * 1024,
  }).catch(async (error: Error) => {
    const output = await readFile(options.stdoutFile, 'utf8').catch(() => '');
    throw new Error(`${command} ${args.join(' ')} failed: ${(error as { stderr?: string }).stderr ?? ''}${output}`, { cause: error });
  });
  const ms = performance.now() - started;
  const writtenBytes = Number(/^write_bytes: (\d+)$/m.exec(stdout)?.[1] ?? NaN);
  // cutime and cstime (fields 16 and 17 of stat) are in clock ticks of 10 ms.
  const stat = stdout.trim().split('\n').at(-1)!.split(') ')[1]!.split(' ');
  const cpuMs = (Number(stat[13]) + Number(stat[14])) * 10;
  return { ms, cpuMs, writtenBytes, stdout: await readFile(options.stdoutFile, 'utf8') };
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

interface PluginSpec {
  name: string;
  version: string;
  reference: string;
}

function manifestYaml(spec: { plugins: PluginSpec[]; image: boolean; rules: PluginSpec[]; platforms: readonly string[] }): string {
  const plugins = [
    ...spec.plugins.map((p) => `  - name: ${p.name}\n    version: ${p.version}\n    from:\n      artifact: ${p.reference}\n`),
    ...(spec.image ? [`  - name: container\n    version: 0.7.1\n    from:\n      image: ${image}\n      path: ${imagePath}\n`] : []),
  ];
  const rules = spec.rules.length
    ? `rulesfiles:\n${spec.rules.map((r) => `  - name: ${r.name}\n    version: ${r.version}\n    from:\n      artifact: ${r.reference}\n`).join('')}`
    : 'rulesfiles: []\n';
  return `apiVersion: falco-airgap/v1alpha1\nkind: PluginsManifest\nfalco:\n  version: ${FIXTURE_FALCO_VERSION}\nplatforms: [${spec.platforms.join(', ')}]\nplugins:\n${plugins.length ? plugins.join('') : '  []\n'}${rules}`;
}

/** Our extract as users run it: the built CLI, a cache and output directory of its own, the registry at `host`. */
async function ours(dir: string, manifest: string, extra: string[] = [], cli = cliDist, host = registry): Promise<Measured> {
  await mkdir(dir, { recursive: true });
  return measured(
    process.execPath,
    [cli, '--json', 'extract', '--manifest', manifest, '--out', join(dir, 'plugins'), '--cache-dir', join(dir, 'cache'), '--plain-http', host, ...extra],
    { stdoutFile: join(dir, `stdout-${Date.now()}.jsonl`) },
  );
}

/** The stats of the run's result line: how many blobs it downloaded and how many it read from the cache. */
function resultStats(stdout: string): { blobsDownloaded: number; blobsFromCache: number } {
  const result = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type?: string; data?: { stats?: { blobsDownloaded: number; blobsFromCache: number } } })
    .find((event) => event.type === 'result');
  if (!result?.data?.stats) throw new Error(`extract printed no result with stats:\n${stdout}`);
  return result.data.stats;
}

/** `falcoctl artifact install` of the references into fresh directories, its config and temp files kept apart. */
async function falcoctlInstall(dir: string, references: string[]): Promise<Measured> {
  const home = join(dir, 'home');
  const temp = join(dir, 'tmp');
  for (const d of [home, temp, join(dir, 'plugins'), join(dir, 'rules')]) await mkdir(d, { recursive: true });
  // No index: every reference is given in full, and falcoctl must not reach for the public index.
  await writeFile(join(home, 'falcoctl.yaml'), 'indexes: []\n');
  return measured(
    falcoctl,
    [
      'artifact',
      'install',
      ...references,
      '--plain-http',
      '--platform',
      PEER_PLATFORM,
      '--plugins-dir',
      join(dir, 'plugins'),
      '--rulesfiles-dir',
      join(dir, 'rules'),
      '--config',
      join(home, 'falcoctl.yaml'),
      '--log-format',
      'text',
    ],
    { env: { ...process.env, HOME: home, TMPDIR: temp }, stdoutFile: join(dir, 'falcoctl.log') },
  );
}

/** The config and layer blobs falcoctl and extract download for one platform, as plain URLs on `host`. */
async function blobUrls(references: string[], host: string): Promise<string[]> {
  const accept = ['application/vnd.oci.image.index.v1+json', 'application/vnd.oci.image.manifest.v1+json'].join(', ');
  const get = async (url: string) => {
    const response = await fetch(url, { headers: { accept } });
    if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
    return (await response.json()) as {
      manifests?: { digest: string; platform?: { os: string; architecture: string } }[];
      config?: { digest: string };
      layers?: { digest: string }[];
    };
  };
  const urls: string[] = [];
  for (const reference of references) {
    const [, repository, tag] = /^[^/]+\/(.+):([^:/]+)$/.exec(reference)!;
    const base = `http://${host}/v2/${repository}`;
    let document = await get(`${base}/manifests/${tag}`);
    if (document.manifests) {
      const [os, architecture] = PEER_PLATFORM.split('/');
      const entry = document.manifests.find((m) => m.platform?.os === os && m.platform?.architecture === architecture)!;
      document = await get(`${base}/manifests/${entry.digest}`);
    }
    for (const digest of [document.config!.digest, ...document.layers!.map((l) => l.digest)]) urls.push(`${base}/blobs/${digest}`);
  }
  return urls;
}

/** One curl process GETting every blob, each into its own file. */
async function curl(dir: string, urls: string[]): Promise<Measured> {
  await mkdir(dir, { recursive: true });
  const args = ['-sS', '--fail'];
  urls.forEach((url, i) => args.push('-o', join(dir, `blob-${i}`), url));
  return measured('curl', args, { stdoutFile: join(dir, 'curl.log') });
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

/** floor.mjs in one mode: the same work as (c) or (d) in a bare Node.js script. */
async function floor(dir: string, mode: 'cold' | 'locked', target: string, references: string[]): Promise<Measured> {
  await mkdir(dir, { recursive: true });
  return measured(process.execPath, [join(import.meta.dirname, 'floor.mjs'), mode, target, ...references], { stdoutFile: join(dir, `${mode}.log`) });
}

async function startupMs(command: string, args: string[]): Promise<number> {
  return timed(() => run(command, args));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  await publishFixturesTo({ registry, plainHttp: true });
  // The real plugin-sdk-go and C++ plugins, pushed with falcoctl into repositories of the bench's own, so no test moves their tags meanwhile.
  const real = await buildRealPlugins();
  const realPlugins: PluginSpec[] = [];
  for (const plugin of real.plugins) {
    const repository = `falco-airgap-bench/extract/plugin/${plugin.name}`;
    realPlugins.push({
      name: plugin.name,
      version: plugin.version,
      reference: await falcoctlPush(real.falcoctl.path, { registry, plainHttp: true, repository, plugin, requires: true }),
    });
  }
  // Six falcoctl artifacts: the real plugins as falcoctl pushed them, three stand-ins, the rules.
  const six: PluginSpec[] = [
    ...realPlugins,
    ...FIXTURE_PLUGINS.filter((p) => p.name !== 'k8saudit').map((p) => ({
      name: p.name,
      version: p.version,
      reference: `${registry}/${fixtureRepository.plugin(p.name)}:${p.version}`,
    })),
  ];
  const rules: PluginSpec = { name: 'falco-rules', version: '5.1.0', reference: `${registry}/${fixtureRepository.rulesfile('falco-rules')}:5.1.0` };
  if (six.length + 1 !== 6) throw new Error(`expected six artifacts, have ${six.length + 1}`);
  // (c) and (d) reach the registry through the link when one is given, every side alike.
  const relay: TcpProxy | undefined = link ? await tcpProxy({ host: registry.split(':')[0]!, port: Number(registry.split(':')[1] ?? 80) }, link) : undefined;
  const linked = relay ? `127.0.0.1:${relay.port}` : registry;
  const overLink = (spec: PluginSpec): PluginSpec => {
    if (!spec.reference.startsWith(`${registry}/`)) throw new Error(`${spec.reference} is not on ${registry}`);
    return { ...spec, reference: `${linked}${spec.reference.slice(registry.length)}` };
  };
  const sixOverLink = six.map(overLink);
  const rulesOverLink = overLink(rules);
  const peerReferences = [...sixOverLink.map((p) => p.reference), rulesOverLink.reference];

  const root = await mkdtemp(join(tmpdir(), 'bench-extract-'));
  const manifests = {
    image: join(root, 'image-only.yaml'),
    full: join(root, 'full.yaml'),
    six: join(root, 'six.yaml'),
  };
  const fixturePlugins = FIXTURE_PLUGINS.map((p) => ({ ...p, reference: `${registry}/${fixtureRepository.plugin(p.name)}:${p.version}` }));
  await writeFile(manifests.image, manifestYaml({ plugins: [], image: true, rules: [], platforms: PLATFORMS }));
  await writeFile(manifests.full, manifestYaml({ plugins: fixturePlugins, image: true, rules: [rules], platforms: PLATFORMS }));
  await writeFile(manifests.six, manifestYaml({ plugins: sixOverLink, image: false, rules: [rulesOverLink], platforms: [PEER_PLATFORM] }));
  const urls = await blobUrls(peerReferences, linked);

  const samples = {
    seed: [] as number[],
    oursImage: [] as number[],
    skopeo: [] as number[],
    oursAll: [] as number[],
    falcoctl: [] as number[],
    curl: [] as number[],
    oursSix: [] as number[],
    oursLocked: [] as number[],
    falcoctlCpu: [] as number[],
    curlCpu: [] as number[],
    oursSixCpu: [] as number[],
    oursLockedCpu: [] as number[],
    falcoctlWritten: [] as number[],
    oursWritten: [] as number[],
    oursLockedWritten: [] as number[],
    floorCold: [] as number[],
    floorLocked: [] as number[],
    curlWritten: [] as number[],
    node: [] as number[],
    version: [] as number[],
    baseSix: [] as number[],
    baseSixCpu: [] as number[],
    baseLocked: [] as number[],
    baseLockedCpu: [] as number[],
    baseVersion: [] as number[],
  };
  const lockedBlobsRead: number[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const work = join(root, `round-${round}`);
      if (!values['skip-docker']) {
        samples.seed.push(await seed(work));
        samples.oursImage.push((await ours(join(work, 'ours-image'), manifests.image)).ms);
        samples.skopeo.push(await skopeo(work));
        samples.oursAll.push((await ours(join(work, 'ours-all'), manifests.full)).ms);
      }
      // The peers and ours alternate inside a round so a load spike hits all of them alike.
      const peer = await falcoctlInstall(join(work, 'falcoctl'), peerReferences);
      samples.falcoctl.push(peer.ms);
      samples.falcoctlCpu.push(peer.cpuMs);
      samples.falcoctlWritten.push(peer.writtenBytes);
      const raw = await curl(join(work, 'curl'), urls);
      samples.curl.push(raw.ms);
      samples.curlCpu.push(raw.cpuMs);
      samples.curlWritten.push(raw.writtenBytes);
      const cold = await ours(join(work, 'ours-six'), manifests.six, [], cliDist, linked);
      samples.oursSix.push(cold.ms);
      samples.oursSixCpu.push(cold.cpuMs);
      samples.oursWritten.push(cold.writtenBytes);
      // Same output and cache, nothing changed: the files on disk are checked against the lock, no layer is read.
      const locked = await ours(join(work, 'ours-six'), manifests.six, ['--locked'], cliDist, linked);
      samples.oursLocked.push(locked.ms);
      samples.oursLockedCpu.push(locked.cpuMs);
      samples.oursLockedWritten.push(locked.writtenBytes);
      const stats = resultStats(locked.stdout);
      lockedBlobsRead.push(stats.blobsDownloaded + stats.blobsFromCache);
      samples.floorCold.push((await floor(join(work, 'floor'), 'cold', join(work, 'floor-out'), peerReferences)).ms);
      samples.floorLocked.push((await floor(join(work, 'floor'), 'locked', join(work, 'ours-six', 'plugins', 'extracted'), peerReferences)).ms);
      if (baselineDist) {
        const baseCold = await ours(join(work, 'base-six'), manifests.six, [], baselineDist, linked);
        samples.baseSix.push(baseCold.ms);
        samples.baseSixCpu.push(baseCold.cpuMs);
        const baseLocked = await ours(join(work, 'base-six'), manifests.six, ['--locked'], baselineDist, linked);
        samples.baseLocked.push(baseLocked.ms);
        samples.baseLockedCpu.push(baseLocked.cpuMs);
      }
      for (let i = 0; i < 5; i++) {
        samples.node.push(await startupMs(process.execPath, ['-e', '0']));
        samples.version.push(await startupMs(process.execPath, [cliDist, '--version']));
        if (baselineDist) samples.baseVersion.push(await startupMs(process.execPath, [baselineDist, '--version']));
      }
      await rm(work, { recursive: true, force: true });
    }
  } finally {
    await relay?.close();
    await rm(root, { recursive: true, force: true });
  }
  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, v.length ? Math.round(median(v)) : undefined])) as Record<
    keyof typeof samples,
    number
  >;
  const result = {
    rounds,
    link: link ? { rttMs: link.rttMs, bitsPerSecond: link.bitsPerSecond } : undefined,
    medians: m,
    lockedBlobsRead: Math.max(...lockedBlobsRead),
    ratios: {
      oursVsSeed: m.seed ? m.oursImage / m.seed : undefined,
      oursVsSkopeo: m.skopeo ? m.oursAll / m.skopeo : undefined,
      oursVsFalcoctl: m.oursSix / m.falcoctl,
      oursVsCurl: m.oursSix / m.curl,
      lockedVsCold: m.oursLocked / m.oursSix,
      writtenVsFalcoctl: m.oursWritten / m.falcoctlWritten,
      versionVsNode: m.version / m.node,
    },
    floors: { coldVsCurl: m.floorCold / m.curl, lockedVsCold: m.floorLocked / m.oursSix },
    cpuRatios: { oursVsFalcoctl: m.oursSixCpu / m.falcoctlCpu, oursVsCurl: m.oursSixCpu / m.curlCpu, lockedVsCold: m.oursLockedCpu / m.oursSixCpu },
    baseline: baselineDist
      ? {
          cli: baselineDist,
          vsFalcoctl: m.baseSix / m.falcoctl,
          vsCurl: m.baseSix / m.curl,
          lockedVsCold: m.baseLocked / m.baseSix,
          versionVsNode: m.baseVersion / m.node,
        }
      : undefined,
    goals: { oursVsSeed: 0.5, oursVsSkopeo: 1.2, oursVsFalcoctl: 1.0, oursVsCurl: 2.0, lockedVsCold: 0.3, writtenVsFalcoctl: 1.5, versionVsNode: 2.0 },
  };
  if (values.json) {
    console.log(JSON.stringify(result));
    return;
  }
  const ms = (n: number | undefined) => `${(n ?? NaN).toString().padStart(6)} ms`;
  const mb = (n: number) => `${(n / 1e6).toFixed(1).padStart(6)} MB`;
  const ratio = (key: keyof typeof result.ratios) => {
    const value = result.ratios[key];
    const goal = result.goals[key];
    if (value === undefined) return '';
    return `ratio ${value.toFixed(2)}x (goal <= ${goal}x) ${value <= goal ? 'met' : 'NOT MET'}`;
  };
  console.log(`extract bench, median of ${rounds} round(s), content on ${registry}`);
  if (!values['skip-docker']) {
    console.log(`  (a) Falco image plugin, ${PLATFORMS.length} platforms, cold`);
    console.log(`      docker pull + create + cp        ${ms(m.seed)}`);
    console.log(`      falco-airgap extract             ${ms(m.oursImage)}   ${ratio('oursVsSeed')}`);
    console.log(`  (b) stand-in manifest: ${FIXTURE_PLUGINS.length} plugins, rules, image, ${PLATFORMS.length} platforms, cold`);
    console.log(`      skopeo copy --all, per artifact  ${ms(m.skopeo)}`);
    console.log(`      falco-airgap extract             ${ms(m.oursAll)}   ${ratio('oursVsSkopeo')}`);
  }
  const path = link ? `, through a link of ${link.rttMs} ms round trip and ${link.bitsPerSecond / 1e6} Mbit/s` : '';
  console.log(`  (c) six falcoctl artifacts (${six.map((p) => p.name).join(', ')}, ${rules.name}), ${PEER_PLATFORM}, cold${path}`);
  const cpu = (n: number | undefined) => `(CPU ${(n ?? NaN).toString().padStart(4)} ms)`;
  console.log(`      falcoctl artifact install        ${ms(m.falcoctl)} ${cpu(m.falcoctlCpu)}`);
  console.log(`      curl of the ${urls.length} blobs             ${ms(m.curl)} ${cpu(m.curlCpu)}`);
  console.log(`      falco-airgap extract             ${ms(m.oursSix)} ${cpu(m.oursSixCpu)}   vs falcoctl ${ratio('oursVsFalcoctl')}`);
  console.log(`                                                                vs curl     ${ratio('oursVsCurl')}`);
  console.log(
    `      bare Node.js script, same work   ${ms(m.floorCold)}   vs curl ${result.floors.coldVsCurl.toFixed(2)}x (floor.mjs: the least Node.js spends)`,
  );
  console.log(`  (d) the same extract again with --locked, nothing changed${path}`);
  console.log(
    `      falco-airgap extract --locked    ${ms(m.oursLocked)} ${cpu(m.oursLockedCpu)}   vs cold ${ratio('lockedVsCold')}; blobs read: ${result.lockedBlobsRead}`,
  );
  console.log(`      bare Node.js script, same check  ${ms(m.floorLocked)}   vs cold ${result.floors.lockedVsCold.toFixed(2)}x (floor.mjs)`);
  console.log(`  (e) bytes written per run (write_bytes)`);
  console.log(`      falcoctl artifact install        ${mb(m.falcoctlWritten)}`);
  console.log(`      curl                             ${mb(m.curlWritten)}`);
  console.log(`      falco-airgap extract, cold       ${mb(m.oursWritten)}   ${ratio('writtenVsFalcoctl')}`);
  console.log(`      falco-airgap extract --locked    ${mb(m.oursLockedWritten)}`);
  console.log(`  (f) start-up`);
  console.log(`      node -e 0                        ${ms(m.node)}`);
  console.log(`      falco-airgap --version           ${ms(m.version)}   ${ratio('versionVsNode')}`);
  if (result.baseline) {
    const x = (n: number) => `${n.toFixed(2)}x`;
    console.log(`  baseline build ${result.baseline.cli}, in the same rounds`);
    console.log(
      `      extract, cold                    ${ms(m.baseSix)} ${cpu(m.baseSixCpu)}   vs falcoctl ${x(result.baseline.vsFalcoctl)}, vs curl ${x(result.baseline.vsCurl)}`,
    );
    console.log(`      extract --locked                 ${ms(m.baseLocked)} ${cpu(m.baseLockedCpu)}   vs cold ${x(result.baseline.lockedVsCold)}`);
    console.log(`      --version                        ${ms(m.baseVersion)}   vs node ${x(result.baseline.versionVsNode)}`);
  }
}

await main();
