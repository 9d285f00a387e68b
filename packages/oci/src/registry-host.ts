/** The name docker gives Docker Hub in references; every alias below means this registry. */
export const DOCKER_HUB = 'docker.io';
/** Where Docker Hub serves the distribution API. */
const DOCKER_HUB_API = 'registry-1.docker.io';
/** The key `docker login` writes Docker Hub credentials under in config.json. */
export const DOCKER_HUB_CONFIG_KEY = 'https://index.docker.io/v1/';
const DOCKER_HUB_ALIASES = new Set([DOCKER_HUB, 'index.docker.io', DOCKER_HUB_API]);

/**
 * One spelling per registry, so hosts compare equal however a reference, a flag or a docker config
 * key writes them: scheme and path dropped (`https://ghcr.io/v2/`), lower case (`LOCALHOST:5000`),
 * the default port dropped (`ghcr.io:443`, `http://host:80`), and Docker Hub's aliases as `docker.io`.
 */
export function canonicalRegistryHost(hostOrUrl: string): string {
  const trimmed = hostOrUrl.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed)?.[1]?.toLowerCase();
  const authority = trimmed
    .slice(scheme ? scheme.length + 3 : 0)
    .replace(/[/?#].*$/, '')
    .replace(/^[^@]*@/, '')
    .toLowerCase();
  const port = /^(\[[^\]]*\]|[^:]*):(\d+)$/.exec(authority);
  const host = port && (port[2] === '443' || (scheme === 'http' && port[2] === '80')) ? port[1]! : authority;
  return DOCKER_HUB_ALIASES.has(host) ? DOCKER_HUB : host;
}

/** The host the distribution API of a (canonical) registry answers at: Docker Hub's is not `docker.io`. */
export function registryApiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API : registry;
}

/** Whether two spellings name the same registry. */
export function sameRegistry(a: string, b: string): boolean {
  return canonicalRegistryHost(a) === canonicalRegistryHost(b);
}
