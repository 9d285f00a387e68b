import { describe, expect, it } from 'vitest';
import { BuildTaskRows } from './build-events.ts';

describe('BuildTaskRows', () => {
  it('draws one row per image: running while it works, skipped when unchanged, failed with the code', () => {
    const rows = new BuildTaskRows();
    const reference = 'localhost:5000/falco:0.44.1-0123456789ab';
    expect(rows.rowsFor({ type: 'image', image: 'falco', status: 'building', reference })).toEqual([
      { type: 'task', id: 'image/falco', title: `falco ${reference}`, status: 'running', detail: 'building' },
    ]);
    expect(rows.rowsFor({ type: 'image', image: 'falco', status: 'done', reference, outcome: 'unchanged' })[0]).toMatchObject({
      status: 'skipped',
      detail: 'unchanged',
    });
    expect(rows.rowsFor({ type: 'image', image: 'falco', status: 'done', reference, outcome: 'pushed' })[0]).toMatchObject({
      status: 'done',
      detail: 'pushed',
    });
    expect(rows.rowsFor({ type: 'image', image: 'falco', status: 'failed', reference, detail: 'ENGINE_BUILD_FAILED' })[0]).toMatchObject({
      status: 'failed',
      detail: 'ENGINE_BUILD_FAILED',
    });
  });

  it('sums the bytes of every layer an image pushes into one progress figure, and ignores build output', () => {
    const rows = new BuildTaskRows();
    const layer = (id: string, current: number) =>
      rows.rowsFor({ type: 'engine', image: 's3-loader', event: { type: 'layer', operation: 'push', layer: id, status: 'Pushing', current, total: 100 } });
    layer('a', 10);
    expect(layer('b', 30)).toEqual([{ type: 'progress', id: 'image/s3-loader', loaded: 40, total: 200 }]);
    expect(rows.rowsFor({ type: 'engine', image: 's3-loader', event: { type: 'output', operation: 'build', text: 'Step 1/4' } })).toEqual([]);
  });
});
