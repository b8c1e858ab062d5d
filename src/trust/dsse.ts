/**
 * DSSE envelopes (secure-systems-lab/dsse protocol v1): the signature covers the pre-authentication
 * encoding PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, so neither the payload
 * nor its type can be swapped without breaking it. cosign wraps in-toto statements this way, and so do
 * Sigstore bundles' `dsseEnvelope`.
 */
import type { KeyObject } from 'node:crypto';
import { TrustError } from './errors.ts';
import { jsonObjectInput } from './json-input.ts';
import { signData, verifyData } from './keys.ts';

export interface EnvelopeSignature {
  keyid: string;
  /** base64 */
  sig: string;
}

export interface Envelope {
  payloadType: string;
  /** base64 */
  payload: string;
  signatures: EnvelopeSignature[];
}

export interface VerifiedEnvelope {
  payloadType: string;
  /** The decoded payload bytes, exactly as signed. */
  payload: Buffer;
  /** Index into the `publicKeys` argument of the key that verified. */
  keyIndex: number;
  /** The `keyid` of the signature that verified (often empty: cosign writes ""). */
  keyid: string;
}

export const DSSE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';

/** The bytes DSSE signs. LEN counts bytes, not characters. */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

/** An envelope with one signature by `key`; `keyid` defaults to "" as cosign writes it. */
export function signEnvelope(payloadType: string, payload: Uint8Array, key: KeyObject, keyid = ''): Envelope {
  const sig = signData(key, pae(payloadType, payload));
  return { payloadType, payload: Buffer.from(payload).toString('base64'), signatures: [{ keyid, sig: sig.toString('base64') }] };
}

/**
 * The envelope's payload once a signature verifies under one of `publicKeys`. Untrusted input
 * (`envelope` may be JSON text, bytes or a parsed value) is checked once here: MALFORMED_ENVELOPE
 * when it is not an envelope, NO_SIGNATURES when it carries none, SIGNATURE_INVALID when none verifies.
 */
export function verifyEnvelope(envelope: unknown, publicKeys: readonly KeyObject[]): VerifiedEnvelope {
  const env = parseEnvelope(envelope);
  if (env.signatures.length === 0) throw new TrustError('NO_SIGNATURES', 'the DSSE envelope has no signatures');
  const payload = decodeBase64(env.payload, 'payload');
  const message = pae(env.payloadType, payload);
  for (const [i, signature] of env.signatures.entries()) {
    const sig = decodeBase64(signature.sig, `signatures[${i}].sig`);
    for (const [keyIndex, key] of publicKeys.entries()) {
      if (verifyData(key, message, sig)) return { payloadType: env.payloadType, payload, keyIndex, keyid: signature.keyid };
    }
  }
  throw new TrustError(
    'SIGNATURE_INVALID',
    `none of the envelope's ${env.signatures.length} signature(s) verifies with the ${publicKeys.length} key(s) given`,
  );
}

/** Validates the envelope's shape, reporting every bad field at once. */
export function parseEnvelope(input: unknown): Envelope {
  const obj = jsonObjectInput(input, 'MALFORMED_ENVELOPE', 'the DSSE envelope');
  const bad: string[] = [];
  if (typeof obj.payloadType !== 'string' || obj.payloadType === '') bad.push('payloadType');
  if (typeof obj.payload !== 'string' || !isBase64(obj.payload)) bad.push('payload');
  const signatures: EnvelopeSignature[] = [];
  if (!Array.isArray(obj.signatures)) bad.push('signatures');
  else {
    obj.signatures.forEach((s: unknown, i) => {
      const sig = typeof s === 'object' && s !== null ? (s as Record<string, unknown>) : {};
      if (typeof sig.sig !== 'string' || sig.sig === '' || !isBase64(sig.sig)) bad.push(`signatures[${i}].sig`);
      else if (sig.keyid !== undefined && typeof sig.keyid !== 'string') bad.push(`signatures[${i}].keyid`);
      else signatures.push({ keyid: typeof sig.keyid === 'string' ? sig.keyid : '', sig: sig.sig });
    });
  }
  if (bad.length > 0) throw new TrustError('MALFORMED_ENVELOPE', `malformed DSSE envelope: missing or invalid ${bad.join(', ')}`);
  return { payloadType: obj.payloadType as string, payload: obj.payload as string, signatures };
}

/** The DSSE spec lets writers use either base64 alphabet. */
function isBase64(value: string): boolean {
  return /^[A-Za-z0-9+/_-]*={0,2}$/.test(value);
}

function decodeBase64(value: string, field: string): Buffer {
  if (!isBase64(value)) throw new TrustError('MALFORMED_ENVELOPE', `malformed DSSE envelope: ${field} is not base64`);
  return Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64');
}
