import { generateKeyPairSync, createHash, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TrustError } from '../../src/trust/errors.ts';
import {
  COSIGN_PRIVATE_KEY_LABEL,
  SIGSTORE_PRIVATE_KEY_LABEL,
  encryptPrivateKey,
  generateKeyPair,
  keyAlgorithm,
  keyHint,
  loadPrivateKey,
  loadPublicKey,
  parseEncryptedKeyDocument,
  publicKeyPem,
  signData,
  verifyData,
} from '../../src/trust/keys.ts';
import { parsePem } from '../../src/trust/pem.ts';
import { fixture, reasonOf } from './helpers.ts';

/** The JSON document inside an encrypted key PEM. */
function documentOf(pem: string): Record<string, unknown> {
  const [block] = parsePem(pem);
  return JSON.parse(block!.der.toString('utf8')) as Record<string, unknown>;
}

describe('cosign key interop', () => {
  it('decrypts a cosign-generated key (empty password) whose public key equals the cosign.pub beside it', () => {
    const key = loadPrivateKey(fixture('policy-controller-cosign.key'), '');
    expect(key.type).toBe('private');
    expect(keyAlgorithm(key)).toBe('ecdsa-p256');
    expect(publicKeyPem(key)).toBe(fixture('policy-controller-cosign.pub'));
  });

  it('reports WRONG_PASSWORD for cosign CI key with a guessed password, saying so', () => {
    const pem = fixture('cosign-test.key');
    expect(pem).toContain(COSIGN_PRIVATE_KEY_LABEL);
    expect(() => loadPrivateKey(pem, 'not-the-password')).toThrow(/wrong password/);
    expect(reasonOf(() => loadPrivateKey(pem, 'not-the-password'))).toBe('WRONG_PASSWORD');
    // With no password at all the message tells where a password comes from.
    expect(() => loadPrivateKey(pem)).toThrow(/PALISADE_PASSWORD or COSIGN_PASSWORD/);
  });

  it('generates keys laid out as cosign writes them, which round-trip', () => {
    const { privateKeyPem, publicKeyPem: pubPem } = generateKeyPair('s3cret');
    expect(privateKeyPem.startsWith(`-----BEGIN ${SIGSTORE_PRIVATE_KEY_LABEL}-----\n`)).toBe(true);
    expect(privateKeyPem.split('\n').every((line) => line.length <= 64)).toBe(true);
    const doc = documentOf(privateKeyPem);
    expect(Object.keys(doc)).toEqual(['kdf', 'cipher', 'ciphertext']);
    expect(doc.kdf).toMatchObject({ name: 'scrypt', params: { N: 65536, r: 8, p: 1 } });
    expect(Object.keys(doc.kdf as object)).toEqual(['name', 'params', 'salt']);
    expect(Buffer.from((doc.kdf as { salt: string }).salt, 'base64')).toHaveLength(32);
    expect(doc.cipher).toMatchObject({ name: 'nacl/secretbox' });
    expect(Buffer.from((doc.cipher as { nonce: string }).nonce, 'base64')).toHaveLength(24);
    // PKCS#8 of a P-256 key (138 bytes) + the 16-byte Poly1305 tag, the same size cosign's keys have.
    expect(Buffer.from(doc.ciphertext as string, 'base64')).toHaveLength(154);
    expect(Buffer.from(documentOf(fixture('policy-controller-cosign.key')).ciphertext as string, 'base64')).toHaveLength(154);

    const priv = loadPrivateKey(privateKeyPem, 's3cret');
    const pub = loadPublicKey(pubPem);
    expect(pubPem.startsWith('-----BEGIN PUBLIC KEY-----\n')).toBe(true);
    const sig = signData(priv, Buffer.from('payload'));
    expect(verifyData(pub, Buffer.from('payload'), sig)).toBe(true);
    expect(reasonOf(() => loadPrivateKey(privateKeyPem, 'S3cret'))).toBe('WRONG_PASSWORD');
  });

  it('re-encrypts imported keys with the legacy scrypt cost when asked', () => {
    const key = loadPrivateKey(fixture('policy-controller-cosign.key'), '');
    const pem = encryptPrivateKey(key, 'pw', { scryptN: 32768 });
    expect(documentOf(pem).kdf).toMatchObject({ params: { N: 32768 } });
    expect(publicKeyPem(loadPrivateKey(pem, 'pw'))).toBe(fixture('policy-controller-cosign.pub'));
  });

  it('computes the bundle key hint as base64 SHA-256 of the SPKI DER', () => {
    const pub = loadPublicKey(fixture('policy-controller-cosign.pub'));
    const [block] = parsePem(fixture('policy-controller-cosign.pub'));
    expect(keyHint(pub)).toBe(createHash('sha256').update(block!.der).digest('base64'));
  });
});

