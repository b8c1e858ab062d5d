/**
 * ImageValidatingPolicies in the webhook. CEL evaluation is synchronous and registries are not,
 * so each request first verifies what its ImageValidatingPolicies may ask about its images
 * (src/policy/cel/image-verify.ts: tag → digest once, signatures and attestations by digest), and
 * the answers are handed to that request's evaluation only (`CelApplyOptions.imageVerifier`).
 *
 * Verifications go through the webhook's verification core, the one verifyImages rules use
 * (image-verification.ts): verified material — signatures, attestation payloads — is reused for a
 * TTL, so a repeated Pod reads no registry, and identical verifications of concurrent requests
 * share one; the validations still judge the payloads on every request. Tag → digest
 * resolutions go through the same cache, for the same TTL.
 *
 * The whole pass has a deadline below the webhook timeout. When it passes, the verifications of
 * the pass that no other request waits for are cancelled (their registry requests closed), and —
 * as when the pass fails —
 * every verification question of the request is an error saying why — which denies under
 * `failurePolicy: Fail` (the default) and is ignored under `Ignore`: fail closed unless the
 * policy says otherwise.
 */
import { errorMessage } from '../core/errors.ts';
import type { TrustImageVerifier } from '../policy/engine/verify-images-trust.ts';
import type { CelApplyOptions } from '../policy/cel/apply.ts';
import { CelEvalError } from '../policy/cel/errors.ts';
import type { ImageVerifier } from '../policy/cel/image-policy.ts';
import { prepareImageVerification } from '../policy/cel/image-verify.ts';
import type { CelPolicySet } from '../policy/cel/types.ts';

type Json = Record<string, unknown>;

/**
 * How the webhook reaches registries for ImageValidatingPolicies: every read (tag resolution,
 * signatures, attestations) is a verification of `verifier`, with its registry settings and caches.
 */
export interface CelImageAccess {
  /** Whole-pass deadline; below the webhook timeout. */
  deadlineMs: number;
  /** Verifications and their cache, shared across requests (AdmissionImageVerification's). */
  verifier: TrustImageVerifier;
}

/** The image policies of each loaded set, filtered once per set rather than on every request. */
const imageSets = new WeakMap<CelPolicySet, CelPolicySet>();

/** The ImageValidatingPolicies (namespaced ones included) of `set`; an image set maps to itself. */
export function imagePolicies(set: CelPolicySet): CelPolicySet {
  let images = imageSets.get(set);
  if (!images) {
    images = set.policies.every(isImagePolicy) ? set : { ...set, policies: set.policies.filter(isImagePolicy) };
    imageSets.set(set, images);
  }
  return images;
}

function isImagePolicy(policy: CelPolicySet['policies'][number]): boolean {
  return policy.kind.endsWith('ImageValidatingPolicy');
}

/** A verifier whose every answer is the error `reason` (the verification pass did not complete). */
function unavailable(reason: string): ImageVerifier {
  const fail = (): never => {
    throw new CelEvalError(`image verification could not complete: ${reason}`);
  };
  return { verifySignatures: fail, verifyAttestations: fail, extractPayload: fail, resolveDigest: fail };
}

/**
 * The answers for one request's ImageValidatingPolicies (of `set`), within the deadline;
 * undefined when `set` has none.
 */
export async function requestImageVerifier(set: CelPolicySet, object: Json, evaluation: CelApplyOptions, access: CelImageAccess): Promise<ImageVerifier | undefined> {
  const images = imagePolicies(set);
  if (images.policies.length === 0) return undefined;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<ImageVerifier>((resolve) => {
    timer = setTimeout(() => {
      const reason = `no answer from the registry within ${access.deadlineMs} ms`;
      controller.abort(new Error(reason));
      resolve(unavailable(reason));
    }, access.deadlineMs);
  });
  const pass = prepareImageVerification(images, [{ object }], {
    signal: controller.signal,
    request: evaluation,
    verifier: access.verifier,
  }).catch((err: unknown) => unavailable(errorMessage(err)));
  try {
    return await Promise.race([pass, expired]);
  } finally {
    clearTimeout(timer);
  }
}
