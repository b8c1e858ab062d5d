/**
 * `--key` enforcement: every container image of a Pod (or Pod template) must carry a signature that
 * verifies with one of the keys. Verifications go through src/trust/oci with a shared DigestCache,
 * and their outcomes through a VerificationCache (TTL for verified images, singleflight for
 * concurrent ones, a deadline below the webhook timeout; see src/trust/oci/verification-cache.ts).
 * "Could not verify" is an outcome of its own: the caller denies (Enforce) or warns (Audit).
 */
import type { KeyObject } from 'node:crypto';
import { createHash } from 'node:crypto';
import { DigestCache } from '../trust/oci/cache.ts';
import type { RegistryStoreOptions } from '../trust/oci/store.ts';
import { VerificationCache, type VerificationOutcome } from '../trust/oci/verification-cache.ts';
import { verifyImageSignatures, type VerifyImageOptions } from '../trust/oci/verify.ts';
import type { AdmissionMetrics } from './metrics.ts';

type Json = Record<string, unknown>;

export type SignatureOutcome = VerificationOutcome<{ digest: string }>;

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
  readonly #outcomes: VerificationCache<{ digest: string }>;
  readonly #digests = new DigestCache();

  constructor(options: SignatureGateOptions) {
    this.#options = options;
    this.action = options.action ?? 'Enforce';
    this.#outcomes = verificationCacheFor(options);
    // The cache scope names the trusted keys: a key change never reuses results verified with another.
    const h = createHash('sha256');
    for (const key of options.publicKeys) h.update(key.export({ type: 'spki', format: 'der' }));
    this.#scope = `${SIGNATURE_POLICY}/${SIGNATURE_RULE}/${h.digest('hex').slice(0, 16)}`;
  }

  /** Verifies each distinct image once; outcomes by image reference. */
  async check(images: readonly string[]): Promise<Map<string, SignatureOutcome>> {
    const unique = [...new Set(images)];
    const outcomes = await Promise.all(unique.map((image) => this.#outcomes.get(`${this.#scope}\0${image}`, () => this.#verify(image))));
    return new Map(unique.map((image, i) => [image, outcomes[i] as SignatureOutcome]));
  }

  async #verify(image: string): Promise<{ digest: string }> {
    const verify = this.#options.verify ?? verifyImageSignatures;
    const result = await verify(image, {
      publicKeys: this.#options.publicKeys,
      cache: this.#digests,
      detectMovedTag: false,
      registry: { ...this.#options.registry, timeoutMs: this.#options.deadlineMs, retries: 0, ...(this.#options.insecure && { insecure: true }) },
    });
    return { digest: result.digest };
  }
}

/** The outcome cache of the webhook's verifications, with its metrics. */
export function verificationCacheFor<V extends object>(options: {
  deadlineMs: number;
  ttlMs?: number;
  now?: () => number;
  metrics?: AdmissionMetrics;
  /** Bytes a verified value holds, to bound the cache by size (attestation payloads), at most `maxBytes`. */
  sizeOf?: (value: V) => number;
  maxBytes?: number;
}): VerificationCache<V> {
  const { metrics } = options;
  return new VerificationCache<V>({
    deadlineMs: options.deadlineMs,
    ...(options.sizeOf && { sizeOf: options.sizeOf }),
    ...(options.maxBytes !== undefined && { maxBytes: options.maxBytes }),
    ...(options.ttlMs !== undefined && { ttlMs: options.ttlMs }),
    ...(options.now && { now: options.now }),
    ...(metrics && { onLookup: (result) => metrics.cache.inc({ result }), onUnavailable: () => metrics.registryErrors.inc() }),
  });
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
