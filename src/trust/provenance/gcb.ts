/**
 * Google Cloud Build provenance, as `gcloud artifacts docker images describe IMAGE --show-provenance
 * --format json` prints it: an image summary and one or more occurrences, each with a DSSE envelope
 * (SLSA v0.1 statement) signed by Cloud Build's KMS keys, plus an unsigned copy of the statement.
 *
 * The checks (the ones slsa-verifier makes for GCB):
 *  - some envelope has a signature that verifies with the key its keyid names: regional
 *    `…/locations/<region>/…/cryptoKeys/builtByGCB/…` keys sign the payload itself (before DSSE's
 *    PAE was adopted), the global `provenanceSigner` / `google-hosted-worker` keys sign the PAE;
 *  - the occurrence's kind is BUILD and its resourceUri, the image summary's digest and
 *    fully-qualified digest, and a statement subject are the image's sha256;
 *  - the unsigned copy of the statement equals the signed one (a reader of the human-readable copy
 *    must not be misled);
 *  - the builder is Cloud Build's GoogleHostedWorker (v0.2 or v0.3), writing a recipe of its kind;
 *  - the source (materials[0]) is --source-uri (a GitHub repository at a commit, or a GCS object);
 *  - --source-tag / --source-versioned-tag against the trigger's TAG_NAME substitution.
 */
import { verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { pae } from '../dsse.ts';
import { INTOTO_PAYLOAD_TYPE, parseStatement, type Statement } from '../intoto.ts';
import { isTrustError } from '../errors.ts';
import { builderMatches } from './builders.ts';
import { ProvenanceError } from './errors.ts';
import { checkVersionedTag } from './refs.ts';
import { SLSA_PROVENANCE_V01 } from './types.ts';
import type { ProvenanceVerification, VerifyProvenanceOptions } from './verify.ts';

export const GCB_BUILDERS: readonly string[] = [
  'https://cloudbuild.googleapis.com/GoogleHostedWorker@v0.2',
  'https://cloudbuild.googleapis.com/GoogleHostedWorker@v0.3',
];
const BUILD_ARGUMENTS_TYPE = 'type.googleapis.com/google.devtools.cloudbuild.v1.Build';
const REGIONAL_KEY = /^projects\/verified-builder\/locations\/([a-z0-9-]+)\/keyRings\/attestor\/cryptoKeys\/builtByGCB\/cryptoKeyVersions\/1$/;
const GLOBAL_PAE_KEY = /^projects\/verified-builder\/locations\/global\/keyRings\/attestor\/cryptoKeys\/(provenanceSigner|google-hosted-worker)\/cryptoKeyVersions\/(\d+)$/;

interface Occurrence {
  kind?: unknown;
  resourceUri?: unknown;
  envelope?: { payloadType?: unknown; payload?: unknown; signatures?: unknown };
  build?: { intotoStatement?: unknown };
}

interface Verified {
  occurrence: Occurrence;
  payload: Record<string, unknown>;
  statement: Statement;
  key: string;
}

/** The first occurrence with a verifying signature, or the signature error. */
export type AuthenticatedGcb = { document: Record<string, unknown>; verified: Verified } | { error: unknown };

export function authenticateGcb(document: Record<string, unknown>, keys: ReadonlyMap<string, KeyObject> | undefined): AuthenticatedGcb {
  try {
    return { document, verified: verifySignatures(document, keys) };
  } catch (err) {
    return { error: err };
  }
}

export function checkGcb(gcb: AuthenticatedGcb, options: VerifyProvenanceOptions): ProvenanceVerification {
  const digest = options.artifacts[0]?.sha256?.toLowerCase();
  if (!digest || options.artifacts.length !== 1) {
    throw new ProvenanceError('INVALID_OPTION', 'Cloud Build provenance describes one image: give its sha256 digest');
  }
  if ('error' in gcb) throw gcb.error;
  const { document, verified } = gcb;
  checkMetadata(verified.occurrence, digest);
  checkSummary(document, digest);
  checkUnsignedCopy(verified);
  const builderId = checkGcbBuilder(verified.payload, options.builderId);
  const subject = verified.statement.subject.find((s) => s.digest.sha256?.toLowerCase() === digest);
  if (!subject) throw new ProvenanceError('DIGEST_MISMATCH', `no subject of the provenance has the image digest sha256:${digest}`);
  const source = checkGcbSource(verified.payload, builderId, options.sourceUri);
  const tag = substitutions(verified.payload).TAG_NAME;
  if (options.sourceTag !== undefined && tag !== options.sourceTag) {
    throw new ProvenanceError('REF_MISMATCH', `the build's tag is ${tag ?? '(none)'}, expected ${options.sourceTag}`);
  }
  if (options.sourceVersionedTag !== undefined) {
    if (tag === undefined) throw new ProvenanceError('REF_MISMATCH', `the build has no tag (expected ${options.sourceVersionedTag})`);
    checkVersionedTag({ ref: `refs/tags/${tag}` }, options.sourceVersionedTag);
  }
  if (options.sourceBranch !== undefined) {
    throw new ProvenanceError('INVALID_REF', 'Cloud Build provenance records no branch to check --source-branch against');
  }
  return {
    predicateType: verified.statement.predicateType,
    builderId,
    buildType: String(recipe(verified.payload).type ?? ''),
    source: { repository: source, ...(tag !== undefined && { ref: `refs/tags/${tag}` }) },
    signature: { method: 'gcb-key', signer: verified.key, limitations: [] },
    subjects: [subject],
    statement: verified.statement,
  };
}

function verifySignatures(document: Record<string, unknown>, keys: ReadonlyMap<string, KeyObject> | undefined): Verified {
  const occurrences = (document.provenance_summary as { provenance?: unknown }).provenance;
  if (!Array.isArray(occurrences) || occurrences.length === 0) {
    throw new ProvenanceError('MALFORMED_PROVENANCE', 'the Cloud Build output holds no provenance');
  }
  if (!keys || keys.size === 0) throw new ProvenanceError('INVALID_OPTION', "Cloud Build provenance needs Cloud Build's public keys (--gcb-keys)");
  const failures: string[] = [];
  for (const [i, occurrence] of (occurrences as Occurrence[]).entries()) {
    const envelope = occurrence.envelope;
    if (envelope?.payloadType !== INTOTO_PAYLOAD_TYPE || typeof envelope.payload !== 'string') {
      failures.push(`provenance ${i + 1}: not an in-toto DSSE envelope`);
      continue;
    }
    const payload = Buffer.from(envelope.payload, 'base64');
    const signatures = Array.isArray(envelope.signatures) ? (envelope.signatures as Array<Record<string, unknown>>) : [];
    for (const signature of signatures) {
      const keyid = typeof signature.keyid === 'string' ? signature.keyid : '';
      const sig = typeof signature.sig === 'string' ? Buffer.from(signature.sig, 'base64') : Buffer.alloc(0);
      const verdict = checkSignature(keyid, sig, payload, keys);
      if (verdict !== true) {
        failures.push(`provenance ${i + 1}: ${verdict}`);
        continue;
      }
      return { occurrence, ...parsePayload(payload), key: keyid };
    }
    if (signatures.length === 0) failures.push(`provenance ${i + 1}: no signatures`);
  }
  throw new ProvenanceError('SIGNATURE_INVALID', `no Cloud Build provenance signature verifies: ${failures.join('; ')}`);
}

/** true, or why the signature does not verify. */
function checkSignature(keyid: string, sig: Buffer, payload: Buffer, keys: ReadonlyMap<string, KeyObject>): true | string {
  const regional = REGIONAL_KEY.exec(keyid);
  const global = GLOBAL_PAE_KEY.exec(keyid);
  const name = regional ? regional[1] : global ? `global-pae-${global[1]}_${global[2]}` : undefined;
  if (!name) return `unknown key id "${keyid}"`;
  const key = keys.get(name);
  if (!key) return `no Cloud Build key "${name}"`;
  const message = regional ? payload : pae(INTOTO_PAYLOAD_TYPE, payload);
  try {
    if (sig.length > 0 && cryptoVerify('sha256', message, key, sig)) return true;
  } catch {
    // A malformed signature is just one that does not verify.
  }
  return `the signature does not verify with key "${name}"`;
}

function parsePayload(payload: Buffer): { payload: Record<string, unknown>; statement: Statement } {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new ProvenanceError('MALFORMED_PROVENANCE', 'the signed Cloud Build payload is not JSON');
  }
  let statement: Statement;
  try {
    statement = parseStatement(json);
  } catch (err) {
    if (isTrustError(err)) throw new ProvenanceError('MALFORMED_PROVENANCE', err.message, { cause: err });
    throw err;
  }
  if (statement.predicateType !== SLSA_PROVENANCE_V01) {
    throw new ProvenanceError('UNSUPPORTED_PREDICATE', `Cloud Build provenance of type ${statement.predicateType} is not supported (only ${SLSA_PROVENANCE_V01})`);
  }
  return { payload: json as Record<string, unknown>, statement };
}

function checkMetadata(occurrence: Occurrence, digest: string): void {
  if (occurrence.kind !== 'BUILD') throw new ProvenanceError('MALFORMED_PROVENANCE', `the occurrence's kind is ${String(occurrence.kind)}, not BUILD`);
  if (typeof occurrence.resourceUri !== 'string' || !occurrence.resourceUri.endsWith(`@sha256:${digest}`)) {
    throw new ProvenanceError('DIGEST_MISMATCH', `the occurrence is for ${String(occurrence.resourceUri)}, not sha256:${digest}`);
  }
}

