/**
 * Random access to the members of a tar archive on disk without extracting it: one pass over the
 * headers (they sit on 512-byte boundaries, and a header gives the size of the data that follows,
 * so the data itself is skipped, never read) records where each member's data starts; members are
 * then read as byte ranges of the file. A gzip- or zstd-compressed archive (`docker save | gzip`)
 * cannot be seeked, so it is decompressed once into a private temporary file first.
 *
 * Header layout: POSIX ustar (name, size, typeflag, linkname, prefix), pax extended headers (`x`:
 * path, linkpath, size) and GNU long names (`L`, `K`), with base-256 sizes for members over 8 GiB.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import { PalisadeError, errorMessage } from '../../core/errors.ts';
import { missing, READ_CHUNK_BYTES, tooLarge, type LayoutFiles } from './files.ts';

const BLOCK = 512;

export interface TarMember {
  name: string;
  /** Offset of the member's data in the (uncompressed) archive file. */
  offset: number;
  size: number;
  type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';
  linkname?: string;
}

export interface TarArchive extends LayoutFiles {
  /** Every member, by normalised path (no leading `./` or `/`). */
  readonly members: ReadonlyMap<string, TarMember>;
}

/** Opens `path` (plain, gzip or zstd tar) and indexes its members. `label` names it in errors. */
export async function openTarArchive(path: string, label: string): Promise<TarArchive> {
  let handle = await open(path, 'r').catch((err: unknown) => {
    throw new PalisadeError('INPUT_NOT_FOUND', `${label}: cannot open ${path}: ${errorMessage(err)}`, { cause: err });
  });
  let file = path;
  let tempDir: string | undefined;
  try {
    const magic = Buffer.alloc(4);
    await handle.read(magic, 0, 4, 0);
    const decompressor = compressionOf(magic);
    if (decompressor) {
      await handle.close();
      tempDir = await mkdtemp(join(tmpdir(), 'palisade-archive-'));
      file = join(tempDir, 'archive.tar');
      await pipeline(createReadStream(path), decompressor(), createWriteStream(file, { mode: 0o600 })).catch((err: unknown) => {
        throw new PalisadeError('INPUT_UNREADABLE', `${label}: cannot decompress the archive (truncated or corrupt?): ${errorMessage(err)}`, {
          cause: err,
        });
      });
      handle = await open(file, 'r');
    }
    const members = await indexMembers(handle, label);
    return archive(handle, file, members, label, tempDir);
  } catch (err) {
    await handle.close().catch(() => {});
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
    throw err;
  }
}

function compressionOf(magic: Buffer): (() => NodeJS.ReadWriteStream) | undefined {
  if (magic[0] === 0x1f && magic[1] === 0x8b) return createGunzip;
  if (magic.readUInt32LE(0) === 0xfd2fb528) return createZstdDecompress;
  return undefined;
}

export function normalizeMemberName(name: string): string {
  const normalized = posix.normalize(name.replace(/^\/+/, '')).replace(/\/+$/, '');
  return normalized === '.' ? '' : normalized;
}

async function indexMembers(handle: FileHandle, label: string): Promise<Map<string, TarMember>> {
  const { size: fileSize } = await handle.stat();
  const members = new Map<string, TarMember>();
  const header = Buffer.alloc(BLOCK);
  let offset = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Record<string, string> = {};
  const truncated = (what: string) =>
    new PalisadeError('INPUT_UNREADABLE', `${label}: truncated archive: ${what} at byte ${offset} runs past the end of the file (${fileSize} bytes)`);

  while (offset < fileSize) {
    if (offset + BLOCK > fileSize) throw truncated('a header');
    await handle.read(header, 0, BLOCK, offset);
    if (header.every((b) => b === 0)) break; // end-of-archive marker
    if (!checksumOk(header)) {
      throw new PalisadeError('INPUT_UNREADABLE', `${label}: not a tar archive, or corrupt at byte ${offset} (bad header checksum)`);
    }
    const size = parseSize(header.subarray(124, 136));
    const type = String.fromCharCode(header[156]!);
    const dataOffset = offset + BLOCK;
    if (dataOffset + size > fileSize) throw truncated(`member "${readName(header)}"`);
    offset = dataOffset + Math.ceil(size / BLOCK) * BLOCK;

    if (type === 'x' || type === 'L' || type === 'K' || type === 'g') {
      const data = Buffer.alloc(size);
      await handle.read(data, 0, size, dataOffset);
      if (type === 'x') pax = parsePax(data);
      else if (type === 'L') longName = cString(data);
      else if (type === 'K') longLink = cString(data);
      continue;
    }

    const name = normalizeMemberName(pax.path ?? longName ?? readName(header));
    const linkname = pax.linkpath ?? longLink ?? cString(header.subarray(157, 257));
    const realSize = pax.size !== undefined ? Number(pax.size) : size;
    if (pax.size !== undefined) {
      // A pax size overrides the header's (for members over 8 GiB); the data follows at its length.
      if (dataOffset + realSize > fileSize) throw truncated(`member "${name}"`);
      offset = dataOffset + Math.ceil(realSize / BLOCK) * BLOCK;
    }
    pax = {};
    longName = longLink = undefined;
    const member: TarMember = { name, offset: dataOffset, size: realSize, type: memberType(type) };
    if (member.type === 'symlink' || member.type === 'hardlink') member.linkname = linkname;
    members.set(name, member);
  }
  return members;
}

