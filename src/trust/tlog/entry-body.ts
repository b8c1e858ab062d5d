/**
 * What a Rekor entry body says was logged, and whether that is the signature being verified.
 *
 * A transparency-log entry proves something only about what its body names: a valid SET over an
 * entry for another signature, payload or key proves nothing about this one (cosign's VerifyBundle
 * compares all three: compareSigs, comparePublicKey, bundleHash). Bodies are canonical JSON
 * `{apiVersion, kind, spec}`; the kinds cosign writes or reads:
 *
 * - `hashedrekord` 0.0.1 (cosign ≥ 1.5 signatures, Sigstore bundles' message signatures):
 *   `spec.data.hash` {algorithm, value: hex}, `spec.signature.content` (base64),
 *   `spec.signature.publicKey.content` (base64 of a PEM key or certificate);
 * - `rekord` 0.0.1 (older cosign signatures): the same fields, plus `spec.signature.format`;
 * - `intoto` 0.0.1 (cosign's legacy attestations): `spec.content.hash` (sha256 of the envelope as
 *   stored), `spec.content.payloadHash`, `spec.publicKey` (base64 PEM); no signature;
 * - `intoto` 0.0.2: `spec.content.payloadHash`, `spec.content.envelope.signatures[]`
 *   {sig: base64 of the base64 signature, publicKey: base64 PEM};
 * - `dsse` 0.0.1: `spec.payloadHash`, `spec.signatures[]` {signature: base64, verifier: base64 PEM};
 * - Rekor v2 `hashedrekord`/`dsse` 0.0.2 (in Sigstore bundles): keys as DER (`verifier.publicKey.rawBytes`
 *   or `verifier.x509Certificate.rawBytes`), read for the key check only.
 *
 * The body is attacker-controlled: anything unreadable is a TLOG_ERROR, never an exception.
 */
import { X509Certificate, createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { isRecord } from '../../core/json.ts';
import { TrustError } from '../errors.ts';
import { loadPublicKey } from '../keys.ts';

/** The signature being verified, as a log entry would name it. */
export type LoggedSignature =
  /** A signature over a blob (cosign's simple-signing payload): logged as hashedrekord or rekord. */
  | { content: 'message'; payload: Uint8Array; signature: Buffer; publicKey: KeyObject }
  /** A DSSE envelope (cosign's legacy attestations, as stored), its payload and signatures: logged as intoto or dsse. */
  | { content: 'envelope'; envelope: Uint8Array; payload: Uint8Array; signatures: readonly Buffer[]; publicKey: KeyObject };

/** What a body claims: digests (hex sha256) and signatures with the key each was made with. */
interface EntryClaims {
  kind: string;
  apiVersion: string;
  payloadDigest?: string;
  envelopeDigest?: string;
  signatures: { signature?: Buffer; key: KeyObject | undefined }[];
}

const MESSAGE_KINDS = new Set(['hashedrekord', 'rekord']);
const ENVELOPE_KINDS = new Set(['intoto', 'dsse']);

/** Throws TLOG_ERROR unless the entry `body` (decoded canonical JSON) names `logged`: its payload, signature and key. */
export function checkEntryBody(body: Uint8Array, logged: LoggedSignature): void {
  const claims = readClaims(body);
  const kinds = logged.content === 'message' ? MESSAGE_KINDS : ENVELOPE_KINDS;
  if (!kinds.has(claims.kind)) {
    mismatch(`it records a ${claims.kind} entry, not ${logged.content === 'message' ? 'a signature over a payload' : 'a DSSE envelope'}`);
  }
  const payloadDigest = sha256Hex(logged.payload);
  if (logged.content === 'message') {
    if (claims.payloadDigest !== payloadDigest) mismatch(`it records payload sha256:${claims.payloadDigest ?? '(none)'}, the signature is over sha256:${payloadDigest}`);
  } else {
    if (claims.payloadDigest === undefined && claims.envelopeDigest === undefined) mismatch('it records no payload or envelope digest');
    if (claims.payloadDigest !== undefined && claims.payloadDigest !== payloadDigest) {
      mismatch(`it records payload sha256:${claims.payloadDigest}, the envelope carries sha256:${payloadDigest}`);
    }
    // intoto 0.0.1 logs no signature, only the envelope's digest: that digest is what binds it.
    if (claims.signatures.every((s) => s.signature === undefined) && claims.envelopeDigest !== sha256Hex(logged.envelope)) {
      mismatch(`it records envelope sha256:${claims.envelopeDigest ?? '(none)'}, not this envelope (sha256:${sha256Hex(logged.envelope)})`);
    }
  }
  const ours = logged.content === 'message' ? [logged.signature] : logged.signatures;
  // Only intoto 0.0.1 logs no signature (its envelope digest, checked above, binds it); a message entry must log ours.
  const sameSignature = claims.signatures.filter((s) => (s.signature === undefined ? logged.content === 'envelope' : ours.some((sig) => sig.equals(s.signature!))));
  if (sameSignature.length === 0) mismatch('it records another signature');
  if (!sameSignature.some((s) => s.key !== undefined && s.key.equals(logged.publicKey))) mismatch('it records the signature under another key');
}

/** Throws TLOG_ERROR unless the entry `body` names `publicKey` as the signer's key (Sigstore bundles: the rest is @sigstore/verify's). */
export function checkEntryKey(body: Uint8Array, publicKey: KeyObject): void {
  const claims = readClaims(body);
  if (!claims.signatures.some((s) => s.key !== undefined && s.key.equals(publicKey))) mismatch('it records the signature under another key');
}

function mismatch(why: string): never {
  throw new TrustError('TLOG_ERROR', `transparency log entry does not match the signature: ${why}`);
}

/** TLOG_ERROR for an entry (body or cosign's annotation around it) that cannot be read. */
export function malformed(why: string): never {
  throw new TrustError('TLOG_ERROR', `malformed transparency log entry: ${why}`);
}

function readClaims(body: Uint8Array): EntryClaims {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    malformed('the body is not JSON');
  }
  if (!isRecord(json) || typeof json.kind !== 'string' || typeof json.apiVersion !== 'string' || !isRecord(json.spec)) {
    malformed('the body has no kind, apiVersion and spec');
  }
  const { kind, apiVersion, spec } = json as { kind: string; apiVersion: string; spec: Record<string, unknown> };
  const read = READERS[`${kind}/${apiVersion}`];
  if (read === undefined) malformed(`unsupported entry kind ${kind} ${apiVersion}`);
  return { kind, apiVersion, ...read(spec) };
}

