/**
 * A small ZIP reader (PKWARE APPNOTE 6.3): the central directory is the index, entries are
 * read one at a time on demand, so an archive of hundreds of megabytes (OSV's npm `all.zip`)
 * is never held in memory. Supports stored and deflated entries and zip64. Every size is
 * bounded (entry, total, entry count, central directory) and checked against what inflating
 * actually produces, so a zip bomb fails with a ZipError instead of exhausting memory.
 *
 * With `allowPrepended`, bytes prepended to the archive (a launcher script before a
 * self-executing JAR) are tolerated: offsets are corrected by how far the central directory
 * really lies from where it says. Otherwise such a mismatch is a corrupt archive.
 *
 * Not supported (ZipError): encryption, multi-disk archives, methods other than 0 and 8.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { crc32, inflateRawSync } from 'node:zlib';

export class ZipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipError';
  }
}

export interface ZipLimits {
  /** Largest uncompressed size of one entry (default 256 MiB). */
  maxEntrySize?: number;
  /** Largest sum of uncompressed bytes read from the archive (default 16 GiB). */
  maxTotalSize?: number;
  /** Most entries the central directory may list (default 2,000,000). */
  maxEntries?: number;
  /** Accept bytes before the archive proper (self-executing JARs); default false. */
  allowPrepended?: boolean;
}

export interface ZipEntry {
  /** Path inside the archive, `/`-separated as stored. */
  readonly name: string;
  readonly isDirectory: boolean;
  /** 0 = stored, 8 = deflate. */
  readonly method: number;
  readonly compressedSize: number;
  /** Uncompressed size as declared by the central directory (verified on read). */
  readonly size: number;
  readonly crc32: number;
  /**
   * Reads and decompresses the entry, checking its size and CRC-32. `limit` lowers the archive's
   * `maxEntrySize` for this read (a caller's own budget).
   */
  read(limit?: number): Buffer;
}

export interface ZipArchive {
  /** Number of entries the central directory declares. */
  readonly entryCount: number;
  /** Iterates the central directory lazily; entries are only read when `read()` is called. */
  entries(): Generator<ZipEntry>;
  close(): void;
}

const DEFAULTS: Required<ZipLimits> = {
  maxEntrySize: 256 * 1024 * 1024,
  maxTotalSize: 16 * 1024 * 1024 * 1024,
  maxEntries: 2_000_000,
  allowPrepended: false,
};

const EOCD_SIGNATURE = 0x06054b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const ZIP64_EOCD_SIZE = 56;
const CENTRAL_SIGNATURE = 0x02014b50;
const CENTRAL_SIZE = 46;
const LOCAL_SIGNATURE = 0x04034b50;
const LOCAL_SIZE = 30;
const ZIP64_EXTRA_ID = 0x0001;
const FLAG_ENCRYPTED = 0x1;
/** Largest central directory we load (it is read whole; 46+ bytes per entry). */
const MAX_CENTRAL_DIRECTORY = 1024 * 1024 * 1024;

/** Random access to the archive's bytes: a file descriptor or an in-memory buffer. */
interface Source {
  readonly size: number;
  read(offset: number, length: number): Buffer;
  close(): void;
}

function fileSource(path: string): Source {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    return {
      size,
      read(offset, length) {
        const buf = Buffer.allocUnsafe(length);
        let done = 0;
        while (done < length) {
          const n = readSync(fd, buf, done, length - done, offset + done);
          if (n === 0) throw new ZipError('unexpected end of file');
          done += n;
        }
        return buf;
      },
      close: () => closeSync(fd),
    };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

function bufferSource(bytes: Uint8Array): Source {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    size: buf.length,
    read(offset, length) {
      if (offset < 0 || offset + length > buf.length) throw new ZipError('unexpected end of data');
      return buf.subarray(offset, offset + length);
    },
    close() {},
  };
}

/** Opens a ZIP archive from a file path (read lazily through a descriptor) or from bytes. */
export function openZip(input: string | Uint8Array, limits: ZipLimits = {}): ZipArchive {
  const source = typeof input === 'string' ? fileSource(input) : bufferSource(input);
  try {
    return readArchive(source, { ...DEFAULTS, ...limits });
  } catch (err) {
    source.close();
    throw err;
  }
}

interface Directory {
  entryCount: number;
  /** Where the central directory really starts (prepended bytes included). */
  offset: number;
  size: number;
  /** Bytes before the archive proper; added to every local header offset. */
  shift: number;
}

