import { createHash, type Hash } from 'node:crypto';
import { OciError, OciErrorCode } from './errors.ts';

const ALGORITHMS = new Set(['sha256', 'sha512']);

export interface ParsedDigest {
  algorithm: 'sha256' | 'sha512';
  hex: string;
}

export function parseDigest(digest: string): ParsedDigest {
  const [algorithm, hex] = digest.split(':', 2);
  if (!algorithm || !hex || !ALGORITHMS.has(algorithm) || !/^[a-f0-9]+$/.test(hex)) {
    throw new OciError(
      OciErrorCode.BadManifest,
      `"${digest}" is not a sha256 or sha512 digest`,
      'the registry serves a malformed descriptor; republish the artifact',
    );
  }
  return { algorithm: algorithm as ParsedDigest['algorithm'], hex };
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function digestOf(bytes: Uint8Array, algorithm: ParsedDigest['algorithm'] = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/**
 * Hashes and counts bytes as they stream past and checks them against a descriptor: more
 * bytes than declared fail at once (a registry cannot make us read forever), fewer fail at the end.
 */
export class DigestVerifier {
  readonly expected: string;
  readonly expectedSize: number;
  readonly what: string;
  #hash: Hash;
  #received = 0;

  constructor(expected: string, expectedSize: number, what: string) {
    this.expected = expected;
    this.expectedSize = expectedSize;
    this.what = what;
    this.#hash = createHash(parseDigest(expected).algorithm);
  }

  get received(): number {
    return this.#received;
  }

  update(chunk: Uint8Array): void {
    this.#received += chunk.length;
    if (this.#received > this.expectedSize) {
      throw new OciError(
        OciErrorCode.SizeMismatch,
        `${this.what} is larger than the ${this.expectedSize} bytes its descriptor declares`,
        'the registry serves content that does not match the manifest; republish the artifact',
      );
    }
    this.#hash.update(chunk);
  }

  /** Throws unless exactly the declared bytes with the declared digest went through. */
  finish(): void {
    if (this.#received < this.expectedSize) {
      throw new OciError(
        OciErrorCode.TruncatedBlob,
        `${this.what} ended after ${this.#received} of ${this.expectedSize} bytes`,
        'the download was cut short; try again, and if it persists check the registry',
      );
    }
    const actual = `${parseDigest(this.expected).algorithm}:${this.#hash.digest('hex')}`;
    if (actual !== this.expected) {
      throw new OciError(
        OciErrorCode.DigestMismatch,
        `${this.what} has digest ${actual}, expected ${this.expected}`,
        'the content was altered or corrupted; do not use it, and check the registry',
      );
    }
  }
}

/** Checks bytes already in memory (manifests, configs) against a descriptor. */
export function verifyBytes(bytes: Uint8Array, expected: string, expectedSize: number | undefined, what: string): void {
  const verifier = new DigestVerifier(expected, expectedSize ?? bytes.length, what);
  verifier.update(bytes);
  verifier.finish();
}
