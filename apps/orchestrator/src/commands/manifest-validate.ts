import { DEFAULT_MANIFEST_PATH, loadManifest, type PluginsManifest } from '@falco-airgap/manifest';
import { resolve } from 'node:path';
import type { CommandContext, CommandOutcome } from '../context.ts';

export interface ManifestValidateOptions {
  file?: string | undefined;
}

export async function manifestValidate(ctx: CommandContext, options: ManifestValidateOptions): Promise<CommandOutcome> {
  const file = options.file ?? DEFAULT_MANIFEST_PATH;
  ctx.reporter.event({ type: 'task', id: 'validate', title: `validate ${file}`, status: 'running' });
  let manifest: PluginsManifest;
  try {
    manifest = await loadManifest(resolve(ctx.cwd, file), file);
  } catch (error) {
    ctx.reporter.event({ type: 'task', id: 'validate', title: `validate ${file}`, status: 'failed' });
    throw error;
  }
  const counts = `${plural(manifest.plugins.length, 'plugin')}, ${plural(manifest.rulesfiles.length, 'rulesfile')}, ${manifest.platforms.join(' + ')}, Falco ${manifest.falco.version}`;
  ctx.reporter.event({ type: 'task', id: 'validate', title: `validate ${file}`, status: 'done', detail: counts });
  return {
    summary: `${file} is valid: ${counts}`,
    data: {
      file,
      falco: manifest.falco,
      platforms: manifest.platforms,
      plugins: manifest.plugins.map((p) => ({ name: p.name, version: p.version, from: p.from })),
      rulesfiles: manifest.rulesfiles.map((r) => ({ name: r.name, version: r.version, from: r.from })),
    },
  };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
