// npm run release:verify: rehearse a release into a throwaway internal registry (Verdaccio, no uplinks),
// then install it into an empty project the way a user behind the company registry would.
// Nothing in the repository changes: versioning and publishing happen in a temp copy of the workspace.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { VerifyError } from './errors.ts';
import { groupIsAlive, killGroup, run, runningGroups, runOk, type RunOptions } from './processes.ts';
import { redact, renderChangeset, renderNpmrc, summaryLine } from './release-files.ts';
import { runSteps, type Step } from './step-runner.ts';
import { startVerdaccio, type RunningVerdaccio } from './verdaccio.ts';
import { copyWorkspace, listWorkspacePackages, type WorkspacePackage } from './workspace-copy.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'node_modules', '.bin');
const FIXTURES = join(import.meta.dirname, 'consumer');
const SCOPE = '@falco-airgap';
const PUBLISHER = 'release-verify';
const SOURCE_CONDITION = '@falco-airgap/source';
const CONSUMER_DEPENDENCIES = ['typescript@5.9', '@types/node@24'];
const EXPECTED_CONSUMER_OUTPUT = '{"falco":"0.44.1","platforms":["linux/amd64"],"plugins":["json@0.7.4"]}';
const MINUTE = 60_000;

/** What the steps hand each other. */
interface Rehearsal {
  tmp: string;
  signal: AbortSignal;
  secrets: Set<string>;
  /** The registry npm used before we started: where a consumer gets everything outside our scope. */
  defaultRegistry: string;
  workspacePackages: WorkspacePackage[];
  /** The publishable ones. */
  packages: WorkspacePackage[];
  registry?: RunningVerdaccio;
  token?: string;
  /** name -> version published by this run */
  released: Map<string, string>;
}

async function main(): Promise<number> {
  const started = performance.now();
  const controller = new AbortController();
  const secrets = new Set<string>();
  const print = (line: string) => process.stdout.write(`${redact(line, secrets)}\n`);

  const workspacePackages = await listWorkspacePackages(ROOT);
  const footprint = releaseFootprint(workspacePackages);
  const tmp = await mkdtemp(join(tmpdir(), 'falco-airgap-release-'));
  const rehearsal: Rehearsal = {
    tmp,
    signal: controller.signal,
    secrets,
    defaultRegistry: process.env.npm_config_registry || 'https://registry.npmjs.org/',
    workspacePackages,
    packages: workspacePackages.filter((pkg) => !pkg.private),
    released: new Map(),
  };

  let interrupts = 0;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (++interrupts > 1) {
        // A second interrupt: no more waiting, but still nothing left behind.
        rehearsal.registry?.kill();
        for (const pid of runningGroups) killGroup(pid, 'SIGKILL');
        rmSync(tmp, { recursive: true, force: true });
        process.exit(130);
      }
      print(`release:verify: received ${signal}, stopping (again to force)`);
      controller.abort(new Error(`received ${signal}`));
    });
  }

  let counts;
  try {
    counts = await runSteps([...releaseSteps(rehearsal), ...cleanupSteps(rehearsal, footprint)], print, controller.signal);
  } finally {
    await cleanUp(rehearsal);
  }
  print(`release:verify: finished in ${((performance.now() - started) / 1000).toFixed(1)}s`);
  print(summaryLine(counts));
  if (controller.signal.aborted) return 130;
  return counts.failed || counts.skipped ? 1 : 0;
}

