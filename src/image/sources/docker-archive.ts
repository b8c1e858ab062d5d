/**
 * `docker-archive:PATH[:name:tag|:@N]`: the output of `docker save` (or `skopeo copy …
 * docker-archive:`), plain or gzip-compressed. `manifest.json` lists each image's config and layer
 * files, either in the legacy layout (`<id>.json`, `<id>/layer.tar`, possibly symlinked between
 * images) or, since Docker 25, as OCI blobs (`blobs/sha256/<hex>`, with an `index.json` that holds
 * the real manifest). Legacy archives hold no manifest, so one is assembled from manifest.json:
 * its layers are the stored files (uncompressed tars, whose digest is their diffID), and the image
 * digest reported is the config digest, Docker's image ID.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { PalisadeError } from '../../core/errors.ts';
import { blobPath, sha256Digest, verifyDigest } from '../digest.ts';
import { parseRegistryReference, formatRegistryReference } from '../reference.ts';
import { MEDIA_TYPES, type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest, type ImageSource, type ResolvedImage } from '../types.ts';
import { MAX_METADATA_BYTES } from './files.ts';
import { checkPlatform, parseJson, splitPathSpec, type LocalSourceOptions } from './oci-layout.ts';
import { openTarArchive, type TarArchive } from './tar-archive.ts';

interface ManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

export async function openDockerArchive(reference: string, spec: string, options: LocalSourceOptions): Promise<ImageSource> {
  const { path, suffix } = await splitPathSpec(spec, reference, async (p) => (await stat(p)).isFile());
  const archive = await openTarArchive(path, reference);
  try {
    const entries = parseJson<ManifestEntry[]>(await archive.read('manifest.json', MAX_METADATA_BYTES), `${reference}: manifest.json`);
    if (!Array.isArray(entries) || entries.length === 0) {
      throw new PalisadeError('UNSUPPORTED_FORMAT', `${reference}: manifest.json lists no images; not a docker save archive`);
    }
    const entry = selectEntry(entries, suffix, reference);
    const image = await resolveEntry(archive, entry, options, reference);
    return {
      reference,
      manifest: async () => image.resolved,
      openBlob: (digest): Promise<Readable> => {
        // Docker 25+ archives are also OCI layouts: a digest not listed in manifest.json may still be a blob.
        return archive.stream(image.blobs.get(digest) ?? blobPath(digest, reference));
      },
      close: () => archive.close(),
    };
  } catch (err) {
    await archive.close();
    throw err;
  }
}

/** The image the suffix names (`name:tag`, or `@N` for the N-th image), or the only one. */
function selectEntry(entries: ManifestEntry[], selector: string | undefined, reference: string): ManifestEntry {
  const tags = () => entries.flatMap((e) => e.RepoTags ?? []).join(', ') || 'none';
  if (selector === undefined) {
    if (entries.length === 1) return entries[0]!;
    throw new PalisadeError('USAGE', `${reference}: the archive holds ${entries.length} images; name one as ${reference}:NAME:TAG or ${reference}:@N (tags: ${tags()})`);
  }
  if (/^@\d+$/.test(selector)) {
    const entry = entries[Number(selector.slice(1))];
    if (!entry) throw new PalisadeError('INPUT_NOT_FOUND', `${reference}: the archive holds ${entries.length} image(s); ${selector} is out of range`);
    return entry;
  }
  const wanted = canonical(selector);
  const entry = entries.find((e) => (e.RepoTags ?? []).some((t) => canonical(t) === wanted));
  if (!entry) throw new PalisadeError('INPUT_NOT_FOUND', `${reference}: no image tagged ${selector} in the archive (tags: ${tags()})`);
  return entry;
}

/** `alpine` and `docker.io/library/alpine:latest` name the same image. */
function canonical(tag: string): string {
  try {
    return formatRegistryReference(parseRegistryReference(tag));
  } catch {
    return tag;
  }
}

