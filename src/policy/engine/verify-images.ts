/**
 * verifyImages rules (Kyverno pkg/engine/internal/imageverifier.go and the image handlers), decided
 * from verification outcomes computed ahead of evaluation. Registries are asynchronous and the
 * engine is not, so the caller runs the engine once to learn which verifications the matching
 * rules need (`ImageVerificationResults.outcome` answers undefined and the request is queued),
 * performs them, then runs the engine again with the answers (see image-verification.ts).
 *
 * Per rule, for each image of the resource (containers, initContainers, ephemeralContainers, or
 * the rule's imageExtractors) that matches an entry's imageReferences and none of its
 * skipImageReferences:
 * - attestors: each attestor set needs `count` entries (default all) whose signature verifies;
 * - attestations: for each attestor set, `count` entries must have verified statements of the
 *   predicate type, and every statement must satisfy every `conditions` block — evaluated here,
 *   on each evaluation, against the statement's predicate (its fields at the top of the policy
 *   context, as Kyverno adds them), so a cached verification never skips them;
 * - validate.deny: once the attestations verified, deny conditions over the named attestations'
 *   predicates (`{{ sbom.bomFormat }}`);
 * - mutateDigest: a tag is replaced by `<registry>/<path>:<tag>@<verified digest>` (Kyverno's patch),
 *   except in a validating-only phase (the webhook's /validate sees what /mutate pinned);
 * - verifyDigest: after that the image must carry a digest ("missing digest for …");
 * - required: an entry without attestors or attestations cannot verify an image, so it fails.
 * Messages: `image verification failed for <image>: …`; a registry that could not be read is an
 * `error`, never a pass. On UPDATE, images unchanged from the old object are not verified again
 * (verifyDigest still applies to them).
 */
import { jpSearch } from '../variables/jmespath.ts';
import { extractImages, ImageReferenceError, type ImageEntry, type ImageExtractorConfig } from '../variables/image.ts';
import type { JsonContext } from '../variables/context.ts';
import { checkConditions, hasTemplates, substituteValue } from './evaluation.ts';
import { applyJsonPatch, type PatchOperation } from './json-patch.ts';
import { wildcardMatch } from '../pattern/wildcard.ts';
import type { Conditions } from '../types.ts';
import type { Rule, RuleResponse } from './types.ts';
import {
  InvalidImageVerification,
  parseImageVerification,
  UnsupportedImageFeature,
  type Attestor,
  type AttestorSet,
  type ImageVerificationOutcome,
  type ImageVerificationRequest,
  type ImageVerificationSpec,
  type VerifiedStatement,
} from './verify-images-spec.ts';
import { isRecord } from '../../core/json.ts';

type Json = Record<string, unknown>;

/** Verification outcomes known to this evaluation. */
export interface ImageVerificationResults {
  /** The outcome of `request`, or undefined when it was not verified ahead of evaluation. */
  outcome(request: ImageVerificationRequest): ImageVerificationOutcome | undefined;
}

export interface VerifyImagesInput {
  ctx: JsonContext;
  rule: Rule;
  /** `ns/name` or name, for messages. */
  policy: string;
  resource: Json;
  /** The object before an UPDATE: its images are not verified again. */
  oldObject?: Json;
  /** Undefined offline: a rule that needs a registry then answers `unsupported`. */
  results?: ImageVerificationResults;
  /** mutateDigest applies (false in a validating-only phase: verifyDigest then needs a digest in the object). */
  pinDigests: boolean;
}

export interface VerifyImagesOutcome {
  status: RuleResponse['status'];
  message: string;
  code?: RuleResponse['code'];
  /** The resource with verified images pinned to their digests (mutateDigest). */
  patched?: Json;
}

/** The status of one image under one entry; `missing` when an outcome was not computed ahead. */
type ImageStatus = { status: 'pass' | 'fail' | 'error'; message: string } | { status: 'missing'; image: string };

