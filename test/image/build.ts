/**
 * Builds small container images in tests: layer tars written with tar-stream, compressed with
 * node:zlib, and the image written as an OCI layout, an OCI archive or a `docker save` archive
 * (legacy or Docker 25+ layout). Everything is real format, no mocks: the same bytes skopeo or
 * docker would read.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import tar from 'tar-stream';
import { MEDIA_TYPES, type Descriptor, type Platform } from '../../src/image/types.ts';

export type TestEntry =
  | { path: string; content: string | Buffer }
  | { path: string; dir: true }
  | { path: string; symlink: string }
  | { path: string; hardlink: string };

export interface TestLayer {
  entries: TestEntry[];
  compression: 'gzip' | 'zstd' | 'none';
  createdBy: string;
}

export interface BuiltLayer {
  blob: Buffer;
  digest: string;
  diffId: string;
  mediaType: string;
}

export interface BuiltImage {
  layers: BuiltLayer[];
  config: Buffer;
  configDigest: string;
  manifest: Buffer;
  manifestDigest: string;
  platform: Platform;
}

export const digestOf = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export async function tarOf(entries: TestEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const e of entries) {
    if ('content' in e) pack.entry({ name: e.path, mode: 0o644 }, e.content);
    else if ('dir' in e) pack.entry({ name: e.path, type: 'directory', mode: 0o755 });
    else if ('symlink' in e) pack.entry({ name: e.path, type: 'symlink', linkname: e.symlink });
    else pack.entry({ name: e.path, type: 'link', linkname: e.hardlink });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const LAYER_TYPES = { gzip: MEDIA_TYPES.ociLayerGzip, zstd: MEDIA_TYPES.ociLayerZstd, none: MEDIA_TYPES.ociLayer };

export async function buildImage(
  layers: TestLayer[],
  options: { platform?: Platform; emptySteps?: boolean; corruptDiffId?: number } = {},
): Promise<BuiltImage> {
  const platform = options.platform ?? { os: 'linux', architecture: 'amd64' };
  const built: BuiltLayer[] = [];
  for (const layer of layers) {
    const raw = await tarOf(layer.entries);
    const blob = layer.compression === 'gzip' ? gzipSync(raw) : layer.compression === 'zstd' ? zstdCompressSync(raw) : raw;
    built.push({ blob, digest: digestOf(blob), diffId: digestOf(raw), mediaType: LAYER_TYPES[layer.compression] });
  }
  const history = layers.flatMap((l, i) => [
    { created_by: l.createdBy },
    // Steps that make no layer (ENV, LABEL): they must be skipped when pairing history with layers.
    ...(options.emptySteps !== false ? [{ created_by: `/bin/sh -c #(nop) ENV STEP=${i}`, empty_layer: true }] : []),
  ]);
  const diffIds = built.map((l, i) => (i === options.corruptDiffId ? `sha256:${'0'.repeat(64)}` : l.diffId));
  const config = Buffer.from(
    JSON.stringify({
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant && { variant: platform.variant }),
      config: { Env: ['PATH=/usr/bin'], Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: diffIds },
      history,
    }),
  );
  const configDigest = digestOf(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: MEDIA_TYPES.ociConfig, digest: configDigest, size: config.length },
      layers: built.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.blob.length })),
    }),
  );
  return { layers: built, config, configDigest, manifest, manifestDigest: digestOf(manifest), platform };
}

/** The blobs of an image, by digest. */
function blobsOf(image: BuiltImage): Map<string, Buffer> {
  const blobs = new Map<string, Buffer>([
    [image.configDigest, image.config],
    [image.manifestDigest, image.manifest],
  ]);
  for (const l of image.layers) blobs.set(l.digest, l.blob);
  return blobs;
}

export function manifestDescriptor(image: BuiltImage, extra: Partial<Descriptor> = {}): Descriptor {
  return { mediaType: MEDIA_TYPES.ociManifest, digest: image.manifestDigest, size: image.manifest.length, ...extra };
}

/** Files of an OCI layout (path → bytes) holding `index` as index.json and the given blobs. */
export function ociLayoutFiles(index: object, blobs: Map<string, Buffer>): Map<string, Buffer> {
  const files = new Map<string, Buffer>([
    ['oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}')],
    ['index.json', Buffer.from(JSON.stringify(index))],
  ]);
  for (const [digest, bytes] of blobs) files.set(`blobs/sha256/${digest.slice('sha256:'.length)}`, bytes);
  return files;
}

/** One tagged image as an OCI layout's files. */
export function singleImageLayout(image: BuiltImage, tag = 'latest'): Map<string, Buffer> {
  const index = { schemaVersion: 2, manifests: [manifestDescriptor(image, { annotations: { 'org.opencontainers.image.ref.name': tag } })] };
  return ociLayoutFiles(index, blobsOf(image));
}

/** Several platforms of one image behind an index blob, nested under index.json (as buildx writes it). */
export function multiPlatformLayout(images: BuiltImage[], tag = 'latest'): Map<string, Buffer> {
  const blobs = new Map<string, Buffer>();
  for (const image of images) for (const [d, b] of blobsOf(image)) blobs.set(d, b);
  const inner = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociIndex,
      manifests: [
        ...images.map((image) => manifestDescriptor(image, { platform: image.platform })),
        // A buildkit attestation manifest: never an image to scan.
        {
          mediaType: MEDIA_TYPES.ociManifest,
          digest: images[0]!.manifestDigest,
          size: images[0]!.manifest.length,
          platform: { os: 'unknown', architecture: 'unknown' },
          annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
        },
      ],
    }),
  );
  blobs.set(digestOf(inner), inner);
  const index = {
    schemaVersion: 2,
    manifests: [
      { mediaType: MEDIA_TYPES.ociIndex, digest: digestOf(inner), size: inner.length, annotations: { 'org.opencontainers.image.ref.name': tag } },
    ],
  };
  return ociLayoutFiles(index, blobs);
}

