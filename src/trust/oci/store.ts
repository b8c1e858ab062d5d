/**
 * Where an image and its signatures live, seen the way cosign sees a repository: manifests by tag
 * or digest, blobs by digest, the referrers of a digest, and one write operation that stores a set
 * of blobs and then one manifest (under a tag, or as a referrer of its subject). Two stores
 * implement it — a registry repository (this file) and an OCI image layout directory
 * (layout-store.ts) — so signing and verification are written once.
 */
import { PalisadeError } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import { DOCKER_HUB, type RegistryReference } from '../../image/reference.ts';
import { RegistryClient, RegistryError, type RegistryClientOptions } from '../../image/registry/index.ts';
import type { Descriptor } from '../../image/types.ts';
import { MEDIA, type StoredManifest } from './types.ts';

/** Manifests and signature blobs are small; anything larger is refused rather than buffered. */
export const MAX_ARTIFACT_BYTES = 4 << 20;

export interface ManifestWrite {
  body: Uint8Array;
  mediaType: string;
  /** Store under this tag (legacy `.sig`/`.att`), or, when absent, as a referrer of the manifest's `subject`. */
  tag?: string;
}

export interface WritePlan {
  /** Blobs the manifest refers to (config, payloads, bundles), uploaded before it. */
  blobs: Uint8Array[];
  manifest: ManifestWrite;
}

export interface WriteResult {
  digest: string;
  /** Where it went, for messages: the tag, or `referrers API` / `fallback tag sha256-…`. */
  location: string;
}

export interface ArtifactStore {
  readonly kind: 'registry' | 'layout';
  /** How messages name the repository: `127.0.0.1:5000/team/app`, `oci:./build/layout`. */
  readonly name: string;
  /** Key of the repository in caches: registry + repository, or the layout's absolute path. */
  readonly cacheKey: string;
  /**
   * The repository as go-containerregistry names it (`index.docker.io/library/alpine`), which cosign
   * writes as the simple-signing docker-reference; undefined for a layout, which has no repository.
   */
  readonly dockerReference: string | undefined;
  /** The tag the user named, when the reference did not pin a digest. */
  readonly tag: string | undefined;
  /** Digest, media type and size of the image the reference names. */
  resolve(): Promise<Descriptor>;
  /** A manifest by tag or digest (bytes verified against a digest); undefined when there is none. */
  manifest(reference: string): Promise<StoredManifest | undefined>;
  /** A blob, verified against its digest. */
  blob(digest: string): Promise<Uint8Array>;
  /** Descriptors of the manifests whose subject is `digest` (no filtering by artifactType). */
  referrers(digest: string): Promise<Descriptor[]>;
  tags(): Promise<string[]>;
  write(plan: WritePlan): Promise<WriteResult>;
}

export interface RegistryStoreOptions {
  insecure?: boolean;
  credentials?: RegistryClientOptions['credentials'];
  dockerConfigPath?: string;
  timeoutMs?: number;
  retries?: number;
  log?: Logger;
  /** Stops the store's registry requests when it aborts (a verification deadline); see RegistryClientOptions. */
  signal?: AbortSignal;
  /** A client to reuse (the admission webhook keeps one per registry); the options above are then ignored. */
  client?: RegistryClient;
}

/** go-containerregistry spells Docker Hub `index.docker.io`, and that is what cosign signs. */
export function dockerReferenceOf(ref: Pick<RegistryReference, 'registry' | 'repository'>): string {
  return `${ref.registry === DOCKER_HUB ? 'index.docker.io' : ref.registry}/${ref.repository}`;
}

export class RegistryStore implements ArtifactStore {
  readonly kind = 'registry';
  readonly name: string;
  readonly cacheKey: string;
  readonly dockerReference: string;
  readonly tag: string | undefined;
  readonly client: RegistryClient;
  readonly #ref: RegistryReference;

  constructor(ref: RegistryReference, options: RegistryStoreOptions = {}) {
    this.#ref = ref;
    this.name = `${ref.registry}/${ref.repository}`;
    this.cacheKey = `registry:${this.name}`;
    this.dockerReference = dockerReferenceOf(ref);
    this.tag = ref.digest === undefined ? ref.tag : undefined;
    this.client =
      options.client ??
      new RegistryClient({
        registry: ref.registry,
        ...(options.insecure !== undefined && { insecure: options.insecure }),
        ...(options.credentials !== undefined && { credentials: options.credentials }),
        ...(options.dockerConfigPath !== undefined && { dockerConfigPath: options.dockerConfigPath }),
        ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
        ...(options.retries !== undefined && { retries: options.retries }),
        ...(options.log !== undefined && { log: options.log }),
        ...(options.signal !== undefined && { signal: options.signal }),
      });
  }

  get repository(): string {
    return this.#ref.repository;
  }

  async resolve(): Promise<Descriptor> {
    const reference = this.#ref.digest ?? this.#ref.tag ?? 'latest';
    const head = await this.client.headManifest(this.#ref.repository, reference);
    if (head === undefined) {
      throw new PalisadeError('INPUT_NOT_FOUND', `image ${this.name}${this.#ref.digest ? `@${this.#ref.digest}` : `:${reference}`} not found`);
    }
    return { mediaType: head.mediaType || MEDIA.ociManifest, digest: head.digest, size: head.size };
  }

  async manifest(reference: string): Promise<StoredManifest | undefined> {
    try {
      return await this.client.getManifest(this.#ref.repository, reference, [MEDIA.ociManifest, MEDIA.dockerManifest, MEDIA.ociIndex]);
    } catch (err) {
      if (err instanceof RegistryError && err.reason === 'not-found') return undefined;
      throw err;
    }
  }

  blob(digest: string): Promise<Uint8Array> {
    return this.client.getBlobBytes(this.#ref.repository, digest, MAX_ARTIFACT_BYTES);
  }

  async referrers(digest: string): Promise<Descriptor[]> {
    return (await this.client.getReferrers(this.#ref.repository, digest)).manifests;
  }

  async tags(): Promise<string[]> {
    try {
      return await this.client.listTags(this.#ref.repository);
    } catch (err) {
      if (err instanceof RegistryError && err.reason === 'not-found') return [];
      throw err;
    }
  }

  async write(plan: WritePlan): Promise<WriteResult> {
    // Blobs first: a manifest naming a missing blob would be refused, and orphan blobs are invisible.
    for (const blob of plan.blobs) await this.client.putBlob(this.#ref.repository, blob);
    const { body, mediaType, tag } = plan.manifest;
    if (tag !== undefined) {
      const pushed = await this.client.putManifest(this.#ref.repository, tag, mediaType, body);
      return { digest: pushed.digest, location: `${this.name}:${tag}` };
    }
    const pushed = await this.client.pushReferrer(this.#ref.repository, mediaType, body);
    return {
      digest: pushed.digest,
      location: `${this.name}@${pushed.digest} (${pushed.source === 'referrers-api' ? 'referrers API' : 'referrers fallback tag'})`,
    };
  }
}
