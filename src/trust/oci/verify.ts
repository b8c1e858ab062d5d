/**
 * Verifying an image's signatures and attestations as `cosign verify` / `cosign verify-attestation`
 * do with a key, over both storage formats (see discover.ts):
 *
 * - every candidate is checked on its own: the signature (simple-signing payload bytes, or the DSSE
 *   PAE for envelopes and bundles) under one of the public keys; then the claims — the payload's
 *   `docker-manifest-digest`, or a statement subject, must be the image's digest (a signature copied
 *   from another image is a replay: DIGEST_MISMATCH); the docker-reference must name the repository;
 *   the `-a` annotations must be present; an attestation's predicate type must be the one asked for
 *   and its predicate must satisfy the policy;
 * - the image verifies when at least one candidate does. When none does, the error names the most
 *   telling reason: a valid signature with the wrong claims beats an invalid one, which beats none
 *   at all; "none at all" for a tag whose repository holds signatures of other digests by the same
 *   key is TAG_MOVED (the tag was moved, or the image rebuilt, after signing);
 * - key-based signatures need a transparency-log entry, as cosign and Kyverno require by default:
 *   the Rekor SET of a legacy layer's `dev.sigstore.cosign/bundle` annotation (src/trust/tlog), or
 *   a Sigstore bundle's tlog entries (src/trust/bundle), checked against the trusted root's log
 *   keys and naming this signature, payload and key; `ignoreTlog` (cosign's
 *   --insecure-ignore-tlog, Kyverno's rekor.ignoreTlog) accepts signatures without one.
 */
import type { KeyObject } from 'node:crypto';
import { PalisadeError, errorMessage } from '../../core/errors.ts';
import { parseRegistryReference } from '../../image/reference.ts';
import { type Envelope, parseEnvelope, verifyEnvelope } from '../dsse.ts';
import { TrustError, type TrustFailure, type TrustVerificationFailure } from '../errors.ts';
import { INTOTO_PAYLOAD_TYPE, hasSubjectDigest, parseStatement, resolvePredicateType, type Statement } from '../intoto.ts';
import { verifyData } from '../keys.ts';
import { publicGoodTrustedRoot, verifyBundle, type TrustedRoot } from '../bundle/index.ts';
import { verifyRekorBundle, type LoggedSignature } from '../tlog/index.ts';
import type { DigestCache } from './cache.ts';
import { discover, mapLimit, type Candidate } from './discover.ts';
import type { AttestationPolicy } from './policy.ts';
import { parseSimpleSigningPayload } from './simple-signing.ts';
import { dockerReferenceOf, type RegistryStoreOptions } from './store.ts';
import { openImageTarget, type ImageTarget } from './target.ts';
import { ANNOTATIONS, COSIGN_SIGN_PREDICATE, type ArtifactKind, type SignatureFormat } from './types.ts';

/** What can go wrong with an image's signatures, beyond the generic trust reasons. */
export type ImageVerificationFailure = TrustVerificationFailure | 'TAG_MOVED' | 'ANNOTATION_MISMATCH';

export interface Rejection {
  format: SignatureFormat;
  location: string;
  failure: ImageVerificationFailure | TrustFailure;
  message: string;
}

/** Who signed a keyless bundle, from its certificate. */
export interface KeylessSigner {
  identity?: string;
  issuer?: string;
}

export interface VerifiedSignature {
  format: SignatureFormat;
  location: string;
  /** Index into `publicKeys` of the key that verified; -1 for a keyless bundle (see `signer`). */
  keyIndex: number;
  signer?: KeylessSigner;
  /**
   * The payload as `cosign verify` prints it: the simple-signing document for legacy signatures;
   * for bundles the same shape with `critical.type` `https://sigstore.dev/cosign/sign/v1` and the
   * subject's annotations as `optional`.
   */
  payload: Record<string, unknown>;
  /** The signed annotations (`optional`, or the statement subject's). */
  annotations: Record<string, unknown>;
}

