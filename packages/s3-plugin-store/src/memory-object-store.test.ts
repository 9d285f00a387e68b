import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from './memory-object-store.ts';
import { describeObjectReaderContract, describeObjectStoreContract } from '@falco-airgap/test-support';

describeObjectStoreContract('MemoryObjectStore', async () => {
  const store = new MemoryObjectStore();
  return { store, prefix: 'contract/', leaveUnfinishedUpload: async (key: string) => store.startUpload(key) };
});

describe('MemoryObjectStore test hooks', () => {
  it('records every write, in order', async () => {
    const store = new MemoryObjectStore();
    await store.put('a', Buffer.from('1'));
    await store.head('a');
    await store.delete(['a']);
    expect(store.writes).toEqual([
      { operation: 'put', key: 'a' },
      { operation: 'delete', key: 'a' },
    ]);
  });

  it('lets a test change bytes behind the store, changing the ETag but not the stored checksum', async () => {
    const store = new MemoryObjectStore();
    await store.put('a', Buffer.from('good'));
    const before = await store.head('a');
    store.tamper('a', Buffer.from('evil'));
    const after = await store.head('a');
    expect(after!.etag).not.toBe(before!.etag);
    expect(after!.checksumSha256).toBe(before!.checksumSha256);
    expect(Buffer.from((await store.get('a'))!.body).toString()).toBe('evil');
  });
});

describeObjectReaderContract('MemoryObjectStore as a reader', async () => {
  const store = new MemoryObjectStore();
  return { reader: store, writer: store, prefix: 'reader/' };
});
