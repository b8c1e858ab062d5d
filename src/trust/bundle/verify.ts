/**
 * Offline Sigstore bundle verification with the official stack (@sigstore/verify), as a list of
 * steps, each failing with its own TrustError reason:
 *
 *   parseBundle → checkVerificationMaterial (key vs. certificate against the policy)
 *   → bindArtifact (message digest, or the in-toto subject of a DSSE statement)
 *   → verifySigstore (timestamps: TSA and SET; signing key or certificate chain + SCTs;
 *     tlog inclusion proof/promise and body; signature; SAN and issuer)
 *   → checkIssuerRegexp; key-based bundles: checkEntryKey (each tlog entry names the key).
 *
 * @sigstore/verify checks the signature over the artifact bytes (message signatures) or the PAE
 * (DSSE) but leaves the artifact ↔ DSSE statement binding to the caller: bindArtifact does it.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { HashAlgorithm, type TrustedRoot } from '@sigstore/protobuf-specs';
import {
  PolicyError,
  VerificationError,
  Verifier,
  toSignedEntity,
  type Signer,
  type TrustMaterial,
  type VerificationPolicy,
} from '@sigstore/verify';
import { errorMessage } from '../../core/errors.ts';
import { TrustError, type TrustFailure } from '../errors.ts';
import { checkEntryKey } from '../tlog/entry-body.ts';
import { INTOTO_PAYLOAD_TYPE, assertSubjectDigest, parseStatement, type Statement } from '../intoto.ts';
import { parseBundle, type Bundle } from './parse.ts';
import { trustMaterial } from './trust-material.ts';

export interface BundlePolicy {
  /** Certificate SAN (email or URI), exact. */
  identity?: string;
  /** Certificate SAN as a regular expression (unanchored, as cosign matches). */
  identityRegexp?: string;
  /** OIDC issuer (Fulcio extension 1.3.6.1.4.1.57264.1.8, or legacy .1.1), exact. */
  issuer?: string;
  issuerRegexp?: string;
  /** Key-based bundles: the signer's public key (the bundle's key hint is not trusted to pick it). */
  publicKey?: KeyObject;
  /** cosign's --insecure-ignore-tlog: accept bundles without a transparency-log entry. */
  ignoreTlog?: boolean;
  /**
   * Key-based DSSE bundles: the caller has already verified the envelope's signature (a bundle
   * holds exactly one) with `publicKey`, so it is not verified again; the log entries still are.
   */
  signatureVerified?: boolean;
}

/**
 * What the bundle signs: the artifact bytes, or its digest (`sha256:<hex>`; DSSE bundles only,
 * since a message signature covers the bytes themselves), or `undefined` for a DSSE bundle whose
 * statement subjects the caller checks itself.
 */
export type BundleArtifact = Buffer | { digest: string } | undefined;

export interface BundleSigner {
  kind: 'public-key' | 'certificate';
  key: KeyObject;
  /** Certificate SAN. */
  identity?: string;
  /** OIDC issuer from the certificate. */
  issuer?: string;
  /** Certificate extensions by dotted OID; Fulcio's (1.3.6.1.4.1.57264.1.*) decoded to text. */
  extensions?: Record<string, string>;
}

export interface VerifiedBundle {
  mediaType: string;
  content: 'message-signature' | 'dsse-envelope';
  signer: BundleSigner;
  /** DSSE bundles: the verified payload, and the statement when it is in-toto. */
  payload?: { payloadType: string; payload: Buffer; statement?: Statement };
  tlogEntries: number;
  /** When the Rekor v1 entries were integrated into the log (Rekor v2 entries carry no time). */
  loggedAt: Date[];
}

const FULCIO_OID_PREFIX = '1.3.6.1.4.1.57264.1.';