type Reader = (spec: Record<string, unknown>) => Omit<EntryClaims, 'kind' | 'apiVersion'>;

/** hashedrekord and rekord 0.0.1 share their shape. */
const readRekord: Reader = (spec) => {
  const signature = field(spec, 'signature');
  return {
    ...optional('payloadDigest', sha256Of(field(spec, 'data').hash)),
    signatures: [{ signature: base64(signature.content), key: pemKey(field(signature, 'publicKey').content) }],
  };
};

const READERS: Record<string, Reader> = {
  'hashedrekord/0.0.1': readRekord,
  'rekord/0.0.1': readRekord,
  'intoto/0.0.1': (spec) => {
    const content = field(spec, 'content');
    return {
      ...optional('payloadDigest', sha256Of(content.payloadHash)),
      ...optional('envelopeDigest', sha256Of(content.hash)),
      signatures: [{ key: pemKey(spec.publicKey) }],
    };
  },
  'intoto/0.0.2': (spec) => {
    const content = field(spec, 'content');
    return {
      ...optional('payloadDigest', sha256Of(content.payloadHash)),
      signatures: list(field(content, 'envelope').signatures).map((s) => ({
        // The envelope's base64 signature, base64-encoded once more.
        signature: base64(base64(s.sig)?.toString('utf8')),
        key: pemKey(s.publicKey),
      })),
    };
  },
  'dsse/0.0.1': (spec) => ({
    ...optional('payloadDigest', sha256Of(spec.payloadHash)),
    signatures: list(spec.signatures).map((s) => ({ signature: base64(s.signature), key: pemKey(s.verifier) })),
  }),
  'hashedrekord/0.0.2': (spec) => ({ signatures: [{ key: derKey(field(field(field(spec, 'hashedRekordV002'), 'signature'), 'verifier')) }] }),
  'dsse/0.0.2': (spec) => ({ signatures: list(field(spec, 'dsseV002').signatures).map((s) => ({ key: derKey(field(s, 'verifier')) })) }),
};

function field(value: Record<string, unknown>, name: string): Record<string, unknown> {
  const child = value[name];
  if (!isRecord(child)) malformed(`the body has no ${name}`);
  return child;
}

function list(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function optional<K extends string>(name: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [name]: value } as Record<K, string>);
}

/** A `{algorithm, value}` hash's hex value when it is SHA-256 (cosign accepts no other). */
function sha256Of(hash: unknown): string | undefined {
  if (!isRecord(hash) || typeof hash.value !== 'string') return undefined;
  if (hash.algorithm !== 'sha256') mismatch(`it records a ${String(hash.algorithm)} digest, not sha256`);
  return hash.value.toLowerCase();
}

function base64(value: unknown): Buffer | undefined {
  return typeof value === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(value) ? Buffer.from(value, 'base64') : undefined;
}

/**
 * The keys of recent entries, by their base64 text: one signer's key is in every entry it logs,
 * and decoding it (an EC point, a certificate) costs more than the rest of an entry's checks.
 */
const pemKeys = new Map<string, KeyObject | undefined>();
const PEM_KEYS_KEPT = 256;

/** A base64-encoded PEM public key or certificate; undefined when it is neither (it then matches no key). */
function pemKey(value: unknown): KeyObject | undefined {
  if (typeof value !== 'string') return undefined;
  if (pemKeys.has(value)) return pemKeys.get(value);
  const key = decodePemKey(value);
  if (pemKeys.size >= PEM_KEYS_KEPT) pemKeys.delete(pemKeys.keys().next().value!);
  pemKeys.set(value, key);
  return key;
}

function decodePemKey(value: string): KeyObject | undefined {
  const pem = base64(value);
  if (pem === undefined) return undefined;
  try {
    return loadPublicKey(pem.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Rekor v2's verifier: a DER SPKI key or a DER certificate (proto3 JSON: base64). */
function derKey(verifier: Record<string, unknown>): KeyObject | undefined {
  try {
    const spki = isRecord(verifier.publicKey) ? base64(verifier.publicKey.rawBytes) : undefined;
    if (spki !== undefined) return createPublicKey({ key: spki, format: 'der', type: 'spki' });
    const cert = isRecord(verifier.x509Certificate) ? base64(verifier.x509Certificate.rawBytes) : undefined;
    return cert === undefined ? undefined : new X509Certificate(cert).publicKey;
  } catch {
    return undefined;
  }
}

function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