export interface VerifiedAttestation {
  format: SignatureFormat;
  location: string;
  keyIndex: number;
  signer?: KeylessSigner;
  predicateType: string;
  statement: Statement;
  /** The DSSE envelope, as `cosign verify-attestation` prints it. */
  envelope: Envelope;
}

export interface ImageVerification<T> {
  /** The reference as given. */
  reference: string;
  /** The digest that was verified (what the tag resolved to). */
  digest: string;
  verified: T[];
  /** Candidates that did not verify, with why. */
  rejected: Rejection[];
  /** Referrers that are not Sigstore bundles or could not be read. */
  skipped: string[];
}

/**
 * Keyless (certificate) bundles: the identity the certificate must name and the roots it must chain
 * to, checked offline by src/trust/bundle (certificate chain, SCTs, transparency log, timestamps).
 */
export interface KeylessOptions {
  trustedRoot: TrustedRoot;
  identity?: string;
  identityRegexp?: string;
  issuer?: string;
  issuerRegexp?: string;
  /** Accept bundles without a transparency-log entry. */
  ignoreTlog?: boolean;
}

export interface VerifyImageOptions {
  /** Keys to accept signatures from (any one suffices per signature). */
  publicKeys: readonly KeyObject[];
  /** Accept keyless bundles whose certificate satisfies this. */
  keyless?: KeylessOptions;
  /** `-a key=value` claims every accepted signature must carry. */
  annotations?: Readonly<Record<string, string>>;
  /**
   * Key-based signatures: accept them without a verified transparency-log entry (cosign's
   * --insecure-ignore-tlog, Kyverno's `rekor.ignoreTlog`). Default false: an entry is required.
   */
  ignoreTlog?: boolean;
  /** The Rekor keys key-based signatures' log entries are checked against; default the public-good root shipped with Palisade. */
  trustedRoot?: TrustedRoot;
  /**
   * By index of `publicKeys`: the validity of the certificate a key was taken from (Kyverno
   * `certificates` attestors). The signature must have been logged within it, as cosign requires
   * (CheckExpiry: a signature logged after the certificate expired, or before it was issued, fails).
   */
  keyValidity?: readonly (CertificateValidity | undefined)[];
  /** Which formats to look for; default both. */
  formats?: readonly SignatureFormat[];
  /**
   * The docker-reference legacy payloads must name (`registry/repository`); default the image's own
   * repository (a layout has none, so none is checked); false skips the check (mirrors, proxies).
   */
  expectedReference?: string | false;
  /** Repository holding legacy `.sig`/`.att` tags when not the image's own (cosign's COSIGN_REPOSITORY). */
  signatureRepository?: string;
  /** Registry access; a `client` to reuse may be passed. */
  registry?: RegistryStoreOptions;
  /** Serve digest-keyed reads from here (see cache.ts). */
  cache?: DigestCache;
  /** Look for signatures of other digests when a tag has none, to report TAG_MOVED (default true). */
  detectMovedTag?: boolean;
}

export interface CertificateValidity {
  notBefore: Date;
  notAfter: Date;
}

export interface VerifyAttestationOptions extends VerifyImageOptions {
  /** Predicate type (URI or cosign shorthand) the attestations must have; default any. */
  predicateType?: string;
  /** Conditions over each attestation's predicate. */
  policy?: AttestationPolicy;
  /** `all` (cosign): every attestation of the type must satisfy the policy; `any`: one suffices. */
  policyMode?: 'all' | 'any';
}

/** No signature (or attestation) of the image verified; `result` says what was found and why each failed. */
export class ImageVerificationError extends TrustError {
  readonly failure: ImageVerificationFailure;
  readonly result: ImageVerification<unknown>;

  constructor(failure: ImageVerificationFailure, message: string, result: ImageVerification<unknown>) {
    super(baseReason(failure), message);
    this.name = 'ImageVerificationError';
    this.failure = failure;
    this.result = result;
  }
}

