import { makeDirectory, type Platform } from '@falco-airgap/core';
import { pluginsFor, type ReleaseDocument } from '@falco-airgap/s3-plugin-store';
import { mkdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LoaderError, LoaderErrorCode } from './errors.ts';
import { hasContent, syncDirectory, writeFileAtomically } from './files.ts';

/** One file the loader puts in place. */
export interface InstallItem {
  kind: 'plugin' | 'rules';
  name: string;
  version: string;
  /** Directory it is installed in. */
  dir: string;
  file: string;
  sha256: string;
  size: number;
  /** Key of the blob relative to the store prefix. */
  blob: string;
}

export const STATE_KIND = 'FalcoS3LoaderState';

/** The state file: what the last successful run installed, and from where. */
export interface InstallState {
  kind: typeof STATE_KIND;
  release: string;
  /** The channel followed, or undefined when a release was pinned. */
  channel: string | undefined;
  source: 's3' | 'cache';
  platform: Platform;
  installedAt: string;
  files: InstallItem[];
}

/** Written before the first rename and removed after the last: a run killed in between is finished by the next. */
interface Journal {
  moves: { from: string; to: string }[];
  remove: string[];
  state: InstallState;
}

const STAGING = '.falco-s3-loader.staging';

export const pathOf = (item: Pick<InstallItem, 'dir' | 'file'>) => join(item.dir, item.file);
export const stagingDirOf = (dir: string) => join(dir, STAGING);
export const stagedPathOf = (item: Pick<InstallItem, 'dir' | 'file'>) => join(stagingDirOf(item.dir), item.file);
const journalPathOf = (stateFile: string) => `${stateFile}.journal`;

/** What a release installs on this platform: its plugins, and its rules files when a rules directory is set. */
export function itemsFor(release: ReleaseDocument, options: { platform: Platform; destination: string; rulesDestination?: string | undefined }): InstallItem[] {
  const plugins = pluginsFor(release, options.platform).map((p): InstallItem => ({
    kind: 'plugin',
    name: p.name,
    version: p.version,
    dir: options.destination,
    file: p.file,
    sha256: p.sha256,
    size: p.size,
    blob: p.blob,
  }));
  const rules = options.rulesDestination
    ? release.rulesfiles.map((r): InstallItem => ({
        kind: 'rules',
        name: r.name,
        version: r.version,
        dir: options.rulesDestination!,
        file: r.file,
        sha256: r.sha256,
        size: r.size,
        blob: r.blob,
      }))
    : [];
  return [...plugins, ...rules];
}

export async function readState(stateFile: string): Promise<InstallState | undefined> {
  let text: string;
  try {
    text = await readFile(stateFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const state = JSON.parse(text) as InstallState;
  return state?.kind === STATE_KIND && Array.isArray(state.files) ? state : undefined;
}

/** Whether the files of `items` are in place with the right bytes (a restart with nothing new downloads nothing). */
export async function isInstalled(items: readonly InstallItem[], signal?: AbortSignal): Promise<boolean> {
  for (const item of items) if (!(await hasContent(pathOf(item), item, signal))) return false;
  return true;
}

/** Removes what a killed run left in the staging directories; finishes its install if it got as far as the journal. */
export async function recoverInterruptedInstall(stateFile: string, dirs: readonly string[]): Promise<'finished' | 'nothing' | 'discarded'> {
  let outcome: 'finished' | 'nothing' | 'discarded' = 'nothing';
  const journal = await readJournal(stateFile);
  if (journal) {
    try {
      // Whatever a killed run left is checked again before it counts as installed.
      await applyJournal(journal, stateFile, { verify: true });
      outcome = 'finished';
    } catch (error) {
      // The journal cannot be completed (files gone or altered): drop it, the run installs afresh.
      if (!(error instanceof LoaderError)) throw error;
      await rm(journalPathOf(stateFile), { force: true });
      outcome = 'discarded';
    }
  }
  for (const dir of dirs) await rm(stagingDirOf(dir), { recursive: true, force: true });
  return outcome;
}

/**
 * Moves verified staged files into place, all or none: the journal is durable before the first
 * rename, so an interruption is rolled forward by the next run, never left half-installed.
 */
export async function installStaged(items: readonly InstallItem[], previous: InstallState | undefined, state: InstallState, stateFile: string): Promise<void> {
  const targets = new Set(items.map(pathOf));
  const journal: Journal = {
    moves: items.map((item) => ({ from: stagedPathOf(item), to: pathOf(item) })),
    // Only files an earlier run installed are removed; whatever the image ships stays.
    remove: (previous?.files ?? []).map(pathOf).filter((path) => !targets.has(path)),
    state,
  };
  await writeFileAtomically(journalPathOf(stateFile), JSON.stringify(journal));
  // The staged files were verified as they were downloaded; renames do not change bytes.
  await applyJournal(journal, stateFile, { verify: false });
}

async function applyJournal(journal: Journal, stateFile: string, options: { verify: boolean }): Promise<void> {
  const dirs = new Set<string>();
  for (const move of journal.moves) {
    if (await exists(move.from)) {
      await rename(move.from, move.to);
    } else if (!(await exists(move.to))) {
      throw new LoaderError(LoaderErrorCode.InstallFailed, `interrupted install cannot be finished: ${move.from} is gone`);
    }
    dirs.add(dirname(move.to));
  }
  for (const item of options.verify ? journal.state.files : []) {
    if (!(await hasContent(pathOf(item), item)))
      throw new LoaderError(LoaderErrorCode.InstallFailed, `${pathOf(item)} does not hold the bytes of ${item.name} ${item.version}`);
  }
  for (const path of journal.remove) {
    await unlink(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    dirs.add(dirname(path));
  }
  for (const dir of dirs) await syncDirectory(dir);
  await writeFileAtomically(stateFile, `${JSON.stringify(journal.state, null, 2)}\n`);
  await unlink(journalPathOf(stateFile));
}

async function readJournal(stateFile: string): Promise<Journal | undefined> {
  try {
    return JSON.parse(await readFile(journalPathOf(stateFile), 'utf8')) as Journal;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // A journal cut short was never acted on (it is written to a temporary name, then renamed).
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

export async function prepareStaging(dirs: readonly string[]): Promise<void> {
  for (const dir of dirs) {
    await makeDirectory(dir);
    await rm(stagingDirOf(dir), { recursive: true, force: true });
    await mkdir(stagingDirOf(dir));
  }
}

export async function removeStaging(dirs: readonly string[]): Promise<void> {
  for (const dir of dirs) await rm(stagingDirOf(dir), { recursive: true, force: true });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
