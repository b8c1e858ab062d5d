/**
 * ImageValidatingPolicy evaluation: the images of the resource (the policy's `images`
 * extractors, or every container, init container and ephemeral container image of the Pod or
 * Pod template), kept when they match `matchImageReferences` (globs, or CEL expressions on
 * `imageRef`), are exposed as `images.<name>`; `attestors` and `attestations` as maps by name;
 * then the validations run with the image-verification functions:
 *
 * - `verifyImageSignatures(image, [attestors…])` → number of attestors that verified;
 * - `verifyAttestationSignatures(image, attestation, [attestors…])` → the same for attestations;
 * - `extractPayload(image, attestation)` → the attestation's predicate.
 *
 * `validationConfigurations`, as Kyverno enforces them (all three default to true):
 *
 * - `mutateDigest`: before validating, the tags of the selected container images are replaced by
 *   the digests the registry gives (image-digests.ts); the validations, and the response's
 *   patched resource, see the pinned images — admission's order, where the mutating webhook
 *   runs before the validating one. A tag that cannot be resolved (registry down, no such tag)
 *   is an `error` naming the image and why. Without an image verifier (offline, no registry
 *   access) nothing is pinned, as in `kyverno apply`.
 * - `verifyDigest`: a selected image without a digest fails the policy: `image <ref> does not
 *   have a digest` (checked before any validation, so no registry is read for it).
 * - `required`: when the validations pass, every selected image must have been verified in the
 *   same request by a `verifyImageSignatures`/`verifyAttestationSignatures` call that counted
 *   at least one attestor — by this or any other ImageValidatingPolicy (Kyverno's catch-all:
 *   see ImageVerificationLedger). Otherwise the policy fails: `image <ref> failed signature or
 *   attestation verification`, or `image <ref> is not verified: no policy performed a signature
 *   or attestation check on it`.
 *
 * Verification itself is done by an `ImageVerifier` (backed by src/trust/oci after an async
 * pre-pass over the images: image-verify.ts), passed as `CelApplyOptions.imageVerifier`. Without
 * one the functions fail with `unsupported: verifyImageSignatures` (offline evaluation cannot
 * reach registries).
 */
import type { Environment } from '@marcbachmann/cel-js';
import { endsWithDigest } from '../../image/reference.ts';
import { applyJsonPatch } from '../engine/json-patch.ts';
import { wildcardMatch } from '../pattern/wildcard.ts';
import { CelUnsupportedError } from './errors.ts';
import { runValidations, withVariables, type Activation, type Outcome } from './evaluate.ts';
import { containerImageFields, digestPatch, pinImageDigests, type DigestPin } from './image-digests.ts';
import type { ImageVerificationLedger } from './image-ledger.ts';
import type { CelPolicy, RuleSet } from './types.ts';
import { fromCel, listOf, toCel } from './values.ts';

/** Synchronous answers for the image-verification functions (computed ahead of evaluation). */
export interface ImageVerifier {
  verifySignatures(image: string, attestors: readonly Record<string, unknown>[]): number;
  verifyAttestations(image: string, attestation: Record<string, unknown>, attestors: readonly Record<string, unknown>[]): number;
  extractPayload(image: string, attestation: Record<string, unknown>): unknown;
  /** The digest a reference names or its tag resolves to; throws, saying why, when the registry cannot tell. */
  resolveDigest(image: string): string;
}

let verifier: ImageVerifier | undefined;
/** The ledger of the request being evaluated (evaluation is synchronous: one at a time). */
let ledger: ImageVerificationLedger | undefined;

/**
 * Runs `evaluate` (synchronous: CEL evaluation is) with `v` answering the CEL functions; without
 * one they report `unsupported`. Scoped, so concurrent requests that each prepared their own
 * verifier (the webhook) never see each other's.
 */
export function withImageVerifier<T>(v: ImageVerifier | undefined, evaluate: () => T): T {
  const previous = verifier;
  verifier = v;
  try {
    return evaluate();
  } finally {
    verifier = previous;
  }
}

function need(fn: string): ImageVerifier {
  if (!verifier) throw new CelUnsupportedError(fn, 'image verification needs registry access; no image verifier is configured', 'REGISTRY_ACCESS_REQUIRED');
  return verifier;
}

/** Returns the number of attestors that verified, noting the attempt for `required`. */
function counted(image: string, count: number): bigint {
  ledger?.record(image, count > 0);
  return BigInt(count);
}

const asRecords = (v: unknown): Record<string, unknown>[] => listOf(fromCel(v)).filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null);

export function registerImageVerification(env: Environment): void {
  env
    .registerFunction('verifyImageSignatures(string, list): int', (image: string, attestors: unknown) => counted(image, need('verifyImageSignatures').verifySignatures(image, asRecords(attestors))))
    .registerFunction('verifyAttestationSignatures(string, dyn, list): int', (image: string, attestation: unknown, attestors: unknown) =>
      counted(image, need('verifyAttestationSignatures').verifyAttestations(image, fromCel(attestation) as Record<string, unknown>, asRecords(attestors))),
    )
    .registerFunction('extractPayload(string, dyn): dyn', (image: string, attestation: unknown) => toCel(need('extractPayload').extractPayload(image, fromCel(attestation) as Record<string, unknown>)));
}