async function resolveEntry(
  archive: TarArchive,
  entry: ManifestEntry,
  options: LocalSourceOptions,
  reference: string,
): Promise<{ resolved: ResolvedImage; blobs: Map<string, string> }> {
  if (typeof entry.Config !== 'string' || !Array.isArray(entry.Layers)) {
    throw new PalisadeError('UNSUPPORTED_FORMAT', `${reference}: manifest.json entry without Config or Layers`);
  }
  const configBytes = await archive.read(entry.Config, MAX_METADATA_BYTES);
  const configDigest = sha256Digest(configBytes);
  const named = /([0-9a-f]{64})(?:\.json)?$/.exec(entry.Config);
  if (named) verifyDigest(configBytes, `sha256:${named[1]}`, `${reference}: config ${entry.Config}`);
  const config = parseJson<ImageConfig>(configBytes, `${reference}: config ${entry.Config}`);
  checkPlatform(config, options.platform, reference);
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== entry.Layers.length) {
    throw new PalisadeError('UNSUPPORTED_FORMAT', `${reference}: manifest.json lists ${entry.Layers.length} layers but the config has ${diffIds.length} diff_ids`);
  }

  const blobs = new Map<string, string>();
  const layers: Descriptor[] = [];
  for (const [i, path] of entry.Layers.entries()) {
    const layer = await describeLayer(archive, path, diffIds[i]!, reference);
    blobs.set(layer.digest, path);
    layers.push(layer);
  }
  const configDescriptor: Descriptor = { mediaType: MEDIA_TYPES.dockerConfig, digest: configDigest, size: configBytes.length };
  const oci = await ociManifestFor(archive, configDigest, reference);
  if (oci) return { resolved: { ...oci, config, configDigest }, blobs };
  const manifest: ImageManifest = { schemaVersion: 2, mediaType: MEDIA_TYPES.dockerManifest, config: configDescriptor, layers };
  return { resolved: { digest: configDigest, manifest, config, configDigest }, blobs };
}

/** The stored layer: its digest (given by a blobs/ path, else its diffID or its hash) and compression. */
async function describeLayer(archive: TarArchive, path: string, diffId: string, reference: string): Promise<Descriptor> {
  const size = await archive.size(path);
  if (size === undefined) throw new PalisadeError('INPUT_NOT_FOUND', `${reference}: layer ${path} is missing from the archive`);
  const magic = await archive.readRange(path, 0, 4);
  const compression = magic[0] === 0x1f && magic[1] === 0x8b ? 'gzip' : magic.length === 4 && magic.readUInt32LE(0) === 0xfd2fb528 ? 'zstd' : 'none';
  const mediaType = compression === 'gzip' ? MEDIA_TYPES.dockerLayerGzip : compression === 'zstd' ? MEDIA_TYPES.ociLayerZstd : MEDIA_TYPES.dockerLayer;
  const blob = /(?:^|\/)blobs\/sha256\/([0-9a-f]{64})$/.exec(path);
  // An uncompressed layer's blob digest is its diffID; a compressed one in a legacy layout must be hashed.
  const digest = blob ? `sha256:${blob[1]}` : compression === 'none' ? diffId : await hashMember(archive, path);
  return { mediaType, digest, size };
}

async function hashMember(archive: TarArchive, path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of await archive.stream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** Docker 25+ archives also hold the image's real OCI manifest: use it (and its digest) when present. */
async function ociManifestFor(archive: TarArchive, configDigest: string, reference: string): Promise<{ digest: string; manifest: ImageManifest } | undefined> {
  if ((await archive.size('index.json')) === undefined) return undefined;
  const index = parseJson<ImageIndex>(await archive.read('index.json', MAX_METADATA_BYTES), `${reference}: index.json`);
  for (const descriptor of index.manifests ?? []) {
    if (descriptor.mediaType !== MEDIA_TYPES.ociManifest && descriptor.mediaType !== MEDIA_TYPES.dockerManifest) continue;
    const path = blobPath(descriptor.digest, reference);
    if ((await archive.size(path)) === undefined) continue;
    const bytes = await archive.read(path, MAX_METADATA_BYTES);
    verifyDigest(bytes, descriptor.digest, `${reference}: manifest ${descriptor.digest}`);
    const manifest = parseJson<ImageManifest>(bytes, `${reference}: manifest ${descriptor.digest}`);
    if (manifest.config?.digest === configDigest) return { digest: descriptor.digest, manifest };
  }
  return undefined;
}