function releaseSteps(r: Rehearsal): Step[] {
  const workspace = join(r.tmp, 'workspace');
  const consumer = join(r.tmp, 'consumer');
  const publisherNpmrc = join(r.tmp, 'publisher.npmrc');
  const consumerNpmrc = join(r.tmp, 'consumer.npmrc');
  const nodeBin = join(r.tmp, 'node-bin');
  const cacheDir = join(r.tmp, 'npm-cache');

  // Every child gets the Node 24 that runs this script first on PATH, and none of the npm_* variables
  // `npm run` exported to us: each step says which npm config it uses.
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
    return { ...clean, PATH: [nodeBin, process.env.PATH].join(delimiter), NX_DAEMON: 'false', ...extra };
  };
  const options = (cwd: string, timeoutMs: number, extra?: NodeJS.ProcessEnv): RunOptions => ({ cwd, env: env(extra), timeoutMs, signal: r.signal });
  const asPublisher = { NPM_CONFIG_USERCONFIG: publisherNpmrc };
  const asConsumer = { NPM_CONFIG_USERCONFIG: consumerNpmrc };
  const registry = (): RunningVerdaccio => {
    if (!r.registry || !r.token) throw new VerifyError('the registry is not running', { code: 'RELEASE_VERIFY_REGISTRY' });
    return r.registry;
  };
  const packumentPath = (name: string) => name.replace('/', '%2f');
  const names = r.packages.map((pkg) => pkg.name);

  return [
    {
      title: 'build the workspace packages (npm run build)',
      run: async () => {
        await mkdir(nodeBin, { recursive: true });
        await symlink(process.execPath, join(nodeBin, 'node'));
        await runOk('npm', ['run', 'build'], options(ROOT, 8 * MINUTE));
        return `Node ${process.versions.node}`;
      },
    },
    ...r.packages.map((pkg): Step => ({
      title: `publint ${pkg.dir}`,
      run: async () => {
        const result = await runOk(join(BIN, 'publint'), [pkg.dir], options(ROOT, 2 * MINUTE));
        return result.stdout.includes('All good!') ? 'all good' : `passed with remarks:\n${result.stdout.trim()}`;
      },
    })),
    {
      title: 'start Verdaccio (no uplinks) and register a publisher',
      run: async () => {
        r.registry = await startVerdaccio({
          bin: join(BIN, 'verdaccio'),
          configTemplate: join(import.meta.dirname, 'verdaccio.yaml'),
          dir: join(r.tmp, 'registry'),
          env: env(),
        });
        r.token = await r.registry.addUser(PUBLISHER);
        r.secrets.add(r.token);
        await writeFile(publisherNpmrc, renderNpmrc({ internalRegistry: r.registry.url, token: r.token, cacheDir }), { mode: 0o600 });
        await writeFile(
          consumerNpmrc,
          renderNpmrc({ internalRegistry: r.registry.url, token: r.token, scope: SCOPE, defaultRegistry: r.defaultRegistry, cacheDir }),
          { mode: 0o600 },
        );
        return `${r.registry.url} (pid ${r.registry.pid}), user ${PUBLISHER}`;
      },
    },
    {
      title: 'the registry is offline: packages it does not hold are 404',
      run: async () => {
        for (const name of ['typescript', ...names]) {
          const { status } = await registry().get(packumentPath(name), r.token);
          if (status !== 404) {
            throw new VerifyError(`GET ${name} answered ${status}, expected 404: the registry must not proxy`, {
              code: 'RELEASE_VERIFY_REGISTRY',
              detail: await registry().logTail(),
            });
          }
        }
        return `typescript, ${names.join(', ')}: 404`;
      },
    },
    {
      title: 'changeset version bumps every package (in a temp copy of the workspace)',
      run: async () => {
        await copyWorkspace(ROOT, workspace, r.workspacePackages);
        const changeset = renderChangeset(names, 'minor', 'release:verify rehearsal: bump every package.');
        await writeFile(join(workspace, '.changeset', 'release-verify-rehearsal.md'), changeset);
        await runOk(join(BIN, 'changeset'), ['version'], options(workspace, 2 * MINUTE, asPublisher));

        const bumped = (await listWorkspacePackages(workspace)).filter((pkg) => !pkg.private);
        const changes: string[] = [];
        for (const pkg of bumped) {
          const before = r.packages.find((p) => p.name === pkg.name)?.version;
          if (pkg.version === before) throw mismatch(`${pkg.name} stayed at ${pkg.version}`, 'changeset version did not apply the rehearsal changeset');
          r.released.set(pkg.name, pkg.version);
          changes.push(`${pkg.name} ${before} -> ${pkg.version}`);
        }
        for (const pkg of bumped) {
          for (const [dependency, range] of Object.entries(pkg.dependencies)) {
            const released = r.released.get(dependency);
            if (released && range.replace(/^[\^~]/, '') !== released) {
              throw mismatch(`${pkg.name} depends on ${dependency}@${range}, expected ^${released}`, 'internal dependency ranges must follow the release');
            }
          }
        }
        return changes.join(', ');
      },
    },
    {
      title: 'changeset publish to the internal registry',
      run: async () => {
        // changesets takes the registry from the environment (as `npm run` exports it), not from .npmrc.
        await runOk(
          join(BIN, 'changeset'),
          ['publish', '--no-git-tag'],
          options(workspace, 3 * MINUTE, { ...asPublisher, npm_config_registry: registry().url }),
        );
        for (const [name, version] of r.released) {
          const { status, body } = await registry().get(packumentPath(name), r.token);
          const latest = (body as { 'dist-tags'?: Record<string, string> } | null)?.['dist-tags']?.latest;
          if (status !== 200 || latest !== version) {
            throw new VerifyError(`the registry holds ${name} latest=${latest ?? 'nothing'} (HTTP ${status}), expected ${version}`, {
              code: 'RELEASE_VERIFY_REGISTRY',
              detail: await registry().logTail(),
            });
          }
        }
        return [...r.released].map(([name, version]) => `${name}@${version}`).join(', ');
      },
    },
    {
      title: `npm install the released packages and ${CONSUMER_DEPENDENCIES.join(' ')} into an empty project`,
      run: async () => {
        await mkdir(consumer);
        await runOk('npm', ['init', '-y'], options(consumer, MINUTE, asConsumer));
        await runOk('npm', ['pkg', 'set', 'type=module'], options(consumer, MINUTE, asConsumer));
        // http log lines only show if the step fails: they say which registry answered what.
        await runOk('npm', ['install', '--loglevel=http', ...names, ...CONSUMER_DEPENDENCIES], options(consumer, 5 * MINUTE, asConsumer));

        const lock = JSON.parse(await readFile(join(consumer, 'package-lock.json'), 'utf8')) as {
          packages: Record<string, { version?: string; resolved?: string }>;
        };
        for (const [name, version] of r.released) {
          const entry = lock.packages[`node_modules/${name}`];
          if (entry?.version !== version) throw mismatch(`installed ${name}@${entry?.version ?? 'nothing'}, expected ${version}`);
          if (!entry.resolved?.startsWith(registry().url)) throw mismatch(`${name} was resolved from ${entry.resolved}, expected ${registry().url}`);
        }
        const typescript = lock.packages['node_modules/typescript'];
        return `${[...r.released].map(([name, version]) => `${name}@${version}`).join(', ')} from ${registry().url}; typescript@${typescript?.version} from ${new URL(typescript?.resolved ?? r.defaultRegistry).host}`;
      },
    },
    {
      title: 'the installed packages hold their entry points and types, one copy each',
      run: async () => {
        const checked: string[] = [];
        for (const name of r.released.keys()) {
          const dir = join(consumer, 'node_modules', name);
          const json = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
          const missing = shippedPaths(json).filter((path) => !existsSync(join(dir, path)));
          if (missing.length) throw mismatch(`${name} is missing ${missing.join(', ')}`, 'check "files" in its package.json');
          const tests = (await readdir(dir, { recursive: true })).filter((file) => /\.test\.[cm]?[jt]s$/.test(file));
          if (tests.length) throw mismatch(`${name} ships test files: ${tests.join(', ')}`);
          if (existsSync(join(dir, 'node_modules', SCOPE))) throw mismatch(`${name} has its own copy of ${SCOPE} packages: internal ranges do not match`);
          checked.push(name);
        }
        return checked.join(', ');
      },
    },
    {
      title: 'npx falco-airgap --version prints the published version',
      run: async () => {
        const expected = r.released.get(`${SCOPE}/cli`);
        const { stdout } = await runOk('npx', ['--no', '--', 'falco-airgap', '--version'], options(consumer, MINUTE, asConsumer));
        if (stdout.trim() !== expected) throw mismatch(`falco-airgap --version printed "${stdout.trim()}", expected "${expected}"`);
        return stdout.trim();
      },
    },
    {
      title: 'npx falco-airgap manifest validate accepts a valid manifest (exit 0)',
      run: async () => {
        for (const file of await readdir(FIXTURES)) await copyFile(join(FIXTURES, file), join(consumer, file));
        const { stdout } = await runOk(
          'npx',
          ['--no', '--', 'falco-airgap', 'manifest', 'validate', 'plugins-manifest.yaml'],
          options(consumer, MINUTE, asConsumer),
        );
        return stdout.trim().split('\n').at(-1);
      },
    },
    {
      title: 'npx falco-airgap manifest validate rejects an invalid manifest (exit 2)',
      run: async () => {
        const result = await run('npx', ['--no', '--', 'falco-airgap', 'manifest', 'validate', 'invalid-manifest.yaml'], options(consumer, MINUTE, asConsumer));
        const output = result.stdout + result.stderr;
        if (result.code !== 2 || !output.includes('MANIFEST_BAD_SEMVER')) {
          throw mismatch(`exit ${result.code}, expected 2 with MANIFEST_BAD_SEMVER`, output.trim());
        }
        return 'exit 2, MANIFEST_BAD_SEMVER';
      },
    },
    {
      title: 'consumer.ts type-checks against the published types (tsc --noEmit, NodeNext, strict)',
      run: async () => {
        await writeFile(join(consumer, 'tsconfig.json'), `${JSON.stringify(consumerTsconfig(), null, 2)}\n`);
        await runOk(join(consumer, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], options(consumer, 2 * MINUTE, asConsumer));
        return 'no errors';
      },
    },
    {
      title: 'consumer.ts runs on Node 24 and prints the parsed manifest',
      run: async () => {
        const { stdout } = await runOk(process.execPath, ['consumer.ts'], options(consumer, MINUTE, asConsumer));
        if (stdout.trim() !== EXPECTED_CONSUMER_OUTPUT) throw mismatch(`consumer.ts printed ${stdout.trim()}`, `expected ${EXPECTED_CONSUMER_OUTPUT}`);
        return stdout.trim();
      },
    },
  ];
}

