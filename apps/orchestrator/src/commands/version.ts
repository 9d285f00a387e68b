import bundle from '@falco-airgap/bundle/package.json' with { type: 'json' };
import containerEngine from '@falco-airgap/container-engine/package.json' with { type: 'json' };
import core from '@falco-airgap/core/package.json' with { type: 'json' };
import eksDeployer from '@falco-airgap/eks-deployer/package.json' with { type: 'json' };
import fleetIdentity from '@falco-airgap/fleet-identity/package.json' with { type: 'json' };
import helmValuesSchema from '@falco-airgap/helm-values-schema/package.json' with { type: 'json' };
import imageBuilder from '@falco-airgap/image-builder/package.json' with { type: 'json' };
import manifest from '@falco-airgap/manifest/package.json' with { type: 'json' };
import oci from '@falco-airgap/oci/package.json' with { type: 'json' };
import pluginExtractor from '@falco-airgap/plugin-extractor/package.json' with { type: 'json' };
import s3PluginStore from '@falco-airgap/s3-plugin-store/package.json' with { type: 'json' };
import type { CommandOutcome } from '../context.ts';
import { version } from '../version.ts';

// Imported, not looked up at run time: the executable bundles these libraries, so it reports the versions built into it.
const LIBRARIES = [bundle, containerEngine, core, eksDeployer, fleetIdentity, helmValuesSchema, imageBuilder, manifest, oci, pluginExtractor, s3PluginStore];

export interface VersionData {
  cli: string;
  node: string;
  libraries: Record<string, string>;
}

/** The versions of the CLI, the Node.js running it and the libraries inside it. */
export function versions(): VersionData {
  return {
    cli: version,
    node: process.version,
    libraries: Object.fromEntries(LIBRARIES.map((p) => [p.name, p.version]).sort(([a], [b]) => a!.localeCompare(b!))),
  };
}

/** `falco-airgap version`. */
export async function versionCommand(): Promise<CommandOutcome> {
  const data = versions();
  const rows: [string, string][] = [['falco-airgap', data.cli], ['node', data.node], ...Object.entries(data.libraries)];
  const width = Math.max(...rows.map(([name]) => name.length));
  return { data, output: rows.map(([name, v]) => `${name.padEnd(width)}  ${v}\n`).join('') };
}
