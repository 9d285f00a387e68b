import { S3StoreError, S3StoreErrorCode } from './errors.ts';
import { isReleaseId } from './layout.ts';
import { arrayField, parseJsonObject, stringField } from './release.ts';

/** channels/<channel>.json: the release a channel follows now, and the ones it followed before (newest first). */
export interface ChannelPointer {
  release: string;
  previous: string[];
  updatedAt: string;
}

/** How many earlier releases a channel remembers for rollback. */
export const CHANNEL_HISTORY_LIMIT = 20;

/** The pointer after promoting `release`; undefined when the channel already follows it (nothing to write). */
export function advancePointer(
  current: ChannelPointer | undefined,
  release: string,
  updatedAt: string,
  historyLimit = CHANNEL_HISTORY_LIMIT,
): ChannelPointer | undefined {
  if (current?.release === release) return undefined;
  const previous = current ? [current.release, ...current.previous].slice(0, historyLimit) : [];
  return { release, previous, updatedAt };
}

/** The pointer after a rollback: back to the release followed before the current one. */
export function rewindPointer(current: ChannelPointer, channel: string, updatedAt: string): ChannelPointer {
  const [release, ...previous] = current.previous;
  if (release === undefined) {
    throw new S3StoreError(S3StoreErrorCode.NoPreviousRelease, `channel ${channel} has no earlier release to roll back to (it follows ${current.release})`, {
      hint: `promote a specific release to channel ${channel} instead, with falco-airgap releases promote`,
    });
  }
  return { release, previous, updatedAt };
}

export function serializeChannelPointer(pointer: ChannelPointer): string {
  return `${JSON.stringify({ release: pointer.release, previous: pointer.previous, updatedAt: pointer.updatedAt }, null, 2)}\n`;
}

export function parseChannelPointer(text: string, where: string): ChannelPointer {
  const bad = (what: string) =>
    new S3StoreError(S3StoreErrorCode.BadDocument, `channel pointer ${where} is invalid: ${what}`, {
      key: where,
      hint: 'channel pointers are written by falco-airgap releases promote; promote a release to repair it',
    });
  const root = parseJsonObject(text, bad);
  const release = stringField(root, 'release', bad);
  if (!isReleaseId(release)) throw bad(`"${release}" is not a release id`);
  const previous = arrayField(root, 'previous', bad).map((id, i) => {
    if (typeof id !== 'string' || !isReleaseId(id)) throw bad(`previous[${i}] is not a release id`);
    return id;
  });
  const updatedAt = stringField(root, 'updatedAt', bad);
  return { release, previous, updatedAt };
}