/** Verifies `bundleJson` over `artifact` under `policy`, offline against `trustedRoot`. */
export function verifyBundle(bundleJson: unknown, artifact: BundleArtifact, policy: BundlePolicy, trustedRoot: TrustedRoot): VerifiedBundle {
  const bundle = parseBundle(bundleJson);
  const keyBased = checkVerificationMaterial(bundle, policy);
  if (bundle.verificationMaterial.tlogEntries.length === 0 && !policy.ignoreTlog) {
    throw new TrustError(
      'TLOG_ERROR',
      'no transparency log entry: the bundle has none (offline signers, Palisade’s sign and sign-blob among them, write none); accept it with --insecure-ignore-tlog (ignoreTlog in policies)',
    );
  }
  const payload = bindArtifact(bundle, artifact);
  const signer = verifySigstore(bundle, Buffer.isBuffer(artifact) ? artifact : undefined, policy, trustedRoot, keyBased);
  if (!keyBased) checkIssuerRegexp(signer, policy);
  // @sigstore/verify matches an entry's signature and digest, not its key (cosign does): an entry
  // logging this signature under another key shows nothing about ours.
  if (keyBased && !policy.ignoreTlog) for (const entry of bundle.verificationMaterial.tlogEntries) checkEntryKey(entry.canonicalizedBody, signer.key);
  return {
    mediaType: bundle.mediaType,
    content: bundle.content.$case === 'dsseEnvelope' ? 'dsse-envelope' : 'message-signature',
    signer: describeSigner(signer, keyBased),
    ...(payload && { payload }),
    tlogEntries: bundle.verificationMaterial.tlogEntries.length,
    loggedAt: bundle.verificationMaterial.tlogEntries.map((e) => Number(e.integratedTime)).filter((t) => t > 0).map((t) => new Date(t * 1000)),
  };
}

/** Key-based bundles need the key; keyless ones need an identity and an issuer (as cosign insists): true when key-based. */
function checkVerificationMaterial(bundle: Bundle, policy: BundlePolicy): boolean {
  const keyBased = bundle.verificationMaterial.content.$case === 'publicKey';
  if (keyBased && !policy.publicKey) {
    throw new TrustError('POLICY_ERROR', 'the bundle is signed with a key, not a certificate: verify it with --key');
  }
  if (!keyBased && policy.publicKey) {
    throw new TrustError(
      'KEY_MISMATCH',
      'the bundle is signed with a certificate (keyless), not a key: verify it with --certificate-identity and --certificate-oidc-issuer',
    );
  }
  if (!keyBased) {
    if (policy.identity === undefined && policy.identityRegexp === undefined) {
      throw new TrustError('POLICY_ERROR', 'keyless verification needs the expected identity (--certificate-identity or --certificate-identity-regexp)');
    }
    if (policy.issuer === undefined && policy.issuerRegexp === undefined) {
      throw new TrustError('POLICY_ERROR', 'keyless verification needs the expected OIDC issuer (--certificate-oidc-issuer or --certificate-oidc-issuer-regexp)');
    }
  }
  return keyBased;
}

/**
 * Ties the signature to the artifact: a message signature's digest must be the artifact's (the
 * signature check then covers the bytes); a DSSE bundle's statement must name the artifact's digest
 * among its subjects.
 */
