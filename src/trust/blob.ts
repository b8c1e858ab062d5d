/**
 * Blob signatures as `cosign sign-blob` / `verify-blob` make and check them:
 *
 * - a detached signature: base64 of the raw signature over the file's bytes (ECDSA DER, RSA
 *   PKCS#1 v1.5, Ed25519), with the hash each key type uses;
 * - a Sigstore bundle v0.3 for a key-based signature: `verificationMaterial.publicKey.hint` (base64
 *   SHA-256 of the SPKI) and `messageSignature {messageDigest, signature}`. Palisade signs offline, so
 *   the bundle has no transparency-log entry: cosign verifies it with
 *   `cosign verify-blob --bundle F --key cosign.pub --insecure-ignore-tlog FILE`, and so does Palisade.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { TrustError } from './errors.ts';
import { BUNDLE_V03_MEDIA_TYPE } from './bundle/media-types.ts';
import { hashFor, keyAlgorithm, keyHint, publicKeyOf, signData, verifyData } from './keys.ts';

/** A key-based message-signature bundle, in proto3 JSON as cosign writes it (empty lists omitted). */
export interface KeyBundleJson {
  mediaType: typeof BUNDLE_V03_MEDIA_TYPE;
  verificationMaterial: { publicKey: { hint: string } };
  messageSignature: { messageDigest: { algorithm: 'SHA2_256' | 'SHA2_384' | 'SHA2_512'; digest: string }; signature: string };
}

export interface BlobSignature {
  /** The raw signature bytes. */
  signature: Buffer;
  /** The v0.3 bundle holding it. */
  bundle: KeyBundleJson;
}

const DIGEST_NAMES = { sha256: 'SHA2_256', sha384: 'SHA2_384', sha512: 'SHA2_512' } as const;

/** Signs `data` with `key`; the bundle's message digest uses the hash the key signs with. */
export function signBlob(data: Uint8Array, key: KeyObject): BlobSignature {
  const hash = hashFor(keyAlgorithm(key));
  if (hash === null) {
    // A message-signature bundle names the digest the signature covers; Ed25519 signs the message itself.
    throw new TrustError('UNSUPPORTED_KEY', 'Sigstore message-signature bundles need an ECDSA or RSA key (Ed25519 signs no digest)');
  }
  const signature = signData(key, data);
  return {
    signature,
    bundle: {
      mediaType: BUNDLE_V03_MEDIA_TYPE,
      verificationMaterial: { publicKey: { hint: keyHint(publicKeyOf(key)) } },
      messageSignature: {
        messageDigest: { algorithm: DIGEST_NAMES[hash], digest: createHash(hash).update(data).digest('base64') },
        signature: signature.toString('base64'),
      },
    },
  };
}

/**
 * The signature bytes from a `--signature` file's content: cosign writes base64 (with or without
 * a trailing newline); a raw DER signature is accepted too.
 */
export function decodeSignature(content: Buffer): Buffer {
  const text = content.toString('latin1').trim();
  if (text.length > 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(text) && text.length % 4 === 0) return Buffer.from(text, 'base64');
  if (content.length === 0) throw new TrustError('MALFORMED_SIGNATURE', 'the signature is empty');
  return content;
}

/** Checks a detached signature; SIGNATURE_INVALID when it is not `publicKey`'s over `data`. */
export function verifyBlobSignature(data: Uint8Array, signature: Buffer, publicKey: KeyObject): void {
  if (!verifyData(publicKey, data, signature)) {
    throw new TrustError('SIGNATURE_INVALID', 'the signature does not verify with the given key over this file');
  }
}

