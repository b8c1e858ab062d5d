/**
 * Reading one layer: the stored blob is streamed from the source, hashed (blob digest), decompressed
 * (gzip or zstd with node:zlib, or plain tar), hashed again (diffID) and split into tar entries
 * with tar-stream, all in one pass and without touching the disk. Both digests are compared when
 * the stream ends; a mismatch or a broken stream is a PalisadeError naming the image and the layer,
 * and since the caller only builds its result after every layer has been read, a bad layer never
 * yields a partial filesystem.
 */
import { createHash, type Hash } from 'node:crypto';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import tar from 'tar-stream';
import { PalisadeError, errorMessage } from '../core/errors.ts';
import { parseDigest } from './digest.ts';
import type { ImageConfig, ImageManifest, ImageSource, LayerRef } from './types.ts';

export interface LayerEntry {
  /** Root-relative, `/`-separated, normalised (no leading `/`, `./` or `..`). */
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';
  size: number;
  /** Symlinks: the target as written. Hardlinks: the root-relative path of the linked file. */
  linkname?: string;
}

/**
 * Called for every entry in tar order. `content` (regular files only) is the entry's data: read it
 * to the end before returning, or not at all (unread data is skipped without buffering; breaking
 * out of it half-way would abort the layer). Return `false` to stop reading the layer (then the
 * digests are not checked).
 */
export type EntryVisitor = (entry: LayerEntry, content: AsyncIterable<Buffer> | undefined) => Promise<boolean | void> | boolean | void;

/** Problems with single entries that do not stop the layer (path traversal, odd names). */
export type EntryWarning = (message: string) => void;

const CHUNK_BYTES = 1024 * 1024;

const LAYER_MEDIA_TYPE =
  /^application\/vnd\.(?:oci\.image\.layer(?:\.nondistributable)?\.v1\.tar|docker\.image\.rootfs\.(?:foreign\.)?diff\.tar)(\+gzip|\+zstd|\.gzip)?$/;

/** The layers of a manifest, with their diffIDs and the history step that created each. */
export function layerRefs(manifest: ImageManifest, config: ImageConfig, image: string): LayerRef[] {
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length) {
    throw new PalisadeError(
      'UNSUPPORTED_FORMAT',
      `${image}: the manifest lists ${manifest.layers.length} layers but the config has ${diffIds.length} diff_ids`,
    );
  }
  // History steps with empty_layer (ENV, LABEL, CMD …) made no layer; the others pair with the layers in order.
  const history = (config.history ?? []).filter((h) => !h.empty_layer);
  return manifest.layers.map((descriptor, i) => {
    const layer: LayerRef = { digest: descriptor.digest, diffId: diffIds[i]!, mediaType: descriptor.mediaType, size: descriptor.size };
    const createdBy = history[i]?.created_by;
    if (createdBy !== undefined) layer.createdBy = createdBy;
    return layer;
  });
}

export function layerLabel(layer: LayerRef, index: number): string {
  return `layer ${index + 1} (${layer.digest})`;
}

