import { tar, type TarEntry } from '@falco-airgap/fixtures';
import { createHash } from 'node:crypto';
import { appendFile, cp, mkdtemp, readdir, readFile, rm, symlink, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeBundleManifest, type BundleManifest } from './bundle-manifest.ts';
import { generateSigningKeyPair, readSigningKey, readVerifyKey, signBytes } from './signing.ts';
import { buildBundleFixture, createFixtureBundle, type BundleFixture } from './test-support/bundle-fixture.ts';
import { verifyBundle, type VerifyOptions } from './verify.ts';

// Hostile bundles: each refused with its own code, before anything could be taken from it.

let root: string;
let fixture: BundleFixture;
let signedDir: string;
let archiveEntries: TarEntry[];
const pair = generateSigningKeyPair('ecdsa-p256');
const key = readSigningKey(pair.privateKeyPem, 'key');
const publicKey = readVerifyKey(pair.publicKeyPem, 'public key');
const hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
let counter = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bundle-verify-'));
  fixture = await buildBundleFixture(join(root, 'connected'));
  signedDir = (await createFixtureBundle(fixture, join(root, 'signed'), { signingKey: key })).out;
  const manifest = JSON.parse(await readFile(join(signedDir, 'bundle.json'), 'utf8')) as BundleManifest;
  archiveEntries = [
    { type: 'file', path: 'bundle.json', content: await readFile(join(signedDir, 'bundle.json')) },
    { type: 'file', path: 'bundle.json.sig', content: await readFile(join(signedDir, 'bundle.json.sig')) },
    ...(await Promise.all(manifest.files.map(async (f) => ({ type: 'file' as const, path: f.path, content: await readFile(join(signedDir, f.path)) })))),
  ];
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** A copy of the signed directory bundle, changed by `change`. */
async function hostileDirectory(change: (dir: string) => Promise<void>): Promise<string> {
  const dir = join(root, `hostile-${++counter}`);
  await cp(signedDir, dir, { recursive: true });
  await change(dir);
  return dir;
}

/** A hostile archive from entries (written verbatim: any path, any type, any order). */
async function hostileArchive(entries: TarEntry[]): Promise<string> {
  const file = join(root, `hostile-${++counter}.tar`);
  await writeFile(file, tar(entries));
  return file;
}

/** Rewrites bundle.json and signs it with the trusted key: a creator who lies, not a transfer that damaged. */
async function resign(dir: string, change: (manifest: BundleManifest) => void): Promise<void> {
  const manifest = JSON.parse(await readFile(join(dir, 'bundle.json'), 'utf8')) as BundleManifest;
  change(manifest);
  const bytes = serializeBundleManifest(manifest);
  await writeFile(join(dir, 'bundle.json'), bytes);
  await writeFile(join(dir, 'bundle.json.sig'), signBytes(bytes, key));
}

async function refused(path: string, code: string, options: VerifyOptions = { publicKey }): Promise<void> {
  const before = await readdir(root, { recursive: true });
  await expect(verifyBundle(path, options)).rejects.toMatchObject({ code, category: 'verification' });
  // Verification reads; it never writes a byte anywhere.
  expect(await readdir(root, { recursive: true })).toEqual(before);
}

const pluginFile = 'plugins/extracted/linux-amd64/libk8saudit.so';

describe('verifyBundle accepts', () => {
  it('the signed bundle as created, as a directory and as an archive of the same entries', async () => {
    const verified = await verifyBundle(signedDir, { publicKey, platforms: ['linux/amd64'] });
    expect(verified.signature.status).toBe('verified');
    expect(verified.manifest.files.length).toBe(archiveEntries.length - 2);
    const archive = await verifyBundle(await hostileArchive(archiveEntries), { publicKey });
    expect(archive.digest).toBe(verified.digest);
    await archive.close();
  });

  it('without a key: integrity only, and says the signature was not checked', async () => {
    const verified = await verifyBundle(signedDir);
    expect(verified.signature).toEqual({ status: 'not-checked', signed: true });
  });
});

