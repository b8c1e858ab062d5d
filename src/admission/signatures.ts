/**
 * `--key` enforcement: every container image of a Pod (or Pod template) must carry a signature that
 * verifies with one of the keys. Verifications go through src/trust/oci with a shared DigestCache;
 * on top of it:
 * - successful results are cached by (scope, image reference) for a TTL — failures are not cached,
 *   so a freshly signed image is admitted on the next try;
 * - identical concurrent verifications share one promise (singleflight), so a burst of Pods of one
 *   Deployment costs one registry round;
 * - each verification has a deadline below the webhook timeout; when it passes, or the registry
 *   fails, the result is "could not verify" — the caller denies (Enforce) or warns (Audit).
 */
import type { KeyObject } from 'node:crypto';
import { createHash } from 'node:crypto';
import { DigestCache } from '../trust/oci/cache.ts';
import type { RegistryStoreOptions } from '../trust/oci/store.ts';
import { ImageVerificationError, verifyImageSignatures, type VerifyImageOptions } from '../trust/oci/verify.ts';
import type { AdmissionMetrics } from './metrics.ts';

type Json = Record<string, unknown>;

export type SignatureOutcome =
  | { status: 'verified'; digest: string }
  | { status: 'rejected'; reason: string }
  | { status: 'unavailable'; reason: string };

/** Verifies one image; injectable so tests can count registry calls. */
export type ImageVerifier = (reference: string, options: VerifyImageOptions) => Promise<{ digest: string }>;

export interface SignatureGateOptions {
  publicKeys: readonly KeyObject[];
  /** Whole-verification deadline (registry round trips included); must be below the webhook timeout. */
  deadlineMs: number;
  /** How long a successful verification is reused; default 5 minutes. */
  ttlMs?: number;
  /** Plain HTTP registries (tests, local registries). */
  insecure?: boolean;
  /** Other registry settings (credentials, docker config path); timeout and retries are set from the deadline. */
  registry?: Omit<RegistryStoreOptions, 'client' | 'timeoutMs' | 'retries'>;
  /** Deny (Enforce, default) or warn (Audit) when an image is unsigned or cannot be verified. */
  action?: 'Enforce' | 'Audit';
  verify?: ImageVerifier;
  now?: () => number;
  metrics?: AdmissionMetrics;
}

/** Policy/rule names under which --key results are reported and cached. */
export const SIGNATURE_POLICY = 'palisade-require-signed-images';
export const SIGNATURE_RULE = 'verify-signature';

export class SignatureGate {
  readonly action: 'Enforce' | 'Audit';
  readonly #options: SignatureGateOptions;
  readonly #scope: string;
  readonly #cache = new Map<string, { digest: string; expires: number }>();
  readonly #inflight = new Map<string, Promise<SignatureOutcome>>();
  readonly #digests = new DigestCache();
  readonly #now: () => number;

  constructor(options: SignatureGateOptions) {
    this.#options = options;
    this.action = options.action ?? 'Enforce';
    this.#now = options.now ?? Date.now;
    // The cache scope names the trusted keys: a key change never reuses results verified with another.
    const h = createHash('sha256');
    for (const key of options.publicKeys) h.update(key.export({ type: 'spki', format: 'der' }));
    this.#scope = `${SIGNATURE_POLICY}/${SIGNATURE_RULE}/${h.digest('hex').slice(0, 16)}`;
  }

  /** Verifies each distinct image once; outcomes by image reference. */
  async check(images: readonly string[]): Promise<Map<string, SignatureOutcome>> {
    const unique = [...new Set(images)];
    const outcomes = await Promise.all(unique.map((image) => this.#verifyOne(image)));
    return new Map(unique.map((image, i) => [image, outcomes[i] as SignatureOutcome]));
  }

  #verifyOne(image: string): Promise<SignatureOutcome> {
    const key = `${this.#scope}\0${image}`;
    const cached = this.#cache.get(key);
    if (cached && cached.expires > this.#now()) {
      this.#options.metrics?.cache.inc({ result: 'hit' });
      return Promise.resolve({ status: 'verified', digest: cached.digest });
    }
    const running = this.#inflight.get(key);
    if (running) {
      this.#options.metrics?.cache.inc({ result: 'coalesced' });
      return running;
    }
    this.#options.metrics?.cache.inc({ result: 'miss' });
    const promise = this.#run(image).then((outcome) => {
      if (outcome.status === 'verified') this.#cache.set(key, { digest: outcome.digest, expires: this.#now() + (this.#options.ttlMs ?? 300_000) });
      return outcome;
    });
    this.#inflight.set(key, promise);
    void promise.finally(() => this.#inflight.delete(key));
    return promise;
  }

  async #run(image: string): Promise<SignatureOutcome> {
    const verify = this.#options.verify ?? verifyImageSignatures;
    const deadline = this.#options.deadlineMs;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<SignatureOutcome>((resolve) => {
      timer = setTimeout(() => resolve({ status: 'unavailable', reason: `verification did not complete within ${deadline} ms` }), deadline);
    });
    const attempt = verify(image, {
      publicKeys: this.#options.publicKeys,
      cache: this.#digests,
      detectMovedTag: false,
      registry: { ...this.#options.registry, timeoutMs: deadline, retries: 0, ...(this.#options.insecure && { insecure: true }) },
    }).then(
      (result): SignatureOutcome => ({ status: 'verified', digest: result.digest }),
      (err: unknown): SignatureOutcome =>
        err instanceof ImageVerificationError ? { status: 'rejected', reason: err.message } : { status: 'unavailable', reason: err instanceof Error ? err.message : String(err) },
    );
    try {
      const outcome = await Promise.race([attempt, expired]);
      if (outcome.status === 'unavailable') this.#options.metrics?.registryErrors.inc();
      return outcome;
    } finally {
      clearTimeout(timer);
    }
  }
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The Pod spec of a Pod, a Pod controller's template, or a CronJob's job template. */
export function podSpecOf(object: Json): Json | undefined {
  const spec = object.spec;
  if (!isRecord(spec)) return undefined;
  if (object.kind === 'Pod') return spec;
  const template = object.kind === 'CronJob' && isRecord(spec.jobTemplate) && isRecord(spec.jobTemplate.spec) ? spec.jobTemplate.spec.template : spec.template;
  return isRecord(template) && isRecord(template.spec) ? template.spec : undefined;
}

/** Every container image of the object (containers, initContainers, ephemeralContainers). */
export function imagesOf(object: Json): string[] {
  const pod = podSpecOf(object);
  if (!pod) return [];
  const images: string[] = [];
  for (const field of ['initContainers', 'containers', 'ephemeralContainers']) {
    const list = pod[field];
    if (!Array.isArray(list)) continue;
    for (const c of list) if (isRecord(c) && typeof c.image === 'string' && c.image !== '') images.push(c.image);
  }
  return images;
}
