// Times `falco-airgap bundle create` and `bundle load` against skopeo moving the same images and artifacts,
// in one run on the testbed's plain registry, every round cold (fresh outputs, fresh target repositories):
//   (a) bundle create (a directory; and an archive, for its figure) vs `skopeo copy --all` of every image and
//       artifact into one OCI layout directory, one command per reference as a script would; goal at most 1.0x
//   (b) bundle load of that directory (verify everything, then push) vs `skopeo copy --all` from the layout into
//       the registry; goal at most 1.0x
//   (c) peak RSS of create and load (directory and archive) for a bundle of at least 1 GiB; goal under 200 MB
//   node bench/bundle/bench.ts [--rounds N] [--json] [--size-mib N] [--cli bin.js|bin.ts|single executable]
// Needs the testbed (tools/testbed/testbed up registry) and skopeo.
import { publishFixturesTo } from '@falco-airgap/fixtures';
import { parseLock } from '@falco-airgap/manifest';
import { createRegistryClient } from '@falco-airgap/oci';
import { requireTestbed } from '@falco-airgap/testbed/env';
import { execFile } from 'node:child_process';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, '../..');
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
    'size-mib': { type: 'string', default: '1100' },
    cli: { type: 'string' },
  },
});
const rounds = Math.max(1, Number(values.rounds));
const sizeMiB = Math.max(16, Number(values['size-mib']));
const env = requireTestbed('TESTBED_REGISTRY', 'TESTBED_REGISTRY_AUTH', 'TESTBED_REGISTRY_AUTH_USER', 'TESTBED_REGISTRY_AUTH_PASSWORD', 'TESTBED_CA_FILE');
const registry = env.TESTBED_REGISTRY!;
// The isolated side is another registry (TLS, basic auth): nothing there can be linked from the connected side's repositories.
const isolated = env.TESTBED_REGISTRY_AUTH!;
const builtCli = join(repoRoot, 'apps/orchestrator/dist');
// A snapshot of the build, beside it so its dependencies resolve: a rebuild in the checkout during the run cannot pull it away.
const snapshot = join(repoRoot, 'apps/orchestrator/.bench', String(process.pid), 'dist');
const cli = values.cli ? resolve(values.cli) : join(snapshot, 'bin.js');
// bin.js (or bin.ts from the sources) runs under this Node; anything else is the single executable (build:sea), run as it is.
const single = !/\.[jt]s$/.test(cli);
const cliCommand = single ? cli : process.execPath;
const cliArgs = cli.endsWith('.ts') ? ['--conditions=@falco-airgap/source', '--disable-warning=ExperimentalWarning', cli] : single ? [] : [cli];
// skopeo remembers where it saw each blob and mounts it from there instead of uploading: every skopeo load starts without that memory, as on a new machine.
const SKOPEO_BLOB_CACHE = '/var/lib/containers/cache/blob-info-cache-v1.boltdb';
const FALCO_VERSION = '0.44.1';
const IMAGES = ['falco', 'falco-s3-loader', 'falco-plugin-loader'];
const LAYERS_PER_IMAGE = 3;

interface Measured {
  ms: number;
  cpuMs: number;
  maxRssKiB: number;
  stdout: string;
}

/** One process under /usr/bin/time: wall time, CPU time (user + system) and the peak resident set. */
async function measured(command: string, args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<Measured> {
  if (command === 'skopeo') await rm(SKOPEO_BLOB_CACHE, { force: true });
  const started = performance.now();
  const { stdout, stderr } = await run('/usr/bin/time', ['-f', 'bench-time %U %S %M', command, ...args], {
    cwd,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, ...extraEnv },
  }).catch((error: Error & { stderr?: string; stdout?: string }) => {
    throw new Error(`${command} ${args.join(' ')} failed:\n${error.stderr ?? ''}${error.stdout ?? ''}`, { cause: error });
  });
  const ms = performance.now() - started;
  const [, user, system, rss] = /bench-time ([\d.]+) ([\d.]+) (\d+)/.exec(stderr) ?? [];
  return { ms, cpuMs: (Number(user) + Number(system)) * 1000, maxRssKiB: Number(rss), stdout };
}

/** Several commands one after the other, as a script runs them: summed times, the largest peak. */
async function sequence(commands: [string, string[]][], cwd: string): Promise<Measured> {
  const total: Measured = { ms: 0, cpuMs: 0, maxRssKiB: 0, stdout: '' };
  for (const [command, args] of commands) {
    const one = await measured(command, args, cwd);
    total.ms += one.ms;
    total.cpuMs += one.cpuMs;
    total.maxRssKiB = Math.max(total.maxRssKiB, one.maxRssKiB);
  }
  return total;
}