function cleanupSteps(r: Rehearsal, footprintBefore: string): Step[] {
  return [
    {
      title: 'the repository is unchanged (git status of .changeset and changelogs, package versions)',
      run: async () => {
        const after = releaseFootprint(r.workspacePackages);
        if (after !== footprintBefore) throw mismatch('the rehearsal changed release files in the repository', lineDiff(footprintBefore, after));
        return 'git status and contents as before';
      },
    },
    {
      title: 'stop Verdaccio and remove the temp dirs',
      run: async () => {
        const pid = r.registry?.pid;
        await cleanUp(r);
        if (pid !== undefined && groupIsAlive(pid)) throw mismatch(`verdaccio (pid ${pid}) is still running`);
        if (existsSync(r.tmp)) throw mismatch(`${r.tmp} is still there`);
        return pid === undefined ? 'nothing was running' : `verdaccio pid ${pid} gone, ${r.tmp} removed`;
      },
    },
  ];
}

async function cleanUp(r: Rehearsal): Promise<void> {
  await r.registry?.stop();
  await rm(r.tmp, { recursive: true, force: true });
}

/**
 * What a rehearsal leaking into the repository would change, and nothing that engineers edit while it runs:
 * git status and contents of .changeset/ and the changelogs, and each package's version and internal ranges.
 */