/** Evaluates a verifyImages rule whose match, context and preconditions passed; undefined when no image matches. */
export function verifyImagesRule(input: VerifyImagesInput): VerifyImagesOutcome | undefined {
  const { rule, policy } = input;
  let specs: ImageVerificationSpec[];
  let images: ImageEntry[];
  try {
    specs = specsOf(input);
    images = imagesOf(input.resource, rule.imageExtractors as Record<string, ImageExtractorConfig[]> | undefined);
  } catch (err) {
    if (err instanceof UnsupportedImageFeature) return { status: 'error', message: `unsupported: ${err.feature} in ${policy}/${rule.name}` };
    if (err instanceof InvalidImageVerification || err instanceof ImageReferenceError) return { status: 'error', message: `invalid verifyImages: ${err.message}` };
    throw err;
  }
  const oldImages = input.oldObject ? imagePointers(input.oldObject, rule) : new Map<string, string>();
  const statuses: ImageStatus[] = [];
  const patches: PatchOperation[] = [];
  const skipped: string[] = [];
  for (const spec of specs) {
    for (const image of images) {
      const reference = image.reference ?? '';
      if (!spec.imageReferences.some((p) => wildcardMatch(p, reference))) continue;
      if (spec.skipImageReferences.some((p) => wildcardMatch(p, reference))) {
        skipped.push(reference);
        continue;
      }
      // An UPDATE that keeps an image does not verify it again (no registry call); verifyDigest,
      // which needs none, still holds it to a digest, as Kyverno's validating phase does.
      if (oldImages.get(image.jsonPointer) === reference) {
        if (spec.verifyDigest && !image.digest) statuses.push({ status: 'fail', message: `image verification failed for ${reference}: missing digest for ${reference}` });
        continue;
      }
      const result = verifyImage(spec, image, input);
      statuses.push(result.status);
      if (result.patch) patches.push(result.patch);
    }
  }
  if (statuses.length === 0) {
    // Kyverno answers `skip` for images its skipImageReferences name.
    return skipped.length > 0 ? { status: 'skip', message: `image verification skipped for ${unique(skipped).join(', ')} (skipImageReferences)` } : undefined;
  }
  // A definite failure wins (also offline); then what could not be decided; then errors.
  const failed = statuses.flatMap((s) => (s.status === 'fail' ? [s.message] : []));
  if (failed.length > 0) return { status: 'fail', message: unique(failed).join('; ') };
  const missing = statuses.flatMap((s) => (s.status === 'missing' ? [s.image] : []));
  if (missing.length > 0) {
    if (input.results === undefined) return { status: 'error', code: 'REGISTRY_ACCESS_REQUIRED', message: `unsupported: verifyImages without registry access in ${policy}/${rule.name}` };
    return { status: 'error', message: `image verification was not run ahead of evaluation for ${unique(missing).join(', ')}` };
  }
  const errors = statuses.flatMap((s) => (s.status === 'error' ? [s.message] : []));
  if (errors.length > 0) return { status: 'error', message: unique(errors).join('; ') };
  const message = unique(statuses.flatMap((s) => (s.status === 'pass' ? [s.message] : []))).join('; ');
  if (patches.length === 0) return { status: 'pass', message };
  return { status: 'pass', message, patched: applyJsonPatch(input.resource, patches) as Json };
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}

/** Rules without variables in their entries are read once (keys and certificates parsed once). */
const staticSpecs = new WeakMap<Rule, ImageVerificationSpec[]>();

function specsOf(input: VerifyImagesInput): ImageVerificationSpec[] {
  const { rule } = input;
  const cached = staticSpecs.get(rule);
  if (cached) return cached;
  const { entries, templated } = substitutedEntries(input);
  const specs = entries.map(parseImageVerification);
  if (!templated) staticSpecs.set(rule, specs);
  return specs;
}

/**
 * The rule's entries with variables substituted, except attestation conditions and `validate`:
 * they refer to attestation payloads, so they are substituted when evaluated.
 */
function substitutedEntries(input: VerifyImagesInput): { entries: unknown[]; templated: boolean } {
  const entries = input.rule.verifyImages ?? [];
  const conditions = entries.map((e) => (isRecord(e) && Array.isArray(e.attestations) ? e.attestations.map((a) => (isRecord(a) ? a.conditions : undefined)) : []));
  const stripped = entries.map((e) =>
    isRecord(e) ? { ...e, validate: undefined, ...(Array.isArray(e.attestations) && { attestations: e.attestations.map((a) => (isRecord(a) ? { ...a, conditions: undefined } : a)) }) } : e,
  );
  const templated = hasTemplates(stripped);
  const substituted = templated ? (substituteValue(input.ctx, stripped, input.rule.name) as unknown[]) : stripped;
  const restored = substituted.map((e, i) => {
    const original = entries[i];
    if (!isRecord(e) || !isRecord(original)) return e;
    return {
      ...e,
      validate: original.validate,
      ...(Array.isArray(e.attestations) && { attestations: e.attestations.map((a, j) => (isRecord(a) ? { ...a, conditions: conditions[i]?.[j] } : a)) }),
    };
  });
  return { entries: restored, templated };
}

