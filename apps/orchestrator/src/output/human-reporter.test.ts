import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { terminalScreen } from '../testing/terminal-screen.ts';
import { HumanReporter, formatBytes } from './human-reporter.ts';
import { createStyle } from './style.ts';

const HIDE_CURSOR = '\u001b[?25l';
const RESIZED = '<resized>';

/** A reporter writing to one terminal (stdout and stderr interleaved, as on a screen), or to plain pipes. */
function capture(options: { live: boolean; quiet?: boolean; verbose?: boolean; color?: boolean; columns?: number; rows?: number }) {
  const text = { out: '', err: '', terminal: '' };
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: options.live, columns: options.columns ?? 80, rows: options.rows ?? 24 });
  stdout.on('data', (c: Buffer) => ((text.out += c), (text.terminal += c)));
  stderr.on('data', (c: Buffer) => ((text.err += c), (text.terminal += c)));
  const reporter = new HumanReporter({
    streams: { stdout, stderr },
    style: createStyle(options.color ?? false),
    quiet: options.quiet ?? false,
    verbose: options.verbose ?? false,
    live: options.live,
  });
  const resize = (columns: number) => {
    text.terminal += RESIZED;
    stderr.columns = columns;
    stderr.emit('resize');
  };
  return { reporter, text, resize };
}

const task = (id: string, status: 'running' | 'done' | 'failed' | 'skipped', detail?: string) =>
  ({ type: 'task', id, title: `plugin ${id} 0.18.0 linux/amd64`, status, ...(detail ? { detail } : {}) }) as const;

describe('HumanReporter on a TTY', () => {
  // Only the reporter's clock and redraw timer: the terminal emulator keeps its own timers.
  beforeEach(() => void vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] }));
  afterEach(() => void vi.useRealTimers());

  it('redraws one region in place, then leaves its final frame with the summary below it', async () => {
    const { reporter, text } = capture({ live: true });
    reporter.event(task('k8saudit', 'running'));
    reporter.event(task('json', 'running'));
    reporter.event(task('cloudtrail', 'running'));
    reporter.event({ type: 'progress', id: 'k8saudit', loaded: 2048, total: 4096 });
    vi.advanceTimersByTime(100);
    expect((await terminalScreen(text.terminal, { cols: 80, rows: 24 })).lines).toEqual([
      '⠙ plugin k8saudit 0.18.0 linux/amd64    2.0 KiB / 4.0 KiB',
      '⠙ plugin json 0.18.0 linux/amd64',
      '⠙ plugin cloudtrail 0.18.0 linux/amd64',
      '0/3 done, 3 running · 2.0 KiB / 4.0 KiB',
    ]);

    reporter.event({ type: 'retry', id: 'json', attempt: 2, reason: 'ECONNRESET' });
    reporter.event({ type: 'progress', id: 'k8saudit', loaded: 4096, total: 4096 });
    reporter.event(task('k8saudit', 'done'));
    reporter.event(task('cloudtrail', 'failed', 'EXTRACT_DIGEST_MISMATCH'));
    vi.advanceTimersByTime(100);
    const live = await terminalScreen(text.terminal, { cols: 80, rows: 24 });
    expect(live.lines).toHaveLength(4);
    expect(live.lines[1]).toBe('⠹ plugin json 0.18.0 linux/amd64        ↻ 1 retry (ECONNRESET)');

    reporter.event({ type: 'diagnostic', severity: 'warning', code: 'EXTRACT_API_VERSION', message: 'taken from the config' });
    reporter.event(task('json', 'done'));
    vi.advanceTimersByTime(100);
    reporter.summary('extracted 2 plugin files');
    reporter.result('extract', 0, undefined);
    const screen = await terminalScreen(text.terminal, { cols: 80, rows: 24 });
    expect(screen.lines).toEqual([
      'warning[EXTRACT_API_VERSION]: taken from the config',
      '✔ plugin k8saudit 0.18.0 linux/amd64    4.0 KiB',
      '✔ plugin json 0.18.0 linux/amd64        ↻ 1 retry',
      '✖ plugin cloudtrail 0.18.0 linux/amd64  failed: EXTRACT_DIGEST_MISMATCH',
      '2/3 done, 1 failed · 4.0 KiB · 1 retry',
      'extracted 2 plugin files',
    ]);
    expect(screen.wrapped).toBe(0);
    expect(screen.cursorVisible).toBe(true);
    // Nothing after the final frame moves the cursor back into it.
    expect(text.out).toBe('extracted 2 plugin files\n');
  });

  it('redraws at most ten times a second however many events arrive', () => {
    const { reporter, text } = capture({ live: true });
    reporter.event(task('k8saudit', 'running'));
    for (let ms = 0; ms < 1000; ms++) {
      reporter.event({ type: 'progress', id: 'k8saudit', loaded: ms * 100, total: 100_000 });
      vi.advanceTimersByTime(1);
    }
    expect(text.err.split(HIDE_CURSOR).length - 1).toBeLessThanOrEqual(10);
    expect(text.err.split(HIDE_CURSOR).length - 1).toBeGreaterThanOrEqual(9);
  });

  it('shows a rate once bytes have been flowing for a while', async () => {
    const { reporter, text } = capture({ live: true });
    reporter.event(task('k8saudit', 'running'));
    reporter.event({ type: 'progress', id: 'k8saudit', loaded: 0, total: 4 * 1024 * 1024 });
    vi.advanceTimersByTime(1000);
    reporter.event({ type: 'progress', id: 'k8saudit', loaded: 1024 * 1024, total: 4 * 1024 * 1024 });
    vi.advanceTimersByTime(100);
    const { lines } = await terminalScreen(text.terminal, { cols: 80, rows: 24 });
    expect(lines.at(-1)).toMatch(/plugin k8saudit 0\.18\.0 linux\/amd64 {2}1\.0 MiB \/ 4\.0 MiB {2}9[0-9]{2}\.\d KiB\/s$/);
  });

  it('cuts lines to the terminal width instead of wrapping, and follows a resize', async () => {
    const { reporter, text, resize } = capture({ live: true, columns: 60 });
    for (const id of ['k8saudit', 'json', 'cloudtrail']) reporter.event(task(id, 'running'));
    reporter.event(task('json', 'failed', 'EXTRACT_REGISTRY_UNREACHABLE'));
    vi.advanceTimersByTime(100);
    resize(30);
    vi.advanceTimersByTime(100);
    reporter.result('extract', 1, undefined, { code: 'EXTRACT_REGISTRY_UNREACHABLE', message: 'no answer' });
    const screen = await terminalScreen(text.terminal, { cols: 60, rows: 24 }, { marker: RESIZED, cols: 30 });
    // The region's lines are cut; only the error, plain text printed below it, wraps as text does.
    expect(screen.wrapped).toBe(1);
    expect(screen.lines).toEqual([
      '◼ plugin k8saudit…  stopped',
      '✖ plugin json 0.1…  failed: …',
      '◼ plugin cloudtra…  stopped',
      '0/3 done, 1 failed, 2 stopped',
      'error[EXTRACT_REGISTRY_UNREACH',
      'ABLE]: no answer',
    ]);
  });

  it('keeps the live region within the screen: finished rows give way, the final frame shows them all', async () => {
    const { reporter, text } = capture({ live: true, rows: 6 });
    for (let i = 0; i < 8; i++) reporter.event(task(`p${i}`, i < 6 ? 'done' : 'running'));
    vi.advanceTimersByTime(100);
    const live = await terminalScreen(text.terminal, { cols: 80, rows: 6 });
    expect(live.lines.map((line) => line.slice(0, 12))).toEqual(['… 5 more tas', '✔ plugin p5 ', '⠙ plugin p6 ', '⠙ plugin p7 ', '6/8 done, 2 ']);
    reporter.result('extract', 0, undefined);
    const final = await terminalScreen(text.terminal, { cols: 80, rows: 6 });
    expect(final.lines.filter((line) => line.includes('plugin p'))).toHaveLength(8);
  });

  it('draws nothing for a command without tasks', () => {
    const { reporter, text } = capture({ live: true });
    reporter.summary('plugins/plugins-manifest.yaml is valid');
    reporter.result('manifest validate', 0, undefined);
    expect(text.err).toBe('');
    expect(text.out).toBe('plugins/plugins-manifest.yaml is valid\n');
  });
});

