/**
 * Signatures inside an OCI image layout (`oci:DIR[:tag]`), for pipelines that sign before (or
 * without) pushing. The layout is treated as a registry without the referrers API whose tags are
 * the `org.opencontainers.image.ref.name` annotations of index.json:
 *
 * - legacy signatures/attestations: an image manifest tagged `sha256-<hex>.sig` / `.att`;
 * - v3 bundles: the referrer manifest in blobs/, listed in an image index tagged `sha256-<hex>`
 *   (the distribution spec's referrers tag schema), so every object stays reachable from
 *   index.json. Untagged index.json entries whose manifest names the image as `subject` (how
 *   `oras attach --oci-layout` stores referrers) are found too.
 *
 * Writes put the blobs in place first (content-addressed, so an existing file is already right) and
 * then replace index.json atomically; when anything fails before that, the blobs this write added
 * are removed again and the layout is as it was.
 */
import { mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PalisadeError, errorMessage } from '../../core/errors.ts';
import { writeFileAtomic } from '../../core/fs.ts';
import { blobPath, sha256Digest, verifyDigest } from '../../image/digest.ts';
import { REF_NAME, splitPathSpec } from '../../image/sources/oci-layout.ts';
import type { Descriptor, ImageIndex } from '../../image/types.ts';
import type { ArtifactStore, WritePlan, WriteResult } from './store.ts';
import { MAX_ARTIFACT_BYTES } from './store.ts';
import { MEDIA, signatureTag, type StoredManifest } from './types.ts';

const CONTAINERD_NAME = 'io.containerd.image.name';
/** Tags Palisade and cosign add next to an image: never the image itself. */
const SIGNATURE_TAG = /^sha(?:256|512)-[0-9a-f]+(?:\.(?:sig|att|sbom))?$/;

export class LayoutStore implements ArtifactStore {
  readonly kind = 'layout';
  readonly name: string;
  readonly cacheKey: string;
  readonly dockerReference: string | undefined = undefined;
  readonly tag: string | undefined;
  readonly root: string;

  private constructor(root: string, tag: string | undefined, label: string) {
    this.root = resolve(root);
    this.tag = tag;
    this.name = label;
    this.cacheKey = `layout:${this.root}`;
  }

  /** Opens `oci:DIR[:tag]` (the part after `oci:`); the directory must be an OCI layout. */
  static async open(spec: string): Promise<LayoutStore> {
    const label = `oci:${spec}`;
    const isLayout = async (p: string) => (await stat(join(p, 'oci-layout'))).isFile();
    const { path, suffix } = await splitPathSpec(spec, label, isLayout).catch(() => {
      throw new PalisadeError('INPUT_NOT_FOUND', `${label}: no OCI image layout there (a directory with an oci-layout file)`);
    });
    return new LayoutStore(path, suffix, label);
  }

  /** The full image name the layout records for the image (containerd's annotation or a full ref.name), if any. */
  async imageName(): Promise<string | undefined> {
    const entry = this.#select(await this.#index());
    const containerd = entry.annotations?.[CONTAINERD_NAME];
    if (containerd !== undefined) return containerd;
    const name = entry.annotations?.[REF_NAME];
    return name !== undefined && name.includes('/') ? name : undefined;
  }

  async resolve(): Promise<Descriptor> {
    const entry = this.#select(await this.#index());
    return { mediaType: entry.mediaType, digest: entry.digest, size: entry.size };
  }

  async manifest(reference: string): Promise<StoredManifest | undefined> {
    let digest = reference;
    if (!reference.includes(':')) {
      const entry = (await this.#index()).manifests.find((d) => d.annotations?.[REF_NAME] === reference);
      if (entry === undefined) return undefined;
      digest = entry.digest;
    }
    const body = await this.#readBlob(digest, true);
    if (body === undefined) return undefined;
    return { digest, mediaType: mediaTypeOf(body), body };
  }

  async blob(digest: string): Promise<Uint8Array> {
    return (await this.#readBlob(digest, false))!;
  }

  async referrers(digest: string): Promise<Descriptor[]> {
    const index = await this.#index();
    const found = new Map<string, Descriptor>();
    const fallback = await this.manifest(signatureTag(digest, ''));
    if (fallback !== undefined) {
      for (const d of parseIndex(fallback.body, `${this.name}: referrers index ${signatureTag(digest, '')}`).manifests) found.set(d.digest, d);
    }
    for (const entry of index.manifests) {
      if (entry.annotations?.[REF_NAME] !== undefined || entry.mediaType !== MEDIA.ociManifest || found.has(entry.digest)) continue;
      const body = await this.#readBlob(entry.digest, true);
      const subject = body === undefined ? undefined : (safeJson(body) as { subject?: { digest?: unknown } } | undefined)?.subject;
      if (subject?.digest === digest) found.set(entry.digest, entry);
    }
    return [...found.values()];
  }

  async tags(): Promise<string[]> {
    return (await this.#index()).manifests.map((d) => d.annotations?.[REF_NAME]).filter((t): t is string => t !== undefined);
  }

  async write(plan: WritePlan): Promise<WriteResult> {
    const index = await this.#index();
    const added: string[] = [];
    try {
      for (const blob of plan.blobs) await this.#writeBlob(blob, added);
      const { body, mediaType, tag } = plan.manifest;
      const digest = await this.#writeBlob(body, added);
      const descriptor: Descriptor = { mediaType, digest, size: body.length };
      let location: string;
      if (tag !== undefined) {
        setTag(index, tag, descriptor);
        location = `${this.name}:${tag}`;
      } else {
        const subject = (safeJson(body) as { subject?: { digest?: unknown } } | undefined)?.subject?.digest;
        if (typeof subject !== 'string') throw new PalisadeError('USAGE', 'a referrer manifest needs a subject');
        const fallbackTag = signatureTag(subject, '');
        const existing = await this.manifest(fallbackTag);
        const referrers = existing === undefined ? [] : parseIndex(existing.body, `${this.name}: ${fallbackTag}`).manifests;
        if (!referrers.some((d) => d.digest === digest)) referrers.push(referrerEntry(descriptor, body));
        const indexBody = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: referrers }));
        const indexDigest = await this.#writeBlob(indexBody, added);
        setTag(index, fallbackTag, { mediaType: MEDIA.ociIndex, digest: indexDigest, size: indexBody.length });
        location = `${this.name}@${digest} (referrers tag ${fallbackTag})`;
      }
      await writeFileAtomic(join(this.root, 'index.json'), JSON.stringify(index));
      return { digest, location };
    } catch (err) {
      await Promise.all(added.map((d) => unlink(join(this.root, blobPath(d, this.name))).catch(() => {})));
      throw err instanceof PalisadeError ? err : new PalisadeError('INPUT_UNREADABLE', `${this.name}: cannot write the signature: ${errorMessage(err)}`, { cause: err });
    }
  }