function baseReason(failure: ImageVerificationFailure): TrustVerificationFailure {
  if (failure === 'TAG_MOVED') return 'DIGEST_MISMATCH';
  if (failure === 'ANNOTATION_MISMATCH') return 'SUBJECT_MISMATCH';
  return failure;
}

/** How close each failure came to success: the most telling one is reported when all fail. */
const FAILURE_RANK: Record<string, number> = {
  POLICY_ERROR: 10,
  // Checked once the signature and its claims hold: a signature that only lacks its log entry.
  TLOG_ERROR: 9,
  ANNOTATION_MISMATCH: 8,
  DIGEST_MISMATCH: 7,
  SUBJECT_MISMATCH: 6,
  PREDICATE_TYPE_MISMATCH: 5,
  SIGNATURE_INVALID: 4,
  KEY_MISMATCH: 4,
  CERTIFICATE_ERROR: 3,
};

/** Verifies the image's signatures; throws ImageVerificationError unless at least one verifies. */
export async function verifyImageSignatures(reference: string, options: VerifyImageOptions): Promise<ImageVerification<VerifiedSignature>> {
  return verifyImage(reference, options, 'signature', (candidate, digest, target) => checkSignature(candidate, digest, target, options));
}

/** Verifies the image's attestations; throws ImageVerificationError unless at least one verifies (and the policy holds). */
export async function verifyImageAttestations(reference: string, options: VerifyAttestationOptions): Promise<ImageVerification<VerifiedAttestation>> {
  const predicateType = options.predicateType === undefined ? undefined : resolvePredicateType(options.predicateType);
  const result = await verifyImage(reference, options, 'attestation', (candidate, digest) => checkAttestation(candidate, digest, options, predicateType));
  // cosign's rule: every attestation that passed the other checks must satisfy the policy.
  if ((options.policyMode ?? 'all') === 'all') {
    const failed = result.rejected.filter((r) => r.failure === 'POLICY_ERROR');
    if (failed.length > 0) {
      throw new ImageVerificationError(
        'POLICY_ERROR',
        `${failed.length} attestation(s) of ${reference} (${result.digest}) do not satisfy the policy: ${failed.map((f) => f.message).join('; ')}`,
        result,
      );
    }
  }
  return result;
}

type Check<T> = (candidate: Candidate, digest: string, target: ImageTarget) => T | Rejection;

async function verifyImage<T>(reference: string, options: VerifyImageOptions, kind: ArtifactKind, check: Check<T>): Promise<ImageVerification<T>> {
  if (options.publicKeys.length === 0 && options.keyless === undefined) {
    throw new PalisadeError('USAGE', 'nothing to verify with: pass --key, or --certificate-identity and --certificate-oidc-issuer');
  }
  const target = await openImageTarget(reference, options);
  // A pinned digest needs no round trip: signatures are found by digest (admission latency).
  const digest = target.pinnedDigest ?? (await target.store.resolve()).digest;
  const found = await discover(target.store, digest, kind, {
    ...(options.formats !== undefined && { formats: options.formats }),
    legacyStore: target.legacyStore,
  });
  const result: ImageVerification<T> = { reference, digest, verified: [], rejected: [], skipped: found.skipped };
  for (const candidate of found.candidates) {
    const outcome = check(candidate, digest, target);
    if (isRejection(outcome)) result.rejected.push(outcome);
    else result.verified.push(outcome);
  }
  if (result.verified.length > 0) return result;

  const what = kind === 'signature' ? 'signatures' : 'attestations';
  if (result.rejected.length > 0) {
    const best = result.rejected.reduce((a, b) => ((FAILURE_RANK[b.failure] ?? 0) > (FAILURE_RANK[a.failure] ?? 0) ? b : a));
    const failure: ImageVerificationFailure = (FAILURE_RANK[best.failure] ?? 0) > 0 ? (best.failure as ImageVerificationFailure) : 'SIGNATURE_INVALID';
    const lines = result.rejected.map((r) => `  - ${r.location}: ${r.message}`).join('\n');
    throw new ImageVerificationError(failure, `no valid ${what} for ${reference} (${digest}): ${result.rejected.length} found, none verifies:\n${lines}`, result);
  }
  if (target.store.tag !== undefined && options.detectMovedTag !== false) {
    const signed = await signedElsewhere(target, digest, kind, options);
    if (signed.length > 0) {
      throw new ImageVerificationError(
        'TAG_MOVED',
        `no ${what} for ${reference}: the tag now points to ${digest}, which is unsigned, while the key signed ` +
          `${signed.join(', ')} in ${target.store.name} — the tag was moved (or the image rebuilt) after signing`,
        result,
      );
    }
  }
  throw new ImageVerificationError('NO_SIGNATURES', `no ${what} found for ${reference} (${digest})`, result);
}