export function writeFiles(dir: string, files: Map<string, Buffer>): string {
  for (const [path, bytes] of files) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), bytes);
  }
  return dir;
}

export async function tarOfFiles(files: Map<string, Buffer>): Promise<Buffer> {
  return tarOf([...files].map(([path, content]) => ({ path, content })));
}

/**
 * A `docker save` archive. `legacy`: `<id>.json` config and `<id>/layer.tar` layers (docker
 * before 25, skopeo); otherwise Docker 25+'s OCI layout with manifest.json beside index.json.
 * Docker always stores layers uncompressed; `keepCompression` stores them as built instead.
 */
export async function dockerArchive(
  image: BuiltImage,
  options: { legacy: boolean; repoTags?: string[]; keepCompression?: boolean },
): Promise<Buffer> {
  const stored = image.layers.map((l) => {
    if (options.keepCompression) return l.blob;
    if (l.mediaType.endsWith('+gzip')) return gunzipSync(l.blob);
    if (l.mediaType.endsWith('+zstd')) return zstdDecompressSync(l.blob);
    return l.blob;
  });
  const repoTags = options.repoTags ?? ['example.com/test/app:1.0'];
  const entries: TestEntry[] = [];
  if (options.legacy) {
    const configName = `${image.configDigest.slice(7)}.json`;
    const layerPaths = stored.map((_, i) => `layer${i}/layer.tar`);
    entries.push({ path: configName, content: image.config });
    stored.forEach((bytes, i) => entries.push({ path: layerPaths[i]!, content: bytes }));
    entries.push({ path: 'manifest.json', content: JSON.stringify([{ Config: configName, RepoTags: repoTags, Layers: layerPaths }]) });
    return tarOf(entries);
  }
  // Docker 25+: the blobs as stored, a manifest describing them, and both index.json and manifest.json.
  const layers = stored.map((bytes, i) => ({
    bytes,
    digest: digestOf(bytes),
    mediaType: bytes === image.layers[i]!.blob ? image.layers[i]!.mediaType : MEDIA_TYPES.ociLayer,
  }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: MEDIA_TYPES.ociConfig, digest: image.configDigest, size: image.config.length },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.bytes.length })),
    }),
  );
  const blobs = new Map<string, Buffer>([
    [image.configDigest, image.config],
    [digestOf(manifest), manifest],
  ]);
  for (const l of layers) blobs.set(l.digest, l.bytes);
  const index = { schemaVersion: 2, manifests: [{ mediaType: MEDIA_TYPES.ociManifest, digest: digestOf(manifest), size: manifest.length }] };
  const files = ociLayoutFiles(index, blobs);
  files.set(
    'manifest.json',
    Buffer.from(JSON.stringify([{ Config: `blobs/sha256/${image.configDigest.slice(7)}`, RepoTags: repoTags, Layers: layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`) }])),
  );
  return tarOfFiles(files);
}

export const OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n';

/**
 * The sample image: a gzip base layer (Debian-like: os-release behind a symlink, a dpkg status,
 * files later deleted), an uncompressed layer that installs an npm package, deletes a file with a
 * whiteout and replaces a directory's content with an opaque whiteout, and a zstd layer with a
 * Python package and an absolute symlink.
 */
export function sampleLayers(): TestLayer[] {
  return [
    {
      compression: 'gzip',
      createdBy: '/bin/sh -c #(nop) ADD file:rootfs.tar.gz in /',
      entries: [
        { path: 'etc/', dir: true },
        { path: 'usr/lib/os-release', content: OS_RELEASE },
        { path: 'etc/os-release', symlink: '../usr/lib/os-release' },
        { path: 'var/lib/dpkg/status', content: 'Package: base-files\nStatus: install ok installed\nVersion: 12.4\n' },
        { path: 'tmp/delete-me.txt', content: 'gone in layer 2' },
        { path: 'opt/old/a.txt', content: 'a' },
        { path: 'opt/old/sub/b.txt', content: 'b' },
        { path: 'usr/bin/tool', content: 'tool binary' },
        { path: 'lib', symlink: 'usr/lib' },
      ],
    },
    {
      compression: 'none',
      createdBy: 'RUN npm install lodash',
      entries: [
        { path: 'app/node_modules/lodash/package.json', content: JSON.stringify({ name: 'lodash', version: '4.17.21', license: 'MIT' }) },
        { path: 'tmp/.wh.delete-me.txt', content: '' },
        { path: 'opt/old/.wh..wh..opq', content: '' },
        { path: 'opt/old/c.txt', content: 'c' },
        { path: 'usr/bin/tool-link', hardlink: 'usr/bin/tool' },
      ],
    },
    {
      compression: 'zstd',
      createdBy: 'RUN pip install requests',
      entries: [
        {
          path: 'usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA',
          content: 'Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nLicense: Apache-2.0\n',
        },
        { path: 'etc/alternatives/python', symlink: '/usr/lib/python3' },
      ],
    },
  ];
}
