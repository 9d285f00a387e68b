import type { ExtractItem } from '@falco-airgap/plugin-extractor';
import { describe, expect, it } from 'vitest';
import { ExtractTaskRows } from './extract-events.ts';
import type { CliEvent } from './events.ts';

const plugin: ExtractItem = { kind: 'plugin', name: 'k8saudit', version: '0.18.0', platform: 'linux/arm64' };
const rules: ExtractItem = { kind: 'rulesfile', name: 'falco-rules', version: '5.1.0' };

describe('ExtractTaskRows', () => {
  it('draws one row per plugin and platform or rulesfile, running until staged or failed', () => {
    const rows = new ExtractTaskRows();
    expect(rows.rowsFor({ type: 'resolve', item: plugin, reference: 'ghcr.io/falcosecurity/plugins/plugin/k8saudit:0.18.0' })).toEqual([
      { type: 'task', id: 'plugin/k8saudit/linux/arm64', title: 'plugin k8saudit 0.18.0 linux/arm64', status: 'running' },
    ]);
    expect(rows.rowsFor({ type: 'stage', item: plugin, status: 'staged' })).toEqual([
      { type: 'task', id: 'plugin/k8saudit/linux/arm64', title: 'plugin k8saudit 0.18.0 linux/arm64', status: 'done' },
    ]);
    expect(rows.rowsFor({ type: 'stage', item: rules, status: 'failed', code: 'EXTRACT_DIGEST_MISMATCH' })).toEqual([
      { type: 'task', id: 'rulesfile/falco-rules', title: 'rulesfile falco-rules 5.1.0', status: 'failed', detail: 'EXTRACT_DIGEST_MISMATCH' },
    ]);
    expect(rows.rowsFor({ type: 'stage', item: plugin, status: 'failed', code: 'EXTRACT_ABORTED' })).toEqual([]);
    expect(rows.rowsFor({ type: 'install', path: 'extracted/linux-arm64/libk8saudit.so', sha256: 'a'.repeat(64), status: 'written' })).toEqual([]);
    expect(rows.rowsFor({ type: 'retry', item: plugin, digest: 'sha256:layer', attempt: 2, reason: 'ECONNRESET' })).toEqual([
      { type: 'retry', id: 'plugin/k8saudit/linux/arm64', attempt: 2, reason: 'ECONNRESET' },
    ]);
  });

  it('sums the blobs of an item into one progress figure, at most once per 64 KiB and always at the end', () => {
    const rows = new ExtractTaskRows();
    const progress = (digest: string, loaded: number, total: number) => rows.rowsFor({ type: 'blob', item: plugin, digest, loaded, total });
    expect(progress('sha256:config', 300, 300)).toEqual([{ type: 'progress', id: 'plugin/k8saudit/linux/arm64', loaded: 300, total: 300 }]);
    expect(progress('sha256:layer', 1024, 200_000)).toEqual([]);
    expect(progress('sha256:layer', 70_000, 200_000)).toEqual([{ type: 'progress', id: 'plugin/k8saudit/linux/arm64', loaded: 70_300, total: 200_300 }]);
    expect(progress('sha256:layer', 80_000, 200_000)).toEqual([]);
    expect(progress('sha256:layer', 200_000, 200_000)).toEqual([{ type: 'progress', id: 'plugin/k8saudit/linux/arm64', loaded: 200_300, total: 200_300 }]);
  });

  it('reports a large blob in at most 25 steps, whatever the size of the network reads', () => {
    const rows = new ExtractTaskRows();
    const total = 10 * 1024 * 1024;
    const emitted: CliEvent[] = [];
    for (let loaded = 16 * 1024; loaded < total; loaded += 16 * 1024)
      emitted.push(...rows.rowsFor({ type: 'blob', item: plugin, digest: 'sha256:layer', loaded, total }));
    emitted.push(...rows.rowsFor({ type: 'blob', item: plugin, digest: 'sha256:layer', loaded: total, total }));
    expect(emitted.length).toBeGreaterThan(20);
    expect(emitted.length).toBeLessThanOrEqual(26);
    expect(emitted.at(-1)).toEqual({ type: 'progress', id: 'plugin/k8saudit/linux/arm64', loaded: total, total });
  });
});
