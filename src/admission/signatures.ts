/**
 * `--key` enforcement: every container image of a Pod (or Pod template) must carry a signature that
 * verifies with one of the keys, logged in a transparency log unless `--insecure-ignore-tlog`. Verifications go through src/trust/oci with the server's
 * DigestCache and VerificationCache — the ones verifyImages rules and ImageValidatingPolicies use
 * (image-verification.ts): one TTL, one size bound, one deadline below the webhook timeout, one
 * singleflight for all of them (src/trust/oci/verification-cache.ts).
 * "Could not verify" is an outcome of its own: the caller denies (Enforce) or warns (Audit).
 *
 * When the gate runs in an admission (handler.ts): on `/mutate`, Kyverno's image verification
 * phase, before any policy is evaluated; on `/validate` only under Enforce, as the backstop for an
 * object whose `/mutate` call never happened (a missing mutating webhook, another replica): images
 * `/mutate` verified are cache hits there, with no registry round and no second warning.
 */
import type { KeyObject } from 'node:crypto';
import { createHash } from 'node:crypto';
import type { VerifiedImage } from '../policy/engine/verify-images-trust.ts';
import { formatRegistryReference, registryReferenceOf, type RegistryReference } from '../image/reference.ts';
import type { TrustedRoot } from '../trust/bundle/index.ts';
import { DigestCache } from '../trust/oci/cache.ts';
import type { RegistryStoreOptions } from '../trust/oci/store.ts';
import { VerificationCache, type VerificationOutcome } from '../trust/oci/verification-cache.ts';
import { verifyImageSignatures, type VerifyImageOptions } from '../trust/oci/verify.ts';
import { isRecord } from '../core/json.ts';
import type { AdmissionMetrics } from './metrics.ts';

type Json = Record<string, unknown>;

export type SignatureOutcome = VerificationOutcome<{ digest: string }>;

/** Verifies one image; injectable so tests can count registry calls. */
export type ImageVerifier = (reference: string, options: VerifyImageOptions) => Promise<{ digest: string }>;

export interface SignatureGateOptions {
  publicKeys: readonly KeyObject[];
  /** The server's verification outcomes (its TTL, deadline and metrics), shared with policy image verification. */
  cache: VerificationCache<VerifiedImage>;
  /** Registry reads by digest, shared likewise; default one private to the gate. */
  digests?: DigestCache;
  /** Registry settings (plain HTTP, credentials, a timeout within the cache's deadline, retries). */
  registry?: Omit<RegistryStoreOptions, 'client'>;
  /** Deny (Enforce, default) or warn (Audit) when an image is unsigned or cannot be verified. */
  action?: 'Enforce' | 'Audit';
  /**
   * Accept signatures without a transparency-log entry (`--insecure-ignore-tlog`); by default one
   * is required, as `cosign verify --key` requires it, checked against `trustedRoot`'s Rekor keys.
   */
  ignoreTlog?: boolean;
  /** The Rekor keys of log entries; default the public-good root shipped with Palisade. */
  trustedRoot?: TrustedRoot;
  verify?: ImageVerifier;
}

/** What the gate says about one object: denials under Enforce, warnings under Audit. */
export interface SignatureFindings {
  denials: string[];
  warnings: string[];
}

/** Most image references whose cache key is kept (a bound for clusters that never repeat one). */
const MAX_KEYS = 10_000;

/** Policy/rule names under which --key results are reported and cached. */
export const SIGNATURE_POLICY = 'palisade-require-signed-images';
export const SIGNATURE_RULE = 'verify-signature';

export class SignatureGate {
  readonly action: 'Enforce' | 'Audit';
  readonly #options: SignatureGateOptions;
  readonly #scope: string;
  readonly #digests: DigestCache;
  /** Cache keys, and the parsed reference, by image reference as written in objects (keyOf). */
  readonly #keys = new Map<string, { key: string; ref: RegistryReference | undefined }>();