function imagesOf(resource: Json, extractors: Record<string, ImageExtractorConfig[]> | undefined): ImageEntry[] {
  const byKind = extractImages(resource, extractors, (jmesPath, value) => jpSearch(jmesPath, value));
  return Object.values(byKind).flatMap((entries) => Object.values(entries));
}

/** Image reference by JSON pointer, of the old object (an unreadable old object just verifies everything). */
function imagePointers(oldObject: Json, rule: Rule): Map<string, string> {
  try {
    return new Map(imagesOf(oldObject, rule.imageExtractors as Record<string, ImageExtractorConfig[]> | undefined).map((i) => [i.jsonPointer, i.reference ?? '']));
  } catch {
    return new Map();
  }
}

interface ImageResult {
  status: ImageStatus;
  patch?: PatchOperation;
}

function verifyImage(spec: ImageVerificationSpec, image: ImageEntry, input: VerifyImagesInput): ImageResult {
  const reference = image.reference ?? '';
  const failed = (why: string): ImageResult => ({ status: { status: 'fail', message: `image verification failed for ${reference}: ${why}` } });
  const errored = (why: string): ImageResult => ({ status: { status: 'error', message: `image verification failed for ${reference}: could not verify: ${why}` } });
  const missing: ImageResult = { status: { status: 'missing', image: reference } };
  const common = {
    ...(spec.repository !== undefined && { repository: spec.repository }),
    ...(spec.insecure && { insecure: true as const }),
    ...(!spec.useCache && { useCache: false as const }),
    ...(spec.bundlesOnly && { bundlesOnly: true as const }),
  };
  const ask = (request: ImageVerificationRequest) => input.results?.outcome(request);

  // Every set is asked before any verdict, so one evaluation learns every verification the rule needs.
  const signatureSets = spec.attestors.map((set) =>
    checkAttestorSet(set, (attestor) => ask({ kind: 'signature', image: reference, attestor, ...common, ...(spec.annotations && { annotations: spec.annotations }) })),
  );
  const attestationSets = spec.attestations.flatMap((attestation) =>
    attestation.attestors.map((set) => ({
      attestation,
      result: checkAttestorSet(set, (attestor) => ask({ kind: 'attestation', image: reference, attestor, predicateType: attestation.predicateType, ...common })),
    })),
  );
  if (signatureSets.some((r) => r.missing) || attestationSets.some((a) => a.result.missing)) return missing;

  let digest = image.digest;
  const passed: string[] = [];
  /** Each named attestation's predicate (the first verified statement's), for `validate.deny`. */
  const payloads: Record<string, unknown> = {};
  for (const result of signatureSets) {
    if (result.status === 'fail') return failed(result.message);
    if (result.status === 'error') return errored(result.message);
    digest ??= result.digest;
  }
  if (signatureSets.length > 0) passed.push(`verified image signatures for ${reference}`);
  for (const { attestation, result } of attestationSets) {
    if (result.status === 'fail') return failed(`attestation ${attestation.predicateType}: ${result.message}`);
    if (result.status === 'error') return errored(`attestation ${attestation.predicateType}: ${result.message}`);
    const broken = checkStatements(input, attestation.conditions, result.statements ?? []);
    if (broken !== undefined) return failed(`attestation ${attestation.predicateType}: ${broken}`);
    digest ??= result.digest;
    const predicate = result.statements?.find((s) => isRecord(s.predicate))?.predicate;
    if (attestation.name !== undefined && predicate !== undefined) payloads[attestation.name] ??= predicate;
  }
  if (attestationSets.length > 0) passed.push(`verified image attestations for ${reference}`);
  if (spec.validate && attestationSets.length > 0) {
    const denied = checkDeny(input, spec.validate, payloads);
    if (denied !== undefined) return failed(`validation in verifyImages failed: ${denied}`);
    passed.push(`verifyImages validation is passed in ${input.rule.name} rule`);
  }
  const verified = signatureSets.length + attestationSets.length > 0;

  let patch: PatchOperation | undefined;
  if (spec.mutateDigest && input.pinDigests && !image.digest) {
    if (digest === undefined) {
      const resolved = ask({ kind: 'digest', image: reference, ...(spec.insecure && { insecure: true as const }) });
      if (resolved === undefined) return missing;
      if (resolved.status !== 'verified') return errored(`cannot resolve the digest: ${resolved.reason}`);
      digest = resolved.digest;
    }
    patch = { op: 'replace', path: image.jsonPointer, value: `${image.referenceWithTag ?? reference}@${digest}` };
    passed.push(`mutated image digest of ${reference}`);
  }
  if (spec.verifyDigest && !image.digest && patch === undefined) return failed(`missing digest for ${reference}`);
  if (spec.required && !verified) return failed(`unverified image ${reference}: the rule has no attestors or attestations to verify it with`);
  return { status: { status: 'pass', message: passed.join('; ') || `image ${reference} verified` }, ...(patch && { patch }) };
}

