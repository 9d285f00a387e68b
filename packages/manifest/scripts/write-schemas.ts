import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pluginsLockJsonSchema, pluginsManifestJsonSchema } from '../src/json-schema.ts';
import { falcoVersionsJsonSchema } from '../src/versions-schema.ts';
import { MANIFEST_CHECK_TYPES, manifestCheckCode } from './manifest-check-code.ts';
import { SHIPPED_VERSIONS_TYPES, shippedVersionsCode } from './shipped-versions-code.ts';

// Writes the editor schemas shipped in the package and the precompiled manifest check; a unit test fails when they are stale.
const schemaDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'schema');
mkdirSync(schemaDir, { recursive: true });
writeFileSync(join(schemaDir, 'plugins-manifest.schema.json'), `${JSON.stringify(pluginsManifestJsonSchema, null, 2)}\n`);
writeFileSync(join(schemaDir, 'plugins-lock.schema.json'), `${JSON.stringify(pluginsLockJsonSchema, null, 2)}\n`);
writeFileSync(join(schemaDir, 'falco-versions.schema.json'), `${JSON.stringify(falcoVersionsJsonSchema, null, 2)}\n`);
writeFileSync(join(schemaDir, 'manifest-check.js'), manifestCheckCode());
writeFileSync(join(schemaDir, 'manifest-check.d.ts'), MANIFEST_CHECK_TYPES);
writeFileSync(join(schemaDir, 'shipped-versions.js'), shippedVersionsCode(readFileSync(join(schemaDir, '..', 'versions.yaml'), 'utf8')));
writeFileSync(join(schemaDir, 'shipped-versions.d.ts'), SHIPPED_VERSIONS_TYPES);
