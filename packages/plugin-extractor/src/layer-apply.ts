import { ExtractError, ExtractErrorCode } from './errors.ts';
import type { EntryKind } from './tar-safety.ts';

/** What the union of an image's layers needs to know of one tar entry (its bytes stay in the layer). */
export interface LayerEntry {
  /** Normalised path as written in the layer. */
  path: string;
  kind: EntryKind;
  linkTarget?: string | undefined;
  size: number;
  mode: number;
}

/** A path of the final filesystem and the layer entry that put it there. */
export interface TreeNode {
  kind: EntryKind;
  layer: number;
  /** The entry's path in its layer, to find its bytes again. */
  archivePath: string;
  linkTarget?: string | undefined;
  size: number;
  mode: number;
}

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
const MAX_SYMLINK_HOPS = 40;

/**
 * The filesystem an image's layers add up to, built from entry metadata only: layers applied in
 * order, whiteouts (`.wh.<name>`) deleting from lower layers, opaque markers hiding a directory's
 * lower contents, and symlinked parent directories followed inside the image root.
 */
export class LayerTree {
  readonly nodes = new Map<string, TreeNode>();

  applyLayer(layer: number, entries: readonly LayerEntry[]): void {
    // Whiteouts hide what lower layers hold, never what this layer adds, so they go first.
    for (const entry of entries) {
      const base = basename(entry.path);
      if (!base.startsWith(WHITEOUT_PREFIX)) continue;
      const dir = this.#realParent(dirname(entry.path));
      if (base === OPAQUE_MARKER) this.#removeDescendants(dir);
      else this.#remove(join(dir, base.slice(WHITEOUT_PREFIX.length)));
    }
    for (const entry of entries) {
      if (entry.path === '' || basename(entry.path).startsWith(WHITEOUT_PREFIX)) continue;
      const real = join(this.#realParent(dirname(entry.path)), basename(entry.path));
      const existing = this.nodes.get(real);
      if (existing?.kind === 'directory' && entry.kind !== 'directory') this.#remove(real);
      this.#ensureParents(real, layer);
      let linkTarget = entry.linkTarget;
      // A hard link names another entry of the same layer by its archive path.
      if (entry.kind === 'hardlink' && linkTarget !== undefined) linkTarget = join(this.#realParent(dirname(linkTarget)), basename(linkTarget));
      this.nodes.set(real, { kind: entry.kind, layer, archivePath: entry.path, linkTarget, size: entry.size, mode: entry.mode });
    }
  }

  /**
   * The node at a path of the final filesystem, following symlinks (also in the last component)
   * the way the kernel would inside a chroot: `..` stops at the root, absolute targets start there.
   */
  resolve(path: string): { path: string; node: TreeNode } | undefined {
    const real = this.#follow(path, true);
    if (real === undefined) return undefined;
    let node = this.nodes.get(real);
    if (!node) return undefined;
    if (node.kind === 'hardlink' && node.linkTarget !== undefined) {
      const target = this.nodes.get(node.linkTarget);
      if (target && target.layer === node.layer && target.kind === 'file') node = { ...target, mode: node.mode };
    }
    return { path: real, node };
  }

  #follow(path: string, followLast: boolean): string | undefined {
    let pending = split(path);
    let current: string[] = [];
    for (let hops = 0; pending.length;) {
      const part = pending.shift()!;
      if (part === '..') {
        current.pop();
        continue;
      }
      const candidate = [...current, part].join('/');
      const node = this.nodes.get(candidate);
      if (node?.kind === 'symlink' && (pending.length > 0 || followLast)) {
        if (++hops > MAX_SYMLINK_HOPS) {
          throw new ExtractError(
            ExtractErrorCode.PathNotFound,
            `too many levels of symbolic links resolving /${path}`,
            'the image has a symlink loop at that path; check the path in the manifest',
          );
        }
        const target = node.linkTarget ?? '';
        if (target.startsWith('/')) current = [];
        pending = [...split(target), ...pending];
        continue;
      }
      current.push(part);
    }
    return current.join('/');
  }

  #realParent(dir: string): string {
    return dir === '' ? '' : (this.#follow(dir, true) ?? dir);
  }

  #ensureParents(path: string, layer: number): void {
    const parts = split(path);
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      const node = this.nodes.get(dir);
      if (node?.kind === 'directory') continue;
      if (node) this.#remove(dir);
      this.nodes.set(dir, { kind: 'directory', layer, archivePath: dir, size: 0, mode: 0o755 });
    }
  }

  #remove(path: string): void {
    const node = this.nodes.get(path);
    this.nodes.delete(path);
    if (node?.kind === 'directory') this.#removeDescendants(path);
  }

  #removeDescendants(dir: string): void {
    const prefix = dir === '' ? '' : `${dir}/`;
    for (const key of [...this.nodes.keys()]) if (key.startsWith(prefix) && key !== dir) this.nodes.delete(key);
  }
}

function split(path: string): string[] {
  return path.split('/').filter((p) => p !== '' && p !== '.');
}
function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? path : path.slice(i + 1);
}
function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? '' : path.slice(0, i);
}
function join(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}
