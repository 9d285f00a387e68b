/** What the store reports while it works; the library never prints, callers draw these. */
export type StoreEvent =
  | {
      type: 'blob';
      sha256: string;
      /** Path relative to the extracted directory. */
      path: string;
      size: number;
      /**
       * checking: hashing the local file and asking S3; present: already in the bucket and intact;
       * restoring: gone again after the release was written (a gc that ran meanwhile), uploaded anew.
       */
      status: 'checking' | 'uploading' | 'uploaded' | 'present' | 'restoring';
    }
  | { type: 'blob-progress'; sha256: string; loaded: number; total: number }
  | { type: 'release'; id: string; status: 'created' | 'present' | 'restored' }
  | { type: 'channel'; channel: string; from: string | undefined; to: string; status: 'moved' | 'unchanged' | 'retrying' | 'repaired' }
  /** A publish or promotion waits for a gc run that started before it to end (or lapse). */
  | { type: 'gc-wait'; gcRun: string; until: string; status: 'waiting' | 'done' }
  | {
      type: 'gc';
      /** blob: an unreferenced file; release: a retired release; upload: an unfinished multipart upload; lease and gc-run: stale markers. */
      kind: 'blob' | 'release' | 'upload' | 'lease' | 'gc-run';
      key: string;
      size: number;
      status: 'deleted' | 'aborted';
    };

export type StoreEventListener = (event: StoreEvent) => void;