function isRejection(value: unknown): value is Rejection {
  return typeof value === 'object' && value !== null && 'failure' in value && 'message' in value && !('keyIndex' in value);
}

function reject(candidate: Candidate, failure: Rejection['failure'], message: string): Rejection {
  return { format: candidate.format, location: candidate.location, failure, message };
}

function checkSignature(candidate: Candidate, digest: string, target: ImageTarget, options: VerifyImageOptions): VerifiedSignature | Rejection {
  if (candidate.format === 'legacy') return checkLegacySignature(candidate, digest, target, options);
  const opened = openBundleEnvelope(candidate, options);
  if (isRejection(opened)) return opened;
  const { statement, keyIndex, signer } = opened;
  if (statement.predicateType !== COSIGN_SIGN_PREDICATE) {
    return reject(candidate, 'PREDICATE_TYPE_MISMATCH', `the bundle's statement is a ${statement.predicateType} attestation, not a signature`);
  }
  if (!hasSubjectDigest(statement, digest)) return digestMismatch(candidate, statementDigests(statement), digest);
  const subject = statement.subject.find((s) => hasSubjectDigest({ ...statement, subject: [s] }, digest));
  const annotations = subject?.annotations ?? {};
  const missing = missingAnnotations(options.annotations, annotations);
  if (missing !== undefined) return reject(candidate, 'ANNOTATION_MISMATCH', missing);
  return {
    format: 'bundle',
    location: candidate.location,
    keyIndex,
    ...(signer && { signer }),
    payload: {
      critical: { identity: { 'docker-reference': target.reference }, image: { 'docker-manifest-digest': digest }, type: COSIGN_SIGN_PREDICATE },
      optional: annotations,
    },
    annotations,
  };
}

function checkLegacySignature(candidate: Candidate, digest: string, target: ImageTarget, options: VerifyImageOptions): VerifiedSignature | Rejection {
  const encoded = candidate.layerAnnotations[ANNOTATIONS.signature];
  if (encoded === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
    return reject(candidate, 'MALFORMED_SIGNATURE', `the layer has no base64 ${ANNOTATIONS.signature} annotation`);
  }
  const signature = Buffer.from(encoded, 'base64');
  const keyIndex = options.publicKeys.findIndex((key) => verifyData(key, candidate.content, signature));
  if (keyIndex < 0) {
    const keyless = candidate.layerAnnotations[ANNOTATIONS.certificate] !== undefined ? ' (it carries a certificate: a keyless signature)' : '';
    return reject(candidate, 'SIGNATURE_INVALID', `the signature does not verify with the given key(s)${keyless}`);
  }
  let claims;
  try {
    claims = parseSimpleSigningPayload(candidate.content);
  } catch (err) {
    return reject(candidate, err instanceof TrustError ? err.reason : 'MALFORMED_SIGNATURE', errorMessage(err));
  }
  if (claims.digest !== digest) return digestMismatch(candidate, [claims.digest], digest);
  const expected = options.expectedReference ?? target.store.dockerReference;
  if (expected !== false && expected !== undefined && !sameRepository(claims.dockerReference, expected)) {
    return reject(candidate, 'SUBJECT_MISMATCH', `the signature is for repository ${claims.dockerReference}, not ${expected}`);
  }
  const annotations = claims.optional ?? {};
  const missing = missingAnnotations(options.annotations, annotations);
  if (missing !== undefined) return reject(candidate, 'ANNOTATION_MISMATCH', missing);
  const unlogged = checkLogEntry(candidate, { content: 'message', payload: candidate.content, signature, publicKey: options.publicKeys[keyIndex]! }, keyIndex, options);
  if (unlogged) return unlogged;
  return { format: 'legacy', location: candidate.location, keyIndex, payload: claims.document, annotations };
}

