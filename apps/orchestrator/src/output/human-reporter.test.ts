import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { HumanReporter, formatBytes } from './human-reporter.ts';
import { createStyle } from './style.ts';

function capture(live: boolean) {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: live });
  const text = { out: '', err: '' };
  stdout.on('data', (c) => (text.out += c));
  stderr.on('data', (c) => (text.err += c));
  const reporter = new HumanReporter({ streams: { stdout, stderr }, style: createStyle(false), quiet: false, verbose: false, live });
  return { reporter, text };
}

describe('HumanReporter', () => {
  it('redraws the task list in place on a TTY', () => {
    const { reporter, text } = capture(true);
    reporter.event({ type: 'task', id: 'a', title: 'pull k8saudit', status: 'running' });
    reporter.event({ type: 'progress', id: 'a', loaded: 2048, total: 4096 });
    reporter.event({ type: 'task', id: 'a', title: 'pull k8saudit', status: 'done' });
    reporter.result('extract', 0, undefined);
    expect(text.err).toContain('pull k8saudit 2.0 KiB / 4.0 KiB');
    expect(text.err).toContain('\u001b[1A\u001b[0J');
    expect(text.err.trimEnd().split('\n').at(-1)?.replaceAll('\u001b[1A\u001b[0J', '')).toBe('✔ pull k8saudit');
  });

  it('prints one plain line per finished task when not on a TTY', () => {
    const { reporter, text } = capture(false);
    reporter.event({ type: 'task', id: 'a', title: 'pull json', status: 'running' });
    reporter.event({ type: 'task', id: 'a', title: 'pull json', status: 'failed' });
    reporter.result('extract', 3, undefined, { code: 'EXTRACT_DIGEST_MISMATCH', message: 'blob digest differs', hint: 'check the registry' });
    expect(text.err).toBe('✖ pull json\nerror[EXTRACT_DIGEST_MISMATCH]: blob digest differs — check the registry\n');
    expect(text.err).not.toContain('\u001b[');
  });

  it('formats sizes in binary units', () => {
    expect([formatBytes(512), formatBytes(1536), formatBytes(5 * 1024 ** 3)]).toEqual(['512 B', '1.5 KiB', '5.0 GiB']);
  });
});