function bindArtifact(bundle: Bundle, artifact: BundleArtifact): VerifiedBundle['payload'] {
  if (bundle.content.$case === 'messageSignature') {
    if (!Buffer.isBuffer(artifact)) {
      throw new TrustError('MALFORMED_DIGEST', 'a message-signature bundle signs the artifact bytes: pass the artifact, not only its digest');
    }
    const { messageDigest } = bundle.content.messageSignature;
    const algorithm = HASH_NAMES[messageDigest?.algorithm ?? HashAlgorithm.SHA2_256] ?? 'sha256';
    const actual = createHash(algorithm).update(artifact).digest();
    if (messageDigest && !actual.equals(messageDigest.digest)) {
      throw new TrustError(
        'DIGEST_MISMATCH',
        `the bundle signs ${algorithm}:${Buffer.from(messageDigest.digest).toString('hex')}, the artifact is ${algorithm}:${actual.toString('hex')}`,
      );
    }
    return undefined;
  }
  const envelope = bundle.content.dsseEnvelope;
  const payload = Buffer.from(envelope.payload);
  if (envelope.payloadType !== INTOTO_PAYLOAD_TYPE) {
    if (artifact !== undefined) {
      throw new TrustError('SUBJECT_MISMATCH', `the DSSE payload type is ${envelope.payloadType}, not an in-toto statement naming the artifact`);
    }
    return { payloadType: envelope.payloadType, payload };
  }
  const statement = parseStatement(payload);
  if (artifact !== undefined) {
    const digest = Buffer.isBuffer(artifact) ? `sha256:${createHash('sha256').update(artifact).digest('hex')}` : artifact.digest;
    assertSubjectDigest(statement, digest);
  }
  return { payloadType: envelope.payloadType, payload, statement };
}

function verifySigstore(bundle: Bundle, artifact: Buffer | undefined, policy: BundlePolicy, root: TrustedRoot, keyBased: boolean): Signer {
  return mapSigstoreErrors(() => {
    const entity = toSignedEntity(bundle, artifact);
    const { publicKey } = policy;
    if (keyBased && policy.signatureVerified && bundle.content.$case === 'dsseEnvelope') entity.signature = preverified(entity.signature);
    const material: TrustMaterial = { ...trustMaterial(root) };
    if (keyBased && publicKey) material.publicKey = () => ({ publicKey, validFor: () => true });
    const verifier = new Verifier(material, {
      tlogThreshold: policy.ignoreTlog ? 0 : 1,
      // A key has no certificate to place in time or to find in CT logs; a certificate needs both.
      ctlogThreshold: keyBased ? 0 : 1,
      timestampThreshold: keyBased ? 0 : 1,
    });
    return verifier.verify(entity, keyBased ? undefined : sigstorePolicy(policy));
  });
}

type SignatureContent = ReturnType<typeof toSignedEntity>['signature'];

/** The signature content with its signature check answered already (BundlePolicy.signatureVerified); its log-entry comparisons kept. */
function preverified(content: SignatureContent): SignatureContent {
  return {
    signature: content.signature,
    compareSignature: (signature) => content.compareSignature(signature),
    compareDigest: (digest) => content.compareDigest(digest),
    compareSignedDigest: (digest) => content.compareSignedDigest(digest),
    verifySignature: () => true,
  };
}

function sigstorePolicy(policy: BundlePolicy): VerificationPolicy {
  const san = policy.identity ?? (policy.identityRegexp !== undefined ? compileRegexp(policy.identityRegexp, 'identity') : undefined);
  return {
    ...(san !== undefined && { subjectAlternativeName: san }),
    ...(policy.issuer !== undefined && { extensions: { issuer: policy.issuer } }),
  };
}

function checkIssuerRegexp(signer: Signer, policy: BundlePolicy): void {
  if (policy.issuerRegexp === undefined) return;
  const issuer = signer.identity?.extensions?.issuer;
  if (issuer === undefined || !compileRegexp(policy.issuerRegexp, 'issuer').test(issuer)) {
    throw new TrustError('POLICY_ERROR', `certificate OIDC issuer ${JSON.stringify(issuer ?? null)} does not match /${policy.issuerRegexp}/`);
  }
}

function compileRegexp(source: string, what: string): RegExp {
  try {
    return new RegExp(source, 'u');
  } catch (err) {
    throw new TrustError('POLICY_ERROR', `invalid ${what} regular expression /${source}/: ${errorMessage(err)}`, { cause: err });
  }
}

