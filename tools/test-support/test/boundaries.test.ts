import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from '@falco-airgap/testbed/env';
import { ESLint } from 'eslint';
import { afterAll, describe, expect, it } from 'vitest';

// The workspace's lint config, run on probe files placed inside real projects: boundaries hold or lint fails.
const probes: string[] = [];
// The rule names the tag constraint, or the cycle the import would close (an app already imports the package).
const REFUSED = /can only depend on libs tagged|Circular dependency/;
afterAll(async () => {
  await Promise.all(probes.map((file) => rm(file, { force: true })));
});

async function lint(project: string, source: string): Promise<string[]> {
  const file = join(repoRoot, project, `boundary-${process.pid}-${probes.length}.probe.ts`);
  probes.push(file);
  await writeFile(file, source);
  const eslint = new ESLint({ cwd: repoRoot });
  const [result] = await eslint.lintFiles([file]);
  await rm(file, { force: true });
  return (result?.messages ?? []).filter((m) => m.ruleId === '@nx/enforce-module-boundaries' || m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('module boundaries', { timeout: 120_000 }, () => {
  it('refuses a package that imports an app', async () => {
    expect(await lint('packages/manifest/src', "export { runCli } from '@falco-airgap/cli';\n")).toEqual([expect.stringMatching(REFUSED)]);
  });

  it('refuses a sideways import the architecture does not name', async () => {
    expect(await lint('packages/s3-plugin-store/src', "export { extract } from '@falco-airgap/plugin-extractor';\n")).toEqual([expect.stringMatching(REFUSED)]);
  });

  it('refuses core importing anything of the workspace', async () => {
    expect(await lint('packages/core/src', "export { parseManifest } from '@falco-airgap/manifest';\n")).toEqual([expect.stringMatching(REFUSED)]);
  });

  it("refuses a package reaching into another's src by relative path", async () => {
    const messages = await lint('packages/s3-plugin-store/src', "export { parseManifest } from '../../manifest/src/index.ts';\n");
    expect(messages.join('\n')).toMatch(/relative|npm scope|climbs out/);
  });

  it('refuses a test helper import that climbs out of its package', async () => {
    expect(await lint('apps/s3-loader/src', "export { repoRoot } from '../../../tools/testbed/env.ts';\n")).toEqual(
      expect.arrayContaining([expect.stringMatching(/climbs out/)]),
    );
  });

  it('accepts the edges the architecture names', async () => {
    expect(await lint('apps/orchestrator/src', "export { parseManifest } from '@falco-airgap/manifest';\n")).toEqual([]);
    expect(
      await lint('packages/s3-plugin-store/src', "export { parseManifest } from '@falco-airgap/manifest';\nexport { isSemver } from '@falco-airgap/core';\n"),
    ).toEqual([]);
  });
});
