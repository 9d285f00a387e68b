import type { ImageBuildEvent, ImageName } from '@falco-airgap/image-builder';
import type { CliEvent } from './events.ts';

const RUNNING_DETAIL = { checking: 'checking the target', 'pulling-base': 'pulling the base image', building: 'building', pushing: 'pushing' } as const;

/** The builder's events as the CLI's task rows: one row per image, with the bytes its push has sent. */
export class BuildTaskRows {
  readonly #layers = new Map<ImageName, Map<string, { current: number; total: number }>>();

  rowsFor(event: ImageBuildEvent): CliEvent[] {
    const id = `image/${event.image}`;
    if (event.type === 'engine') {
      const progress = event.event;
      if (progress.type !== 'layer' || progress.operation !== 'push' || progress.total === undefined) return [];
      const layers = this.#layers.get(event.image) ?? new Map<string, { current: number; total: number }>();
      this.#layers.set(event.image, layers);
      layers.set(progress.layer, { current: progress.current ?? 0, total: progress.total });
      const sum = (pick: (l: { current: number; total: number }) => number) => [...layers.values()].reduce((n, l) => n + pick(l), 0);
      return [{ type: 'progress', id, loaded: sum((l) => l.current), total: sum((l) => l.total) }];
    }
    const title = `${event.image} ${event.reference}`;
    switch (event.status) {
      case 'done':
        return [
          { type: 'task', id, title, status: event.outcome === 'unchanged' || event.outcome === 'would-build' ? 'skipped' : 'done', detail: event.outcome },
        ];
      case 'failed':
        return [{ type: 'task', id, title, status: 'failed', ...(event.detail ? { detail: event.detail } : {}) }];
      case 'skipped':
        return [{ type: 'task', id, title, status: 'skipped', ...(event.detail ? { detail: event.detail } : {}) }];
      default:
        return [{ type: 'task', id, title, status: 'running', detail: RUNNING_DETAIL[event.status] }];
    }
  }
}
