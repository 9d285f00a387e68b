import { describeLockHolder } from '@falco-airgap/core';
import { ExtractErrorCode, type ExtractEvent, type ExtractItem } from '@falco-airgap/plugin-extractor';
import { renderOptionNames } from '../option-flags.ts';
import type { CliEvent } from './events.ts';

// Progress of a row is reported at most once per this many bytes or per this share of its total, whichever is
// larger (and at its first and last byte): a large plugin gives a few dozen updates, not one per network read.
const PROGRESS_STEP_BYTES = 64 * 1024;
const PROGRESS_STEPS = 25;

interface RowProgress {
  loaded: Map<string, number>;
  totals: Map<string, number>;
  lastEmitted: number;
}

/**
 * The extractor's domain events as the CLI's task rows: one row per plugin and platform or
 * rulesfile, with the bytes of its blobs summed into one progress figure.
 */
export class ExtractTaskRows {
  readonly #rows = new Map<string, RowProgress>();

  rowsFor(event: ExtractEvent): CliEvent[] {
    switch (event.type) {
      case 'resolve':
        return [{ type: 'task', id: rowId(event.item), title: rowTitle(event.item), status: 'running' }];
      case 'blob':
        return this.#progress(rowId(event.item), event.digest, event.loaded, event.total);
      case 'stage':
        // An item stopped by an interrupt did not fail: its row stays unfinished, and the end of the run says why.
        if (event.status === 'failed' && event.code === ExtractErrorCode.Aborted) return [];
        return [
          event.status === 'staged'
            ? { type: 'task', id: rowId(event.item), title: rowTitle(event.item), status: 'done' }
            : { type: 'task', id: rowId(event.item), title: rowTitle(event.item), status: 'failed', detail: event.code },
        ];
      case 'retry':
        return [{ type: 'retry', id: rowId(event.item), attempt: event.attempt, reason: event.reason }];
      case 'install':
        // The summary counts written and unchanged files; a row per file would only repeat the item rows.
        return [];
      case 'warning':
        return [{ type: 'diagnostic', severity: 'warning', code: event.code, message: renderOptionNames(event.message), hint: renderOptionNames(event.hint) }];
      case 'lock-wait':
        return [
          { type: 'diagnostic', severity: 'info', code: 'LOCK_HELD', message: `${describeLockHolder(event.holder, event.outDir)}: waiting for it to finish` },
        ];
    }
  }

  #progress(id: string, digest: string, loaded: number, total: number): CliEvent[] {
    let row = this.#rows.get(id);
    if (!row) this.#rows.set(id, (row = { loaded: new Map(), totals: new Map(), lastEmitted: -1 }));
    row.loaded.set(digest, loaded);
    row.totals.set(digest, total);
    const sum = [...row.loaded.values()].reduce((a, b) => a + b, 0);
    const sumTotal = [...row.totals.values()].reduce((a, b) => a + b, 0);
    if (sum !== sumTotal && row.lastEmitted >= 0 && sum - row.lastEmitted < Math.max(PROGRESS_STEP_BYTES, sumTotal / PROGRESS_STEPS)) return [];
    row.lastEmitted = sum;
    return [{ type: 'progress', id, loaded: sum, total: sumTotal }];
  }
}

function rowId(item: ExtractItem): string {
  return item.kind === 'plugin' ? `plugin/${item.name}/${item.platform}` : `rulesfile/${item.name}`;
}

function rowTitle(item: ExtractItem): string {
  return item.kind === 'plugin' ? `plugin ${item.name} ${item.version} ${item.platform}` : `rulesfile ${item.name} ${item.version}`;
}