function releaseFootprint(packages: readonly WorkspacePackage[]): string {
  const changelogs = packages.map((pkg) => join(pkg.dir, 'CHANGELOG.md'));
  const status = spawnSync('git', ['status', '--porcelain=v1', '--untracked-files=all', '--', '.changeset', ...changelogs], { cwd: ROOT, encoding: 'utf8' });
  if (status.status !== 0) {
    throw new VerifyError('git status failed: release:verify must run in a git checkout', { code: 'RELEASE_VERIFY_WORKSPACE', detail: status.stderr });
  }
  const changesetFiles = readdirSync(join(ROOT, '.changeset'), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(ROOT.length + 1));
  const files = [...changesetFiles, ...changelogs].sort().map((file) => {
    const path = join(ROOT, file);
    return existsSync(path) ? `${file} ${createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16)}` : `${file} absent`;
  });
  const versions = packages.map((pkg) => {
    const json = JSON.parse(readFileSync(join(ROOT, pkg.dir, 'package.json'), 'utf8')) as { version?: string; dependencies?: Record<string, string> };
    const internal = Object.entries(json.dependencies ?? {}).filter(([name]) => name.startsWith(`${SCOPE}/`));
    return `${pkg.dir}/package.json version ${json.version} ${internal.map(([name, range]) => `${name}@${range}`).join(' ')}`.trimEnd();
  });
  return [`git status: ${status.stdout.trimEnd() || 'clean'}`, ...files, ...versions].join('\n');
}

/** Files a package promises through package.json: types, main, bin and exports targets (not the workspace-only source condition). */
function shippedPaths(json: Record<string, unknown>): string[] {
  const paths = new Set<string>();
  const add = (value: unknown, key?: string) => {
    if (key === SOURCE_CONDITION) return;
    if (typeof value === 'string') {
      if (!value.includes('*')) paths.add(value);
    } else if (value && typeof value === 'object') {
      for (const [childKey, child] of Object.entries(value)) add(child, childKey);
    }
  };
  add(json.types);
  add(json.main);
  add(json.bin);
  add(json.exports);
  return [...paths];
}

function consumerTsconfig() {
  return {
    compilerOptions: {
      target: 'ES2024',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noEmit: true,
      verbatimModuleSyntax: true,
      erasableSyntaxOnly: true,
      types: ['node'],
    },
    files: ['consumer.ts'],
  };
}

/** Lines only in `before` as "- line", only in `after` as "+ line". */
function lineDiff(before: string, after: string): string {
  const a = before.split('\n');
  const b = after.split('\n');
  return [...a.filter((line) => !b.includes(line)).map((line) => `- ${line}`), ...b.filter((line) => !a.includes(line)).map((line) => `+ ${line}`)].join('\n');
}

function mismatch(message: string, detail?: string): VerifyError {
  return new VerifyError(message, { code: 'RELEASE_VERIFY_MISMATCH', detail });
}

process.exitCode = await main().catch((error: unknown) => {
  // Only setup can land here (reading the workspace); every step reports its own failure.
  process.stderr.write(
    `release:verify: ${error instanceof VerifyError ? `${error.code}: ${error.message}${error.detail ? `\n${error.detail}` : ''}` : String(error)}\n`,
  );
  return 1;
});