type Json = Record<string, unknown>;

/** The images of the Pod (template) containers, by field: what `images` holds without extractors. */
function defaultImages(object: Json | null): Record<string, string[]> {
  const images: Record<string, string[]> = { containers: [], initContainers: [], ephemeralContainers: [] };
  for (const f of object ? containerImageFields(object) : []) images[f.field]!.push(f.image);
  return images;
}

function selected(rules: RuleSet, image: string, activation: Activation): boolean {
  const m = rules.images!;
  if (m.globs.length === 0 && m.expressions.length === 0) return true;
  if (m.globs.some((g) => wildcardMatch(g, image))) return true;
  return m.expressions.some((p) => {
    try {
      return p.run({ ...activation, imageRef: image }) === true;
    } catch {
      return false;
    }
  });
}

/**
 * The images of a request by name, as matchImageReferences selects them: from the policy's
 * `images` extractors, else from the Pod (template) containers.
 */
export function selectedImages(rules: RuleSet, activation: Activation): Record<string, string[]> {
  const m = rules.images!;
  let extracted: Record<string, string[]>;
  if (m.extractors.length > 0) {
    extracted = {};
    for (const e of m.extractors) {
      try {
        extracted[e.name] = listOf(fromCel(e.program.run(activation))).map(String);
      } catch {
        extracted[e.name] = [];
      }
    }
  } else extracted = defaultImages(fromCel(activation.object) as Json | null);
  const images: Record<string, string[]> = {};
  for (const [name, list] of Object.entries(extracted)) images[name] = list.filter((i) => selected(rules, i, activation));
  return images;
}

/** Adds `images`, `attestors` and `attestations` to the activation. */
export function imageActivation(rules: RuleSet, activation: Activation): Activation {
  const m = rules.images!;
  const byName = (items: readonly Json[]) => Object.fromEntries(items.filter((i) => typeof i.name === 'string').map((i) => [i.name as string, i]));
  return { ...activation, images: toCel(selectedImages(rules, activation)), attestors: toCel(byName(m.attestors)), attestations: toCel(byName(m.attestations)) };
}

/** What an ImageValidatingPolicy gave for one request. */
export interface ImagePolicyResult {
  outcome: Outcome;
  /** The object the validations saw: the request's, with the digest pins applied. */
  object: Json | null;
  pins: DigestPin[];
  /** Selected images whose tag could not be resolved to a digest, with why (the outcome is then `error`). */
  unresolved: { image: string; message: string }[];
  /** Images whose verification `required` demands (the validations passed): see ImageVerificationLedger. */
  requireVerified?: string[];
}

/**
 * Runs an ImageValidatingPolicy whose match conditions held: digest pinning (mutateDigest; only
 * for Kubernetes objects, not JSON-mode payloads, which no admission request carries), then the
 * images, verifyDigest and the validations on the pinned object. `base` is the activation without
 * `variables`; verification calls are recorded in `requestLedger`.
 */
export function evaluateImagePolicy(rules: RuleSet, base: Activation, policy: Pick<CelPolicy, 'mode'> & { key: string }, requestLedger: ImageVerificationLedger): ImagePolicyResult {
  const m = rules.images!;
  const original = fromCel(base.object) as Json | null;
  let object = original;
  let pins: DigestPin[] = [];
  let unresolved: { image: string; message: string }[] = [];
  if (m.mutateDigest && policy.mode === 'Kubernetes' && original !== null && verifier) {
    const resolver = verifier;
    const scope = withVariables(base, rules.variables);
    ({ pins, errors: unresolved } = pinImageDigests(original, (image) => selected(rules, image, scope), (image) => resolver.resolveDigest(image)));
    if (pins.length > 0) object = applyJsonPatch(original, digestPatch(pins)) as Json;
  }
  if (unresolved.length > 0) {
    const message = unresolved.map((e) => `failed to resolve digest for image ${e.image}: ${e.message}`).join('; ');
    return { outcome: { status: 'error', message }, object, pins, unresolved };
  }
  const pinned = object === original ? base : { ...base, object: toCel(object) };
  const activation = withVariables(imageActivation(rules, withVariables(pinned, rules.variables)), rules.variables);
  const images = Object.values(fromCel(activation.images) as Record<string, string[]>).flat();
  if (images.length === 0) return { outcome: { status: 'skip', message: 'no image matches matchImageReferences' }, object, pins, unresolved };
  const tagged = m.verifyDigest ? images.find((i) => !endsWithDigest(i)) : undefined;
  if (tagged !== undefined) return { outcome: { status: 'fail', message: `image ${tagged} does not have a digest` }, object, pins, unresolved };
  ledger = requestLedger;
  let outcome: Outcome;
  try {
    outcome = runValidations(rules, activation, policy.key);
  } finally {
    ledger = undefined;
  }
  return { outcome, object, pins, unresolved, ...(m.required && outcome.status === 'pass' && { requireVerified: images }) };
}
