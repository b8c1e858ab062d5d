/**
 * The Berkeley DB hash file rpm used for `var/lib/rpm/Packages` until rpm 4.16 (CentOS 7/8,
 * RHEL/UBI 8, Amazon Linux 2, older SUSE): header number → header blob. Read without Berkeley DB:
 * the metadata page gives the byte order, page size and last page; every hash page holds
 * key/data item pairs, and a header blob larger than a page lives in a chain of overflow pages.
 *
 * Layout (Berkeley DB's `dbmeta.h`/`db_page.h`): every page starts with a 26-byte header
 * (LSN 8, pgno 4, prev 4, next 4, entries u16, hf_offset u16, level u8, type u8), followed on
 * hash pages by the u16 offsets of the items. Values are in the byte order of the machine that
 * wrote the file, recognisable from the magic number.
 */
import { ParseError } from '../../../core/errors.ts';

export const BDB_HASH_MAGIC = 0x061561;

const PAGE_HEADER = 26;
const PAGE_TYPE = { HASH_UNSORTED: 2, OVERFLOW: 7, HASH_META: 8, HASH: 13 } as const;
const ITEM = { KEYDATA: 1, OFFPAGE: 3 } as const;
/** Metadata flag for per-page checksums, which move the item offsets. */
const META_CHECKSUM = 0x01;

export interface BlobRead {
  blobs: Uint8Array[];
  /** Entries that could not be read, in words. */
  problems: string[];
}

/** True when the bytes start like a Berkeley DB hash database, in either byte order. */
export function isBerkeleyHash(bytes: Uint8Array): boolean {
  if (bytes.length < 72) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.getUint32(12, true) === BDB_HASH_MAGIC || view.getUint32(12, false) === BDB_HASH_MAGIC;
}

export function readBerkeleyHash(bytes: Uint8Array): BlobRead {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = view.getUint32(12, true) === BDB_HASH_MAGIC;
  const u16 = (at: number) => view.getUint16(at, le);
  const u32 = (at: number) => view.getUint32(at, le);

  const pageSize = u32(20);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
    throw new ParseError(`Berkeley DB page size ${pageSize} is not a power of two between 512 and 65536`);
  }
  if (bytes[24] !== 0) throw new ParseError('encrypted Berkeley DB databases are not supported');
  if (bytes[25] !== PAGE_TYPE.HASH_META) throw new ParseError(`Berkeley DB metadata page type ${bytes[25]} is not a hash database`);
  if ((bytes[26]! & META_CHECKSUM) !== 0) throw new ParseError('Berkeley DB databases with page checksums are not supported');
  const pageCount = Math.min(u32(32) + 1, Math.floor(bytes.length / pageSize));

  const blobs: Uint8Array[] = [];
  const problems: string[] = [];
  for (let pgno = 1; pgno < pageCount; pgno++) {
    const page = pgno * pageSize;
    const type = bytes[page + 25];
    if (type !== PAGE_TYPE.HASH && type !== PAGE_TYPE.HASH_UNSORTED) continue;
    const entries = u16(page + 20);
    if (PAGE_HEADER + entries * 2 > pageSize) {
      problems.push(`hash page ${pgno} claims ${entries} items`);
      continue;
    }
    // Items come in pairs: key (header number), then data (the header blob).
    for (let i = 0; i + 1 < entries; i += 2) {
      const keyAt = u16(page + PAGE_HEADER + i * 2);
      const dataAt = u16(page + PAGE_HEADER + (i + 1) * 2);
      const keyEnd = i === 0 ? pageSize : u16(page + PAGE_HEADER + (i - 1) * 2);
      if (!(dataAt < keyAt && keyAt < keyEnd && keyEnd <= pageSize)) {
        problems.push(`hash page ${pgno} item ${i} has offsets outside the page`);
        continue;
      }
      // Key 0 holds rpm's next header number, not a package.
      if (bytes[page + keyAt] === ITEM.KEYDATA && keyEnd - keyAt - 1 === 4 && u32(page + keyAt + 1) === 0) continue;
      const item = readItem(bytes, page + dataAt, page + keyAt, { pageSize, pageCount, u16, u32 });
      if (typeof item === 'string') problems.push(`hash page ${pgno} item ${i + 1}: ${item}`);
      else blobs.push(item);
    }
  }
  return { blobs, problems };
}

interface Geometry {
  pageSize: number;
  pageCount: number;
  u16(at: number): number;
  u32(at: number): number;
}

/** A data item: stored on the page itself, or in overflow pages. A string explains a bad item. */
function readItem(bytes: Uint8Array, at: number, end: number, g: Geometry): Uint8Array | string {
  const type = bytes[at];
  if (type === ITEM.KEYDATA) return bytes.subarray(at + 1, end);
  if (type !== ITEM.OFFPAGE) return `item type ${type} is not one rpm writes`;
  let pgno = g.u32(at + 4);
  const length = g.u32(at + 8);
  if (length > g.pageCount * g.pageSize) return `overflow item of ${length} bytes is larger than the file`;
  const out = new Uint8Array(length);
  let filled = 0;
  // Each overflow page is visited at most once: a cycle in a corrupt chain cannot hang the read.
  const seen = new Set<number>();
  while (pgno !== 0 && filled < length) {
    if (pgno >= g.pageCount || seen.has(pgno)) return `overflow chain reaches page ${pgno}, outside the file or already read`;
    seen.add(pgno);
    const page = pgno * g.pageSize;
    if (bytes[page + 25] !== PAGE_TYPE.OVERFLOW) return `page ${pgno} in an overflow chain is not an overflow page`;
    // On overflow pages `hf_offset` is the number of data bytes the page holds.
    const onPage = Math.min(g.u16(page + 22), g.pageSize - PAGE_HEADER, length - filled);
    out.set(bytes.subarray(page + PAGE_HEADER, page + PAGE_HEADER + onPage), filled);
    filled += onPage;
    pgno = g.u32(page + 16);
  }
  return filled === length ? out : `overflow chain holds ${filled} of ${length} bytes`;
}
