import { describe, expect, it } from 'vitest';
import { OciErrorCode } from './errors.ts';
import { ProxyError, proxyFailure, ProxyPlan } from './proxy.ts';
import { isRetryableNetworkError } from './retry.ts';

const PROXY = 'http://proxy.corp:3128';
const routed = (plan: ProxyPlan, url: string) => plan.route(new URL(url))?.display;

describe('ProxyPlan', () => {
  it('uses httpsProxy for https URLs and httpProxy for http URLs, and nothing without them', () => {
    const plan = new ProxyPlan({ httpsProxy: PROXY, httpProxy: 'http://plain.corp:8080' });
    expect(routed(plan, 'https://ghcr.io/v2/')).toBe(PROXY);
    expect(routed(plan, 'http://localhost:5000/v2/')).toBe('http://plain.corp:8080');
    expect(routed(new ProxyPlan({ httpsProxy: PROXY }), 'http://localhost:5000/v2/')).toBeUndefined();
    expect(new ProxyPlan({}).enabled).toBe(false);
    expect(new ProxyPlan({ httpsProxy: '  ' }).enabled).toBe(false);
  });

  it('proxies loopback like any other host unless NO_PROXY lists it', () => {
    expect(routed(new ProxyPlan({ httpsProxy: PROXY }), 'https://127.0.0.1:5443/v2/')).toBe(PROXY);
    expect(routed(new ProxyPlan({ httpsProxy: PROXY }), 'https://localhost:5443/v2/')).toBe(PROXY);
    expect(routed(new ProxyPlan({ httpsProxy: PROXY, noProxy: 'localhost,127.0.0.1' }), 'https://localhost:5443/v2/')).toBeUndefined();
  });

  it.each([
    ['*', 'https://ghcr.io/', true],
    ['ghcr.io', 'https://ghcr.io/', true],
    ['GHCR.IO', 'https://ghcr.io/', true],
    ['ghcr.io', 'https://pkg-containers.ghcr.io/', true],
    ['ghcr.io', 'https://notghcr.io/', false],
    ['.corp.example', 'https://registry.corp.example/', true],
    ['.corp.example', 'https://corp.example/', false],
    ['*.corp.example', 'https://registry.corp.example/', true],
    ['*.corp.example', 'https://corp.example/', false],
    ['registry.corp:5000', 'https://registry.corp:5000/', true],
    ['registry.corp:5000', 'https://registry.corp/', false],
    ['registry.corp:443', 'https://registry.corp/', true],
    ['10.1.2.3', 'https://10.1.2.3:5000/', true],
    ['10.1.2.3', 'https://10.1.2.30/', false],
    ['10.0.0.0/8', 'https://10.200.3.4/', true],
    ['10.0.0.0/8', 'https://11.0.0.1/', false],
    ['::1', 'https://[::1]:5000/', true],
    ['[::1]:5000', 'https://[::1]:5000/', true],
    ['[::1]:5000', 'https://[::1]:5001/', false],
    ['fd00::/8', 'https://[fd12::1]/', true],
    ['example.com, ghcr.io ,quay.io', 'https://quay.io/', true],
    ['', 'https://ghcr.io/', false],
  ])('NO_PROXY %j for %s: direct=%s', (noProxy, url, direct) => {
    const plan = new ProxyPlan({ httpsProxy: PROXY, noProxy });
    expect(plan.bypasses(new URL(url))).toBe(direct);
    expect(routed(plan, url)).toBe(direct ? undefined : PROXY);
  });

  it('takes NO_PROXY as a list too', () => {
    expect(new ProxyPlan({ httpsProxy: PROXY, noProxy: ['quay.io', '.corp'] }).bypasses(new URL('https://r.corp/'))).toBe(true);
  });

  it('takes the proxy credentials from the URL and never shows the password', () => {
    const route = new ProxyPlan({ httpsProxy: 'http://corp%5Cjane:p%40ss@proxy.corp:3128' }).route(new URL('https://ghcr.io/'))!;
    expect(route).toEqual({
      host: 'proxy.corp',
      port: 3128,
      authorization: `Basic ${Buffer.from('corp\\jane:p@ss').toString('base64')}`,
      display: 'http://corp\\jane@proxy.corp:3128',
    });
  });

  it('reads host:port without a scheme as an HTTP proxy on port 80 by default', () => {
    expect(new ProxyPlan({ httpsProxy: 'proxy.corp:3128' }).route(new URL('https://ghcr.io/'))).toMatchObject({ host: 'proxy.corp', port: 3128 });
    expect(new ProxyPlan({ httpsProxy: 'http://proxy.corp' }).route(new URL('https://ghcr.io/'))).toMatchObject({ port: 80 });
  });

  it('refuses proxy URLs it cannot use, naming the option and hiding the password', () => {
    expect(() => new ProxyPlan({ httpsProxy: 'socks5://proxy.corp:1080' })).toThrow(
      expect.objectContaining({ code: OciErrorCode.ProxyConfig, category: 'input', hint: expect.stringContaining('`httpsProxy`') }),
    );
    expect(() => new ProxyPlan({ httpProxy: 'http://jane:secret@[bad' })).toThrow(
      expect.objectContaining({ code: OciErrorCode.ProxyConfig, message: expect.not.stringContaining('secret') }),
    );
  });
});

describe('proxy failures', () => {
  it('maps a 407 to OCI_PROXY_AUTH, a refusal or an unreachable proxy to OCI_PROXY_FAILED, and anything else to nothing', () => {
    expect(proxyFailure('ghcr.io', new ProxyError(PROXY, 'x', { status: 407 }))).toMatchObject({ code: OciErrorCode.ProxyAuth, category: 'input' });
    expect(proxyFailure('ghcr.io', new ProxyError(PROXY, 'refused', { status: 403 }))).toMatchObject({
      code: OciErrorCode.ProxyFailed,
      category: 'operational',
      status: 403,
    });
    const down = new Error('request failed', { cause: new ProxyError(PROXY, 'cannot be reached', { code: 'ECONNREFUSED' }) });
    expect(proxyFailure('ghcr.io', down, 3)).toMatchObject({ code: OciErrorCode.ProxyFailed, message: 'cannot be reached (for ghcr.io after 3 attempts)' });
    expect(proxyFailure('ghcr.io', Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBeUndefined();
  });

  it('retries an unreachable proxy and its 5xx, not its refusals', () => {
    expect(isRetryableNetworkError(new ProxyError(PROXY, 'x', { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isRetryableNetworkError(new ProxyError(PROXY, 'x', { status: 503 }))).toBe(true);
    expect(isRetryableNetworkError(new ProxyError(PROXY, 'x', { status: 403 }))).toBe(false);
    expect(isRetryableNetworkError(new ProxyError(PROXY, 'x', { status: 407 }))).toBe(false);
  });
});
