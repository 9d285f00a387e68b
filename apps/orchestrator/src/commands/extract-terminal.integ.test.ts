import { publishFixturesTo } from '@falco-airgap/fixtures';
import { startFaultProxy, type FaultPlan } from '@falco-airgap/oci/test-support';
import { tcpProxy } from '@falco-airgap/test-support';
import { requireTestbed } from '@falco-airgap/testbed/env';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { terminalScreen, type Screen } from '../testing/terminal-screen.ts';

// extract as a user sees it in a terminal: run in a real pseudo-terminal (util-linux script), its output played
// through a terminal emulator, and the final screen compared line by line.

const env = requireTestbed('TESTBED_REGISTRY');
const PLAIN = env.TESTBED_REGISTRY!;
const repoRoot = join(import.meta.dirname, '../../../..');
const BIN = join(repoRoot, 'apps/orchestrator/src/bin.ts');
const SIZE = { cols: 120, rows: 40 };
const ROWS = [
  'plugin k8saudit 0.18.0 linux/amd64',
  'plugin k8saudit 0.18.0 linux/arm64',
  'plugin json 0.7.4 linux/amd64',
  'plugin json 0.7.4 linux/arm64',
  'plugin k8smeta 0.4.1 linux/amd64',
  'plugin k8smeta 0.4.1 linux/arm64',
  'plugin cloudtrail 0.17.1 linux/amd64',
  'plugin cloudtrail 0.17.1 linux/arm64',
  'rulesfile falco-rules 5.1.0',
  'plugin container 0.7.1 linux/amd64',
  'plugin container 0.7.1 linux/arm64',
];
let root: string;
let runs = 0;