describe('HumanReporter without a TTY', () => {
  it('prints one plain line per finished task', () => {
    const { reporter, text } = capture({ live: false });
    reporter.event({ type: 'task', id: 'a', title: 'pull json', status: 'running' });
    reporter.event({ type: 'retry', id: 'a', attempt: 2, reason: 'ECONNRESET' });
    reporter.event({ type: 'task', id: 'a', title: 'pull json', status: 'failed' });
    reporter.result('extract', 3, undefined, { code: 'EXTRACT_DIGEST_MISMATCH', message: 'blob digest differs', hint: 'check the registry' });
    expect(text.err).toBe('✖ pull json\nerror[EXTRACT_DIGEST_MISMATCH]: blob digest differs — check the registry\n');
    expect(text.err).not.toContain('\u001b[');
  });

  it('shows running tasks and retries with --verbose', () => {
    const { reporter, text } = capture({ live: false, verbose: true });
    reporter.event({ type: 'task', id: 'a', title: 'pull json', status: 'running' });
    reporter.event({ type: 'retry', id: 'a', attempt: 2, reason: 'ECONNRESET' });
    expect(text.err).toBe('⠋ pull json\n↻ pull json: attempt 2 (ECONNRESET)\n');
  });

  it('--quiet prints errors and the summary, nothing else', () => {
    const { reporter, text } = capture({ live: false, quiet: true });
    reporter.event({ type: 'task', id: 'a', title: 'pull json', status: 'done' });
    reporter.event({ type: 'diagnostic', severity: 'warning', code: 'W', message: 'a warning' });
    reporter.event({ type: 'diagnostic', severity: 'error', code: 'E', message: 'an error' });
    reporter.info('detail');
    reporter.summary('extracted 1 plugin file');
    reporter.result('extract', 0, undefined);
    expect(text.err).toBe('error[E]: an error\n');
    expect(text.out).toBe('extracted 1 plugin file\n');
  });

  it('formats sizes in binary units', () => {
    expect([formatBytes(512), formatBytes(1536), formatBytes(5 * 1024 ** 3)]).toEqual(['512 B', '1.5 KiB', '5.0 GiB']);
  });
});