describe('plain key formats and algorithms', () => {
  const cases: [string, KeyObject, string][] = [
    ['ECDSA P-256', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'ecdsa-p256'],
    ['ECDSA P-384', generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey, 'ecdsa-p384'],
    ['Ed25519', generateKeyPairSync('ed25519').privateKey, 'ed25519'],
    ['RSA 2048', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, 'rsa'],
  ];

  it.each(cases)('%s: PKCS#8 private key and PKIX public key sign and verify', (_name, key, algorithm) => {
    const priv = loadPrivateKey(key.export({ format: 'pem', type: 'pkcs8' }) as string);
    expect(keyAlgorithm(priv)).toBe(algorithm);
    const pub = loadPublicKey(publicKeyPem(priv));
    const sig = signData(priv, Buffer.from('data'));
    expect(verifyData(pub, Buffer.from('data'), sig)).toBe(true);
    expect(verifyData(pub, Buffer.from('datA'), sig)).toBe(false);
  });

  it('signs ECDSA as ASN.1 DER with the curve-sized hash', () => {
    const priv = loadPrivateKey(cases[1]![1].export({ format: 'pem', type: 'pkcs8' }) as string);
    const sig = signData(priv, Buffer.from('x'));
    expect(sig[0]).toBe(0x30); // DER SEQUENCE, not IEEE P1363 r||s
    const pub = loadPublicKey(publicKeyPem(priv));
    expect(verifyData(pub, Buffer.from('x'), sig)).toBe(true);
  });

  it('reads SEC1 EC, PKCS#1 RSA and encrypted PKCS#8 private keys, and certificates as public keys', () => {
    const ec = cases[0]![1];
    expect(keyAlgorithm(loadPrivateKey(ec.export({ format: 'pem', type: 'sec1' }) as string))).toBe('ecdsa-p256');
    const rsa = cases[3]![1];
    expect(keyAlgorithm(loadPrivateKey(rsa.export({ format: 'pem', type: 'pkcs1' }) as string))).toBe('rsa');
    expect(keyAlgorithm(loadPublicKey(fixture('fulcio-leaf.crt')))).toBe('ecdsa-p384');
    const encrypted = ec.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string;
    expect(keyAlgorithm(loadPrivateKey(encrypted, 'pw'))).toBe('ecdsa-p256');
    expect(reasonOf(() => loadPrivateKey(encrypted, 'nope'))).toBe('WRONG_PASSWORD');
  });

  it('treats a garbage signature as invalid, not as a crash', () => {
    const pub = loadPublicKey(fixture('policy-controller-cosign.pub'));
    expect(verifyData(pub, Buffer.from('data'), Buffer.from('not a signature'))).toBe(false);
  });
});

describe('bad keys', () => {
  it('rejects weak and unsupported keys with UNSUPPORTED_KEY', () => {
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    expect(reasonOf(() => loadPrivateKey(rsa1024))).toBe('UNSUPPORTED_KEY');
    const k256 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ format: 'pem', type: 'spki' }) as string;
    expect(reasonOf(() => loadPublicKey(k256))).toBe('UNSUPPORTED_KEY');
    const x25519 = generateKeyPairSync('x25519').publicKey.export({ format: 'pem', type: 'spki' }) as string;
    expect(reasonOf(() => loadPublicKey(x25519))).toBe('UNSUPPORTED_KEY');
  });

  it('rejects malformed PEM with MALFORMED_KEY', () => {
    expect(reasonOf(() => loadPublicKey('hello'))).toBe('MALFORMED_KEY');
    expect(reasonOf(() => loadPublicKey('-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n'))).toBe('MALFORMED_KEY');
    expect(reasonOf(() => loadPublicKey('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'))).toBe('MALFORMED_KEY');
    expect(reasonOf(() => loadPrivateKey(fixture('policy-controller-cosign.pub')))).toBe('MALFORMED_KEY');
    expect(reasonOf(() => loadPublicKey(fixture('policy-controller-cosign.key')))).toBe('MALFORMED_KEY');
  });

  it('rejects an encrypted key whose JSON is damaged or whose scrypt cost is not one cosign accepts', () => {
    const encode = (doc: unknown) =>
      `-----BEGIN ${SIGSTORE_PRIVATE_KEY_LABEL}-----\n${Buffer.from(JSON.stringify(doc)).toString('base64')}\n-----END ${SIGSTORE_PRIVATE_KEY_LABEL}-----\n`;
    const doc = documentOf(fixture('policy-controller-cosign.key')) as { kdf: { params: { N: number } }; ciphertext: string };
    expect(reasonOf(() => loadPrivateKey(encode({ ...doc, ciphertext: 42 }), ''))).toBe('MALFORMED_KEY');
    expect(reasonOf(() => loadPrivateKey(encode({ ...doc, kdf: { ...doc.kdf, params: { N: 1 << 24, r: 8, p: 1 } } }), ''))).toBe('UNSUPPORTED_KEY');
    expect(reasonOf(() => parseEncryptedKeyDocument(Buffer.from('not json')))).toBe('MALFORMED_KEY');
    // A flipped ciphertext bit fails authentication, which is all a wrong password looks like.
    const ct = Buffer.from(doc.ciphertext, 'base64');
    ct[20] = ct[20]! ^ 1;
    expect(reasonOf(() => loadPrivateKey(encode({ ...doc, ciphertext: ct.toString('base64') }), ''))).toBe('WRONG_PASSWORD');
  });

  it('refuses to sign with a public key', () => {
    expect(reasonOf(() => signData(loadPublicKey(fixture('policy-controller-cosign.pub')), Buffer.from('x')))).toBe('MALFORMED_KEY');
  });

  it('gives bad keys exit code 2', () => {
    let error: unknown;
    try {
      loadPublicKey('junk');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TrustError);
    expect((error as TrustError).exitCode).toBe(2);
  });
});
