/**
 * OCI image layouts (https://github.com/opencontainers/image-spec/blob/main/image-layout.md):
 * `oci-layout`, `index.json` and content-addressed `blobs/<alg>/<hex>`, read from a directory
 * (`oci:DIR[:tag]`) or from a tar of one (`oci-archive:PATH[:tag]`). A tag selects the
 * index.json entry annotated `org.opencontainers.image.ref.name`; nested indexes are followed and
 * multi-platform indexes resolved with `--platform` (default linux/amd64). Every manifest, index and
 * config blob is checked against its digest.
 */
import { stat } from 'node:fs/promises';
import { PalisadeError, errorMessage } from '../../core/errors.ts';
import { blobPath, verifyDigest } from '../digest.ts';
import { DEFAULT_PLATFORM, formatPlatform, platformMatches, selectPlatform } from '../platform.ts';
import { MEDIA_TYPES, type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest, type ImageSource, type Platform, type ResolvedImage } from '../types.ts';
import { directoryFiles, MAX_METADATA_BYTES, type LayoutFiles } from './files.ts';
import { openTarArchive } from './tar-archive.ts';

export const REF_NAME = 'org.opencontainers.image.ref.name';
const CONTAINERD_NAME = 'io.containerd.image.name';

export interface LocalSourceOptions {
  /** Explicit `--platform`; when absent, indexes resolve to linux/amd64 and single images are taken as they are. */
  platform?: Platform;
}

/** `oci:DIR[:tag]`. */
export async function openOciDirectory(reference: string, spec: string, options: LocalSourceOptions): Promise<ImageSource> {
  const { path, suffix } = await splitPathSpec(spec, reference, async (p) => (await stat(p)).isDirectory());
  return ociLayoutSource(reference, directoryFiles(path, reference), suffix, options);
}

/** `oci-archive:PATH[:tag]`. */
export async function openOciArchive(reference: string, spec: string, options: LocalSourceOptions): Promise<ImageSource> {
  const { path, suffix } = await splitPathSpec(spec, reference, async (p) => (await stat(p)).isFile());
  const archive = await openTarArchive(path, reference);
  try {
    return await ociLayoutSource(reference, archive, suffix, options);
  } catch (err) {
    await archive.close();
    throw err;
  }
}

/**
 * Splits `path[:suffix]`: paths may contain colons, so the longest prefix that exists (and passes
 * `accept`) is the path and the rest the suffix.
 */
export async function splitPathSpec(
  spec: string,
  reference: string,
  accept: (path: string) => Promise<boolean>,
): Promise<{ path: string; suffix?: string }> {
  const ok = (p: string) => accept(p).catch(() => false);
  if (await ok(spec)) return { path: spec };
  for (let i = spec.lastIndexOf(':'); i > 0; i = spec.lastIndexOf(':', i - 1)) {
    if (await ok(spec.slice(0, i))) return { path: spec.slice(0, i), suffix: spec.slice(i + 1) };
  }
  throw new PalisadeError('INPUT_NOT_FOUND', `${reference}: ${spec} does not exist`);
}

export async function ociLayoutSource(reference: string, files: LayoutFiles, tag: string | undefined, options: LocalSourceOptions): Promise<ImageSource> {
  if ((await files.size('oci-layout')) === undefined) {
    throw new PalisadeError('UNSUPPORTED_FORMAT', `${reference}: not an OCI image layout (no oci-layout file)`);
  }
  const index = parseJson<ImageIndex>(await files.read('index.json', MAX_METADATA_BYTES), `${reference}: index.json`);
  if (!Array.isArray(index.manifests)) throw new PalisadeError('UNSUPPORTED_FORMAT', `${reference}: index.json has no manifests`);
  const top = selectTagged(index.manifests, tag, reference);
  let resolved: Promise<ResolvedImage> | undefined;
  return {
    reference,
    manifest: () => (resolved ??= resolve(files, top, options, reference)),
    openBlob: (digest) => files.stream(blobPath(digest, reference)),
    close: () => files.close(),
  };
}

/** The index.json entry (or, for a multi-platform index.json, the index itself) that the tag names. */
function selectTagged(manifests: Descriptor[], tag: string | undefined, reference: string): Descriptor | Descriptor[] {
  if (tag !== undefined) {
    const matching = manifests.filter((d) => {
      const name = d.annotations?.[REF_NAME];
      const full = d.annotations?.[CONTAINERD_NAME];
      return name === tag || full === tag || (full !== undefined && full.endsWith(`:${tag}`));
    });
    if (matching.length === 0) {
      throw new PalisadeError('INPUT_NOT_FOUND', `${reference}: no image tagged "${tag}"; tags in the layout: ${tagList(manifests)}`);
    }
    return matching.length === 1 ? matching[0]! : matching;
  }
  // Signatures and attestations stored beside the image (cosign's `sha256-<hex>[.sig|.att|.sbom]`
  // tags, untagged referrers with an artifactType) are not images to scan.
  manifests = manifests.filter((d) => !isSignatureEntry(d));
  if (manifests.length === 1) return manifests[0]!;
  // Several entries and no tag: fine when they are the platforms of one image, ambiguous otherwise.
  const names = new Set(manifests.map((d) => d.annotations?.[REF_NAME]).filter((n) => n !== undefined));
  if (names.size > 1) {
    throw new PalisadeError('USAGE', `${reference}: the layout holds ${names.size} images; name one as ${reference}:TAG (tags: ${tagList(manifests)})`);
  }
  if (manifests.length === 0) throw new PalisadeError('INPUT_NOT_FOUND', `${reference}: index.json lists no images`);
  if (!manifests.some((d) => d.platform)) {
    throw new PalisadeError('USAGE', `${reference}: the layout holds ${manifests.length} untagged images; cannot tell which to scan`);
  }
  return manifests;
}

