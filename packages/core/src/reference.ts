/** A parsed OCI image/artifact reference: `registry/repository[:tag][@digest]`. */
export interface ImageReference {
  registry: string;
  repository: string;
  tag: string | undefined;
  digest: string | undefined;
}

export type ReferenceProblem = 'syntax' | 'no-tag-or-digest' | 'bad-digest';

export type ReferenceParseResult = { ok: true; reference: ImageReference } | { ok: false; problem: ReferenceProblem; detail: string };

const DEFAULT_REGISTRY = 'docker.io';
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:\[[0-9a-fA-F:]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)(?::\d{1,5})?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^(?<algorithm>[a-z0-9]+(?:[.+_-][a-z0-9]+)*):(?<hex>[a-zA-Z0-9=_-]{32,})$/;
const HEX_LENGTH: Record<string, number> = { sha256: 64, sha512: 128 };

export function isDigest(value: string): boolean {
  const m = DIGEST.exec(value);
  if (!m?.groups) return false;
  const expected = HEX_LENGTH[m.groups.algorithm!];
  return expected !== undefined && m.groups.hex!.length === expected && /^[a-f0-9]+$/.test(m.groups.hex!);
}

/** Parses a reference the way container tooling does; the first path component is a registry when it looks like a host. */
export function parseReference(input: string): ReferenceParseResult {
  if (input.length === 0 || input.length > 4096 || /\s/.test(input)) {
    return { ok: false, problem: 'syntax', detail: 'a reference cannot be empty or contain whitespace' };
  }
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) {
      return { ok: false, problem: 'bad-digest', detail: `"${digest}" is not a sha256:<64 hex> or sha512:<128 hex> digest` };
    }
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return { ok: false, problem: 'syntax', detail: `"${tag}" is not a valid tag` };
  }
  const parts = rest.split('/');
  let registry = DEFAULT_REGISTRY;
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    parts.shift();
    if (!DOMAIN.test(registry)) return { ok: false, problem: 'syntax', detail: `"${registry}" is not a valid registry host` };
  }
  if (parts.length === 0 || parts.some((p) => !PATH_COMPONENT.test(p))) {
    return { ok: false, problem: 'syntax', detail: `"${parts.join('/')}" is not a valid repository name (lowercase letters, digits, and . _ - separators)` };
  }
  if (registry === DEFAULT_REGISTRY && parts.length === 1) parts.unshift('library');
  if (tag === undefined && digest === undefined) {
    return { ok: false, problem: 'no-tag-or-digest', detail: `"${input}" names neither a tag nor a digest` };
  }
  return { ok: true, reference: { registry, repository: parts.join('/'), tag, digest } };
}

export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}
