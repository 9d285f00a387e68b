/** Where things sit inside a bundle, relative to its root. */
export const BundlePath = {
  manifest: 'bundle.json',
  signature: 'bundle.json.sig',
  /** One OCI image layout holding every image and artifact. */
  layout: 'oci',
  lock: 'plugins/plugins-lock.yaml',
  extracted: 'plugins/extracted',
  chart: 'chart',
  chartValues: 'chart/values',
  executables: 'bin',
} as const;

/** The two files outside the manifest's file list: the manifest itself and its signature. */
export const MANIFEST_FILES: readonly string[] = [BundlePath.manifest, BundlePath.signature];

/**
 * Why a path may not name a file of a bundle, or undefined when it may: relative, `/`-separated,
 * no empty, `.` or `..` segments, no backslashes or control characters.
 */
export function unsafePathReason(path: string): string | undefined {
  if (path === '') return 'it is empty';
  if (path.startsWith('/')) return 'it is absolute';
  if (/^[A-Za-z]:/.test(path)) return 'it names a drive';
  if (path.includes('\\')) return 'it contains a backslash';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'it contains a control character';
  const segments = path.split('/');
  if (segments.includes('..')) return 'it climbs out of the bundle (..)';
  if (segments.some((s) => s === '' || s === '.')) return 'it has an empty or "." segment';
  if (path.length > 4096) return 'it is longer than 4096 characters';
  return undefined;
}

/** Byte order of UTF-16 code units: the order files appear in a manifest and an archive. */
export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