const SIGNATURE_TAG = /^sha(256|512)-[0-9a-f]+(\.(sig|att|sbom))?$/;

function isSignatureEntry(d: Descriptor): boolean {
  const name = d.annotations?.[REF_NAME];
  return name !== undefined ? SIGNATURE_TAG.test(name) : d.artifactType !== undefined;
}

function tagList(manifests: Descriptor[]): string {
  const tags = [...new Set(manifests.map((d) => d.annotations?.[REF_NAME]).filter((n) => n !== undefined))];
  return tags.length > 0 ? tags.join(', ') : 'none';
}

const MAX_INDEX_DEPTH = 8;

async function resolve(files: LayoutFiles, top: Descriptor | Descriptor[], options: LocalSourceOptions, reference: string): Promise<ResolvedImage> {
  let descriptor = Array.isArray(top) ? selectPlatform(top, options.platform ?? DEFAULT_PLATFORM, reference) : top;
  for (let depth = 0; depth < MAX_INDEX_DEPTH; depth++) {
    const bytes = await readBlob(files, descriptor, reference);
    const document = parseJson<Partial<ImageIndex & ImageManifest>>(bytes, `${reference}: ${descriptor.digest}`);
    const kind = documentKind(descriptor.mediaType ?? document.mediaType, document);
    if (kind === 'index') {
      const manifests = document.manifests ?? [];
      // An index entry without platforms (an index wrapping a single manifest or index) is followed as is.
      descriptor =
        manifests.length === 1 && !manifests[0]!.platform
          ? manifests[0]!
          : selectPlatform(manifests, options.platform ?? DEFAULT_PLATFORM, reference);
      continue;
    }
    if (kind !== 'manifest') {
      throw new PalisadeError('UNSUPPORTED_FORMAT', `${reference}: ${descriptor.digest} has media type ${descriptor.mediaType ?? '(none)'}, not an image manifest or index`);
    }
    const manifest = document as ImageManifest;
    if (!manifest.config?.digest || !Array.isArray(manifest.layers)) {
      throw new PalisadeError('UNSUPPORTED_FORMAT', `${reference}: manifest ${descriptor.digest} has no config or layers`);
    }
    const config = parseJson<ImageConfig>(await readBlob(files, manifest.config, reference), `${reference}: config ${manifest.config.digest}`);
    checkPlatform(config, options.platform, reference);
    return { digest: descriptor.digest, manifest, config, configDigest: manifest.config.digest };
  }
  throw new PalisadeError('UNSUPPORTED_FORMAT', `${reference}: image indexes nested deeper than ${MAX_INDEX_DEPTH} levels`);
}

function documentKind(mediaType: string | undefined, document: object): 'index' | 'manifest' | 'other' {
  if (mediaType === MEDIA_TYPES.ociIndex || mediaType === MEDIA_TYPES.dockerManifestList) return 'index';
  if (mediaType === MEDIA_TYPES.ociManifest || mediaType === MEDIA_TYPES.dockerManifest) return 'manifest';
  if (mediaType !== undefined) return 'other';
  // The media type is optional in OCI documents; the shape tells them apart.
  if ('manifests' in document) return 'index';
  if ('layers' in document) return 'manifest';
  return 'other';
}

/** An explicit --platform must match a single-platform image too; silently scanning another platform would mislead. */
export function checkPlatform(config: ImageConfig, wanted: Platform | undefined, reference: string): void {
  if (!wanted || !config.os || !config.architecture) return;
  const actual: Platform = { os: config.os, architecture: config.architecture, ...(config.variant && { variant: config.variant }) };
  if (!platformMatches(wanted, actual)) {
    throw new PalisadeError('INPUT_NOT_FOUND', `${reference}: the image is ${formatPlatform(actual)}, not ${formatPlatform(wanted)}; available: ${formatPlatform(actual)}`);
  }
}

async function readBlob(files: LayoutFiles, descriptor: Descriptor, reference: string): Promise<Buffer> {
  const bytes = await files.read(blobPath(descriptor.digest, reference), MAX_METADATA_BYTES);
  verifyDigest(bytes, descriptor.digest, `${reference}: blob ${descriptor.digest}`);
  return bytes;
}

export function parseJson<T>(bytes: Buffer, context: string): T {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    if (typeof value !== 'object' || value === null) throw new Error('not a JSON object');
    return value as T;
  } catch (err) {
    throw new PalisadeError('UNSUPPORTED_FORMAT', `${context}: invalid JSON: ${errorMessage(err)}`, { cause: err });
  }
}