function readArchive(source: Source, limits: Required<ZipLimits>): ZipArchive {
  const dir = findCentralDirectory(source, limits.allowPrepended);
  if (dir.entryCount > limits.maxEntries) {
    throw new ZipError(`archive lists ${dir.entryCount} entries, more than the limit of ${limits.maxEntries}`);
  }
  if (dir.size > MAX_CENTRAL_DIRECTORY || dir.offset + dir.size > source.size) {
    throw new ZipError('central directory lies outside the file (truncated or not a ZIP archive)');
  }
  let totalRead = 0;
  let closed = false;

  const readEntry = (entry: CentralEntry, limit: number): Buffer => {
    if (closed) throw new ZipError('archive is closed');
    if (entry.size > limit) {
      throw new ZipError(`${entry.name}: ${entry.size} bytes uncompressed, more than the limit of ${limit}`);
    }
    if (entry.compressedSize > limits.maxEntrySize) {
      throw new ZipError(`${entry.name}: ${entry.compressedSize} bytes compressed, more than the limit of ${limits.maxEntrySize}`);
    }
    if (totalRead + entry.size > limits.maxTotalSize) {
      throw new ZipError(`archive expands beyond the limit of ${limits.maxTotalSize} bytes`);
    }
    const localOffset = entry.localOffset + dir.shift;
    if (localOffset + LOCAL_SIZE > source.size) throw new ZipError(`${entry.name}: local header lies outside the archive`);
    const local = source.read(localOffset, LOCAL_SIZE);
    if (local.readUInt32LE(0) !== LOCAL_SIGNATURE) throw new ZipError(`${entry.name}: bad local header`);
    const dataStart = localOffset + LOCAL_SIZE + local.readUInt16LE(26) + local.readUInt16LE(28);
    if (dataStart + entry.compressedSize > source.size) throw new ZipError(`${entry.name}: data runs past the end of the archive`);
    const raw = source.read(dataStart, entry.compressedSize);
    let data: Buffer;
    if (entry.method === 0) {
      if (entry.compressedSize !== entry.size) throw new ZipError(`${entry.name}: stored entry with mismatched sizes`);
      data = raw;
    } else if (entry.method === 8) {
      try {
        // maxOutputLength caps inflation at the declared size: a lying header cannot make it grow.
        data = inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size) });
      } catch (err) {
        throw new ZipError(`${entry.name}: cannot inflate (${(err as Error).message})`);
      }
    } else {
      throw new ZipError(`${entry.name}: unsupported compression method ${entry.method}`);
    }
    if (data.length !== entry.size) throw new ZipError(`${entry.name}: size ${data.length} differs from the declared ${entry.size}`);
    if (crc32(data) >>> 0 !== entry.crc32) throw new ZipError(`${entry.name}: CRC-32 mismatch`);
    totalRead += data.length;
    return data;
  };

  return {
    entryCount: dir.entryCount,
    *entries() {
      const cd = source.read(dir.offset, dir.size);
      let pos = 0;
      for (let i = 0; i < dir.entryCount; i++) {
        const entry = readCentralEntry(cd, pos);
        pos = entry.next;
        yield {
          name: entry.name,
          isDirectory: entry.name.endsWith('/'),
          method: entry.method,
          compressedSize: entry.compressedSize,
          size: entry.size,
          crc32: entry.crc32,
          read: (limit?: number) => readEntry(entry, Math.min(limit ?? limits.maxEntrySize, limits.maxEntrySize)),
        };
      }
    },
    close() {
      if (!closed) source.close();
      closed = true;
    },
  };
}

/** Finds the end-of-central-directory record (searching back over a comment) and, if needed, zip64's. */
function findCentralDirectory(source: Source, allowPrepended: boolean): Directory {
  if (source.size < EOCD_SIZE) throw new ZipError('not a ZIP archive (too short)');
  const tailLength = Math.min(source.size, EOCD_SIZE + MAX_COMMENT);
  const tailStart = source.size - tailLength;
  const tail = source.read(tailStart, tailLength);
  let at = -1;
  for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
    // The comment length must reach exactly to the end of the file, which rules out
    // signature bytes that happen to appear inside the comment.
    if (tail.readUInt32LE(i) === EOCD_SIGNATURE && i + EOCD_SIZE + tail.readUInt16LE(i + 20) === tail.length) {
      at = i;
      break;
    }
  }
  if (at === -1) throw new ZipError('not a ZIP archive (no end of central directory record)');
  const disk = tail.readUInt16LE(at + 4);
  const cdDisk = tail.readUInt16LE(at + 6);
  let entryCount = tail.readUInt16LE(at + 10);
  let size = tail.readUInt32LE(at + 12);
  let offset = tail.readUInt32LE(at + 16);
  // Where the directory's end record really is; with prepended bytes, later than it says.
  let endAt = tailStart + at;
  if (entryCount === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
    const locatorAt = tailStart + at - ZIP64_LOCATOR_SIZE;
    if (locatorAt < 0) throw new ZipError('zip64 locator missing');
    const locator = source.read(locatorAt, ZIP64_LOCATOR_SIZE);
    if (locator.readUInt32LE(0) !== ZIP64_LOCATOR_SIGNATURE) throw new ZipError('zip64 locator missing');
    const recordAt = findZip64Record(source, safeNumber(locator.readBigUInt64LE(8), 'zip64 record offset'), locatorAt);
    const record = source.read(recordAt, ZIP64_EOCD_SIZE);
    if (record.readUInt32LE(16) !== 0 || record.readUInt32LE(20) !== 0) throw new ZipError('multi-disk archives are not supported');
    entryCount = safeNumber(record.readBigUInt64LE(32), 'entry count');
    size = safeNumber(record.readBigUInt64LE(40), 'central directory size');
    offset = safeNumber(record.readBigUInt64LE(48), 'central directory offset');
    endAt = recordAt;
  } else if (disk !== 0 || cdDisk !== 0) {
    throw new ZipError('multi-disk archives are not supported');
  }
  const shift = allowPrepended ? endAt - (offset + size) : 0;
  if (shift < 0) throw new ZipError('central directory lies outside the file (truncated or not a ZIP archive)');
  return { entryCount, size, offset: offset + shift, shift };
}

