/**
 * An in-process cache of what signature verification reads from a repository, keyed by
 * (registry, repository, digest), so repeated verifications of one image (the admission webhook
 * sees the same digests over and over) cost no registry round trip.
 *
 * - Content addressed by digest (manifests fetched by digest, blobs) never changes: kept until
 *   evicted (least recently used first, bounded by entries and bytes).
 * - What can change — the referrers of a digest, a `sha256-<hex>.sig` tag, a fallback index tag, and
 *   the absence of any of them — is kept for `listingTtlMs` only, so a new signature is seen after
 *   at most that long. Writes through a cached store drop the repository's listings at once.
 *
 * Tags the user names (`app:v1`) are never cached here: resolving them is the point of verifying
 * (the webhook keeps a tag's digest for its --cache-ttl in its VerificationCache, as a `digest`
 * request of the verifier).
 */
import { RegistryError } from '../../image/registry/index.ts';
import type { Descriptor } from '../../image/types.ts';
import type { ArtifactStore, WritePlan, WriteResult } from './store.ts';
import type { StoredManifest } from './types.ts';

export interface DigestCacheOptions {
  /** How long listings (referrers, signature tags, absences) stay valid; default 30 s. */
  listingTtlMs?: number;
  /** Most entries kept; default 10 000. */
  maxEntries?: number;
  /** Most bytes of manifests and blobs kept; default 64 MiB. */
  maxBytes?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export interface DigestCacheStats {
  hits: number;
  misses: number;
  entries: number;
  bytes: number;
}

interface Entry {
  value: unknown;
  bytes: number;
  /** Undefined for immutable content. */
  expires: number | undefined;
}

const DIGEST = /^[a-z0-9]+:[0-9a-f]+$/;

export class DigestCache {
  readonly #entries = new Map<string, Entry>();
  readonly #ttl: number;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #now: () => number;
  #bytes = 0;
  #hits = 0;
  #misses = 0;

  constructor(options: DigestCacheOptions = {}) {
    this.#ttl = options.listingTtlMs ?? 30_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#maxBytes = options.maxBytes ?? 64 << 20;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The value under `key`, computing (and keeping) it on a miss; concurrent misses share one
   * computation. `immutable` says whether the loaded value may be kept past the listing TTL.
   */
  async get<T>(key: string, load: () => Promise<T>, how: { immutable: (value: T) => boolean; size: (value: T) => number }): Promise<T> {
    const entry = this.#entries.get(key);
    if (entry !== undefined && (entry.expires === undefined || entry.expires > this.#now())) {
      // Re-insert: Map order is the recency order for eviction.
      this.#entries.delete(key);
      this.#entries.set(key, entry);
      this.#hits++;
      try {
        return (await entry.value) as T;
      } catch (err) {
        // The load this call joined was given up by its own caller (that verification's deadline),
        // which says nothing about the registry: this caller, still waiting, looks again — joining
        // the load another such caller started, or starting one (so they share one, not one each).
        if (!(err instanceof RegistryError && err.reason === 'abandoned')) throw err;
        if (this.#entries.get(key) === entry) this.#remove(key);
        return this.get(key, load, how);
      }
    }
    if (entry !== undefined) this.#remove(key);
    this.#misses++;
    const pending = load();
    const placeholder: Entry = { value: pending, bytes: 0, expires: this.#now() + this.#ttl };
    this.#entries.set(key, placeholder);
    try {
      const value = await pending;
      if (this.#entries.get(key) === placeholder) {
        placeholder.value = value;
        placeholder.bytes = how.size(value);
        if (how.immutable(value)) placeholder.expires = undefined;
        this.#bytes += placeholder.bytes;
        this.#evict();
      }
      return value;
    } catch (err) {
      // Failures (network, auth) are never cached: the next call tries again.
      if (this.#entries.get(key) === placeholder) this.#entries.delete(key);
      throw err;
    }
  }

  /** Drops the mutable listings of one repository (after a write to it). */
  invalidateListings(prefix: string): void {
    for (const [key, entry] of this.#entries) {
      if (entry.expires !== undefined && key.startsWith(prefix)) this.#remove(key);
    }
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  stats(): DigestCacheStats {
    return { hits: this.#hits, misses: this.#misses, entries: this.#entries.size, bytes: this.#bytes };
  }

  #remove(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#bytes -= entry.bytes;
    this.#entries.delete(key);
  }

  #evict(): void {
    for (const key of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries && this.#bytes <= this.#maxBytes) return;
      this.#remove(key);
    }
  }
}

/** `store` with its digest-keyed reads served from `cache`. */
export function cachedStore(store: ArtifactStore, cache: DigestCache): ArtifactStore {
  const key = (kind: string, ref: string) => `${store.cacheKey}\u0000${kind}\u0000${ref}`;
  const manifestSize = (m: StoredManifest | undefined) => m?.body.length ?? 0;
  const always = () => true;
  const never = () => false;
  return {
    kind: store.kind,
    name: store.name,
    cacheKey: store.cacheKey,
    dockerReference: store.dockerReference,
    tag: store.tag,
    resolve: () => store.resolve(),
    // By digest, found content is immutable; a tag, or a digest absent now, may change.
    manifest: (reference: string) =>
      cache.get(key('manifest', reference), () => store.manifest(reference), {
        immutable: (m) => m !== undefined && DIGEST.test(reference),
        size: manifestSize,
      }),
    blob: (digest: string) => cache.get(key('blob', digest), () => store.blob(digest), { immutable: always, size: (b) => b.length }),
    referrers: (digest: string) =>
      cache.get(key('referrers', digest), () => store.referrers(digest), { immutable: never, size: (list: Descriptor[]) => list.length * 200 }),
    tags: () => store.tags(),
    write: async (plan: WritePlan): Promise<WriteResult> => {
      try {
        return await store.write(plan);
      } finally {
        cache.invalidateListings(`${store.cacheKey}\u0000`);
      }
    },
  };
}
