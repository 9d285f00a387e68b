import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifestCheckCode } from '../scripts/manifest-check-code.ts';
import { pluginsLockJsonSchema, pluginsManifestJsonSchema } from './json-schema.ts';
import { falcoVersionsJsonSchema } from './versions-schema.ts';

const schemaDir = join(import.meta.dirname, '..', 'schema');

describe('published JSON schemas', () => {
  it.each([
    ['plugins-manifest.schema.json', pluginsManifestJsonSchema],
    ['plugins-lock.schema.json', pluginsLockJsonSchema],
    ['falco-versions.schema.json', falcoVersionsJsonSchema],
  ])('%s matches the source (run npm run build -w @falco-airgap/manifest when this fails)', (file, schema) => {
    expect(JSON.parse(readFileSync(join(schemaDir, file), 'utf8'))).toEqual(schema);
  });

  it('manifest-check.js is the manifest schema compiled from the source (run npm run build -w @falco-airgap/manifest when this fails)', () => {
    expect(readFileSync(join(schemaDir, 'manifest-check.js'), 'utf8')).toBe(manifestCheckCode());
  });
});