/** Bytes that do not compress, the same for the same seed (AES-CTR of zeros), written to a file with their digest. */
async function noiseFile(file: string, seed: string, size: number): Promise<{ digest: string; size: number }> {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const hash = createHash('sha256');
  const out = createWriteStream(file);
  const zeros = Buffer.alloc(4 * 1024 * 1024);
  for (let left = size; left > 0; left -= zeros.length) {
    const chunk = cipher.update(zeros.subarray(0, Math.min(zeros.length, left)));
    hash.update(chunk);
    if (!out.write(chunk)) await new Promise((done) => out.once('drain', done));
  }
  await new Promise<void>((done, fail) => out.end((error?: Error | null) => (error ? fail(error) : done())));
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

/** The three images, `sizeMiB` in all of incompressible layers, pushed once under `path` (the same content every run). */
async function pushImages(work: string, path: string): Promise<void> {
  const client = await createRegistryClient({ plainHttp: [registry] });
  try {
    const layerSize = Math.floor((sizeMiB * 1024 * 1024) / (IMAGES.length * LAYERS_PER_IMAGE));
    for (const name of IMAGES) {
      const location = { registry, repository: `${path}/${name}` };
      if (await client.headManifest(location, FALCO_VERSION)) continue;
      const layers = [];
      for (let i = 0; i < LAYERS_PER_IMAGE; i++) {
        const file = join(work, `${name}-${i}.layer`);
        const layer = await noiseFile(file, `bench-bundle ${name} ${i} ${layerSize}`, layerSize);
        await client.pushBlob(location, { path: file, ...layer });
        await rm(file);
        layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer });
      }
      const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) } }));
      const configDigest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
      await client.pushBlob(location, config);
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
          layers,
        }),
      );
      await client.putManifest(location, FALCO_VERSION, manifest, 'application/vnd.oci.image.manifest.v1+json');
    }
  } finally {
    await client.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = (kib: number) => `${(kib / 1024).toFixed(0)} MB`;

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'bench-bundle-'));
  const session = randomBytes(3).toString('hex');
  const imagePath = `bench-bundle-${sizeMiB}`;
  try {
    // The connected side: fixtures, a lock from extract, the images, an environment naming them.
    await publishFixturesTo({ registry, plainHttp: true });
    const shipped = await readFile(join(repoRoot, 'plugins/plugins-manifest.yaml'), 'utf8');
    await writeFile(join(root, 'manifest.yaml'), shipped.replaceAll('ghcr.io/', `${registry}/`).replaceAll('docker.io/', `${registry}/`));
    await measured(cliCommand, [...cliArgs, '--quiet', 'extract', '--manifest', 'manifest.yaml', '--plain-http', registry, '--cache-dir', 'cache'], root);
    await pushImages(root, imagePath);
    const auth = Buffer.from(`${env.TESTBED_REGISTRY_AUTH_USER}:${env.TESTBED_REGISTRY_AUTH_PASSWORD}`).toString('base64');
    await mkdir(join(root, 'docker-config'));
    await writeFile(join(root, 'docker-config', 'config.json'), JSON.stringify({ auths: { [isolated]: { auth } } }));
    await mkdir(join(root, 'certs'));
    await writeFile(join(root, 'certs', 'ca.crt'), await readFile(env.TESTBED_CA_FILE!));
    await writeFile(
      join(root, 'falco-airgap.config.yaml'),
      `apiVersion: falco-airgap/v1\nkind: Config\nenvironments:\n  bench:\n    registry: { host: ${registry}/${imagePath}, plainHttp: true }\n    cluster: { kubeContext: bench }\n`,
    );
    const lock = parseLock(await readFile(join(root, 'plugins/plugins-lock.yaml'), 'utf8'));
    // Every reference the bundle carries, as skopeo names them: the lock's sources by digest, the images by tag.
    const sources = [...lock.plugins, ...lock.rulesfiles].map((entry) => {
      const source = 'artifact' in entry.source ? entry.source.artifact : entry.source.image;
      return { ref: `${source.replace(/:[^:/]+$/, '')}@${entry.resolvedDigest}`, name: source.slice(registry.length + 1) };
    });
    const refs = [
      ...new Map(
        [...sources, ...IMAGES.map((i) => ({ ref: `${registry}/${imagePath}/${i}:${FALCO_VERSION}`, name: `${i}:${FALCO_VERSION}` }))].map((r) => [r.name, r]),
      ).values(),
    ];

    const samples = {
      createOurs: [] as Measured[],
      createArchive: [] as Measured[],
      createSkopeo: [] as Measured[],
      loadOurs: [] as Measured[],
      loadArchive: [] as Measured[],
      loadSkopeo: [] as Measured[],
    };
    let bundleBytes = 0;
    for (let round = 0; round < rounds; round++) {
      const dir = join(root, `round-${round}`);
      await mkdir(dir);
      const create = (out: string) => [
        ...cliArgs,
        '--quiet',
        'bundle',
        'create',
        '--env',
        'bench',
        '--out',
        out,
        '--chart',
        join(repoRoot, 'helm/falco-airgap'),
        '--no-cli-binary',
        '--no-s3-loader-binary',
        '--created-at',
        '2026-01-01T00:00:00Z',
      ];
      // Both sides start cold: nothing cached, every blob crosses the network.
      samples.createOurs.push(await measured(cliCommand, create(join(dir, 'ours')), root));
      samples.createSkopeo.push(
        await sequence(
          refs.map((r) => ['skopeo', ['copy', '--all', '--quiet', '--src-tls-verify=false', `docker://${r.ref}`, `oci:${join(dir, 'skopeo')}:${r.name}`]]),
          root,
        ),
      );
      samples.createArchive.push(await measured(cliCommand, create(join(dir, 'ours.tar')), root));
      bundleBytes = (await stat(join(dir, 'ours.tar'))).size;

      const target = (side: string) => `${isolated}/bench-load-${session}-${round}-${side}`;
      const load = (bundle: string, side: string) => [
        ...cliArgs,
        '--quiet',
        'bundle',
        'load',
        bundle,
        '--env',
        'bench',
        '--registry',
        target(side),
        '--ca-file',
        env.TESTBED_CA_FILE!,
        '--no-publish',
        '--state-dir',
        join(dir, `state-${side}`),
      ];
      samples.loadOurs.push(await measured(cliCommand, load(join(dir, 'ours'), 'ours'), root, { DOCKER_CONFIG: join(root, 'docker-config') }));
      samples.loadSkopeo.push(
        await sequence(
          refs.map((r) => [
            'skopeo',
            [
              'copy',
              '--all',
              '--quiet',
              '--dest-cert-dir',
              join(root, 'certs'),
              '--dest-creds',
              `${env.TESTBED_REGISTRY_AUTH_USER}:${env.TESTBED_REGISTRY_AUTH_PASSWORD}`,
              `oci:${join(dir, 'skopeo')}:${r.name}`,
              `docker://${target('skopeo')}/${r.name.replace(/@.*$/, '')}`,
            ],
          ]),
          root,
        ),
      );
      samples.loadArchive.push(await measured(cliCommand, load(join(dir, 'ours.tar'), 'archive'), root, { DOCKER_CONFIG: join(root, 'docker-config') }));
      await rm(dir, { recursive: true, force: true });
    }

    const pick = (xs: Measured[]) => ({
      ms: median(xs.map((x) => x.ms)),
      cpuMs: median(xs.map((x) => x.cpuMs)),
      maxRssKiB: Math.max(...xs.map((x) => x.maxRssKiB)),
    });
    const figures = {
      bundleBytes,
      references: refs.length,
      createOurs: pick(samples.createOurs),
      createArchive: pick(samples.createArchive),
      createSkopeo: pick(samples.createSkopeo),
      loadOurs: pick(samples.loadOurs),
      loadArchive: pick(samples.loadArchive),
      loadSkopeo: pick(samples.loadSkopeo),
    };
    if (values.json) {
      console.log(JSON.stringify(figures));
      return;
    }
    const line = (label: string, ours: ReturnType<typeof pick>, theirs: ReturnType<typeof pick>, goal: string) =>
      `${label.padEnd(46)} ${Math.round(ours.ms)} / ${Math.round(theirs.ms)} ms = ${(ours.ms / theirs.ms).toFixed(2)}x (CPU ${Math.round(ours.cpuMs)} / ${Math.round(theirs.cpuMs)} ms)  goal ${goal}`;
    console.log(`bundle of ${(bundleBytes / 1024 ** 3).toFixed(2)} GiB, ${refs.length} references, medians of ${rounds} rounds`);
    console.log(line('(a) bundle create (directory) vs skopeo copy', figures.createOurs, figures.createSkopeo, '<= 1.0x'));
    console.log(line('    bundle create (archive) vs skopeo copy', figures.createArchive, figures.createSkopeo, '—'));
    console.log(line('(b) bundle load (directory) vs skopeo copy', figures.loadOurs, figures.loadSkopeo, '<= 1.0x'));
    console.log(line('    bundle load (archive) vs skopeo copy', figures.loadArchive, figures.loadSkopeo, '—'));
    console.log(
      `(c) peak RSS: create ${mb(figures.createOurs.maxRssKiB)} (archive ${mb(figures.createArchive.maxRssKiB)}), load ${mb(figures.loadOurs.maxRssKiB)} (archive ${mb(figures.loadArchive.maxRssKiB)}); skopeo ${mb(Math.max(figures.createSkopeo.maxRssKiB, figures.loadSkopeo.maxRssKiB))}  goal < 200 MB`,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

if (!values.cli) {
  if (!existsSync(join(builtCli, 'bin.js'))) throw new Error(`${builtCli}/bin.js is missing: run npm run build first`);
  await cp(builtCli, snapshot, { recursive: true, filter: (source) => !source.endsWith('falco-airgap') });
  // The CLI reads its version from the package.json above its dist/.
  await cp(join(builtCli, '../package.json'), join(snapshot, '../package.json'));
}
try {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
  await main();
} finally {
  await rm(join(repoRoot, 'apps/orchestrator/.bench', String(process.pid)), { recursive: true, force: true });
}
