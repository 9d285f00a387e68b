import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateSigningKeyPair, keyIdOf, readSigningKey, readVerifyKey, signBytes, verifyBytesSignature } from './signing.ts';

const manifest = Buffer.from('{"apiVersion":"falco-airgap/v1alpha1"}\n');

describe('bundle signatures', () => {
  for (const algorithm of ['ecdsa-p256', 'ed25519'] as const) {
    it(`${algorithm}: PEM keys, a base64 signature that verifies with the public key only`, () => {
      const pair = generateSigningKeyPair(algorithm);
      expect(pair.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      expect(pair.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
      const signature = signBytes(manifest, readSigningKey(pair.privateKeyPem, 'key'));
      expect(signature).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
      const publicKey = readVerifyKey(pair.publicKeyPem, 'pub');
      expect(keyIdOf(publicKey)).toBe(pair.keyId);
      expect(verifyBytesSignature(manifest, signature, publicKey)).toBe(true);
      expect(verifyBytesSignature(manifest, `${signature}\n`, publicKey)).toBe(true);
      expect(verifyBytesSignature(Buffer.from(`${manifest} `), signature, publicKey)).toBe(false);
      expect(verifyBytesSignature(manifest, signature, readVerifyKey(generateSigningKeyPair(algorithm).publicKeyPem, 'other'))).toBe(false);
      expect(verifyBytesSignature(manifest, 'not base64!', publicKey)).toBe(false);
    });
  }

  it('takes an EC key in SEC1 PEM as openssl writes it', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const key = readSigningKey(privateKey.export({ type: 'sec1', format: 'pem' }), 'sec1.pem');
    expect(
      verifyBytesSignature(manifest, signBytes(manifest, key), readVerifyKey(privateKey.export({ type: 'pkcs8', format: 'pem' }), 'private as public')),
    ).toBe(true);
  });

  it('refuses keys it cannot sign with as cosign verifies: RSA, other curves, encrypted, not PEM', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    expect(() => readSigningKey(rsa, 'rsa.pem')).toThrow(expect.objectContaining({ code: 'BUNDLE_KEY_UNSUPPORTED', category: 'input' }));
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ type: 'spki', format: 'pem' });
    expect(() => readVerifyKey(p384, 'p384.pub')).toThrow(expect.objectContaining({ code: 'BUNDLE_KEY_UNSUPPORTED' }));
    const encrypted = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'secret',
    });
    expect(() => readSigningKey(encrypted, 'encrypted.pem')).toThrow(expect.objectContaining({ code: 'BUNDLE_KEY_UNSUPPORTED' }));
    expect(() => readVerifyKey('not a key', 'junk.pub')).toThrow(expect.objectContaining({ code: 'BUNDLE_KEY_UNREADABLE' }));
  });
});
