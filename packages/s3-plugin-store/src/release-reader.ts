import { parseChannelPointer, type ChannelPointer } from './channel-pointer.ts';
import { S3StoreError, S3StoreErrorCode } from './errors.ts';
import { assertReleaseId, StoreLayout } from './layout.ts';
import type { ObjectReader } from './object-store.ts';
import { parseReleaseDocument, type ReleaseDocument } from './release.ts';

export interface ChannelState {
  channel: string;
  pointer: ChannelPointer;
  etag: string;
}

/** The read side of a store: what a cluster needs to find the release it should run. */
export class ReleaseReader {
  readonly layout: StoreLayout;
  private readonly reader: ObjectReader;

  constructor(options: { objects: ObjectReader; prefix?: string | undefined }) {
    this.reader = options.objects;
    this.layout = new StoreLayout(options.prefix);
  }

  /** A release document, checked; S3STORE_RELEASE_NOT_FOUND when there is none. */
  async getRelease(releaseId: string, signal?: AbortSignal): Promise<ReleaseDocument> {
    const release = await this.readRelease(assertReleaseId(releaseId), signal);
    if (!release) {
      throw new S3StoreError(S3StoreErrorCode.ReleaseNotFound, `release ${releaseId} does not exist in ${this.where()}`, {
        key: this.layout.releaseKey(releaseId),
        hint: 'list the releases with falco-airgap releases list',
      });
    }
    return release;
  }

  /** A channel's pointer and its ETag; S3STORE_CHANNEL_NOT_FOUND when nothing was promoted to it yet. */
  async getChannel(channel: string, signal?: AbortSignal): Promise<ChannelState> {
    const state = await this.readChannel(channel, signal);
    if (!state) {
      throw new S3StoreError(S3StoreErrorCode.ChannelNotFound, `channel ${channel} does not exist in ${this.where()}`, {
        key: this.layout.channelKey(channel),
        hint: `promote a release to channel ${channel} first, with falco-airgap releases promote`,
      });
    }
    return state;
  }

  /** The release a channel follows now. */
  async resolveChannel(channel: string, signal?: AbortSignal): Promise<{ channel: ChannelState; release: ReleaseDocument }> {
    const state = await this.getChannel(channel, signal);
    return { channel: state, release: await this.getRelease(state.pointer.release, signal) };
  }

  protected async readRelease(id: string, signal?: AbortSignal): Promise<ReleaseDocument | undefined> {
    const key = this.layout.releaseKey(id);
    const object = await this.reader.get(key, { signal });
    if (!object) return undefined;
    const release = parseReleaseDocument(Buffer.from(object.body).toString('utf8'), key);
    if (release.id !== id) {
      throw new S3StoreError(S3StoreErrorCode.ReleaseTampered, `${key} holds release ${release.id}`, {
        key,
        hint: 'release documents must not be copied or renamed; publish again',
      });
    }
    return release;
  }

  protected async readChannel(channel: string, signal?: AbortSignal): Promise<ChannelState | undefined> {
    const object = await this.readChannelObject(channel, signal);
    if (!object) return undefined;
    return { channel, pointer: parseChannelPointer(object.text, object.key), etag: object.etag };
  }

  /** A channel's document as stored, unparsed: what a promotion replaces when the document is damaged. */
  protected async readChannelObject(channel: string, signal?: AbortSignal): Promise<{ key: string; text: string; etag: string } | undefined> {
    const key = this.layout.channelKey(channel);
    const object = await this.reader.get(key, { signal });
    return object && { key, text: Buffer.from(object.body).toString('utf8'), etag: object.etag };
  }

  protected where(): string {
    return this.layout.prefix ? `prefix ${this.layout.prefix}` : 'the bucket';
  }
}
