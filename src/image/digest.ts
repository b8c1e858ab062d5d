/** Content digests (`sha256:<hex>`): computing, checking, and mapping them to layout blob paths. */
import { createHash } from 'node:crypto';
import { PalisadeError } from '../core/errors.ts';

const DIGEST = /^(sha256|sha512):([0-9a-f]+)$/;
const HEX_LENGTH: Record<string, number> = { sha256: 64, sha512: 128 };

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Splits and validates a digest; only algorithms the OCI spec registers are accepted. */
export function parseDigest(digest: string, context: string): { algorithm: string; hex: string } {
  const m = DIGEST.exec(digest);
  if (!m || m[2]!.length !== HEX_LENGTH[m[1]!]) {
    throw new PalisadeError('UNSUPPORTED_FORMAT', `${context}: "${digest}" is not a sha256 or sha512 digest`);
  }
  return { algorithm: m[1]!, hex: m[2]! };
}

/** Throws a PalisadeError when `bytes` do not hash to `digest`. */
export function verifyDigest(bytes: Uint8Array, digest: string, context: string): void {
  const { algorithm, hex } = parseDigest(digest, context);
  const actual = createHash(algorithm).update(bytes).digest('hex');
  if (actual !== hex) {
    throw new PalisadeError('INPUT_UNREADABLE', `${context}: digest mismatch: expected ${digest}, content hashes to ${algorithm}:${actual}`);
  }
}

/** `blobs/sha256/<hex>` inside an OCI layout; the digest is validated so it cannot name another path. */
export function blobPath(digest: string, context: string): string {
  const { algorithm, hex } = parseDigest(digest, context);
  return `blobs/${algorithm}/${hex}`;
}
