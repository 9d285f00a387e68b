import type { ChannelChange, StoreEvent } from '@falco-airgap/s3-plugin-store';
import type { CliEvent } from './events.ts';
import { formatBytes } from './human-reporter.ts';
import type { Reporter } from './reporter.ts';

/** A store listener that draws every event on the reporter. */
export function reportStoreEvents(reporter: Reporter): (event: StoreEvent) => void {
  return (event) => {
    const row = storeTaskRows(event);
    if (row) reporter.event(row);
  };
}

/** The store's domain events as the CLI's task rows, progress and warnings. */
export function storeTaskRows(event: StoreEvent): CliEvent | undefined {
  switch (event.type) {
    case 'blob': {
      const id = `blob ${event.sha256}`;
      const title = `${event.path} (${formatBytes(event.size)})`;
      if (event.status === 'checking') return { type: 'task', id, title, status: 'running', detail: 'checking' };
      if (event.status === 'uploading') return { type: 'task', id, title, status: 'running', detail: 'uploading' };
      if (event.status === 'uploaded') return { type: 'task', id, title, status: 'done', detail: 'uploaded' };
      if (event.status === 'restoring') return { type: 'task', id, title, status: 'running', detail: 'deleted by a gc meanwhile, uploading again' };
      return { type: 'task', id, title, status: 'skipped', detail: 'already in the bucket' };
    }
    case 'blob-progress':
      return { type: 'progress', id: `blob ${event.sha256}`, loaded: event.loaded, total: event.total };
    case 'release':
      return {
        type: 'task',
        id: 'release',
        title: `release ${event.id}`,
        status: event.status === 'present' ? 'skipped' : 'done',
        detail: event.status === 'created' ? 'written' : event.status === 'restored' ? 'written again (a gc retired it meanwhile)' : 'already published',
      };
    case 'gc-wait':
      return {
        type: 'task',
        id: `gc-wait ${event.gcRun}`,
        title: `gc run ${event.gcRun}`,
        status: event.status === 'waiting' ? 'running' : 'done',
        detail: event.status === 'waiting' ? `a gc started before this command; waiting until it ends (at the latest ${event.until})` : 'ended',
      };
    case 'channel':
      if (event.status === 'retrying') {
        return {
          type: 'diagnostic',
          severity: 'warning',
          code: 'S3STORE_CHANNEL_CONFLICT',
          message: `channel ${event.channel} changed meanwhile; trying again`,
          hint: 'another pipeline moved it at the same time',
        };
      }
      if (event.status === 'repaired') {
        return {
          type: 'diagnostic',
          severity: 'warning',
          code: 'S3STORE_BAD_DOCUMENT',
          message: `channel ${event.channel} was damaged and is replaced: it now follows ${event.to} and has no history to roll back to`,
        };
      }
      return {
        type: 'task',
        id: `channel ${event.channel}`,
        title: `channel ${event.channel} → ${event.to}`,
        status: event.status === 'moved' ? 'done' : 'skipped',
        detail: event.status === 'moved' ? (event.from ? `was ${event.from}` : 'new channel') : 'already there',
      };
    case 'gc': {
      const title =
        event.status === 'aborted' ? `abort the unfinished upload of ${event.key}` : `delete ${event.kind === 'blob' ? '' : `${event.kind} `}${event.key}`;
      return { type: 'task', id: `gc ${event.kind} ${event.key}`, title, status: 'done', detail: event.size ? formatBytes(event.size) : undefined };
    }
  }
}

/** One line on what a promote, rollback or publish did to a channel. */
export function describeChannelChange(change: ChannelChange): string {
  if (!change.changed) return `channel ${change.channel} already follows ${change.to}: nothing to do`;
  if (change.repaired) return `channel ${change.channel} was damaged and now follows ${change.to} (its history is lost)`;
  return `channel ${change.channel} now follows ${change.to}${change.from ? ` (was ${change.from})` : ''}`;
}
