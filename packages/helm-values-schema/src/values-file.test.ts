import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValuesError } from './errors.ts';
import { checkValuesFiles, parseValuesFile } from './values-file.ts';

// A document whose aliases expand past what a YAML library should expand.
const ALIAS_BOMB = join(import.meta.dirname, '../../../tools/fixtures/yaml-alias-bomb.yaml');

function files(contents: Record<string, string>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'values-file-'));
  return Object.entries(contents).map(([name, text]) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  });
}

function thrown(fn: () => unknown): ValuesError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValuesError) return err;
    throw err;
  }
  throw new Error('no ValuesError');
}

describe('values files', () => {
  it('points each issue at the file and line of the last layer that set the value', async () => {
    const [base, env] = files({
      'base.yaml': 'pluginStrategy: s3\ns3:\n  bucket: acme-falco-plugins\n  channel: prod\ndriver:\n  kind: kmod\n',
      'prod.yaml': '# prod\ndriver:\n  kind: ebpf\n',
    });
    const { issues, values } = await checkValuesFiles([base!, env!]);
    expect(values).toMatchObject({ pluginStrategy: 's3', driver: { kind: 'ebpf' } });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'VALUES_REMOVED_OPTION', path: 'driver.kind', position: { file: env, line: 3, column: 9 } });
  });

  it('points a missing value at the nearest map a layer sets', async () => {
    const [only] = files({ 'only.yaml': 'tty: false\ns3:\n  channel: prod\npluginStrategy: s3\n' });
    const { issues } = await checkValuesFiles([only!]);
    expect(issues[0]).toMatchObject({ code: 'VALUES_S3_BUCKET_REQUIRED', path: 's3.bucket', position: { file: only, line: 3 } });
  });

  it('reports YAML syntax errors and duplicate keys with their position', () => {
    expect(thrown(() => parseValuesFile('driver:\n  kind: kmod\n  kind: auto\n', 'dup.yaml')).issues[0]).toMatchObject({
      code: 'VALUES_YAML_SYNTAX',
      position: { file: 'dup.yaml', line: 3 },
    });
    expect(thrown(() => parseValuesFile('driver: [kmod\n', 'broken.yaml')).code).toBe('VALUES_YAML_SYNTAX');
  });

  it('refuses aliases that expand without bound as a YAML problem, not a crash', () => {
    const error = thrown(() => parseValuesFile(readFileSync(ALIAS_BOMB, 'utf8'), 'bomb.yaml'));
    expect(error.issues[0]).toMatchObject({ code: 'VALUES_YAML_SYNTAX', position: { file: 'bomb.yaml', line: 1 } });
    expect(error.issues[0]!.message).toMatch(/alias/i);
  });

  it('treats an empty file as no values and refuses a list', () => {
    expect(parseValuesFile('# nothing\n', 'empty.yaml').values).toEqual({});
    expect(thrown(() => parseValuesFile('- a\n', 'list.yaml')).code).toBe('VALUES_NOT_A_MAPPING');
  });

  it('reports an unreadable file as an input error', async () => {
    await expect(checkValuesFiles(['/nonexistent/values.yaml'])).rejects.toMatchObject({ code: 'VALUES_READ_FAILED', category: 'input' });
  });
});