function describeSigner(signer: Signer, keyBased: boolean): BundleSigner {
  if (keyBased) return { kind: 'public-key', key: signer.key };
  const described: BundleSigner = { kind: 'certificate', key: signer.key };
  const identity = signer.identity;
  if (identity?.subjectAlternativeName !== undefined) described.identity = identity.subjectAlternativeName;
  if (identity?.extensions?.issuer !== undefined) described.issuer = identity.extensions.issuer;
  if (identity?.oids) {
    described.extensions = Object.fromEntries(
      identity.oids.map(({ oid, value }) => {
        const dotted = (oid?.id ?? []).join('.');
        return [dotted, dotted.startsWith(FULCIO_OID_PREFIX) ? fulcioText(Buffer.from(value)) : Buffer.from(value).toString('hex')];
      }),
    );
  }
  return described;
}

/** Fulcio's newer extensions (.1.8 on) are DER UTF8Strings; the first ones (.1.1–.1.6) are raw text. */
function fulcioText(value: Buffer): string {
  if (value[0] === 0x0c && value.length >= 2) {
    const first = value[1]!;
    const [length, start] = first < 0x80 ? [first, 2] : first === 0x81 ? [value[2] ?? 0, 3] : first === 0x82 ? [value.readUInt16BE(2), 4] : [-1, 0];
    if (start + length === value.length) return value.subarray(start).toString('utf8');
  }
  return value.toString('utf8');
}

const HASH_NAMES: Partial<Record<HashAlgorithm, string>> = {
  [HashAlgorithm.HASH_ALGORITHM_UNSPECIFIED]: 'sha256',
  [HashAlgorithm.SHA2_256]: 'sha256',
  [HashAlgorithm.SHA2_384]: 'sha384',
  [HashAlgorithm.SHA2_512]: 'sha512',
};

/** @sigstore/verify's codes → our reasons; the underlying code stays in the message. */
const SIGSTORE_REASONS: Record<string, TrustFailure> = {
  TLOG_ERROR: 'TLOG_ERROR',
  TLOG_INCLUSION_PROOF_ERROR: 'TLOG_ERROR',
  TLOG_INCLUSION_PROMISE_ERROR: 'TLOG_ERROR',
  TLOG_MISSING_INCLUSION_ERROR: 'TLOG_ERROR',
  TLOG_BODY_ERROR: 'TLOG_ERROR',
  CERTIFICATE_ERROR: 'CERTIFICATE_ERROR',
  PUBLIC_KEY_ERROR: 'KEY_MISMATCH',
  SIGNATURE_ERROR: 'SIGNATURE_INVALID',
  TIMESTAMP_ERROR: 'TIMESTAMP_ERROR',
  UNTRUSTED_SIGNER_ERROR: 'POLICY_ERROR',
  NOT_IMPLEMENTED_ERROR: 'MALFORMED_BUNDLE',
};

function mapSigstoreErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof TrustError) throw err;
    if (err instanceof VerificationError || err instanceof PolicyError) {
      const reason = SIGSTORE_REASONS[err.code] ?? 'SIGNATURE_INVALID';
      throw new TrustError(reason, `${describeCode(err.code)}: ${err.message} (${err.code})`, { cause: err });
    }
    // Anything else comes from decoding attacker-controlled fields (certificates, timestamps, tlog bodies).
    throw new TrustError('MALFORMED_BUNDLE', `malformed bundle: ${errorMessage(err)}`, { cause: err });
  }
}

function describeCode(code: string): string {
  if (code.startsWith('TLOG')) return 'transparency log check failed';
  if (code === 'CERTIFICATE_ERROR') return 'certificate check failed';
  if (code === 'TIMESTAMP_ERROR') return 'timestamp check failed';
  if (code === 'PUBLIC_KEY_ERROR') return 'signing key check failed';
  if (code === 'UNTRUSTED_SIGNER_ERROR') return 'the signer does not match the policy';
  if (code === 'SIGNATURE_ERROR') return 'signature check failed';
  return 'verification failed';
}
