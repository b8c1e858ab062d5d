/**
 * rpm's own "ndb" package database, `Packages.db` (SUSE and openSUSE since rpm 4.16), as laid out
 * by rpm's `lib/backend/ndb/rpmpkg.c`. All numbers are little-endian:
 * - a 32-byte header: magic `RpmP`, version 0, generation, number of slot pages, next index;
 * - slot pages of 4096 bytes (the header takes the first two slots): 16-byte slots of magic
 *   `Slot`, package index, block offset and block count, a zero offset marking a free slot;
 * - blobs at `offset * 16`: magic `BlbS`, package index, timestamp, length, the header blob,
 *   zero padding to a 16-byte block, then adler32 (of everything before it), length, `BlbE`.
 */
import { ParseError } from '../../../core/errors.ts';
import type { BlobRead } from './rpmdb-bdb.ts';

const HEADER_MAGIC = 0x506d7052; // "RpmP"
const SLOT_MAGIC = 0x746f6c53; // "Slot"
const BLOB_HEAD_MAGIC = 0x53626c42; // "BlbS"
const BLOB_TAIL_MAGIC = 0x45626c42; // "BlbE"
const PAGE_SIZE = 4096;
const SLOT_SIZE = 16;
const BLOCK_SIZE = 16;
const HEAD_SIZE = 16;
const TAIL_SIZE = 12;

export function isNdb(bytes: Uint8Array): boolean {
  return bytes.length >= 32 && new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true) === HEADER_MAGIC;
}

export function readNdb(bytes: Uint8Array): BlobRead {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (at: number) => view.getUint32(at, true);
  const version = u32(4);
  if (version !== 0) throw new ParseError(`ndb package database version ${version} is not supported`);
  const slotPages = u32(12);
  if (slotPages === 0 || slotPages * PAGE_SIZE > bytes.length) {
    throw new ParseError(`ndb package database claims ${slotPages} slot pages in ${bytes.length} bytes`);
  }
  const blobs: Uint8Array[] = [];
  const problems: string[] = [];
  for (let at = 32; at < slotPages * PAGE_SIZE; at += SLOT_SIZE) {
    if (u32(at) !== SLOT_MAGIC) throw new ParseError(`ndb slot at byte ${at} has a bad magic number`);
    const index = u32(at + 4);
    const offset = u32(at + 8);
    const count = u32(at + 12);
    if (offset === 0) continue;
    const blob = readBlob(bytes, u32, index, offset * BLOCK_SIZE, count * BLOCK_SIZE);
    if (typeof blob === 'string') problems.push(`package ${index}: ${blob}`);
    else blobs.push(blob);
  }
  return { blobs, problems };
}

function readBlob(bytes: Uint8Array, u32: (at: number) => number, index: number, start: number, size: number): Uint8Array | string {
  if (size < HEAD_SIZE + TAIL_SIZE || start + size > bytes.length) return 'blob lies outside the file';
  if (u32(start) !== BLOB_HEAD_MAGIC || u32(start + 4) !== index) return 'blob header does not match its slot';
  const length = u32(start + 12);
  if (Math.ceil((HEAD_SIZE + length + TAIL_SIZE) / BLOCK_SIZE) * BLOCK_SIZE !== size) return 'blob length does not match its slot';
  const tail = start + size - TAIL_SIZE;
  if (u32(tail + 4) !== length || u32(tail + 8) !== BLOB_TAIL_MAGIC) return 'blob trailer is damaged';
  if (adler32(bytes.subarray(start, tail)) !== u32(tail)) return 'blob checksum does not match';
  return bytes.subarray(start + HEAD_SIZE, start + HEAD_SIZE + length);
}

/** Adler-32 (RFC 1950). */
export function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < data.length; ) {
    // Reduce every 5552 bytes, as RFC 1950 does, to keep the sums small.
    const end = Math.min(i + 5552, data.length);
    for (; i < end; i++) {
      a += data[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}
