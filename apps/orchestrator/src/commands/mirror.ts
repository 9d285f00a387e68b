import { mirrorArtifacts, parseMirrorTarget, planMirror, serializeFalcoctlIndex } from '@falco-airgap/bundle';
import { definedFields, makeDirectory } from '@falco-airgap/core';
import { loadLock } from '@falco-airgap/manifest';
import { createRegistryClient } from '@falco-airgap/oci';
import { rename, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import type { CommandContext, CommandOutcome } from '../context.ts';
import { registryAccess, type RegistryFlags } from '../options/registry.ts';

export interface MirrorCommandOptions extends RegistryFlags {
  to: string;
  lock: string;
  indexOut: string;
}

/** `falco-airgap mirror`: the locked artifacts into a private registry, and a falcoctl index that points there. */
export async function mirror(ctx: CommandContext, options: MirrorCommandOptions): Promise<CommandOutcome> {
  const target = parseMirrorTarget(options.to);
  const lock = await loadLock(resolve(ctx.cwd, options.lock), options.lock);
  const plan = planMirror(lock, target);
  const access = registryAccess(options, ctx.environment, ctx.cwd, ctx.credentials.registry());
  const client = await createRegistryClient(
    definedFields({
      caFile: access.caFile,
      plainHttp: access.plainHttp,
      cacheDir: access.cacheDir,
      dockerConfigDir: access.dockerConfigDir,
      credentials: access.credentials,
      proxy: access.proxy,
      userAgent: 'falco-airgap-mirror',
    }),
  );
  let result;
  try {
    result = await mirrorArtifacts(client, plan, {
      signal: ctx.signal,
      onEvent: ({ item, report, signatures }) =>
        ctx.reporter.event({
          type: 'task',
          id: `${item.kind}/${item.name}`,
          title: `${item.kind} ${item.name} ${item.version} → ${item.target.registry}/${item.target.repository}`,
          status: 'done',
          detail:
            `${report.blobsUploaded} uploaded, ${report.blobsMounted} mounted, ${report.blobsPresent} already there` +
            (signatures.length ? `; ${signatures.length} signature${signatures.length === 1 ? '' : 's'}` : ''),
        }),
    });
  } finally {
    await client.close();
  }
  const indexFile = resolve(ctx.cwd, options.indexOut);
  await makeDirectory(dirname(indexFile));
  // Written whole or not at all: falcoctl may read the file while it is replaced.
  await writeFile(`${indexFile}.tmp`, serializeFalcoctlIndex(result.index));
  await rename(`${indexFile}.tmp`, indexFile);

  const sum = (key: 'blobsUploaded' | 'blobsMounted' | 'blobsPresent' | 'manifestsWritten') => result.reports.reduce((n, r) => n + r.report[key], 0);
  const tags = result.reports.reduce((n, r) => n + r.report.tagsWritten.length, 0);
  const signatures = result.reports.reduce((n, r) => n + r.signatures.length, 0);
  const shownIndex = relative(ctx.cwd, indexFile).startsWith('..') ? indexFile : relative(ctx.cwd, indexFile);
  const where = `${target.registry}${target.prefix ? `/${target.prefix}` : ''}`;
  const lines = [
    `mirrored ${result.items.length} artifact${result.items.length === 1 ? '' : 's'} to ${where} ` +
      `(${sum('blobsUploaded')} blobs uploaded, ${sum('blobsMounted')} mounted, ${sum('blobsPresent')} already there; ` +
      `${sum('manifestsWritten')} manifests and ${tags} tags written; ${signatures} signature${signatures === 1 ? '' : 's'} copied); ` +
      `falcoctl index ${shownIndex} with ${result.index.length} entries`,
    ...result.skipped.map((s) => `  skipped ${s.kind} ${s.name}: ${s.reason}`),
  ];
  return {
    summary: lines.join('\n'),
    data: {
      target: where,
      indexFile: shownIndex,
      artifacts: result.reports.map(({ item, report, signatures: copied }) => ({
        kind: item.kind,
        name: item.name,
        version: item.version,
        source: item.sourceReference,
        target: `${item.target.registry}/${item.target.repository}`,
        tags: item.tags,
        ...report,
        signatures: copied.map(({ digest, foundVia }) => ({ digest, foundVia })),
        signatureBlobsUploaded: copied.reduce((n, s) => n + s.blobsUploaded, 0),
      })),
      skipped: result.skipped,
    },
  };
}