function checkAttestation(
  candidate: Candidate,
  digest: string,
  options: VerifyAttestationOptions,
  predicateType: string | undefined,
): VerifiedAttestation | Rejection {
  const opened = candidate.format === 'bundle' ? openBundleEnvelope(candidate, options) : openEnvelope(candidate, candidate.content, options.publicKeys);
  if (isRejection(opened)) return opened;
  const { envelope, statement, keyIndex, signer } = opened;
  if (!hasSubjectDigest(statement, digest)) return digestMismatch(candidate, statementDigests(statement), digest);
  if (predicateType !== undefined && statement.predicateType !== predicateType) {
    return reject(candidate, 'PREDICATE_TYPE_MISMATCH', `predicate type ${statement.predicateType}, not ${predicateType}`);
  }
  // A bundle's log entries were checked when it was opened; a legacy layer's are in its annotation.
  if (candidate.format === 'legacy') {
    const logged: LoggedSignature = {
      content: 'envelope',
      envelope: candidate.content,
      payload: Buffer.from(envelope.payload, 'base64'),
      signatures: envelope.signatures.map((s) => Buffer.from(s.sig, 'base64')),
      publicKey: options.publicKeys[keyIndex]!,
    };
    const unlogged = checkLogEntry(candidate, logged, keyIndex, options);
    if (unlogged) return unlogged;
  }
  if (options.policy !== undefined) {
    const outcome = options.policy.evaluate(statement);
    if (!outcome.passed) return reject(candidate, 'POLICY_ERROR', outcome.message);
  }
  return { format: candidate.format, location: candidate.location, keyIndex, ...(signer && { signer }), predicateType: statement.predicateType, statement, envelope };
}

interface OpenedEnvelope {
  envelope: Envelope;
  statement: Statement;
  keyIndex: number;
  signer?: KeylessSigner;
}

/**
 * A bundle's DSSE envelope, verified. Key-based bundles: the signature under one of the keys (the
 * key hint is advisory, every key is tried), then, unless `ignoreTlog`, the whole Sigstore
 * verification of src/trust/bundle with that key (its transparency-log entries: inclusion, body
 * naming the signature and key). Keyless bundles: the whole Sigstore verification against the
 * trusted root, then the same statement checks.
 */
function openBundleEnvelope(candidate: Candidate, options: VerifyImageOptions): OpenedEnvelope | Rejection {
  let bundle: { mediaType?: unknown; dsseEnvelope?: unknown; verificationMaterial?: { certificate?: unknown; x509CertificateChain?: unknown } };
  try {
    bundle = JSON.parse(Buffer.from(candidate.content).toString('utf8')) as typeof bundle;
  } catch {
    return reject(candidate, 'MALFORMED_BUNDLE', 'the bundle is not JSON');
  }
  if (typeof bundle !== 'object' || bundle === null || typeof bundle.mediaType !== 'string') {
    return reject(candidate, 'MALFORMED_BUNDLE', 'not a Sigstore bundle (no mediaType)');
  }
  if (bundle.dsseEnvelope === undefined) {
    return reject(candidate, 'MALFORMED_BUNDLE', 'the bundle holds a message signature, not the DSSE statement of an image signature');
  }
  const material = bundle.verificationMaterial;
  const keyless = material?.certificate !== undefined || material?.x509CertificateChain !== undefined;
  if (!keyless) {
    const opened = openEnvelope(candidate, bundle.dsseEnvelope, options.publicKeys);
    if (isRejection(opened) || options.ignoreTlog) return opened;
    // openEnvelope verified the signature with this key: only the log entries are left to check.
    const policy = { publicKey: options.publicKeys[opened.keyIndex]!, signatureVerified: true };
    const loggedAt = trustCheck(candidate, () => verifyBundle(bundle, undefined, policy, options.trustedRoot ?? publicGoodTrustedRoot()).loggedAt);
    if (isRejection(loggedAt)) return loggedAt;
    return loggedWhileValid(candidate, loggedAt, options.keyValidity?.[opened.keyIndex]) ?? opened;
  }
  if (options.keyless === undefined) {
    return reject(candidate, 'SIGNATURE_INVALID', 'a keyless bundle (it carries a certificate): verify it with --certificate-identity and --certificate-oidc-issuer');
  }
  return openKeylessBundle(candidate, bundle, options.keyless);
}