  /** The index.json entry the tag (or, without one, the only image) names. */
  #select(index: ImageIndex): Descriptor {
    if (this.tag !== undefined) {
      const entry = index.manifests.find(
        (d) => d.annotations?.[REF_NAME] === this.tag || d.annotations?.[CONTAINERD_NAME]?.endsWith(`:${this.tag}`),
      );
      if (entry === undefined) throw new PalisadeError('INPUT_NOT_FOUND', `${this.name}: no image tagged "${this.tag}" in the layout`);
      return entry;
    }
    const images = index.manifests.filter((d) => !SIGNATURE_TAG.test(d.annotations?.[REF_NAME] ?? '') && !isReferrerEntry(d));
    if (images.length !== 1) {
      throw new PalisadeError(
        images.length === 0 ? 'INPUT_NOT_FOUND' : 'USAGE',
        images.length === 0 ? `${this.name}: the layout holds no image` : `${this.name}: the layout holds ${images.length} images; name one as ${this.name}:TAG`,
      );
    }
    return images[0]!;
  }

  async #index(): Promise<ImageIndex> {
    let text: Buffer;
    try {
      text = await readFile(join(this.root, 'index.json'));
    } catch {
      throw new PalisadeError('INPUT_NOT_FOUND', `${this.name}: index.json is missing`);
    }
    return parseIndex(text, `${this.name}: index.json`);
  }

  async #readBlob(digest: string, optional: boolean): Promise<Uint8Array | undefined> {
    const path = join(this.root, blobPath(digest, this.name));
    let bytes: Buffer;
    try {
      const info = await stat(path);
      if (info.size > MAX_ARTIFACT_BYTES) throw new PalisadeError('INPUT_UNREADABLE', `${this.name}: blob ${digest} is too large for a signature object`);
      bytes = await readFile(path);
    } catch (err) {
      if (err instanceof PalisadeError) throw err;
      if (optional) return undefined;
      throw new PalisadeError('INPUT_NOT_FOUND', `${this.name}: blob ${digest} is missing`);
    }
    verifyDigest(bytes, digest, `${this.name}: blob ${digest}`);
    return bytes;
  }

  /** Writes a blob unless present; records the ones it created so a failed write can remove them. */
  async #writeBlob(bytes: Uint8Array, added: string[]): Promise<string> {
    const digest = sha256Digest(bytes);
    const path = join(this.root, blobPath(digest, this.name));
    if (await stat(path).then((s) => s.isFile()).catch(() => false)) return digest;
    await mkdir(join(this.root, 'blobs', 'sha256'), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, path);
    added.push(digest);
    return digest;
  }
}

function setTag(index: ImageIndex, tag: string, descriptor: Descriptor): void {
  index.manifests = index.manifests.filter((d) => d.annotations?.[REF_NAME] !== tag);
  index.manifests.push({ ...descriptor, annotations: { [REF_NAME]: tag } });
}

/** A fallback-index entry as the distribution spec describes it: artifactType and the manifest's annotations. */
function referrerEntry(descriptor: Descriptor, body: Uint8Array): Descriptor {
  const manifest = safeJson(body) as { artifactType?: unknown; annotations?: Record<string, string> } | undefined;
  return {
    ...descriptor,
    ...(typeof manifest?.artifactType === 'string' && { artifactType: manifest.artifactType }),
    ...(manifest?.annotations !== undefined && { annotations: manifest.annotations }),
  } as Descriptor;
}

function isReferrerEntry(d: Descriptor): boolean {
  return d.annotations?.[REF_NAME] === undefined && (d as Descriptor & { artifactType?: string }).artifactType !== undefined;
}

function parseIndex(bytes: Uint8Array, what: string): ImageIndex {
  const index = safeJson(bytes) as ImageIndex | undefined;
  if (index === undefined || !Array.isArray(index.manifests)) throw new PalisadeError('UNSUPPORTED_FORMAT', `${what} is not an OCI image index`);
  index.manifests = index.manifests.filter((d) => typeof d === 'object' && d !== null && typeof d.digest === 'string');
  return index;
}

function safeJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return undefined;
  }
}

function mediaTypeOf(body: Uint8Array): string {
  const declared = (safeJson(body) as { mediaType?: unknown } | undefined)?.mediaType;
  return typeof declared === 'string' ? declared : '';
}
