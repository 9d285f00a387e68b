import { writeFixtureLock, type FixtureLock } from '@falco-airgap/test-support';
import { readFile, writeFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ImageBuilderErrorCode } from './errors.ts';
import { planImageSet, type ImagePlan, type ImageSetSettings } from './image-plan.ts';

const dockerDir = resolve(import.meta.dirname, '../../../docker');
let root: string;
let fixture: FixtureLock;
let loader: string;

async function settings(overrides: Partial<ImageSetSettings> = {}, lock = fixture): Promise<ImageSetSettings> {
  return {
    images: ['falco', 's3-loader', 'plugin-loader'],
    registry: 'registry.example.com:5000/falco',
    falcoVersion: '0.44.1',
    dockerDir,
    lock: { lock: lock.lock, lockBytes: await readFile(lock.lockPath), extractedDir: lock.extractedDir },
    s3LoaderBinary: loader,
    ...overrides,
  };
}
const byName = (plans: ImagePlan[]) => Object.fromEntries(plans.map((p) => [p.name, p]));

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'image-plan-'));
  fixture = await writeFixtureLock(join(root, 'a'), {
    plugins: [
      { name: 'k8saudit', version: '0.18.0' },
      { name: 'json', version: '0.7.4' },
    ],
    rulesfiles: [{ name: 'falco-rules', version: '5.1.0', files: [{ file: 'falco_rules.yaml', text: '- rule: x\n' }] }],
  });
  loader = join(root, 'falco-s3-loader');
  await writeFile(loader, 'loader');
});