function memberType(flag: string): TarMember['type'] {
  switch (flag) {
    case '0':
    case '\0':
    case '7':
      return 'file';
    case '5':
      return 'directory';
    case '2':
      return 'symlink';
    case '1':
      return 'hardlink';
    default:
      return 'other';
  }
}

function cString(buffer: Buffer): string {
  const end = buffer.indexOf(0);
  return buffer.toString('utf8', 0, end === -1 ? buffer.length : end);
}

function readName(header: Buffer): string {
  const name = cString(header.subarray(0, 100));
  // POSIX ustar ("ustar\0") has a prefix field; old GNU tar ("ustar  ") uses those bytes otherwise.
  const ustar = header.toString('latin1', 257, 263) === 'ustar\0';
  const prefix = ustar ? cString(header.subarray(345, 500)) : '';
  return prefix ? `${prefix}/${name}` : name;
}

/** Octal, or base-256 when the top bit of the first byte is set (GNU extension for big sizes). */
function parseSize(field: Buffer): number {
  if (field[0]! & 0x80) {
    let value = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
    return value;
  }
  const text = cString(field).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function checksumOk(header: Buffer): boolean {
  const stored = parseInt(cString(header.subarray(148, 156)).trim(), 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  return stored === sum;
}

/** pax records: `<length> <key>=<value>\n`, the length counting the whole record. */
function parsePax(data: Buffer): Record<string, string> {
  const result: Record<string, string> = {};
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    if (space === -1) break;
    const length = parseInt(data.toString('latin1', i, space), 10);
    if (!(length > 0)) break;
    const record = data.toString('utf8', space + 1, i + length - 1);
    const eq = record.indexOf('=');
    if (eq !== -1) result[record.slice(0, eq)] = record.slice(eq + 1);
    i += length;
  }
  return result;
}

function archive(handle: FileHandle, file: string, members: Map<string, TarMember>, label: string, tempDir: string | undefined): TarArchive {
  /** Follows symlinks (relative to the member's directory) and hardlinks (archive paths), bounded. */
  const resolveMember = (path: string): TarMember | undefined => {
    let member = members.get(normalizeMemberName(path));
    for (let depth = 0; member && member.type !== 'file' && depth < 16; depth++) {
      if (member.type === 'symlink') member = members.get(normalizeMemberName(posix.join(posix.dirname(member.name), member.linkname!)));
      else if (member.type === 'hardlink') member = members.get(normalizeMemberName(member.linkname!));
      else return undefined;
    }
    return member?.type === 'file' ? member : undefined;
  };
  const readRange = async (path: string, position: number, length: number): Promise<Buffer> => {
    const member = resolveMember(path);
    if (!member) throw missing(label, path);
    const n = Math.max(0, Math.min(length, member.size - position));
    const buffer = Buffer.alloc(n);
    if (n > 0) await handle.read(buffer, 0, n, member.offset + position);
    return buffer;
  };
  let closed = false;
  return {
    label,
    members,
    size: async (path) => resolveMember(path)?.size,
    readRange,
    read: async (path, maxBytes) => {
      const member = resolveMember(path);
      if (!member) throw missing(label, path);
      if (member.size > maxBytes) throw tooLarge(label, path, maxBytes);
      return readRange(path, 0, member.size);
    },
    stream: async (path) => {
      const member = resolveMember(path);
      if (!member) throw missing(label, path);
      if (member.size === 0) return Readable.from([]);
      return createReadStream(file, { start: member.offset, end: member.offset + member.size - 1, highWaterMark: READ_CHUNK_BYTES });
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await handle.close();
      if (tempDir) await rm(tempDir, { recursive: true, force: true });
    },
  };
}
