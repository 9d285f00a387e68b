import { describe, expect, it } from 'vitest';
import { LayerTree, type LayerEntry } from './layer-apply.ts';

const f = (path: string, size = 1): LayerEntry => ({ path, kind: 'file', size, mode: 0o644 });
const d = (path: string): LayerEntry => ({ path, kind: 'directory', size: 0, mode: 0o755 });
const l = (path: string, target: string): LayerEntry => ({ path, kind: 'symlink', linkTarget: target, size: 0, mode: 0o777 });

describe('LayerTree', () => {
  it('lets an upper layer replace a file of a lower one', () => {
    const tree = new LayerTree();
    tree.applyLayer(0, [d('usr'), f('usr/lib/plugin.so', 10)]);
    tree.applyLayer(1, [f('usr/lib/plugin.so', 20)]);
    expect(tree.resolve('usr/lib/plugin.so')?.node).toMatchObject({ layer: 1, size: 20 });
  });

  it('deletes a lower file with a .wh. whiteout, but keeps what the same layer adds', () => {
    const tree = new LayerTree();
    tree.applyLayer(0, [f('p/a.so'), f('p/b.so')]);
    tree.applyLayer(1, [f('p/.wh.a.so'), f('p/c.so')]);
    expect(tree.resolve('p/a.so')).toBeUndefined();
    expect(tree.resolve('p/b.so')?.node.layer).toBe(0);
    expect(tree.resolve('p/c.so')?.node.layer).toBe(1);
  });

  it('hides a directory’s lower contents with an opaque marker', () => {
    const tree = new LayerTree();
    tree.applyLayer(0, [f('etc/conf.d/old.yaml'), f('etc/keep')]);
    tree.applyLayer(1, [f('etc/conf.d/.wh..wh..opq'), f('etc/conf.d/new.yaml')]);
    expect(tree.resolve('etc/conf.d/old.yaml')).toBeUndefined();
    expect(tree.resolve('etc/conf.d/new.yaml')).toBeDefined();
    expect(tree.resolve('etc/keep')).toBeDefined();
  });

  it('removes a whited-out directory with everything below it', () => {
    const tree = new LayerTree();
    tree.applyLayer(0, [f('opt/x/y/z.so')]);
    tree.applyLayer(1, [f('opt/.wh.x')]);
    expect(tree.resolve('opt/x/y/z.so')).toBeUndefined();
    expect(tree.resolve('opt/x')).toBeUndefined();
  });

  it('follows symlinks, relative and absolute, inside the image root only', () => {
    const tree = new LayerTree();
    tree.applyLayer(0, [
      f('usr/lib/libreal.so.1'),
      l('usr/lib/libcontainer.so', 'libreal.so.1'),
      l('lib', 'usr/lib'),
      l('escape', '../../../../usr/lib/libreal.so.1'),
      l('abs', '/usr/lib/libcontainer.so'),
    ]);
    expect(tree.resolve('usr/lib/libcontainer.so')?.path).toBe('usr/lib/libreal.so.1');
    expect(tree.resolve('lib/libcontainer.so')?.path).toBe('usr/lib/libreal.so.1');
    expect(tree.resolve('escape')?.path).toBe('usr/lib/libreal.so.1');
    expect(tree.resolve('abs')?.path).toBe('usr/lib/libreal.so.1');
  });

  it('writes through a symlinked parent into the real directory, as a layer applier does', () => {
    const tree = new LayerTree();
    tree.applyLayer(0, [d('usr/lib'), l('lib', 'usr/lib')]);
    tree.applyLayer(1, [f('lib/new.so', 7)]);
    expect(tree.resolve('usr/lib/new.so')?.node.size).toBe(7);
  });

  it('refuses a symlink loop with a stable code', () => {
    const tree = new LayerTree();
    tree.applyLayer(0, [l('a', 'b'), l('b', 'a')]);
    expect(() => tree.resolve('a')).toThrow(expect.objectContaining({ code: 'EXTRACT_PATH_NOT_FOUND' }));
  });

  it('resolves a hard link to its target in the same layer', () => {
    const tree = new LayerTree();
    tree.applyLayer(0, [f('a/real.so', 5), { path: 'a/link.so', kind: 'hardlink', linkTarget: 'a/real.so', size: 0, mode: 0o755 }]);
    expect(tree.resolve('a/link.so')?.node).toMatchObject({ kind: 'file', archivePath: 'a/real.so', size: 5 });
  });

  it('replaces a directory by a file and drops its children', () => {
    const tree = new LayerTree();
    tree.applyLayer(0, [f('x/y')]);
    tree.applyLayer(1, [f('x')]);
    expect(tree.resolve('x')?.node.kind).toBe('file');
    expect(tree.nodes.has('x/y')).toBe(false);
  });
});