describe('planImageSet', () => {
  it('names each image under the registry with the Falco version, a content tag and the user tags', async () => {
    const plans = byName(await planImageSet(await settings({ tags: ['stable'] })));
    expect(Object.keys(plans)).toEqual(['falco', 's3-loader', 'plugin-loader']);
    const falco = plans.falco!;
    const short = falco.contextDigest.slice('sha256:'.length, 'sha256:'.length + 12);
    expect(falco.references).toEqual([
      'registry.example.com:5000/falco/falco:0.44.1',
      `registry.example.com:5000/falco/falco:0.44.1-${short}`,
      'registry.example.com:5000/falco/falco:stable',
    ]);
    expect(falco.contentReference).toBe(`registry.example.com:5000/falco/falco:0.44.1-${short}`);
    expect(falco.buildArgs).toEqual({
      FALCO_VERSION: '0.44.1',
      BASE_IMAGE: 'docker.io/library/almalinux:9-minimal',
      FALCO_IMAGE: 'docker.io/falcosecurity/falco:0.44.1',
    });
    expect(plans['s3-loader']!.repository).toBe('registry.example.com:5000/falco/falco-s3-loader');
    expect(plans['plugin-loader']!.repository).toBe('registry.example.com:5000/falco/falco-plugin-loader');
  });

  it('builds s3-loader from the falco image by its content tag, and brings falco in when only s3-loader is asked for', async () => {
    const plans = byName(await planImageSet(await settings({ images: ['s3-loader'] })));
    expect(Object.keys(plans)).toEqual(['falco', 's3-loader']);
    expect(plans['s3-loader']!.buildArgs.BASE_IMAGE).toBe(plans.falco!.contentReference);
    expect(plans['s3-loader']!.after).toBe('falco');
    expect(plans['s3-loader']!.context.entries.map((e) => e.path)).toEqual(['Dockerfile.s3-loader', 'falco-s3-loader', 'falco-s3-loader-entrypoint.sh']);
    expect(plans.falco!.context.entries.map((e) => e.path)).toEqual(['Dockerfile', 'falco.yaml']);
  });

  it('changes only the plugin-loader context digest when one plugin changes', async () => {
    const before = byName(await planImageSet(await settings()));
    const changed = await writeFixtureLock(join(root, 'b'), {
      plugins: [
        { name: 'k8saudit', version: '0.18.0' },
        { name: 'json', version: '0.7.4', seed: 'rebuilt' },
      ],
      rulesfiles: [{ name: 'falco-rules', version: '5.1.0', files: [{ file: 'falco_rules.yaml', text: '- rule: x\n' }] }],
    });
    const after = byName(await planImageSet(await settings({}, changed)));
    expect(after.falco!.contextDigest).toBe(before.falco!.contextDigest);
    expect(after['s3-loader']!.contextDigest).toBe(before['s3-loader']!.contextDigest);
    expect(after['plugin-loader']!.contextDigest).not.toBe(before['plugin-loader']!.contextDigest);
  });

  it('changes the falco and s3-loader digests with the base image, and every digest with the platform', async () => {
    const before = byName(await planImageSet(await settings()));
    const rebased = byName(await planImageSet(await settings({ baseImage: 'registry.example.com/almalinux:9.6-minimal' })));
    expect(rebased.falco!.contextDigest).not.toBe(before.falco!.contextDigest);
    expect(rebased['s3-loader']!.contextDigest).not.toBe(before['s3-loader']!.contextDigest);
    const arm = byName(await planImageSet(await settings({ platform: 'linux/arm64' })));
    expect(arm['plugin-loader']!.contextDigest).not.toBe(before['plugin-loader']!.contextDigest);
    expect(arm['plugin-loader']!.context.entries.map((e) => e.path)).toContain('payload/libk8saudit.so');
  });

  it('bakes in the lock, a listing of every file checked against it, and labels with the versions', async () => {
    const plan = byName(await planImageSet(await settings({ images: ['plugin-loader'] })))['plugin-loader']!;
    const listing = plan.context.entries.find((e) => e.path === 'files.sha256')!;
    const text = (listing.source as { bytes: Buffer }).bytes.toString();
    const amd64 = (name: string) => fixture.lock.plugins.find((p) => p.name === name)!.platforms.find((p) => p.platform === 'linux/amd64')!;
    expect(text.split('\n').slice(1, -1)).toEqual([
      `${amd64('json').sha256} ${amd64('json').size} payload/libjson.so`,
      `${amd64('k8saudit').sha256} ${amd64('k8saudit').size} payload/libk8saudit.so`,
      `${fixture.lock.rulesfiles[0]!.files[0]!.sha256} ${fixture.lock.rulesfiles[0]!.files[0]!.size} payload/rules/falco_rules.yaml`,
    ]);
    expect(text.split('\n')[0]).toMatch(/^[0-9a-f]{64} \d+ plugins-lock\.yaml$/);
    expect(plan.labels).toMatchObject({
      'falco-airgap.plugin.k8saudit.version': '0.18.0',
      'falco-airgap.plugin.json.version': '0.7.4',
      'falco-airgap.rulesfile.falco-rules.version': '5.1.0',
      'falco-airgap.lock-digest': expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
  });

  it('refuses an extracted file that is not the one the lock names (exit 3 category)', async () => {
    const tampered = await writeFixtureLock(join(root, 'c'), { plugins: [{ name: 'json', version: '0.7.4' }] });
    await writeFile(join(tampered.extractedDir, 'linux-amd64/libjson.so'), 'not the plugin');
    await expect(planImageSet(await settings({ images: ['plugin-loader'] }, tampered))).rejects.toMatchObject({
      code: ImageBuilderErrorCode.FileMismatch,
      category: 'verification',
    });
  });

  it('refuses bad input before reading anything', async () => {
    await expect(planImageSet(await settings({ registry: 'falco' }))).rejects.toMatchObject({ code: ImageBuilderErrorCode.BadRegistry });
    await expect(planImageSet(await settings({ tags: ['-bad'] }))).rejects.toMatchObject({ code: ImageBuilderErrorCode.BadTag });
    await expect(planImageSet(await settings({ images: ['falcon' as 'falco'] }))).rejects.toMatchObject({ code: ImageBuilderErrorCode.UnknownImage });
    await expect(planImageSet({ ...(await settings({ images: ['plugin-loader'] })), lock: undefined })).rejects.toMatchObject({
      code: ImageBuilderErrorCode.InputMissing,
    });
    await expect(planImageSet(await settings({ images: ['s3-loader'], s3LoaderBinary: join(root, 'missing') }))).rejects.toMatchObject({
      code: ImageBuilderErrorCode.InputMissing,
    });
  });
});
