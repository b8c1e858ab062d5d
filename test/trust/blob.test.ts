import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeSignature, signBlob, verifyBlobSignature } from '../../src/trust/blob.ts';
import { parseBundle, publicGoodTrustedRoot, verifyBundle } from '../../src/trust/bundle/index.ts';
import { keyHint, loadPrivateKey, loadPublicKey, publicKeyOf, signData } from '../../src/trust/keys.ts';
import { fixture, reasonOf } from './helpers.ts';

const key = loadPrivateKey(fixture('policy-controller-cosign.key'), '');
const pub = loadPublicKey(fixture('policy-controller-cosign.pub'));
const data = Buffer.from('release artifact\n');

describe('signBlob', () => {
  it('writes a v0.3 key bundle laid out as cosign writes it', () => {
    const { signature, bundle } = signBlob(data, key);
    expect(Object.keys(bundle)).toEqual(['mediaType', 'verificationMaterial', 'messageSignature']);
    expect(bundle).toEqual({
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: { publicKey: { hint: keyHint(pub) } },
      messageSignature: {
        messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(data).digest('base64') },
        signature: signature.toString('base64'),
      },
    });
    // The official parser accepts it as a v0.3 bundle with no log entries.
    expect(parseBundle(JSON.stringify(bundle)).verificationMaterial.tlogEntries).toEqual([]);
    expect(() => verifyBlobSignature(data, signature, pub)).not.toThrow();
  });

  it('uses the key’s hash for the message digest (P-384 → SHA2_384), which then verifies', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const { bundle } = signBlob(data, p384.privateKey);
    expect(bundle.messageSignature.messageDigest.algorithm).toBe('SHA2_384');
    const result = verifyBundle(bundle, data, { publicKey: p384.publicKey, ignoreTlog: true }, publicGoodTrustedRoot());
    expect(result.signer.kind).toBe('public-key');
  });

  it('verifies RSA bundles (PKCS#1 v1.5, SHA-256)', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const { bundle } = signBlob(data, rsa.privateKey);
    expect(verifyBundle(bundle, data, { publicKey: rsa.publicKey, ignoreTlog: true }, publicGoodTrustedRoot()).signer.kind).toBe('public-key');
  });

  it('refuses Ed25519 for bundles (no digest to name) with UNSUPPORTED_KEY', () => {
    expect(reasonOf(() => signBlob(data, generateKeyPairSync('ed25519').privateKey))).toBe('UNSUPPORTED_KEY');
  });
});

describe('detached signatures', () => {
  it('reads base64 with a trailing newline, and raw DER', () => {
    const sig = signData(key, data);
    expect(decodeSignature(Buffer.from(`${sig.toString('base64')}\n`))).toEqual(sig);
    expect(decodeSignature(sig)).toEqual(sig);
    expect(reasonOf(() => decodeSignature(Buffer.alloc(0)))).toBe('MALFORMED_SIGNATURE');
  });

  it('rejects a tampered file, another key and a garbage signature with SIGNATURE_INVALID', () => {
    const sig = signData(key, data);
    expect(reasonOf(() => verifyBlobSignature(Buffer.from('release artifact!\n'), sig, pub))).toBe('SIGNATURE_INVALID');
    const other = publicKeyOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    expect(reasonOf(() => verifyBlobSignature(data, sig, other))).toBe('SIGNATURE_INVALID');
    expect(reasonOf(() => verifyBlobSignature(data, Buffer.from('junk'), pub))).toBe('SIGNATURE_INVALID');
  });
});
