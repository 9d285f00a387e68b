// Copied into an empty project by tools/release/verify.ts: what a user of the published package writes.
import { readFileSync } from 'node:fs';
import { parseManifest, type PluginsManifest } from '@falco-airgap/manifest';

const manifest: PluginsManifest = parseManifest(readFileSync('plugins-manifest.yaml', 'utf8'), 'plugins-manifest.yaml');

// @ts-expect-error falco.version is a string; this line fails to compile if the shipped types degrade to any.
const notANumber: number = manifest.falco.version;
void notANumber;

const plugins: string[] = manifest.plugins.map((plugin) => `${plugin.name}@${plugin.version}`);
console.log(JSON.stringify({ falco: manifest.falco.version, platforms: manifest.platforms, plugins }));