  constructor(options: SignatureGateOptions) {
    this.#options = options;
    this.action = options.action ?? 'Enforce';
    this.#digests = options.digests ?? new DigestCache();
    // The cache scope names the gate and its trusted keys: a key change never reuses results
    // verified with another, and no verifyImages entry (keyed by a bare hash) can collide.
    const h = createHash('sha256');
    for (const key of options.publicKeys) h.update(key.export({ type: 'spki', format: 'der' }));
    if (options.ignoreTlog) h.update('ignore-tlog');
    this.#scope = `${SIGNATURE_POLICY}/${SIGNATURE_RULE}/${h.digest('hex').slice(0, 16)}`;
  }

  /** Verifies each distinct image once; outcomes by image reference. */
  async check(images: readonly string[]): Promise<Map<string, SignatureOutcome>> {
    const unique = [...new Set(images)];
    const outcomes = await Promise.all(
      unique.map((image) => {
        const { key, ref } = this.#keyOf(image);
        return this.#options.cache.get(key, (signal) => this.#verify(image, ref, signal));
      }),
    );
    return new Map(unique.map((image, i) => [image, outcomes[i]!]));
  }

  /** The gate's denials and warnings for the images of `object`, counted in `metrics`. */
  async findings(object: Json, metrics?: AdmissionMetrics): Promise<SignatureFindings> {
    const found: SignatureFindings = { denials: [], warnings: [] };
    for (const [image, outcome] of await this.check(imagesOf(object))) {
      if (outcome.status === 'verified') continue;
      const what = outcome.status === 'rejected' ? 'signature not verified' : 'signature could not be verified (failing closed)';
      (this.action === 'Enforce' ? found.denials : found.warnings).push(`policy ${SIGNATURE_POLICY} rule ${SIGNATURE_RULE}: image ${image}: ${what}: ${outcome.reason}`);
      metrics?.decisions.inc({ policy: SIGNATURE_POLICY, rule: SIGNATURE_RULE, result: this.action === 'Enforce' ? 'deny' : 'warn' });
    }
    return found;
  }

  /**
   * The cache key of an image: its normalised reference (`nginx:1.27` is `docker.io/library/nginx:1.27`),
   * by digest alone when it pins one (a tag beside the digest is informational). A cluster's images
   * are few and come back with every request: each is parsed once (the parsed reference is kept
   * for #verify).
   */
  #keyOf(image: string): { key: string; ref: RegistryReference | undefined } {
    let entry = this.#keys.get(image);
    if (entry === undefined) {
      const ref = registryReferenceOf(image);
      entry = { key: this.#keyOfRef(ref, image), ref };
      if (this.#keys.size >= MAX_KEYS) this.#keys.clear();
      this.#keys.set(image, entry);
    }
    return entry;
  }

  #keyOfRef(ref: RegistryReference | undefined, image: string): string {
    return `${this.#scope}\0${ref ? formatRegistryReference(ref.digest ? { ...ref, tag: undefined } : ref) : image}`;
  }

  /** `signal` (the cache's deadline) cancels the registry requests of a verification given up on. */
  async #verify(image: string, ref: RegistryReference | undefined, signal: AbortSignal): Promise<{ digest: string }> {
    const verify = this.#options.verify ?? verifyImageSignatures;
    const result = await verify(image, {
      publicKeys: this.#options.publicKeys,
      ...(this.#options.ignoreTlog && { ignoreTlog: true }),
      ...(this.#options.trustedRoot && { trustedRoot: this.#options.trustedRoot }),
      cache: this.#digests,
      detectMovedTag: false,
      registry: { ...this.#options.registry, signal },
    });
    // What holds for a tag holds for the digest it resolved to: an object whose tags a verifyImages
    // rule pinned on /mutate (`name:tag@digest`) reaches /validate verified already.
    if (ref && !ref.digest) this.#options.cache.remember(this.#keyOfRef({ ...ref, tag: undefined, digest: result.digest }, image), { digest: result.digest });
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