function openKeylessBundle(candidate: Candidate, bundle: { dsseEnvelope?: unknown }, keyless: KeylessOptions): OpenedEnvelope | Rejection {
  try {
    const { trustedRoot, ...policy } = keyless;
    const verified = verifyBundle(bundle, undefined, policy, trustedRoot);
    const statement = verified.payload?.statement;
    if (statement === undefined) return reject(candidate, 'MALFORMED_ENVELOPE', `the bundle's payload is not an in-toto statement`);
    const signer: KeylessSigner = {
      ...(verified.signer.identity !== undefined && { identity: verified.signer.identity }),
      ...(verified.signer.issuer !== undefined && { issuer: verified.signer.issuer }),
    };
    return { envelope: parseEnvelope(bundle.dsseEnvelope), statement, keyIndex: -1, signer };
  } catch (err) {
    if (!(err instanceof TrustError)) throw err;
    // The certificate names someone else: a signer mismatch, not an attestation-policy failure.
    return reject(candidate, err.reason === 'POLICY_ERROR' ? 'CERTIFICATE_ERROR' : err.reason, err.message);
  }
}

function openEnvelope(candidate: Candidate, raw: unknown, keys: readonly KeyObject[]): OpenedEnvelope | Rejection {
  try {
    const envelope = parseEnvelope(raw);
    const verified = verifyEnvelope(envelope, keys);
    if (verified.payloadType !== INTOTO_PAYLOAD_TYPE) {
      return reject(candidate, 'MALFORMED_ENVELOPE', `the envelope's payload type is ${verified.payloadType}, not ${INTOTO_PAYLOAD_TYPE}`);
    }
    return { envelope, statement: parseStatement(verified.payload), keyIndex: verified.keyIndex };
  } catch (err) {
    if (err instanceof TrustError) {
      const failure = err.reason === 'NO_SIGNATURES' ? 'SIGNATURE_INVALID' : err.reason;
      return reject(candidate, failure, failure === 'SIGNATURE_INVALID' ? 'the signature does not verify with the given key(s)' : err.message);
    }
    throw err;
  }
}

/** Unless `ignoreTlog`: the rejection of a legacy layer whose `dev.sigstore.cosign/bundle` does not show `logged` was logged. */
function checkLogEntry(candidate: Candidate, logged: LoggedSignature, keyIndex: number, options: VerifyImageOptions): Rejection | undefined {
  if (options.ignoreTlog) return undefined;
  const loggedAt = trustCheck(candidate, () => verifyRekorBundle(candidate.layerAnnotations[ANNOTATIONS.rekorBundle], logged, options.trustedRoot ?? publicGoodTrustedRoot()).integratedTime);
  if (isRejection(loggedAt)) return loggedAt;
  return loggedWhileValid(candidate, [loggedAt], options.keyValidity?.[keyIndex]);
}