/** The zip64 end record: where the locator says, or right before the locator (prepended bytes). */
function findZip64Record(source: Source, recorded: number, locatorAt: number): number {
  for (const at of [recorded, locatorAt - ZIP64_EOCD_SIZE]) {
    if (at >= 0 && at + ZIP64_EOCD_SIZE <= locatorAt && source.read(at, 4).readUInt32LE(0) === ZIP64_EOCD_SIGNATURE) return at;
  }
  throw new ZipError('bad zip64 end record');
}

interface CentralEntry {
  name: string;
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localOffset: number;
  next: number;
}

function readCentralEntry(cd: Buffer, pos: number): CentralEntry {
  if (pos + CENTRAL_SIZE > cd.length || cd.readUInt32LE(pos) !== CENTRAL_SIGNATURE) {
    throw new ZipError('corrupt central directory');
  }
  const flags = cd.readUInt16LE(pos + 8);
  const nameLength = cd.readUInt16LE(pos + 28);
  const extraLength = cd.readUInt16LE(pos + 30);
  const commentLength = cd.readUInt16LE(pos + 32);
  const next = pos + CENTRAL_SIZE + nameLength + extraLength + commentLength;
  if (next > cd.length) throw new ZipError('corrupt central directory');
  // Names are decoded as UTF-8 whether or not flag bit 11 says so: that is what archivers
  // write in practice, and ASCII (all OSV names) is the same in both.
  const name = cd.toString('utf8', pos + CENTRAL_SIZE, pos + CENTRAL_SIZE + nameLength);
  if (flags & FLAG_ENCRYPTED) throw new ZipError(`${name}: encrypted entries are not supported`);
  const entry: CentralEntry = {
    name,
    method: cd.readUInt16LE(pos + 10),
    crc32: cd.readUInt32LE(pos + 16),
    compressedSize: cd.readUInt32LE(pos + 20),
    size: cd.readUInt32LE(pos + 24),
    localOffset: cd.readUInt32LE(pos + 42),
    next,
  };
  if (entry.size === 0xffffffff || entry.compressedSize === 0xffffffff || entry.localOffset === 0xffffffff) {
    const extraStart = pos + CENTRAL_SIZE + nameLength;
    applyZip64Extra(entry, cd.subarray(extraStart, extraStart + extraLength));
  }
  return entry;
}

/** The zip64 extra field holds, in this order, only the values whose 32-bit field is saturated. */
function applyZip64Extra(entry: CentralEntry, extra: Buffer): void {
  for (let p = 0; p + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(p);
    const length = extra.readUInt16LE(p + 2);
    const body = extra.subarray(p + 4, p + 4 + length);
    p += 4 + length;
    if (id !== ZIP64_EXTRA_ID) continue;
    let q = 0;
    const next = (what: string) => {
      if (q + 8 > body.length) throw new ZipError(`${entry.name}: truncated zip64 extra field`);
      const v = safeNumber(body.readBigUInt64LE(q), what);
      q += 8;
      return v;
    };
    if (entry.size === 0xffffffff) entry.size = next('size');
    if (entry.compressedSize === 0xffffffff) entry.compressedSize = next('compressed size');
    if (entry.localOffset === 0xffffffff) entry.localOffset = next('offset');
    return;
  }
  throw new ZipError(`${entry.name}: zip64 sizes without a zip64 extra field`);
}

function safeNumber(v: bigint, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError(`${what} too large`);
  return Number(v);
}
