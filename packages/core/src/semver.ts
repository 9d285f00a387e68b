// Semantic Versioning 2.0.0, without a leading "v": MAJOR.MINOR.PATCH[-pre][+build].
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

export function isSemver(value: string): boolean {
  return SEMVER.test(value);
}

/** The parts of a semantic version that order it; build metadata is dropped, as the specification says. */
export interface SemverParts {
  major: number;
  minor: number;
  patch: number;
  prerelease: string[];
}

export function parseSemver(value: string): SemverParts | undefined {
  const m = SEMVER.exec(value);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), prerelease: m[4] ? m[4].split('.') : [] };
}

/** Negative, zero or positive as `a` orders before, with or after `b` (semver precedence); throws on a non-semver. */
export function compareSemver(a: string, b: string): number {
  const [x, y] = [a, b].map((v) => {
    const parts = parseSemver(v);
    if (!parts) throw new TypeError(`"${v}" is not a semantic version`);
    return parts;
  }) as [SemverParts, SemverParts];
  const core = x.major - y.major || x.minor - y.minor || x.patch - y.patch;
  if (core) return Math.sign(core);
  // A pre-release orders before its release; identifiers compare numerically when both are numbers.
  if (!x.prerelease.length || !y.prerelease.length) return Math.sign(y.prerelease.length - x.prerelease.length);
  for (let i = 0; i < Math.max(x.prerelease.length, y.prerelease.length); i++) {
    const [p, q] = [x.prerelease[i], y.prerelease[i]];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    if (p === q) continue;
    const [pn, qn] = [/^\d+$/.test(p), /^\d+$/.test(q)];
    if (pn && qn) return Math.sign(Number(p) - Number(q));
    if (pn !== qn) return pn ? -1 : 1;
    return p < q ? -1 : 1;
  }
  return 0;
}
