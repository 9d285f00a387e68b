/** The Falco release the chart and its images are built for; Chart.yaml's appVersion says the same (a test checks). */
export const DEFAULT_FALCO_VERSION = '0.44.1';

export const SEMVER_PATTERN = '^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?$';

export interface FalcoVersion {
  major: number;
  minor: number;
  patch: number;
  prerelease: boolean;
}

export function parseFalcoVersion(text: string): FalcoVersion | undefined {
  const m = new RegExp(SEMVER_PATTERN).exec(text);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), prerelease: m[4] !== undefined };
}

/**
 * True when `version` is `floor` or later, counting pre-releases of `floor` as `floor` — the same
 * answer as sprig's `semverCompare ">=X.Y.Z-0"` in the chart, so both sides gate options alike.
 */
export function isAtLeast(version: FalcoVersion, floor: FalcoVersion): boolean {
  const a = [version.major, version.minor, version.patch];
  const b = [floor.major, floor.minor, floor.patch];
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return true;
}
