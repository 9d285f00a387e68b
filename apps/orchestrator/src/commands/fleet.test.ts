import { createJwksFileVerifier, DEFAULT_AUDIENCE, DEFAULT_ISSUER } from '@falco-airgap/fleet-identity';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FLEET_AUDIENCE, DEFAULT_FLEET_ISSUER } from '../command-definitions.ts';
import { runInMemory } from '../testing/run-in-memory.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleet-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);
const jwtPart = (token: string, index: 0 | 1) => JSON.parse(Buffer.from(token.split('.')[index]!, 'base64url').toString('utf8'));
const decodeProtectedHeader = (token: string) => jwtPart(token, 0) as { kid: string };
const decodeJwt = (token: string) => jwtPart(token, 1) as { iat: number; exp: number };

describe('falco-airgap fleet', () => {
  it('defaults to the issuer and audience the library uses', () => {
    expect([DEFAULT_FLEET_ISSUER, DEFAULT_FLEET_AUDIENCE]).toEqual([DEFAULT_ISSUER, DEFAULT_AUDIENCE]);
  });

  it('keygen writes a pair, the private key 0600, and never overwrites it', async () => {
    const first = await runInMemory(['--json', 'fleet', 'keygen', '--out', 'keys/2026-05'], { cwd: dir });
    expect(first.code).toBe(0);
    const { data } = lastJson(first.stdout);
    expect(data).toEqual({
      algorithm: 'ES256',
      kid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      privateKey: join(dir, 'keys/2026-05/private.pem'),
      publicKey: join(dir, 'keys/2026-05/public.pem'),
    });
    expect((await stat(data.privateKey)).mode & 0o777).toBe(0o600);
    const before = await readFile(data.privateKey, 'utf8');

    const again = await runInMemory(['fleet', 'keygen', '--out', 'keys/2026-05', '--alg', 'EdDSA'], { cwd: dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('error[FLEET_KEY_EXISTS]');
    expect(await readFile(data.privateKey, 'utf8')).toBe(before);

    const ed = await runInMemory(['fleet', 'keygen', '--out', 'keys/2026-11', '--alg', 'EdDSA'], { cwd: dir });
    expect(ed.code).toBe(0);
    expect(ed.stdout).toMatch(
      /^wrote keys\/2026-11\/private\.pem \(private, mode 0600\) and keys\/2026-11\/public\.pem \(EdDSA, key id [A-Za-z0-9_-]{43}\); publish/m,
    );
    expect((await runInMemory(['fleet', 'keygen', '--out', 'k3', '--alg', 'RS256'], { cwd: dir })).code).toBe(2);
  });

  it('token prints only the JWT, which verifies against the JWKS that jwks writes, until its key is left out', async () => {
    const token = await runInMemory(['fleet', 'token', '--cluster', 'prod-eu-1', '--key', 'keys/2026-05/private.pem', '--ttl', '12h'], { cwd: dir });
    expect(token.code).toBe(0);
    expect(token.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const jwt = token.stdout.trim();
    const claims = decodeJwt(jwt);
    expect(claims).toMatchObject({ iss: 'falco-airgap', aud: 'falco-event-ingestor', sub: 'prod-eu-1', cluster: 'prod-eu-1' });
    expect(claims.exp - claims.iat).toBe(12 * 3600);

    const jwks = await runInMemory(['fleet', 'jwks', '--key', 'keys/2026-05/public.pem', '--key', 'keys/2026-11/public.pem', '--out', 'jwks.json'], {
      cwd: dir,
    });
    expect(jwks.code).toBe(0);
    expect(jwks.stdout).toMatch(/^wrote jwks\.json: 2 keys \(/);
    const document = JSON.parse(await readFile(join(dir, 'jwks.json'), 'utf8'));
    expect(document.keys.map((k: { alg: string }) => k.alg)).toEqual(['ES256', 'EdDSA']);
    expect(JSON.stringify(document)).not.toContain('"d"');
    expect(document.keys[0].kid).toBe(decodeProtectedHeader(jwt).kid);

    const verifier = await createJwksFileVerifier({ file: join(dir, 'jwks.json'), issuer: DEFAULT_ISSUER, audience: DEFAULT_AUDIENCE, checkIntervalMs: 0 });
    expect((await verifier.verify(jwt)).cluster).toBe('prod-eu-1');

    // Revocation: the JWKS without the old key.
    const printed = await runInMemory(['fleet', 'jwks', '--key', 'keys/2026-11/public.pem'], { cwd: dir });
    expect(JSON.parse(printed.stdout).keys).toHaveLength(1);
    expect((await runInMemory(['fleet', 'jwks', '--key', 'keys/2026-11/public.pem', '--out', 'jwks.json'], { cwd: dir })).code).toBe(0);
    await expect(verifier.verify(jwt)).rejects.toMatchObject({ code: 'FLEET_UNKNOWN_KEY' });
  });

  it('token --json gives the token, its key id and its expiry', async () => {
    const result = await runInMemory(
      ['--json', 'fleet', 'token', '--cluster', 'edge-7', '--key', 'keys/2026-11/private.pem', '--issuer', 'corp', '--audience', 'corp-ingestor'],
      { cwd: dir },
    );
    expect(result.code).toBe(0);
    const { data } = lastJson(result.stdout);
    expect(data).toMatchObject({
      token: expect.any(String),
      kid: expect.any(String),
      algorithm: 'EdDSA',
      cluster: 'edge-7',
      issuer: 'corp',
      audience: 'corp-ingestor',
    });
    expect(Date.parse(data.expiresAt) - Date.parse(data.issuedAt)).toBe(90 * 86_400_000);
    expect(decodeProtectedHeader(data.token).kid).toBe(data.kid);
  });

  it('refuse bad input with exit 2 and the reason', async () => {
    const cases: [string[], string][] = [
      [['fleet', 'token', '--cluster', 'Prod EU', '--key', 'keys/2026-05/private.pem'], 'error[FLEET_INVALID_CLUSTER]'],
      [['fleet', 'token', '--cluster', 'c1', '--key', 'keys/2026-05/private.pem', '--ttl', '90 days'], 'error[CLI_USAGE]'],
      [['fleet', 'token', '--cluster', 'c1', '--key', 'keys/2026-05/public.pem'], 'error[FLEET_INVALID_KEY]'],
      [['fleet', 'token', '--cluster', 'c1', '--key', 'missing.pem'], 'error[FLEET_INVALID_KEY]'],
      [['fleet', 'jwks', '--key', 'keys/2026-05/private.pem'], 'error[FLEET_INVALID_KEY]'],
      [['fleet', 'jwks'], 'error[CLI_USAGE]'],
    ];
    for (const [argv, error] of cases) {
      const result = await runInMemory(argv, { cwd: dir });
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr, argv.join(' ')).toContain(error);
    }
  });
});
