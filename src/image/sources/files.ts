/**
 * Read access to the files of an image layout, wherever they are: a directory (`oci:DIR`) or the
 * members of a tar archive (`oci-archive:`, `docker-archive:`). Paths are `/`-separated and
 * relative to the layout root; nothing outside the root is ever read.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { PalisadeError } from '../../core/errors.ts';

export interface LayoutFiles {
  /** How errors name the layout (the path the user gave). */
  readonly label: string;
  /** Size of a regular file, undefined when there is none at `path`. */
  size(path: string): Promise<number | undefined>;
  /** A whole (small) file; a PalisadeError when it is missing or larger than `maxBytes`. */
  read(path: string, maxBytes: number): Promise<Buffer>;
  /** `length` bytes from `position` (for magic-number checks). */
  readRange(path: string, position: number, length: number): Promise<Buffer>;
  /** The file as a stream; a PalisadeError when it is missing. */
  stream(path: string): Promise<Readable>;
  close(): Promise<void>;
}

/** Metadata and JSON documents of an image are small; anything bigger is not what we expect. */
export const MAX_METADATA_BYTES = 16 * 1024 * 1024;

/** Blob streams read 1 MiB at a time: fewer, larger chunks through the decompress-hash-untar pipeline. */
export const READ_CHUNK_BYTES = 1024 * 1024;

export function missing(label: string, path: string): PalisadeError {
  return new PalisadeError('INPUT_NOT_FOUND', `${label}: ${path} is missing`);
}

export function tooLarge(label: string, path: string, maxBytes: number): PalisadeError {
  return new PalisadeError('INPUT_UNREADABLE', `${label}: ${path} is larger than ${maxBytes} bytes; not an image metadata file`);
}

/** A layout unpacked in a directory. */
export function directoryFiles(root: string, label: string): LayoutFiles {
  const absolute = resolve(root);
  const locate = (path: string): string => {
    const full = join(absolute, path);
    const rel = relative(absolute, full);
    if (rel.startsWith('..') || rel.startsWith(sep)) throw new PalisadeError('INPUT_UNREADABLE', `${label}: ${path} points outside the layout`);
    return full;
  };
  const size = async (path: string) => {
    try {
      const info = await stat(locate(path));
      return info.isFile() ? info.size : undefined;
    } catch {
      return undefined;
    }
  };
  const readRange = async (path: string, position: number, length: number) => {
    const handle = await open(locate(path), 'r').catch(() => {
      throw missing(label, path);
    });
    try {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  };
  return {
    label,
    size,
    readRange,
    read: async (path, maxBytes) => {
      const bytes = await size(path);
      if (bytes === undefined) throw missing(label, path);
      if (bytes > maxBytes) throw tooLarge(label, path, maxBytes);
      return readRange(path, 0, bytes);
    },
    stream: async (path) => {
      if ((await size(path)) === undefined) throw missing(label, path);
      return createReadStream(locate(path), { highWaterMark: READ_CHUNK_BYTES });
    },
    close: async () => {},
  };
}