function checkSummary(document: Record<string, unknown>, digest: string): void {
  const summary = (document.image_summary ?? {}) as { digest?: unknown; fully_qualified_digest?: unknown };
  const qualified = summary.fully_qualified_digest;
  if (summary.digest !== `sha256:${digest}` || typeof qualified !== 'string' || !qualified.endsWith(`sha256:${digest}`)) {
    throw new ProvenanceError('DIGEST_MISMATCH', `the image summary is for ${String(summary.digest)}, not sha256:${digest}`);
  }
}

/** The unsigned statement must say what the signed one says (buildInvocationId is outside the spec and ignored). */
function checkUnsignedCopy(verified: Verified): void {
  const unsigned = verified.occurrence.build?.intotoStatement;
  if (typeof unsigned !== 'object' || unsigned === null) {
    throw new ProvenanceError('PROVENANCE_MISMATCH', 'the occurrence has no readable copy of the statement');
  }
  const comparable = (statement: Record<string, unknown>): unknown => {
    const provenance = structuredClone(statement.slsaProvenance) as { metadata?: Record<string, unknown> } | undefined;
    if (provenance?.metadata) delete provenance.metadata.buildInvocationId;
    return { _type: statement._type, predicateType: statement.predicateType, subject: statement.subject, provenance };
  };
  if (!isDeepStrictEqual(comparable(unsigned as Record<string, unknown>), comparable(verified.payload))) {
    throw new ProvenanceError('PROVENANCE_MISMATCH', 'the readable copy of the statement differs from the signed statement');
  }
}

function checkGcbBuilder(payload: Record<string, unknown>, expected: string | undefined): string {
  const builderId = (provenance(payload).builder as { id?: unknown } | undefined)?.id;
  if (typeof builderId !== 'string' || !GCB_BUILDERS.includes(builderId)) {
    throw new ProvenanceError('UNTRUSTED_BUILDER', `builder ${String(builderId)} is not a Cloud Build builder (${GCB_BUILDERS.join(', ')})`);
  }
  if (expected !== undefined && !builderMatches(builderId, expected, false)) {
    throw new ProvenanceError('BUILDER_MISMATCH', `the provenance's builder is ${builderId}, expected ${expected}`);
  }
  const { type, arguments: args } = recipe(payload);
  const version = builderId.slice(builderId.lastIndexOf('@') + 1);
  const recipeOk =
    typeof type === 'string' &&
    (version === 'v0.2' ? type === builderId : /^https:\/\/cloudbuild\.googleapis\.com\/CloudBuild(Yaml|Steps)@/.test(type));
  if (!recipeOk) throw new ProvenanceError('BUILDER_MISMATCH', `recipe type ${String(type)} is not one ${builderId} writes`);
  if ((args as Record<string, unknown> | undefined)?.['@type'] !== BUILD_ARGUMENTS_TYPE) {
    throw new ProvenanceError('BUILDER_MISMATCH', `the recipe's arguments are not a Cloud Build build (${BUILD_ARGUMENTS_TYPE})`);
  }
  return builderId;
}

/** Builder v0.2 points at `<repo>/commit/<sha>`; v0.3 names the repository (or a GCS object `#generation`). */
function checkGcbSource(payload: Record<string, unknown>, builderId: string, sourceUri: string | undefined): string {
  const materials = provenance(payload).materials;
  const first = Array.isArray(materials) ? (materials[0] as { uri?: unknown } | undefined) : undefined;
  if (typeof first?.uri !== 'string') throw new ProvenanceError('SOURCE_MISMATCH', 'the provenance records no source material');
  const uri = first.uri.replace(/^git\+/, '');
  if (sourceUri === undefined) return uri;
  const expected = uri.startsWith('https://') && !/^[a-z][a-z0-9+.-]*:\/\//i.test(sourceUri) ? `https://${sourceUri}` : sourceUri.replace(/^git\+/, '');
  const ok = builderId.endsWith('@v0.2')
    ? uri.startsWith(`${expected}/commit/`) || uri.startsWith(`${expected}#`)
    : uri === expected || uri.startsWith(`${expected}#`);
  if (!ok) throw new ProvenanceError('SOURCE_MISMATCH', `the build's source is ${uri}, expected ${expected}`);
  return uri;
}

function provenance(payload: Record<string, unknown>): Record<string, unknown> {
  const value = payload.slsaProvenance ?? payload.predicate;
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function recipe(payload: Record<string, unknown>): { type?: unknown; arguments?: unknown } {
  return (provenance(payload).recipe ?? {}) as { type?: unknown; arguments?: unknown };
}

function substitutions(payload: Record<string, unknown>): Record<string, string | undefined> {
  const subs = (recipe(payload).arguments as { substitutions?: unknown } | undefined)?.substitutions;
  return typeof subs === 'object' && subs !== null ? (subs as Record<string, string | undefined>) : {};
}
