/**
 * verifyImages rules in the webhook: the engine's verifications (src/policy/engine/verify-images-trust.ts)
 * with the webhook's VerificationCache — the one the --key gate shares (signatures.ts), and
 * the one ImageValidatingPolicies verify through (cel-images.ts, via `verifier`):
 *
 * - verified material is reused for a TTL, keyed by a hash of everything a verification depends
 *   on (image reference, the attestor's key or identity, predicate type, signature repository,
 *   annotations): a policy edit that changes an attestor changes the key, and the cached value
 *   is the verified signatures and statements, never a verdict — attestation conditions are
 *   evaluated on every request, cache hit or not;
 * - identical verifications of concurrent requests share one promise, and identical images of
 *   one request are verified once;
 * - only images that a verifyImages rule selects (match/exclude, preconditions, imageReferences)
 *   reach a registry;
 * - every verification has a deadline below the webhook timeout; a registry that cannot be read
 *   in time is a rule `error`, which denies under Enforce ("could not verify …") and warns under
 *   Audit.
 */
import type { RegistryStoreOptions } from '../trust/oci/store.ts';
import type { TrustedRoot } from '../trust/bundle/index.ts';
import type { DigestCache } from '../trust/oci/cache.ts';
import type { VerificationCache } from '../trust/oci/verification-cache.ts';
import { evaluateWithImageVerification, TrustImageVerifier, verifiedImageSize, type VerifiedImage } from '../policy/engine/verify-images-trust.ts';
import type { ImageVerificationResults } from '../policy/engine/verify-images.ts';
import type { AdmissionMetrics } from './metrics.ts';
import { verificationCacheFor } from './signatures.ts';

export interface AdmissionImageVerificationOptions {
  /** Whole-verification deadline; must be below the webhook timeout. */
  deadlineMs: number;
  /** How long verified material is reused; default 5 minutes. */
  ttlMs?: number;
  /** Registry settings (plain HTTP, credentials); timeout and retries are set from the deadline. */
  registry?: Omit<RegistryStoreOptions, 'client' | 'timeoutMs' | 'retries'>;
  /** Roots for keyless attestors; default the public-good root shipped with Palisade. */
  trustedRoot?: TrustedRoot;
  /** Registry reads by digest, shared with the webhook's tag resolution for ImageValidatingPolicies. */
  digests?: DigestCache;
  metrics?: AdmissionMetrics;
  now?: () => number;
}

export class AdmissionImageVerification {
  /** The verifications and their cache, for ImageValidatingPolicies too (CelImageAccess). */
  readonly verifier: TrustImageVerifier;
  /** The server's verification outcomes, for the --key gate too (signatures.ts). */
  readonly cache: VerificationCache<VerifiedImage>;
  /** Registry settings of the verifications, timeout and retries set from the deadline: for the --key gate too. */
  readonly registry: Omit<RegistryStoreOptions, 'client'>;

  constructor(options: AdmissionImageVerificationOptions) {
    this.cache = verificationCacheFor<VerifiedImage>({
      deadlineMs: options.deadlineMs,
      sizeOf: verifiedImageSize,
      // JSON bytes; parsed objects take a few times that, within the Deployment's 384 MiB limit.
      maxBytes: 16 << 20,
      ...(options.ttlMs !== undefined && { ttlMs: options.ttlMs }),
      ...(options.now && { now: options.now }),
      ...(options.metrics && { metrics: options.metrics }),
    });
    this.registry = { ...options.registry, timeoutMs: options.deadlineMs, retries: 0 };
    this.verifier = new TrustImageVerifier({
      registry: this.registry,
      ...(options.trustedRoot && { trustedRoot: options.trustedRoot }),
      ...(options.digests && { digests: options.digests }),
      cache: this.cache,
    });
  }

  /** Runs `evaluate` with the outcomes of the verifications it asks for (one request's session). */
  evaluate<T>(evaluate: (results: ImageVerificationResults) => T): Promise<T> {
    return evaluateWithImageVerification(this.verifier.session(), evaluate);
  }
}