const quote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`;

/** Runs the CLI in a pseudo-terminal of `size`; `ctrlC` types Ctrl-C once the output satisfies it. */
async function inTerminal(argv: string[], options: { size?: typeof SIZE; ctrlC?: (output: string) => boolean } = {}) {
  const { cols, rows } = options.size ?? SIZE;
  const cli = [process.execPath, '--conditions=@falco-airgap/source', '--disable-warning=ExperimentalWarning', BIN, ...argv].map(quote).join(' ');
  const child = spawn('script', ['--quiet', '--flush', '--return', '--command', `stty cols ${cols} rows ${rows}; exec ${cli}`, '/dev/null'], {
    cwd: root,
    // A terminal as users have one: no CI, no NO_COLOR.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: root, TERM: 'xterm-256color', LANG: 'C.UTF-8' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let interrupted = false;
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (options.ctrlC && !interrupted && options.ctrlC(output)) {
      interrupted = true;
      child.stdin.write('\u0003');
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, output, screen: await terminalScreen(output, { cols, rows }) };
}

/** The shipped manifest pointed at `registry` (the testbed's, or a proxy in front of it). */
async function manifestFor(registry: string): Promise<string> {
  const shipped = await readFile(join(repoRoot, 'plugins/plugins-manifest.yaml'), 'utf8');
  const path = join(root, `manifest-${++runs}.yaml`);
  await writeFile(path, shipped.replaceAll('ghcr.io/', `${registry}/`).replaceAll('docker.io/', `${registry}/`));
  return path;
}

async function extractFrom(registry: string, extra: { size?: typeof SIZE; ctrlC?: (output: string) => boolean } = {}) {
  const manifest = await manifestFor(registry);
  const run = runs;
  return inTerminal(['extract', '--manifest', manifest, '--out', `out-${run}`, '--plain-http', registry, '--cache-dir', `cache-${run}`], extra);
}

/** Byte counts and rates vary with the compiler that built the fixtures; the screen around them must not. */
const normalized = (screen: Screen) => screen.lines.map((line) => line.replace(/\d+(\.\d)? (B|KiB|MiB)/g, '<size>').trimEnd());

async function layerDigest(outDir: string, plugin: string, platform: string): Promise<string> {
  const lock = parse(await readFile(join(root, outDir, 'plugins-lock.yaml'), 'utf8')) as {
    plugins: { name: string; platforms: { platform: string; layerDigest: string }[] }[];
  };
  return lock.plugins.find((p) => p.name === plugin)!.platforms.find((p) => p.platform === platform)!.layerDigest;
}

async function withFaults<T>(plan: FaultPlan, run: (registry: string) => Promise<T>): Promise<T> {
  const proxy = await startFaultProxy(PLAIN, plan);
  try {
    return await run(proxy.address);
  } finally {
    await proxy.close();
  }
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cli-terminal-'));
  await publishFixturesTo({ registry: PLAIN, plainHttp: true });
}, 300_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('falco-airgap extract in a terminal', () => {
  let k8sauditLayer: string;

  it('success: every row once, done, an overall line, the summary below; no line wrapped; the cursor visible', async () => {
    const { code, screen, output } = await extractFrom(PLAIN);
    expect(code, screen.lines.join('\n')).toBe(0);
    const lines = normalized(screen);
    expect(lines.slice(0, ROWS.length + 1)).toEqual([
      ...ROWS.map((row) => expect.stringMatching(new RegExp(`^✔ ${row.replaceAll('.', '\\.')} +<size>$`))),
      '11/11 done · <size>',
    ]);
    expect(lines.slice(ROWS.length + 1).join('')).toMatch(
      /^extracted 10 plugin files and 1 rules file into out-\d+\/extracted \(11 changed, 0 unchanged; .*\); lock out-\d+\/plugins-lock\.yaml written$/,
    );
    expect(screen.wrapped).toBe(lines.length - ROWS.length - 2);
    expect(screen.cursorVisible).toBe(true);
    // Colours on a terminal: green marks.
    expect(output).toContain('\u001b[32m✔\u001b[39m');
    k8sauditLayer = await layerDigest(`out-${runs}`, 'k8saudit', 'linux/amd64');
  });

  it('retry: the row whose download was cut and resumed says so, and so does the overall line', async () => {
    const { code, screen } = await withFaults({ resetBlob: { digest: k8sauditLayer, afterBytes: 1000, times: 1 } }, (registry) => extractFrom(registry));
    expect(code, screen.lines.join('\n')).toBe(0);
    const lines = normalized(screen);
    expect(lines[0]).toMatch(/^✔ plugin k8saudit 0\.18\.0 linux\/amd64 +<size> {2}↻ 1 retry$/);
    for (const line of lines.slice(1, ROWS.length)) expect(line).not.toContain('↻');
    expect(lines[ROWS.length]).toBe('11/11 done · <size> · 1 retry');
    expect(lines[ROWS.length + 1]).toMatch(/^extracted 10 plugin files/);
  });

  it('failure: the failed row is marked with its retries and code, the others finish, the error is printed below', async () => {
    // Every fresh GET of that layer is cut before its first byte: all attempts fail.
    const { code, screen } = await withFaults({ resetBlob: { digest: k8sauditLayer, afterBytes: 0, times: 100 } }, (registry) => extractFrom(registry));
    expect(code).toBe(1);
    const lines = normalized(screen);
    expect(lines[0]).toMatch(/^✖ plugin k8saudit 0\.18\.0 linux\/amd64 +(<size> {2})?↻ 4 retries {2}failed: EXTRACT_REGISTRY_UNREACHABLE$/);
    for (const [i, row] of ROWS.entries()) {
      expect(lines.filter((line) => line.includes(`${row} `) || line.endsWith(row))).toHaveLength(1);
      if (i > 0) expect(lines[i]).toMatch(/^✔ /);
    }
    expect(lines[ROWS.length]).toBe('10/11 done, 1 failed · <size> · 4 retries');
    expect(lines[ROWS.length + 1]).toMatch(/^error\[EXTRACT_REGISTRY_UNREACHABLE\]: /);
    expect(screen.cursorVisible).toBe(true);
  });

  it('narrow terminal: rows are cut to the width, never wrapped', async () => {
    const { code, screen } = await extractFrom(PLAIN, { size: { cols: 40, rows: 40 } });
    expect(code).toBe(0);
    const region = screen.lines.slice(0, ROWS.length + 1);
    for (const line of region) expect(line.length).toBeLessThanOrEqual(39);
    expect(region.filter((line) => line.startsWith('✔ '))).toHaveLength(ROWS.length);
    // Only the summary, plain text below the region, wraps.
    expect(screen.lines.slice(ROWS.length + 1).join('')).toMatch(/^extracted 10 plugin files/);
  });

  it('Ctrl-C: the region stops with the rows that were running marked, exit 130, the cursor visible', async () => {
    const slow = await tcpProxy({ host: PLAIN.split(':')[0]!, port: Number(PLAIN.split(':')[1]) }, { kind: 'throttle', bytesPerSecond: 16 * 1024 });
    try {
      const registry = `127.0.0.1:${slow.port}`;
      // Typed once the live region shows a spinner.
      const { code, screen, output } = await extractFrom(registry, { ctrlC: (text) => /[⠙⠹⠸⠼⠴⠦⠧⠇⠏]/.test(text) });
      const lines = normalized(screen);
      expect(code).toBe(130);
      expect(lines.filter((line) => line.startsWith('◼ ')).length).toBeGreaterThan(0);
      expect(lines.some((line) => /\d+ stopped/.test(line))).toBe(true);
      expect(lines.at(-1)).toMatch(/^error\[CLI_INTERRUPTED\]: interrupted/);
      expect(lines.join('\n')).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
      expect(output.lastIndexOf('\u001b[?25h')).toBeGreaterThan(output.lastIndexOf('\u001b[?25l'));
      expect(screen.cursorVisible).toBe(true);
    } finally {
      await slow.close();
    }
  });
});
