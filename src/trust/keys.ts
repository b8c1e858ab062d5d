/**
 * Signing keys in cosign's formats, so a key pair made by either tool works in the other.
 *
 * - Private keys: cosign's encrypted PEM (`ENCRYPTED SIGSTORE PRIVATE KEY`, or the pre-2.0.1 label
 *   `ENCRYPTED COSIGN PRIVATE KEY`), whose body is base64 of the JSON document
 *   `{"kdf":{"name":"scrypt","params":{"N":…,"r":8,"p":1},"salt":…},"cipher":{"name":"nacl/secretbox","nonce":…},"ciphertext":…}`
 *   (go-securesystemslib's `encrypted` package): an scrypt-derived 32-byte key seals the PKCS#8 DER
 *   with NaCl secretbox (XSalsa20-Poly1305, which node:crypto lacks, hence @noble/ciphers). Plain
 *   PKCS#8, SEC1 and PKCS#1 PEMs load too, as `cosign import-key-pair` accepts them.
 * - Public keys: PKIX `PUBLIC KEY` PEM, or the key of a `CERTIFICATE`.
 * - Algorithms: ECDSA P-256/P-384/P-521 (SHA-256/384/512, ASN.1 DER signatures as cosign writes them),
 *   RSA ≥ 2048 bits (PKCS#1 v1.5 with SHA-256, cosign's choice), Ed25519 (pure, no prehash).
 */
import {
  X509Certificate,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  scryptSync,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';
import { xsalsa20poly1305 } from '@noble/ciphers/salsa.js';
import { errorMessage } from '../core/errors.ts';
import { TrustError } from './errors.ts';
import { encodePem, firstPemBlock } from './pem.ts';
import { isRecord } from '../core/json.ts';

export const SIGSTORE_PRIVATE_KEY_LABEL = 'ENCRYPTED SIGSTORE PRIVATE KEY';
/** Written by cosign before v2.0.1; still read. */
export const COSIGN_PRIVATE_KEY_LABEL = 'ENCRYPTED COSIGN PRIVATE KEY';

/** scrypt cost parameters cosign accepts (legacy, standard = what it writes, OWASP); anything else is refused, which also caps the memory a hostile key file can demand. */
const SCRYPT_N_ACCEPTED: ReadonlySet<number> = new Set([32768, 65536, 131072]);
const SCRYPT_N_DEFAULT = 65536;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const SALT_BYTES = 32;
const NONCE_BYTES = 24;
const SECRETBOX_KEY_BYTES = 32;

export type KeyAlgorithm = 'ecdsa-p256' | 'ecdsa-p384' | 'ecdsa-p521' | 'ed25519' | 'rsa';

/** The JSON document inside cosign's encrypted private key PEM (field order as Go emits it). */
export interface EncryptedKeyDocument {
  kdf: { name: 'scrypt'; params: { N: number; r: number; p: number }; salt: string };
  cipher: { name: 'nacl/secretbox'; nonce: string };
  ciphertext: string;
}

export interface GeneratedKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

/** A new ECDSA P-256 key pair, as `cosign generate-key-pair` writes it. */
export function generateKeyPair(password: string): GeneratedKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKeyPem: encryptPrivateKey(privateKey, password), publicKeyPem: publicKeyPem(publicKey) };
}

