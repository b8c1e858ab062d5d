/**
 * Step (a) of provenance verification: who signed the statement.
 *
 *  - Sigstore bundles go through verifyBundle (src/trust/bundle: @sigstore/verify offline against
 *    the trusted root: certificate chain to Fulcio and SCTs, transparency-log inclusion proof or
 *    SET, signature). The keyless signer must be a GitHub Actions workflow (issuer
 *    token.actions.githubusercontent.com); which workflows count as builders is checked afterwards.
 *  - DSSE envelopes with --key: the signature must verify under one of the keys.
 *  - DSSE envelopes whose signatures carry their Fulcio certificate (`cert`, the slsa-github-generator
 *    `.intoto.jsonl` files before v1.10) and no transparency-log entry: checked offline as far as
 *    the envelope allows — the certificate chains to a Fulcio CA of the trusted root at its own
 *    issuance time (notBefore), carries a valid SCT from a CT log of the trusted root (so Fulcio
 *    logged it), and its key verifies the DSSE signature (PAE). NOT checked: that the signature was
 *    made within the certificate's ten-minute validity, which only the Rekor entry proves;
 *    slsa-verifier searches Rekor online for it (by the envelope's hash) and fails without it. The
 *    result lists this in `limitations`.
 *  - A bare statement is unsigned: accepted only when the caller allows it.
 */
import type { KeyObject } from 'node:crypto';
import { X509Certificate } from '@sigstore/core';
import { VerificationError } from '@sigstore/verify';
// The certificate checks of @sigstore/verify's Verifier (chain at a time, SCTs), without the
// timestamp and tlog steps an envelope without a tlog entry cannot pass.
import { verifyCertificate } from '@sigstore/verify/dist/key/index.js';
import { errorMessage } from '../../core/errors.ts';
import { verifyBundle, type TrustedRoot } from '../bundle/index.ts';
import { trustMaterial } from '../bundle/trust-material.ts';
import { pae, parseEnvelope, verifyEnvelope, type Envelope } from '../dsse.ts';
import { isTrustError, type TrustError } from '../errors.ts';
import { INTOTO_PAYLOAD_TYPE, parseStatement, type Statement } from '../intoto.ts';
import { verifyData } from '../keys.ts';
import { ProvenanceError } from './errors.ts';
import { certificateIdentity, GITHUB_ACTIONS_ISSUER, workflowIdentity, type WorkflowIdentity } from './fulcio.ts';

export type SignatureMethod = 'key' | 'sigstore-bundle' | 'certificate' | 'unsigned';

export interface AuthenticatedStatement {
  statement: Statement;
  method: SignatureMethod;
  /** The keyless signer (a GitHub Actions workflow) from the Fulcio certificate. */
  identity?: WorkflowIdentity;
  /** What the method could not establish offline. */
  limitations: string[];
}

export interface SignatureOptions {
  keys?: readonly KeyObject[];
  trustedRoot?: TrustedRoot;
  allowUnsigned?: boolean;
}

export const OFFLINE_CERTIFICATE_LIMITATION =
  'signing time not proven: the envelope has no transparency-log entry, so nothing shows the signature was made ' +
  "while the certificate was valid (slsa-verifier looks the entry up in Rekor online; Palisade checks offline only)";

export function authenticateBundle(bundle: unknown, options: SignatureOptions): AuthenticatedStatement {
  const root = requireRoot(options);
  const key = options.keys?.[0];
  const keyBased = isKeyBased(bundle);
  if (keyBased && !key) throw new ProvenanceError('SIGNATURE_INVALID', 'the bundle is signed with a key: pass --key');
  const verified = asProvenanceError(() =>
    verifyBundle(
      bundle,
      undefined,
      keyBased ? { publicKey: key } : { identityRegexp: '^https://', issuer: GITHUB_ACTIONS_ISSUER },
      root,
    ),
  );
  const statement = verified.payload?.statement;
  if (!statement) throw new ProvenanceError('MALFORMED_PROVENANCE', 'the bundle does not sign an in-toto statement');
  const result: AuthenticatedStatement = { statement, method: keyBased ? 'key' : 'sigstore-bundle', limitations: [] };
  if (verified.signer.kind === 'certificate' && verified.signer.identity) {
    result.identity = workflowIdentity(verified.signer.identity, verified.signer.extensions ?? {});
  }
  return result;
}

