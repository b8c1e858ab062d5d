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
 * Verification itself is done by an `ImageVerifier` (e.g. backed by src/trust/oci after an async
 * pre-pass over the images; see `setImageVerifier`). Without one the functions fail with
 * `unsupported: verifyImageSignatures` (offline evaluation cannot reach registries).
 */
import type { Environment } from '@marcbachmann/cel-js';
import { wildcardMatch } from '../pattern/wildcard.ts';
import { CelUnsupportedError } from './errors.ts';
import { runValidations, type Activation, type Outcome } from './evaluate.ts';
import type { RuleSet } from './types.ts';
import { fromCel, listOf, toCel } from './values.ts';

/** Synchronous answers for the image-verification functions (computed ahead of evaluation). */
export interface ImageVerifier {
  verifySignatures(image: string, attestors: readonly Record<string, unknown>[]): number;
  verifyAttestations(image: string, attestation: Record<string, unknown>, attestors: readonly Record<string, unknown>[]): number;
  extractPayload(image: string, attestation: Record<string, unknown>): unknown;
}

let verifier: ImageVerifier | undefined;

/** Sets the verifier the CEL functions use (undefined: they report `unsupported`). */
export function setImageVerifier(v: ImageVerifier | undefined): void {
  verifier = v;
}

function need(fn: string): ImageVerifier {
  if (!verifier) throw new CelUnsupportedError(fn, 'image verification needs registry access; no image verifier is configured');
  return verifier;
}

const asRecords = (v: unknown): Record<string, unknown>[] => listOf(fromCel(v)).filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null);

export function registerImageVerification(env: Environment): void {
  env
    .registerFunction('verifyImageSignatures(string, list): int', (image: string, attestors: unknown) => BigInt(need('verifyImageSignatures').verifySignatures(image, asRecords(attestors))))
    .registerFunction('verifyAttestationSignatures(string, dyn, list): int', (image: string, attestation: unknown, attestors: unknown) =>
      BigInt(need('verifyAttestationSignatures').verifyAttestations(image, fromCel(attestation) as Record<string, unknown>, asRecords(attestors))),
    )
    .registerFunction('extractPayload(string, dyn): dyn', (image: string, attestation: unknown) => toCel(need('extractPayload').extractPayload(image, fromCel(attestation) as Record<string, unknown>)));
}

type Json = Record<string, unknown>;

function podSpecOf(object: Json | null | undefined): Json | undefined {
  const spec = object?.spec as Json | undefined;
  if (!spec) return undefined;
  if (object?.kind === 'Pod') return spec;
  const template = (spec.template as Json | undefined)?.spec as Json | undefined;
  if (template) return template;
  return (((spec.jobTemplate as Json | undefined)?.spec as Json | undefined)?.template as Json | undefined)?.spec as Json | undefined;
}

function defaultImages(object: Json | null): Record<string, string[]> {
  const spec = podSpecOf(object);
  const images = (key: string) => (Array.isArray(spec?.[key]) ? (spec[key] as Json[]).map((c) => String(c.image ?? '')).filter(Boolean) : []);
  return { containers: images('containers'), initContainers: images('initContainers'), ephemeralContainers: images('ephemeralContainers') };
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

/** Adds `images`, `attestors` and `attestations` to the activation. */
export function imageActivation(rules: RuleSet, activation: Activation): Activation {
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
  const byName = (items: readonly Json[]) => Object.fromEntries(items.filter((i) => typeof i.name === 'string').map((i) => [i.name as string, i]));
  return { ...activation, images: toCel(images), attestors: toCel(byName(m.attestors)), attestations: toCel(byName(m.attestations)) };
}

/** Validations of an ImageValidatingPolicy; no selected image means the policy does not apply. */
export function imagePolicyOutcome(rules: RuleSet, activation: Activation, policy: string): Outcome {
  const images = fromCel(activation.images) as Record<string, string[]>;
  if (Object.values(images).every((l) => l.length === 0)) return { status: 'skip', message: 'no image matches matchImageReferences' };
  return runValidations(rules, activation, policy);
}