interface SetResult {
  status: 'pass' | 'fail' | 'error';
  message: string;
  /** Some entry's outcome was not computed ahead of evaluation. */
  missing?: boolean;
  digest?: string;
  statements?: VerifiedStatement[];
}

/**
 * An attestor set: passes when `count` entries verify (nested sets recursively). Otherwise it fails
 * with each entry's reason, or errors when an entry could not be checked (a registry that could
 * not be read must not turn into a signature failure, nor into a pass).
 */
function checkAttestorSet(set: AttestorSet, outcomeOf: (attestor: Attestor) => ImageVerificationOutcome | undefined): SetResult {
  let verified = 0;
  let missing = false;
  let digest: string | undefined;
  const statements: VerifiedStatement[] = [];
  const rejections: string[] = [];
  const unavailable: string[] = [];
  for (const entry of set.entries) {
    let result: SetResult;
    if ('nested' in entry) result = checkAttestorSet(entry.nested, outcomeOf);
    else {
      const outcome = outcomeOf(entry.attestor);
      if (outcome === undefined) result = { status: 'error', message: '', missing: true };
      else if (outcome.status === 'verified') result = { status: 'pass', message: '', digest: outcome.digest, statements: [...(outcome.statements ?? [])] };
      // Trust errors list candidates on separate lines; a rule message is one line.
      else result = { status: outcome.status === 'rejected' ? 'fail' : 'error', message: outcome.reason.replace(/\s*\n\s*/g, ' ') };
    }
    if (result.missing) missing = true;
    else if (result.status === 'pass') {
      verified++;
      digest ??= result.digest;
      statements.push(...(result.statements ?? []));
    } else (result.status === 'fail' ? rejections : unavailable).push(`${entry.path}: ${result.message}`);
  }
  if (missing) return { status: 'error', message: '', missing };
  if (verified >= set.count) return { status: 'pass', message: '', ...(digest !== undefined && { digest }), statements };
  const summary = `${verified} of ${set.count} required attestors verified`;
  if (unavailable.length > 0) return { status: 'error', message: `${summary}; ${[...unavailable, ...rejections].join('; ')}` };
  return { status: 'fail', message: `${summary}; ${rejections.join('; ')}` };
}

/**
 * `validate.deny` after the attestations verified: the named attestations' predicates are context
 * entries (`{{ sbom.bomFormat }}`); the conditions holding means denied, with the message.
 */
function checkDeny(input: VerifyImagesInput, validate: NonNullable<ImageVerificationSpec['validate']>, payloads: Record<string, unknown>): string | undefined {
  const { ctx } = input;
  ctx.checkpoint();
  try {
    for (const [name, predicate] of Object.entries(payloads)) ctx.addEntry(name, predicate);
    let result;
    try {
      result = checkConditions(ctx, validate.deny, input.rule.name);
    } catch (err) {
      return `deny conditions cannot be evaluated: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (!result.passed) return undefined;
    if (validate.message === undefined) return result.passedMessage || 'denied';
    try {
      return String(substituteValue(ctx, validate.message, input.rule.name));
    } catch {
      return validate.message;
    }
  } finally {
    ctx.restore();
  }
}

/**
 * Every conditions block must hold for every verified statement. The predicate's fields go to the
 * top of the context for the evaluation (Kyverno's AddJSONObject), and the context is restored after.
 */
function checkStatements(input: VerifyImagesInput, conditions: readonly Conditions[], statements: readonly VerifiedStatement[]): string | undefined {
  if (conditions.length === 0) return undefined;
  const { ctx } = input;
  for (const statement of statements) {
    const predicate = isRecord(statement.predicate) ? statement.predicate : {};
    ctx.checkpoint();
    try {
      for (const [key, value] of Object.entries(predicate)) ctx.addEntry(key, value);
      for (const block of conditions) {
        let result;
        try {
          result = checkConditions(ctx, block, input.rule.name);
        } catch (err) {
          return `conditions cannot be evaluated: ${err instanceof Error ? err.message : String(err)}`;
        }
        if (!result.passed) return `attestation checks failed${result.failedMessage ? `: ${result.failedMessage}` : ''}`;
      }
    } finally {
      ctx.restore();
    }
  }
  return undefined;
}
