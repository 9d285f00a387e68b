import { ProxyError } from './proxy.ts';

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const RETRYABLE_ERRNO = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED']);
const RETRYABLE_UNDICI = new Set(['UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED']);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status);
}

/** Connection resets, refused connects, timeouts, a proxy's 5xx: worth another try. TLS and DNS-name errors are not. */
export function isRetryableNetworkError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    // A proxy that could not reach the registry (502/503/504) may manage the next time.
    if (e instanceof ProxyError && e.status !== undefined) return isRetryableStatus(e.status);
    const code = (e as NodeJS.ErrnoException).code;
    if (code && (RETRYABLE_ERRNO.has(code) || RETRYABLE_UNDICI.has(code))) return true;
    if (e.message === 'terminated' || e.message === 'other side closed') return true;
  }
  return false;
}