describe('verifyBundle refuses', () => {
  it('a tampered file (BUNDLE_DIGEST_MISMATCH)', async () => {
    const dir = await hostileDirectory(async (d) => {
      const bytes = await readFile(join(d, pluginFile));
      bytes[10] = bytes[10]! ^ 0xff;
      await writeFile(join(d, pluginFile), bytes);
    });
    await refused(dir, 'BUNDLE_DIGEST_MISMATCH');
  });

  it('an extra file (BUNDLE_EXTRA_FILE), in a directory and in an archive', async () => {
    await refused(await hostileDirectory((d) => writeFile(join(d, 'plugins/extracted/linux-amd64/libevil.so'), 'evil')), 'BUNDLE_EXTRA_FILE');
    await refused(await hostileArchive([...archiveEntries, { type: 'file', path: 'bin/evil', content: 'x' }]), 'BUNDLE_EXTRA_FILE');
  });

  it('a missing file (BUNDLE_MISSING_FILE)', async () => {
    await refused(await hostileDirectory((d) => unlink(join(d, pluginFile))), 'BUNDLE_MISSING_FILE');
    await refused(await hostileArchive(archiveEntries.filter((e) => e.path !== 'chart/values/01-values-prod.yaml')), 'BUNDLE_MISSING_FILE');
  });

  it('a truncated part and a truncated archive (BUNDLE_TRUNCATED), a missing part (BUNDLE_MISSING_PART)', async () => {
    const split = await createFixtureBundle(fixture, join(root, 'split.tar'), { signingKey: key, splitSize: 4096 });
    const copy = async (name: string, change: (parts: string[]) => Promise<void>) => {
      const parts = await Promise.all(
        split.parts.map(async (p, i) => {
          const to = join(root, `${name}.tar.${String(i).padStart(3, '0')}`);
          await cp(p, to);
          return to;
        }),
      );
      await change(parts);
      return parts;
    };
    const middle = await copy('short-middle', (parts) => truncate(parts[1]!, 1000));
    await refused(middle[0]!, 'BUNDLE_TRUNCATED');
    const last = await copy('short-last', (parts) => truncate(parts.at(-1)!, 100));
    await refused(last[0]!, 'BUNDLE_TRUNCATED');
    const lost = await copy('lost-last', (parts) => unlink(parts.at(-1)!));
    await refused(lost[0]!, 'BUNDLE_TRUNCATED');
    const gap = await copy('gap', (parts) => unlink(parts[2]!));
    await refused(gap[0]!, 'BUNDLE_MISSING_PART');
  });

  it('a bundle signed with another key, or whose manifest was changed after signing (BUNDLE_BAD_SIGNATURE)', async () => {
    const other = readVerifyKey(generateSigningKeyPair('ed25519').publicKeyPem, 'other');
    await refused(signedDir, 'BUNDLE_BAD_SIGNATURE', { publicKey: other });
    const edited = await hostileDirectory(async (d) => {
      const text = await readFile(join(d, 'bundle.json'), 'utf8');
      await writeFile(join(d, 'bundle.json'), text.replace('"creator": "ci@connected"', '"creator": "someone@else"'));
    });
    await refused(edited, 'BUNDLE_BAD_SIGNATURE');
    await refused(await hostileDirectory((d) => writeFile(join(d, 'bundle.json.sig'), 'bm90IGEgc2lnbmF0dXJl')), 'BUNDLE_BAD_SIGNATURE');
  });

  it('an unsigned bundle when a key is required (BUNDLE_UNSIGNED)', async () => {
    await refused(await hostileDirectory((d) => unlink(join(d, 'bundle.json.sig'))), 'BUNDLE_UNSIGNED');
    await refused(await hostileArchive(archiveEntries.filter((e) => e.path !== 'bundle.json.sig')), 'BUNDLE_UNSIGNED');
  });

  it('an archive entry that escapes its directory (BUNDLE_UNSAFE_PATH), and a manifest that names one', async () => {
    await refused(
      await hostileArchive([...archiveEntries.slice(0, 2), { type: 'file', path: '../../etc/cron.d/evil', content: 'x' }, ...archiveEntries.slice(2)]),
      'BUNDLE_UNSAFE_PATH',
    );
    await refused(await hostileArchive([{ type: 'file', path: '/etc/passwd', content: 'x' }, ...archiveEntries]), 'BUNDLE_UNSAFE_PATH');
    const listed = await hostileDirectory((d) =>
      resign(d, (m) => {
        m.files.unshift({ path: '../outside', size: 1, sha256: hex(Buffer.from('x')) });
      }),
    );
    await refused(listed, 'BUNDLE_UNSAFE_PATH');
  });

  it('links: a symbolic link out of the archive or the directory, a hard link (BUNDLE_LINK)', async () => {
    await refused(
      await hostileArchive([...archiveEntries.slice(0, 2), { type: 'symlink', path: 'plugins/escape', target: '/etc' }, ...archiveEntries.slice(2)]),
      'BUNDLE_LINK',
    );
    await refused(await hostileArchive([...archiveEntries, { type: 'hardlink', path: 'bin/again', target: 'bin/falco-s3-loader' }]), 'BUNDLE_LINK');
    const dir = await hostileDirectory(async (d) => {
      await unlink(join(d, pluginFile));
      await symlink('/etc/passwd', join(d, pluginFile));
    });
    await refused(dir, 'BUNDLE_LINK');
  });

  it('the same path twice in an archive (BUNDLE_DUPLICATE_ENTRY)', async () => {
    const evil = { type: 'file' as const, path: pluginFile, content: 'replaced on extraction' };
    await refused(await hostileArchive([...archiveEntries, evil]), 'BUNDLE_DUPLICATE_ENTRY');
  });

  it('a manifest that lies about a size (BUNDLE_SIZE_MISMATCH), even signed by the trusted key', async () => {
    const dir = await hostileDirectory((d) => resign(d, (m) => (m.files.find((f) => f.path === pluginFile)!.size += 1)));
    await refused(dir, 'BUNDLE_SIZE_MISMATCH');
  });

  it('a blob of the OCI layout whose content is not its digest (BUNDLE_OCI_DIGEST_MISMATCH)', async () => {
    const dir = await hostileDirectory(async (d) => {
      const manifest = JSON.parse(await readFile(join(d, 'bundle.json'), 'utf8')) as BundleManifest;
      const blob = manifest.files.filter((f) => f.path.startsWith('oci/blobs/')).sort((a, b) => b.size - a.size)[0]!;
      const bytes = await readFile(join(d, blob.path));
      bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x01;
      await writeFile(join(d, blob.path), bytes);
      await resign(d, (m) => (m.files.find((f) => f.path === blob.path)!.sha256 = hex(bytes)));
    });
    await refused(dir, 'BUNDLE_OCI_DIGEST_MISMATCH');
  });

  it('a layout that lacks a blob its manifests name (BUNDLE_OCI_INCOMPLETE)', async () => {
    const dir = await hostileDirectory(async (d) => {
      const layer = `oci/blobs/sha256/${fixture.imageDigests.falco!.slice(7)}`;
      const manifest = JSON.parse(await readFile(join(d, layer), 'utf8')) as { layers: { digest: string }[] };
      const path = `oci/blobs/sha256/${manifest.layers[0]!.digest.slice(7)}`;
      await unlink(join(d, path));
      await resign(d, (m) => (m.files = m.files.filter((f) => f.path !== path)));
    });
    await refused(dir, 'BUNDLE_OCI_INCOMPLETE');
  });

  it('a bundle for another platform (BUNDLE_PLATFORM_MISMATCH), and one that claims a platform its images lack', async () => {
    await refused(signedDir, 'BUNDLE_PLATFORM_MISMATCH', { publicKey, platforms: ['linux/arm64'] });
    const claims = await hostileDirectory((d) => resign(d, (m) => (m.platforms = ['linux/amd64', 'linux/arm64'])));
    await refused(claims, 'BUNDLE_PLATFORM_MISMATCH');
    const relabelled = await hostileDirectory((d) => resign(d, (m) => (m.images[0]!.platforms = ['linux/arm64'])));
    await refused(relabelled, 'BUNDLE_PLATFORM_MISMATCH');
  });

  it('a damaged archive header and data after the end marker (BUNDLE_BAD_ARCHIVE)', async () => {
    const damaged = await hostileArchive(archiveEntries);
    const bytes = await readFile(damaged);
    const manifestEntry = archiveEntries[0] as unknown as { content: Buffer };
    const second = 512 + Math.ceil(manifestEntry.content.length / 512) * 512;
    bytes[second + 5] = bytes[second + 5]! ^ 0x20;
    await writeFile(damaged, bytes);
    await refused(damaged, 'BUNDLE_BAD_ARCHIVE');
    const appended = await hostileArchive(archiveEntries);
    await appendFile(appended, Buffer.concat([Buffer.alloc(1024), Buffer.from('hidden payload')]));
    await refused(appended, 'BUNDLE_BAD_ARCHIVE');
  });

  it('an archive that does not start with bundle.json, and a bundle of a newer format', async () => {
    await refused(await hostileArchive([...archiveEntries.slice(2), ...archiveEntries.slice(0, 2)]), 'BUNDLE_BAD_MANIFEST');
    const newer = await hostileDirectory(async (d) => {
      const bytes = Buffer.from((await readFile(join(d, 'bundle.json'), 'utf8')).replace('falco-airgap/v1alpha1', 'falco-airgap/v2'));
      await writeFile(join(d, 'bundle.json'), bytes);
      await writeFile(join(d, 'bundle.json.sig'), signBytes(bytes, key));
    });
    await refused(newer, 'BUNDLE_UNSUPPORTED_VERSION');
  });
});
