import type Dockerode from 'dockerode';
import { EngineError, EngineErrorCode } from './errors.ts';

/** Where the engine listens when no host is given: the usual local socket. */
export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

const HINT = 'use unix:///path/to/docker.sock or tcp://host:port as the engine host';

/**
 * Dockerode options for a DOCKER_HOST-style value (`unix:///path` or `tcp://host[:port]`). Every
 * connection setting is spelled out, so nothing is taken from the process environment.
 */
export function dockerOptionsForHost(host: string): Dockerode.DockerOptions {
  const unset = { socketPath: undefined, host: undefined, port: undefined, ca: undefined, cert: undefined, key: undefined, timeout: undefined };
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw new EngineError(EngineErrorCode.BadHost, `engine host "${host}" names no absolute socket path`, { hint: HINT });
    return { ...unset, socketPath, protocol: 'http' };
  }
  if (host.startsWith('tcp://')) {
    let url: URL;
    try {
      url = new URL(`http://${host.slice('tcp://'.length)}`);
    } catch (cause) {
      throw new EngineError(EngineErrorCode.BadHost, `engine host "${host}" is not a valid tcp:// address`, { hint: HINT, cause });
    }
    if (!url.hostname || (url.pathname !== '/' && url.pathname !== '') || url.search || url.username) {
      throw new EngineError(EngineErrorCode.BadHost, `engine host "${host}" must be tcp://host[:port] and nothing more`, { hint: HINT });
    }
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    return { ...unset, host: hostname, port: Number(url.port || 2375), protocol: 'http' };
  }
  throw new EngineError(EngineErrorCode.BadHost, `engine host "${host}" is neither unix:// nor tcp://`, { hint: HINT });
}