/** An envelope signed by one of `keys`, or (without keys) by the Fulcio certificate it carries. */
export function authenticateEnvelope(input: Record<string, unknown>, options: SignatureOptions): AuthenticatedStatement {
  const envelope = asProvenanceError(() => parseEnvelope(input));
  if (envelope.payloadType !== INTOTO_PAYLOAD_TYPE) {
    throw new ProvenanceError('MALFORMED_PROVENANCE', `the envelope's payload type is ${envelope.payloadType}, not an in-toto statement`);
  }
  if (options.keys && options.keys.length > 0) {
    const verified = asProvenanceError(() => verifyEnvelope(envelope, options.keys ?? []));
    return { statement: statementOf(verified.payload), method: 'key', limitations: [] };
  }
  const certificates = (Array.isArray(input.signatures) ? input.signatures : [])
    .map((s: unknown) => (typeof s === 'object' && s !== null ? (s as Record<string, unknown>).cert : undefined))
    .filter((c): c is string => typeof c === 'string' && c.includes('BEGIN CERTIFICATE'));
  if (certificates.length === 0) {
    throw new ProvenanceError(
      'SIGNATURE_INVALID',
      'the envelope carries no signing certificate and no --key was given (older slsa-github-generator envelopes keep the ' +
        'certificate only in Rekor, which an offline verification cannot search)',
    );
  }
  return authenticateWithCertificate(envelope, certificates, requireRoot(options));
}

export function authenticateStatement(input: unknown, options: SignatureOptions): AuthenticatedStatement {
  if (!options.allowUnsigned) {
    throw new ProvenanceError('SIGNATURE_INVALID', 'the provenance is a bare in-toto statement with no signature (pass --allow-unsigned to check it anyway)');
  }
  return {
    statement: asProvenanceError(() => parseStatement(input)),
    method: 'unsigned',
    limitations: ['unsigned: nothing shows who wrote this provenance (SLSA Build L1 at most)'],
  };
}

function authenticateWithCertificate(envelope: Envelope, pems: readonly string[], root: TrustedRoot): AuthenticatedStatement {
  const payload = Buffer.from(envelope.payload, 'base64');
  const message = pae(envelope.payloadType, payload);
  const failures: string[] = [];
  for (const [i, signature] of envelope.signatures.entries()) {
    const pem = pems[i] ?? pems[0];
    if (!pem) continue;
    try {
      const leaf = X509Certificate.parse(pem);
      // Chain and SCTs at issuance: the only time an envelope without a tlog entry vouches for.
      const { signer } = verifyCertificate(leaf, [leaf.notBefore], trustMaterial(root));
      if (!verifyData(signer.key, message, Buffer.from(signature.sig, 'base64'))) {
        failures.push(`signature ${i + 1}: does not verify with the certificate's key`);
        continue;
      }
      const identity = certificateIdentity(leaf);
      if (!identity || identity.issuer !== GITHUB_ACTIONS_ISSUER) {
        failures.push(`signature ${i + 1}: the certificate is not issued to a GitHub Actions workflow`);
        continue;
      }
      return { statement: statementOf(payload), method: 'certificate', identity, limitations: [OFFLINE_CERTIFICATE_LIMITATION] };
    } catch (err) {
      if (err instanceof ProvenanceError) throw err;
      failures.push(`signature ${i + 1}: ${err instanceof VerificationError ? `${err.code}: ${err.message}` : errorMessage(err)}`);
    }
  }
  throw new ProvenanceError('SIGNATURE_INVALID', `no signature of the envelope verifies: ${failures.join('; ')}`);
}

function statementOf(payload: Buffer): Statement {
  return asProvenanceError(() => parseStatement(payload));
}

function isKeyBased(bundle: unknown): boolean {
  const material = (bundle as { verificationMaterial?: Record<string, unknown> } | null)?.verificationMaterial;
  return typeof material === 'object' && material !== null && 'publicKey' in material;
}

function requireRoot(options: SignatureOptions): TrustedRoot {
  if (!options.trustedRoot) throw new ProvenanceError('INVALID_OPTION', 'keyless verification needs a Sigstore trusted root');
  return options.trustedRoot;
}

/** TrustErrors of the signature layer become provenance reasons: input problems stay input problems. */
function asProvenanceError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!isTrustError(err)) throw err;
    const reason = isMalformed(err) ? 'MALFORMED_PROVENANCE' : 'SIGNATURE_INVALID';
    throw new ProvenanceError(reason, err.message, { cause: err });
  }
}

function isMalformed(err: TrustError): boolean {
  return err.reason.startsWith('MALFORMED_') || err.reason === 'UNKNOWN_PREDICATE_TYPE';
}
