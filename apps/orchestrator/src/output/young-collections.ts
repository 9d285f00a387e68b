import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Collect = (options: { type: 'minor' | 'major'; execution: 'sync' }) => void;
let collect: Collect | undefined;

/**
 * Every socket read is a fresh buffer, and V8 collects them only once tens of megabytes of them are
 * pending: a young-generation collection every `everyBytes` transferred keeps a long transfer's peak
 * memory near the process's baseline (as the loader does). The collector is exposed at run time, since
 * `node bin.js` runs without --expose-gc.
 */
export function youngCollections(everyBytes = 8 * 1024 * 1024): (bytes: number) => void {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as Collect;
  }
  const gc = collect;
  let pending = 0;
  return (bytes) => {
    pending += bytes;
    if (pending < everyBytes) return;
    pending = 0;
    gc({ type: 'minor', execution: 'sync' });
  };
}