/** Streams one layer through `visit`, verifying its blob digest and diffID. */
export async function readLayer(
  source: ImageSource,
  layer: LayerRef,
  index: number,
  visit: EntryVisitor,
  warn: EntryWarning = () => {},
): Promise<void> {
  const where = `${source.reference}: ${layerLabel(layer, index)}`;
  const compression = compressionOf(layer.mediaType, where);
  // The registry client verifies blobs itself; local sources leave it to this reader.
  const blobHash = source.verifiesBlobs ? undefined : createHash(parseDigest(layer.digest, where).algorithm);
  const diffHash = createHash(parseDigest(layer.diffId, `${where} diffID`).algorithm);
  const blob = await source.openBlob(layer.digest);
  const extract = tar.extract();
  // Hashes are fed by 'data' listeners beside the pipe rather than by extra Transform stages:
  // every stage costs a buffer and a callback per chunk.
  if (blobHash) blob.on('data', (chunk: Buffer) => blobHash.update(chunk));
  const stages: (NodeJS.ReadableStream | NodeJS.ReadWriteStream | NodeJS.WritableStream)[] = [blob];
  const decompress =
    compression === 'gzip'
      ? createGunzip({ chunkSize: CHUNK_BYTES }) // large chunks: with the 16 KiB default, zlib's per-chunk callbacks dominate
      : compression === 'zstd'
        ? createZstdDecompress({ chunkSize: CHUNK_BYTES })
        : undefined;
  if (decompress) stages.push(decompress);
  (decompress ?? blob).on('data', (chunk: Buffer) => diffHash.update(chunk));
  stages.push(extract as unknown as NodeJS.WritableStream);

  const flowing = pipeline(stages as [Readable, ...NodeJS.WritableStream[]]);
  let stopped = false;
  try {
    for await (const stream of extract) {
      const entry = toEntry(stream.header, warn, where);
      const keepGoing = entry ? await visit(entry, entry.type === 'file' ? (stream as AsyncIterable<Buffer>) : undefined) : true;
      stream.resume(); // skips whatever the visitor did not read
      if (keepGoing === false) {
        stopped = true;
        break;
      }
    }
    if (stopped) {
      blob.destroy();
      await flowing.catch(() => {});
      return;
    }
    await flowing;
  } catch (err) {
    blob.destroy();
    await flowing.catch(() => {});
    if (err instanceof PalisadeError) throw err;
    throw new PalisadeError('INPUT_UNREADABLE', `${where}: cannot read the layer (truncated or corrupt?): ${errorMessage(err)}`, { cause: err });
  }
  if (blobHash) checkDigest(blobHash, layer.digest, `${where}: blob digest mismatch`);
  checkDigest(diffHash, layer.diffId, `${where}: diffID mismatch (the uncompressed layer does not match the config's rootfs.diff_ids)`);
}

function compressionOf(mediaType: string, where: string): 'gzip' | 'zstd' | 'none' {
  const m = LAYER_MEDIA_TYPE.exec(mediaType);
  if (!m) throw new PalisadeError('UNSUPPORTED_FORMAT', `${where}: unknown layer media type "${mediaType}"`);
  return m[1] === '+zstd' ? 'zstd' : m[1] === undefined ? 'none' : 'gzip';
}

function checkDigest(hash: Hash, expected: string, message: string): void {
  const actual = hash.digest('hex');
  const { algorithm, hex } = parseDigest(expected, message);
  if (actual !== hex) throw new PalisadeError('INPUT_UNREADABLE', `${message}: expected ${expected}, got ${algorithm}:${actual}`);
}

function toEntry(header: tar.Header, warn: EntryWarning, where: string): LayerEntry | undefined {
  const path = cleanPath(header.name);
  if (path === undefined) {
    warn(`${where}: skipped entry "${header.name}": its path leaves the image root`);
    return undefined;
  }
  if (path === '') return undefined; // the root directory itself
  const entry: LayerEntry = { path, type: entryType(header.type), size: header.size ?? 0 };
  if (entry.type === 'symlink') entry.linkname = header.linkname ?? '';
  if (entry.type === 'hardlink') {
    const target = cleanPath(header.linkname ?? '');
    if (!target) {
      warn(`${where}: skipped hardlink "${header.name}": its target "${header.linkname ?? ''}" leaves the image root`);
      return undefined;
    }
    entry.linkname = target;
  }
  return entry;
}

function entryType(type: tar.Header['type']): LayerEntry['type'] {
  switch (type) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'directory':
      return 'directory';
    case 'symlink':
      return 'symlink';
    case 'link':
      return 'hardlink';
    default:
      return 'other';
  }
}

/** Root-relative normal form; undefined when `..` would climb above the root (path traversal). */
export function cleanPath(name: string): string | undefined {
  const normalized = posix.normalize(`./${name}`).replace(/\/+$/, '');
  if (normalized === '..' || normalized.startsWith('../')) return undefined;
  return normalized === '.' ? '' : normalized.replace(/^\/+/, '');
}