/** `key` as cosign's `ENCRYPTED SIGSTORE PRIVATE KEY` PEM (scrypt N=65536, r=8, p=1 unless told). */
export function encryptPrivateKey(key: KeyObject, password: string, options?: { scryptN?: number }): string {
  keyAlgorithm(key);
  const N = options?.scryptN ?? SCRYPT_N_DEFAULT;
  if (!SCRYPT_N_ACCEPTED.has(N)) throw new TrustError('UNSUPPORTED_KEY', `scrypt N=${N} is not one cosign accepts (32768, 65536, 131072)`);
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const secret = deriveSecret(password, salt, N);
  const der = key.export({ format: 'der', type: 'pkcs8' });
  const ciphertext = xsalsa20poly1305(secret, nonce).encrypt(der);
  const doc: EncryptedKeyDocument = {
    kdf: { name: 'scrypt', params: { N, r: SCRYPT_R, p: SCRYPT_P }, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: Buffer.from(ciphertext).toString('base64'),
  };
  return encodePem(SIGSTORE_PRIVATE_KEY_LABEL, Buffer.from(JSON.stringify(doc)));
}

/**
 * A private key from PEM: cosign's encrypted formats (password required; an absent password is the
 * empty one, which cosign allows), PKCS#8 `PRIVATE KEY`, SEC1 `EC PRIVATE KEY`, PKCS#1 `RSA PRIVATE KEY`,
 * and OpenSSL's password-protected PKCS#8 `ENCRYPTED PRIVATE KEY`.
 */
export function loadPrivateKey(pem: string, password?: string): KeyObject {
  const block = firstPemBlock(pem, 'private key');
  let key: KeyObject;
  switch (block.label) {
    case SIGSTORE_PRIVATE_KEY_LABEL:
    case COSIGN_PRIVATE_KEY_LABEL:
      key = decryptCosignKey(block.der, password ?? '');
      break;
    case 'PRIVATE KEY':
      key = derPrivateKey(block.der, 'pkcs8');
      break;
    case 'EC PRIVATE KEY':
      key = derPrivateKey(block.der, 'sec1');
      break;
    case 'RSA PRIVATE KEY':
      key = derPrivateKey(block.der, 'pkcs1');
      break;
    case 'ENCRYPTED PRIVATE KEY':
      key = decryptPkcs8(block.der, password ?? '');
      break;
    default:
      throw new TrustError('MALFORMED_KEY', `not a private key: PEM block "${block.label}"`);
  }
  keyAlgorithm(key);
  return key;
}

/** A public key from a PKIX `PUBLIC KEY` PEM, a PKCS#1 `RSA PUBLIC KEY` PEM or a `CERTIFICATE`. */
export function loadPublicKey(pem: string): KeyObject {
  const block = firstPemBlock(pem, 'public key');
  let key: KeyObject;
  try {
    switch (block.label) {
      case 'PUBLIC KEY':
        key = createPublicKey({ key: block.der, format: 'der', type: 'spki' });
        break;
      case 'RSA PUBLIC KEY':
        key = createPublicKey({ key: block.der, format: 'der', type: 'pkcs1' });
        break;
      case 'CERTIFICATE':
        key = new X509Certificate(block.der).publicKey;
        break;
      default:
        throw new TrustError('MALFORMED_KEY', `not a public key or certificate: PEM block "${block.label}"`);
    }
  } catch (err) {
    if (err instanceof TrustError) throw err;
    throw new TrustError('MALFORMED_KEY', `cannot decode the ${block.label} PEM block: ${errorMessage(err)}`, { cause: err });
  }
  keyAlgorithm(key);
  return key;
}

/** Keys are immutable, and reading their details crosses into C++ each time: remember the answer. */
const algorithms = new WeakMap<KeyObject, KeyAlgorithm>();

/** Which signature scheme `key` (public or private) uses; UNSUPPORTED_KEY for anything cosign would not sign with. */
export function keyAlgorithm(key: KeyObject): KeyAlgorithm {
  let algorithm = algorithms.get(key);
  if (algorithm === undefined) {
    algorithm = detectAlgorithm(key);
    algorithms.set(key, algorithm);
  }
  return algorithm;
}

function detectAlgorithm(key: KeyObject): KeyAlgorithm {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec':
      switch (details.namedCurve) {
        case 'prime256v1':
          return 'ecdsa-p256';
        case 'secp384r1':
          return 'ecdsa-p384';
        case 'secp521r1':
          return 'ecdsa-p521';
        default:
          throw new TrustError('UNSUPPORTED_KEY', `unsupported elliptic curve ${details.namedCurve ?? '(unknown)'}: use P-256, P-384 or P-521`);
      }
    case 'ed25519':
      return 'ed25519';
    case 'rsa': {
      const bits = details.modulusLength ?? 0;
      if (bits < 2048) throw new TrustError('UNSUPPORTED_KEY', `RSA key of ${bits} bits is too weak: at least 2048 bits are required`);
      return 'rsa';
    }
    default:
      throw new TrustError('UNSUPPORTED_KEY', `unsupported key type ${key.asymmetricKeyType ?? key.type}: use ECDSA, Ed25519 or RSA`);
  }
}

/** The digest each scheme signs with (`null`: Ed25519 signs the message itself). */
export function hashFor(algorithm: KeyAlgorithm): 'sha256' | 'sha384' | 'sha512' | null {
  switch (algorithm) {
    case 'ecdsa-p256':
    case 'rsa':
      return 'sha256';
    case 'ecdsa-p384':
      return 'sha384';
    case 'ecdsa-p521':
      return 'sha512';
    case 'ed25519':
      return null;
  }
}

/** A signature over `data` as cosign makes it (ECDSA: ASN.1 DER; RSA: PKCS#1 v1.5). */
export function signData(key: KeyObject, data: Uint8Array): Buffer {
  if (key.type !== 'private') throw new TrustError('MALFORMED_KEY', 'signing needs a private key, got a public one');
  return cryptoSign(hashFor(keyAlgorithm(key)), data, key);
}

/** Whether `signature` is `publicKey`'s signature over `data`; malformed signatures are simply invalid. */
export function verifyData(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  const hash = hashFor(keyAlgorithm(publicKey));
  try {
    return cryptoVerify(hash, data, publicKey, signature);
  } catch {
    return false;
  }
}

