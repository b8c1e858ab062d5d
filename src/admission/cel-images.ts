/**
 * ImageValidatingPolicies in the webhook. CEL evaluation is synchronous and registries are not,
 * so each request first verifies what its ImageValidatingPolicies may ask about its images
 * (src/policy/cel/image-verify.ts: tag → digest once, signatures and attestations by digest), with
 * the webhook's DigestCache so repeated digests cost no registry round trip; the answers are then
 * handed to that request's evaluation only (`CelApplyOptions.imageVerifier`).
 *
 * The whole pass has a deadline below the webhook timeout. When it passes, or the pass fails,
 * every verification question of the request is an error saying why — which denies under
 * `failurePolicy: Fail` (the default) and is ignored under `Ignore`: fail closed unless the
 * policy says otherwise.
 */
import { errorMessage } from '../core/errors.ts';
import type { TrustedRoot } from '../trust/bundle/trusted-root.ts';
import type { DigestCache } from '../trust/oci/cache.ts';
import type { RegistryStoreOptions } from '../trust/oci/store.ts';
import type { CelApplyOptions } from '../policy/cel/apply.ts';
import { CelEvalError } from '../policy/cel/errors.ts';
import type { ImageVerifier } from '../policy/cel/image-policy.ts';
import { prepareImageVerification } from '../policy/cel/image-verify.ts';
import type { CelPolicySet } from '../policy/cel/types.ts';

type Json = Record<string, unknown>;

/** How the webhook reaches registries for ImageValidatingPolicies. */
export interface CelImageAccess {
  /** Registry settings (plain HTTP, credentials, timeout). */
  registry: RegistryStoreOptions;
  /** Roots for keyless attestors; default the Sigstore public-good root. */
  trustedRoot?: TrustedRoot;
  /** Whole-pass deadline; below the webhook timeout. */
  deadlineMs: number;
  /** Registry reads kept across requests. */
  cache: DigestCache;
}

export function imagePolicies(set: CelPolicySet): CelPolicySet {
  return { ...set, policies: set.policies.filter((p) => p.kind.endsWith('ImageValidatingPolicy')) };
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
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<ImageVerifier>((resolve) => {
    timer = setTimeout(() => resolve(unavailable(`no answer from the registry within ${access.deadlineMs} ms`)), access.deadlineMs);
  });
  const pass = prepareImageVerification(images, [{ object }], {
    registry: access.registry,
    cache: access.cache,
    request: evaluation,
    ...(access.trustedRoot && { trustedRoot: access.trustedRoot }),
  }).catch((err: unknown) => unavailable(errorMessage(err)));
  try {
    return await Promise.race([pass, expired]);
  } finally {
    clearTimeout(timer);
  }
}
