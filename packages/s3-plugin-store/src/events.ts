/** What the store reports while it works; the library never prints, callers draw these. */
export type StoreEvent =
  | {
      type: 'blob';
      sha256: string;
      /** Path relative to the extracted directory. */
      path: string;
      size: number;
      /** checking: hashing the local file and asking S3; present: already in the bucket and intact. */
      status: 'checking' | 'uploading' | 'uploaded' | 'present';
    }
  | { type: 'blob-progress'; sha256: string; loaded: number; total: number }
  | { type: 'release'; id: string; status: 'created' | 'present' }
  | { type: 'channel'; channel: string; from: string | undefined; to: string; status: 'moved' | 'unchanged' | 'retrying' }
  | { type: 'gc'; key: string; size: number; status: 'deleted' };

export type StoreEventListener = (event: StoreEvent) => void;