/** The rejection of a signature logged outside the validity of the certificate its key came from. */
function loggedWhileValid(candidate: Candidate, logged: readonly Date[], validity: CertificateValidity | undefined): Rejection | undefined {
  if (validity === undefined) return undefined;
  const outside = logged.find((at) => at < validity.notBefore || at > validity.notAfter);
  if (outside === undefined) return undefined;
  return reject(
    candidate,
    'CERTIFICATE_ERROR',
    `the signature was logged at ${outside.toISOString()}, when the certificate was not valid (${validity.notBefore.toISOString()} to ${validity.notAfter.toISOString()})`,
  );
}

/** Runs a check: its result, or its TrustError as a rejection. */
function trustCheck<T>(candidate: Candidate, check: () => T): T | Rejection {
  try {
    return check();
  } catch (err) {
    if (!(err instanceof TrustError)) throw err;
    return reject(candidate, err.reason, err.message);
  }
}

function digestMismatch(candidate: Candidate, signed: string[], digest: string): Rejection {
  return reject(
    candidate,
    'DIGEST_MISMATCH',
    `signed for ${signed.join(', ') || 'no digest'}, not ${digest}: a signature copied from another image (replay) is not accepted`,
  );
}

function statementDigests(statement: Statement): string[] {
  return statement.subject.flatMap((s) => Object.entries(s.digest).map(([alg, hex]) => `${alg}:${hex}`));
}

/** A message naming the first wanted annotation that is absent or different, else undefined. */
function missingAnnotations(wanted: Readonly<Record<string, string>> | undefined, have: Record<string, unknown>): string | undefined {
  for (const [key, value] of Object.entries(wanted ?? {})) {
    const actual = have[key];
    if (actual === undefined) return `annotation ${key} is missing (wanted ${JSON.stringify(value)})`;
    if ((typeof actual === 'string' ? actual : JSON.stringify(actual)) !== value) {
      return `annotation ${key} is ${JSON.stringify(actual)}, not ${JSON.stringify(value)}`;
    }
  }
  return undefined;
}

/** Compares repositories as go-containerregistry names them (`docker.io` = `index.docker.io`, `library/`). */
function sameRepository(signed: string, expected: string): boolean {
  const normalize = (name: string) => {
    try {
      const ref = parseRegistryReference(name.replace(/^index\.docker\.io\//, 'docker.io/'));
      return dockerReferenceOf(ref);
    } catch {
      return name;
    }
  };
  return normalize(signed) === normalize(expected);
}

/** Most other digests examined when looking for signatures the tag lost. */
const MAX_SIBLINGS = 32;

/**
 * Digests in the repository with a signature (or attestation) that verifies under the keys and
 * names that digest: evidence that the tag once pointed to a signed image.
 */
async function signedElsewhere(target: ImageTarget, digest: string, kind: ArtifactKind, options: VerifyImageOptions): Promise<string[]> {
  const suffix = kind === 'signature' ? 'sig' : 'att';
  const pattern = new RegExp(`^(sha256)-([0-9a-f]{64})(?:\\.${suffix})?$`);
  const tags = [...new Set([...(await target.store.tags()), ...(target.legacyStore !== target.store ? await target.legacyStore.tags() : [])])];
  const digests = [...new Set(tags.map((t) => pattern.exec(t)).filter((m) => m !== null).map((m) => `${m[1]}:${m[2]}`))]
    .filter((d) => d !== digest)
    .slice(0, MAX_SIBLINGS);
  const signed = await mapLimit(digests, 4, async (other) => {
    const found = await discover(target.store, other, kind, { ...(options.formats && { formats: options.formats }), legacyStore: target.legacyStore });
    const ok = found.candidates.some((c) => {
      // Only the key and the digest matter here: no annotations, predicate type or policy.
      const bare: VerifyAttestationOptions = { ...options, annotations: {}, policy: undefined };
      const outcome = kind === 'signature' ? checkSignature(c, other, target, bare) : checkAttestation(c, other, bare, undefined);
      return !isRejection(outcome);
    });
    return ok ? other : undefined;
  });
  return signed.filter((d) => d !== undefined);
}