/** The public half of a private key (or the key itself when already public). */
export function publicKeyOf(key: KeyObject): KeyObject {
  return key.type === 'private' ? createPublicKey(key) : key;
}

/** PKIX `PUBLIC KEY` PEM. */
export function publicKeyPem(key: KeyObject): string {
  return encodePem('PUBLIC KEY', publicKeyOf(key).export({ format: 'der', type: 'spki' }));
}

/**
 * cosign's key hint (a bundle's `verificationMaterial.publicKey.hint`): base64 of SHA-256 over the
 * DER SubjectPublicKeyInfo.
 */
export function keyHint(key: KeyObject): string {
  const spki = publicKeyOf(key).export({ format: 'der', type: 'spki' });
  return createHash('sha256').update(spki).digest('base64');
}

function decryptCosignKey(body: Buffer, password: string): KeyObject {
  const doc = parseEncryptedKeyDocument(body);
  const salt = Buffer.from(doc.kdf.salt, 'base64');
  const nonce = Buffer.from(doc.cipher.nonce, 'base64');
  if (nonce.length !== NONCE_BYTES) throw new TrustError('MALFORMED_KEY', `encrypted key: nonce is ${nonce.length} bytes, expected ${NONCE_BYTES}`);
  const secret = deriveSecret(password, salt, doc.kdf.params.N);
  let der: Uint8Array;
  try {
    der = xsalsa20poly1305(secret, nonce).decrypt(Buffer.from(doc.ciphertext, 'base64'));
  } catch {
    // Poly1305 authenticates the ciphertext: failing to open it means the password is wrong (or the file was altered).
    throw new TrustError(
      'WRONG_PASSWORD',
      password === ''
        ? 'cannot decrypt the private key: it needs a password (set PALISADE_PASSWORD or COSIGN_PASSWORD)'
        : 'cannot decrypt the private key: wrong password',
    );
  }
  return derPrivateKey(Buffer.from(der), 'pkcs8');
}

/** Checks the JSON document once, so decryption can trust its shape. */
export function parseEncryptedKeyDocument(body: Buffer): EncryptedKeyDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    throw new TrustError('MALFORMED_KEY', 'encrypted key: the PEM body is not the JSON document cosign writes');
  }
  const bad = (field: string) => new TrustError('MALFORMED_KEY', `encrypted key: missing or invalid ${field}`);
  if (!isRecord(doc)) throw bad('document');
  const { kdf, cipher, ciphertext } = doc;
  if (!isRecord(kdf) || kdf.name !== 'scrypt') throw bad('kdf (expected scrypt)');
  const params = kdf.params;
  if (!isRecord(params)) throw bad('kdf.params');
  if (params.r !== SCRYPT_R || params.p !== SCRYPT_P || typeof params.N !== 'number' || !SCRYPT_N_ACCEPTED.has(params.N)) {
    throw new TrustError('UNSUPPORTED_KEY', `encrypted key: unsupported scrypt parameters ${JSON.stringify(params)}`);
  }
  if (!isBase64(kdf.salt)) throw bad('kdf.salt');
  if (!isRecord(cipher) || cipher.name !== 'nacl/secretbox') throw bad('cipher (expected nacl/secretbox)');
  if (!isBase64(cipher.nonce)) throw bad('cipher.nonce');
  if (!isBase64(ciphertext) || ciphertext === '') throw bad('ciphertext');
  return {
    kdf: { name: 'scrypt', params: { N: params.N, r: SCRYPT_R, p: SCRYPT_P }, salt: kdf.salt },
    cipher: { name: 'nacl/secretbox', nonce: cipher.nonce },
    ciphertext,
  };
}

function deriveSecret(password: string, salt: Buffer, N: number): Buffer {
  // Node caps scrypt at 32 MiB by default; cosign's N=65536 needs 128·N·r = 64 MiB.
  return scryptSync(Buffer.from(password, 'utf8'), salt, SECRETBOX_KEY_BYTES, { N, r: SCRYPT_R, p: SCRYPT_P, maxmem: 256 * N * SCRYPT_R });
}

function decryptPkcs8(der: Buffer, password: string): KeyObject {
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8', passphrase: password });
  } catch (err) {
    // OpenSSL cannot tell a wrong passphrase from a damaged file; both fail the padding or MAC check.
    throw new TrustError('WRONG_PASSWORD', `cannot decrypt the PKCS#8 private key: wrong password or damaged key (${errorMessage(err)})`, { cause: err });
  }
}

function derPrivateKey(der: Buffer, type: 'pkcs8' | 'sec1' | 'pkcs1'): KeyObject {
  try {
    return createPrivateKey({ key: der, format: 'der', type });
  } catch (err) {
    throw new TrustError('MALFORMED_KEY', `cannot decode the ${type.toUpperCase()} private key: ${errorMessage(err)}`, { cause: err });
  }
}

function isBase64(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(value);
}
