import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pluginsLockJsonSchema, pluginsManifestJsonSchema } from './json-schema.ts';

const schemaDir = join(import.meta.dirname, '..', 'schema');

describe('published JSON schemas', () => {
  it.each([
    ['plugins-manifest.schema.json', pluginsManifestJsonSchema],
    ['plugins-lock.schema.json', pluginsLockJsonSchema],
  ])('%s matches the source (run npm run build -w @falco-airgap/manifest when this fails)', (file, schema) => {
    expect(JSON.parse(readFileSync(join(schemaDir, file), 'utf8'))).toEqual(schema);
  });
});
