/**
 * Content digests: every manifest and blob that comes from a registry is checked against the digest
 * it was asked for (or the one the registry announced), whole or while it streams.
 */
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { RegistryError } from './errors.ts';

/** The algorithms the OCI image spec registers; anything else cannot be verified, so it is refused. */
const DIGEST_PATTERN: Record<string, RegExp> = {
  sha256: /^[a-f0-9]{64}$/,
  sha512: /^[a-f0-9]{128}$/,
};

export function isDigest(value: string): boolean {
  const colon = value.indexOf(':');
  const pattern = DIGEST_PATTERN[value.slice(0, colon)];
  return colon > 0 && pattern !== undefined && pattern.test(value.slice(colon + 1));
}

/** Splits `alg:hex` after checking it is a digest this client can verify. */
export function parseDigest(value: string): { algorithm: string; hex: string } {
  if (!isDigest(value)) {
    throw new RegistryError(
      'unsupported',
      `"${value}" is not a digest Palisade can verify (expected sha256:<64 hex> or sha512:<128 hex>)`,
    );
  }
  const colon = value.indexOf(':');
  return { algorithm: value.slice(0, colon), hex: value.slice(colon + 1) };
}

export function digestOf(bytes: Uint8Array, algorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** Throws unless `bytes` hash to `expected`; `what` names the object for the message. */
export function verifyBytes(bytes: Uint8Array, expected: string, what: string): void {
  const actual = digestOf(bytes, parseDigest(expected).algorithm);
  if (actual !== expected) throw mismatch(what, expected, actual);
}

function mismatch(what: string, expected: string, actual: string): RegistryError {
  return new RegistryError(
    'digest-mismatch',
    `digest mismatch for ${what}: expected ${expected}, the content hashes to ${actual}; ` +
      'the registry (or something between it and you) served different bytes — nothing from it was used',
  );
}

/**
 * Passes bytes through while hashing them; fails the stream at the end if the digest differs, and
 * as soon as it grows past the expected size, so a consumer never sees a clean end of bad content.
 */
export class DigestVerifier extends Transform {
  readonly #expected: string;
  readonly #size: number | undefined;
  readonly #what: string;
  readonly #hash: Hash;
  #seen = 0;

  constructor(expected: string, what: string, size?: number) {
    super();
    this.#expected = expected;
    this.#what = what;
    this.#size = size;
    this.#hash = createHash(parseDigest(expected).algorithm);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#size !== undefined && this.#seen > this.#size) {
      callback(this.#sizeError());
      return;
    }
    this.#hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.#size !== undefined && this.#seen !== this.#size) {
      callback(this.#sizeError());
      return;
    }
    const actual = `${parseDigest(this.#expected).algorithm}:${this.#hash.digest('hex')}`;
    callback(actual === this.#expected ? null : mismatch(this.#what, this.#expected, actual));
  }

  #sizeError(): RegistryError {
    return new RegistryError(
      'digest-mismatch',
      `size mismatch for ${this.#what} (${this.#expected}): expected ${this.#size} bytes, received ` +
        `${this.#seen > (this.#size ?? 0) ? 'more' : this.#seen}`,
    );
  }
}
