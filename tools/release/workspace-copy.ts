import { cp, mkdir, readFile, readdir, symlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { VerifyError } from './errors.ts';

export interface WorkspacePackage {
  name: string;
  version: string;
  private: boolean;
  /** Relative to the workspace root, e.g. packages/manifest */
  dir: string;
  dependencies: Record<string, string>;
}

interface PackageJson {
  name?: string;
  version?: string;
  private?: boolean;
  workspaces?: string[];
  dependencies?: Record<string, string>;
}

/** The workspace packages npm sees, from the root's "workspaces" entries: "dir/*" globs or literal directories. */
export async function listWorkspacePackages(root: string): Promise<WorkspacePackage[]> {
  const rootJson = await readPackageJson(join(root, 'package.json'));
  const dirs: string[] = [];
  for (const pattern of rootJson.workspaces ?? []) {
    const glob = /^([^*]+)\/\*$/.exec(pattern);
    if (glob) {
      const parent = glob[1]!;
      const entries = await readdir(join(root, parent), { withFileTypes: true });
      dirs.push(...entries.filter((entry) => entry.isDirectory()).map((entry) => `${parent}/${entry.name}`));
    } else if (!/[*?{[]/.test(pattern)) {
      dirs.push(pattern.replace(/\/$/, ''));
    } else {
      throw new VerifyError(`workspace pattern "${pattern}" is neither "dir/*" nor a directory`, {
        code: 'RELEASE_VERIFY_WORKSPACE',
        detail: 'teach listWorkspacePackages in tools/release/workspace-copy.ts the new pattern',
      });
    }
  }
  const packages: WorkspacePackage[] = [];
  for (const dir of dirs.sort()) {
    const json = await readPackageJson(join(root, dir, 'package.json')).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (!json?.name || !json.version) continue;
    packages.push({ name: json.name, version: json.version, private: json.private === true, dir, dependencies: json.dependencies ?? {} });
  }
  return packages;
}

/**
 * Copies what changesets needs into `dest`: root package.json and lockfile, .changeset/, each publishable package
 * with its built dist/, and only the package.json of private ones (changesets still bumps their dependency ranges).
 * The root node_modules is linked so changesets finds its changelog generator.
 */
export async function copyWorkspace(root: string, dest: string, packages: readonly WorkspacePackage[]): Promise<void> {
  await mkdir(dest, { recursive: true });
  await cp(join(root, 'package.json'), join(dest, 'package.json'));
  await cp(join(root, 'package-lock.json'), join(dest, 'package-lock.json')).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  await cp(join(root, '.changeset'), join(dest, '.changeset'), { recursive: true });
  for (const pkg of packages) {
    if (pkg.private) {
      await mkdir(join(dest, pkg.dir), { recursive: true });
      await cp(join(root, pkg.dir, 'package.json'), join(dest, pkg.dir, 'package.json'));
    } else {
      await cp(join(root, pkg.dir), join(dest, pkg.dir), { recursive: true, filter: (source) => basename(source) !== 'node_modules' });
    }
  }
  await symlink(join(root, 'node_modules'), join(dest, 'node_modules'), 'dir');
}

export async function readPackageJson(file: string): Promise<PackageJson> {
  return JSON.parse(await readFile(file, 'utf8')) as PackageJson;
}
