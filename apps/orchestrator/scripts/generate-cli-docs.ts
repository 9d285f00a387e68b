// Writes docs/cli/*.md from the command definitions; src/cli-docs.test.ts fails when the committed pages differ.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { CLI_DOCS_DIR, cliDocsPages } from '../src/cli-docs.ts';

const dir = resolve(import.meta.dirname, '../../..', CLI_DOCS_DIR);
await mkdir(dir, { recursive: true });
const pages = cliDocsPages();
for (const [file, markdown] of pages) {
  const path = join(dir, file);
  await writeFile(path, await format(markdown, { ...(await resolveConfig(path)), filepath: path }));
}
for (const stale of (await readdir(dir)).filter((file) => file.endsWith('.md') && !pages.has(file))) await rm(join(dir, stale));
console.log(`wrote ${pages.size} pages to ${CLI_DOCS_DIR}`);
