/**
 * Tiny images built in the test: tar layers (tar-stream), gzip, a config and a manifest, in OCI
 * or Docker media types, pushed with the client under test.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import type { RegistryClient } from '../../../../src/image/registry/index.ts';
import { MEDIA_TYPES } from '../../../../src/image/types.ts';
import type { Descriptor, Platform } from '../../../../src/image/types.ts';

export const sha256 = (bytes: Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
export const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

export async function tarLayer(files: Record<string, string>): Promise<Buffer> {
  const archive = pack();
  for (const [name, content] of Object.entries(files)) {
    archive.entry({ name, mode: 0o644, mtime: new Date(0) }, content);
  }
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export interface BuiltImage {
  manifest: Buffer;
  manifestDigest: string;
  mediaType: string;
  config: Buffer;
  configDigest: string;
  layers: { blob: Buffer; digest: string; diffId: string }[];
  platform: Platform;
}

export async function buildImage(options: {
  platform?: Platform;
  layers: Record<string, string>[];
  format?: 'oci' | 'docker';
  /** Extra manifest fields (subject, artifactType, annotations). */
  extra?: Record<string, unknown>;
}): Promise<BuiltImage> {
  const platform = options.platform ?? { os: 'linux', architecture: 'amd64' };
  const oci = (options.format ?? 'oci') === 'oci';
  const layers = [];
  for (const files of options.layers) {
    const tar = await tarLayer(files);
    const blob = gzipSync(tar);
    layers.push({ blob, digest: sha256(blob), diffId: sha256(tar) });
  }
  const config = json({
    ...platform,
    created: '2024-01-01T00:00:00Z',
    config: { Env: ['PATH=/usr/bin'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((_, i) => ({ created_by: `RUN step ${i}` })),
  });
  const mediaType = oci ? MEDIA_TYPES.ociManifest : MEDIA_TYPES.dockerManifest;
  const manifest = json({
    schemaVersion: 2,
    mediaType,
    config: { mediaType: oci ? MEDIA_TYPES.ociConfig : MEDIA_TYPES.dockerConfig, digest: sha256(config), size: config.length },
    layers: layers.map((l) => ({
      mediaType: oci ? MEDIA_TYPES.ociLayerGzip : MEDIA_TYPES.dockerLayerGzip,
      digest: l.digest,
      size: l.blob.length,
    })),
    ...options.extra,
  });
  return { manifest, manifestDigest: sha256(manifest), mediaType, config, configDigest: sha256(config), layers, platform };
}

/** Pushes blobs then the manifest, under `tag` (or by digest when no tag is given). */
export async function pushImage(client: RegistryClient, repository: string, image: BuiltImage, tag?: string): Promise<string> {
  for (const layer of image.layers) await client.putBlob(repository, layer.blob);
  await client.putBlob(repository, image.config);
  const { digest } = await client.putManifest(repository, tag ?? image.manifestDigest, image.mediaType, image.manifest);
  return digest;
}

export function indexOf(images: BuiltImage[], format: 'oci' | 'docker' = 'oci'): { body: Buffer; mediaType: string } {
  const mediaType = format === 'oci' ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.dockerManifestList;
  const manifests: Descriptor[] = images.map((image) => ({
    mediaType: image.mediaType,
    digest: image.manifestDigest,
    size: image.manifest.length,
    platform: image.platform,
  }));
  return { body: json({ schemaVersion: 2, mediaType, manifests }), mediaType };
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}
