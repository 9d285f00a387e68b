import { type Platform } from '@falco-airgap/core';
import { isArtifactSource, type LockedPlugin, type PluginsLock } from '@falco-airgap/manifest';
import { ExtractError, ExtractErrorCode } from './errors.ts';

/** One difference between the lock on disk and what a run resolved. */
export interface LockChange {
  /** e.g. `plugin k8saudit linux/amd64 sha256`. */
  what: string;
  locked: string | undefined;
  resolved: string | undefined;
}

/**
 * Every value a lock pins, flattened to `what -> value`. The image layer digest is left out: the
 * manifest digest already pins every layer, and the Docker engine cannot name the layer.
 */
function flatten(lock: PluginsLock): Map<string, string> {
  const values = new Map<string, string>();
  values.set('falco version', lock.falco.version);
  values.set('manifest sha256', lock.manifestSha256);
  for (const plugin of lock.plugins) {
    const key = `plugin ${plugin.name}`;
    values.set(`${key} version`, plugin.version);
    values.set(`${key} source`, JSON.stringify(plugin.source));
    values.set(`${key} resolved digest`, plugin.resolvedDigest);
    for (const p of plugin.platforms) {
      const pk = `${key} ${p.platform}`;
      values.set(`${pk} manifest digest`, p.manifestDigest);
      if (isArtifactSource(plugin.source)) values.set(`${pk} layer digest`, p.layerDigest);
      values.set(`${pk} file`, p.file);
      values.set(`${pk} sha256`, p.sha256);
      values.set(`${pk} size`, String(p.size));
      values.set(`${pk} ELF machine`, p.elfMachine);
      values.set(`${pk} plugin API version`, p.pluginApiVersion);
      values.set(`${pk} plugin API version source`, p.pluginApiVersionSource);
      values.set(`${pk} path`, p.path);
    }
  }
  for (const rules of lock.rulesfiles) {
    const key = `rulesfile ${rules.name}`;
    values.set(`${key} version`, rules.version);
    values.set(`${key} source`, JSON.stringify(rules.source));
    values.set(`${key} resolved digest`, rules.resolvedDigest);
    values.set(`${key} manifest digest`, rules.manifestDigest);
    values.set(`${key} layer digest`, rules.layerDigest);
    for (const f of rules.files) {
      values.set(`${key} ${f.path} sha256`, f.sha256);
      values.set(`${key} ${f.path} size`, String(f.size));
    }
  }
  return values;
}

/** What differs between two locks, in a stable order; `generatedAt` never counts. */
export function diffLocks(locked: PluginsLock, resolved: PluginsLock): LockChange[] {
  const before = flatten(locked);
  const after = flatten(resolved);
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort();
  return keys.filter((k) => before.get(k) !== after.get(k)).map((what) => ({ what, locked: before.get(what), resolved: after.get(what) }));
}

export function formatLockChange(change: LockChange): string {
  if (change.locked === undefined) return `${change.what}: not in the lock (resolved ${change.resolved})`;
  if (change.resolved === undefined) return `${change.what}: in the lock (${change.locked}) but no longer resolved`;
  return `${change.what}: locked ${change.locked}, resolved ${change.resolved}`;
}

/** The `locked` check: refuse when anything resolves differently from the lock. */
export function assertMatchesLock(locked: PluginsLock, resolved: PluginsLock, lockFile: string): void {
  const changes = diffLocks(locked, resolved);
  if (!changes.length) return;
  const shown = changes.slice(0, 5).map(formatLockChange).join('; ');
  throw new ExtractError(
    ExtractErrorCode.LockDrift,
    `${changes.length} difference${changes.length === 1 ? '' : 's'} from ${lockFile}: ${shown}${changes.length > 5 ? '; …' : ''}`,
    'if the change is intended, run extract without `locked` and commit the new lock; otherwise find out who moved the tag',
  );
}

/**
 * The lock to write: when nothing changed, the previous one as it is (same `generatedAt`, same
 * bytes); image layer digests the engine could not name are taken from the previous lock.
 */
export function reconcileLock(previous: PluginsLock | undefined, resolved: PluginsLock): PluginsLock {
  if (!previous) return fillUnknownLayers(resolved, undefined);
  const filled = fillUnknownLayers(resolved, previous);
  return diffLocks(previous, filled).length === 0 && sameLayers(previous, filled) && sameDependencies(previous, filled) && sameSignatures(previous, filled)
    ? previous
    : filled;
}

/** Which signatures were verified is no drift (the digests are the same), but a lock that records other ones is rewritten. */
function sameSignatures(a: PluginsLock, b: PluginsLock): boolean {
  const signatures = (lock: PluginsLock) =>
    JSON.stringify(
      [
        ...lock.plugins.map((p) => [`plugin ${p.name}`, p.signature ?? null]),
        ...lock.rulesfiles.map((r) => [`rulesfile ${r.name}`, r.signature ?? null]),
      ].sort(),
    );
  return signatures(a) === signatures(b);
}

/**
 * Resolved dependencies follow from content the digests already pin, so they are not drift; a lock
 * written before they were recorded still gains them on the next run that writes.
 */
function sameDependencies(a: PluginsLock, b: PluginsLock): boolean {
  const dependencies = (lock: PluginsLock) =>
    JSON.stringify(
      [
        ...lock.plugins.map((p) => [`plugin ${p.name}`, p.dependencies ?? []]),
        ...lock.rulesfiles.map((r) => [`rulesfile ${r.name}`, r.dependencies ?? []]),
      ].sort(),
    );
  return dependencies(a) === dependencies(b);
}

/** An empty layerDigest (from `via` docker) becomes the previous lock's, when that pinned the same manifest and bytes. */
function fillUnknownLayers(lock: PluginsLock, previous: PluginsLock | undefined): PluginsLock {
  return {
    ...lock,
    plugins: lock.plugins.map((plugin): LockedPlugin => ({
      ...plugin,
      platforms: plugin.platforms.map((p) => {
        if (p.layerDigest) return p;
        const before = previous?.plugins.find((q) => q.name === plugin.name)?.platforms.find((q) => q.platform === p.platform);
        const reusable = before && before.manifestDigest === p.manifestDigest && before.sha256 === p.sha256;
        return { ...p, layerDigest: reusable ? before.layerDigest : p.manifestDigest };
      }),
    })),
  };
}

function sameLayers(a: PluginsLock, b: PluginsLock): boolean {
  const layers = (lock: PluginsLock) => JSON.stringify(lock.plugins.flatMap((p) => p.platforms.map((q) => `${p.name} ${q.platform} ${q.layerDigest}`)).sort());
  return layers(a) === layers(b);
}

/**
 * A run limited to some `platforms` keeps the lock entries of the other platforms, as long as the
 * plugin still resolves to the same digest (those files were not touched); otherwise they go.
 */
export function keepOtherPlatforms(previous: PluginsLock | undefined, resolved: PluginsLock, extracted: readonly Platform[]): PluginsLock {
  if (!previous) return resolved;
  return {
    ...resolved,
    plugins: resolved.plugins.map((plugin): LockedPlugin => {
      const before = previous.plugins.find((p) => p.name === plugin.name);
      if (
        !before ||
        before.resolvedDigest !== plugin.resolvedDigest ||
        before.version !== plugin.version ||
        JSON.stringify(before.source) !== JSON.stringify(plugin.source)
      )
        return plugin;
      const kept = before.platforms.filter((p) => !extracted.includes(p.platform));
      return { ...plugin, platforms: [...plugin.platforms, ...kept] };
    }),
  };
}
