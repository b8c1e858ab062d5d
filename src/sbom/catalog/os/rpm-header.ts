/**
 * The rpm header as the package databases store it (the "header blob": the on-disk header of an
 * .rpm file without its 8-byte magic): a big-endian index count `il` and data length `dl`, then
 * `il` index entries of 16 bytes (tag, type, offset into the data store, count), then the data
 * store. Only the tags the catalogers use are decoded.
 */
import { ParseError } from '../../../core/errors.ts';

export const TAG = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  VENDOR: 1011,
  LICENSE: 1014,
  ARCH: 1022,
  SOURCERPM: 1044,
  PROVIDENAME: 1047,
  REQUIRENAME: 1049,
  MODULARITYLABEL: 5096,
} as const;

const TYPE = { INT32: 4, STRING: 6, STRING_ARRAY: 8, I18NSTRING: 9 } as const;

/** rpm's own limits (HEADER_TAGS_MAX, HEADER_DATA_MAX): anything larger is not a header. */
const MAX_TAGS = 0xffff;
const MAX_DATA = 256 * 1024 * 1024;

interface IndexEntry {
  type: number;
  offset: number;
  count: number;
}

export interface RpmHeader {
  string(tag: number): string | undefined;
  strings(tag: number): string[];
  int32(tag: number): number | undefined;
}

export function parseRpmHeader(blob: Uint8Array): RpmHeader {
  if (blob.length < 8) throw new ParseError(`rpm header of ${blob.length} bytes is too short`);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const il = view.getUint32(0);
  const dl = view.getUint32(4);
  const dataStart = 8 + il * 16;
  if (il === 0 || il > MAX_TAGS || dl > MAX_DATA || dataStart + dl > blob.length) {
    throw new ParseError(`not an rpm header (${il} tags, ${dl} data bytes in a ${blob.length}-byte blob)`);
  }
  const entries = new Map<number, IndexEntry>();
  for (let i = 0; i < il; i++) {
    const at = 8 + i * 16;
    const tag = view.getUint32(at);
    // The first entry of a region (tags 61–63) points at its trailer; nothing to decode there.
    if (!entries.has(tag)) entries.set(tag, { type: view.getUint32(at + 4), offset: view.getInt32(at + 8), count: view.getUint32(at + 12) });
  }
  const data = blob.subarray(dataStart, dataStart + dl);
  const decoder = new TextDecoder();

  /** `count` NUL-terminated strings from `offset`, stopping at the end of the data store. */
  const readStrings = (entry: IndexEntry): string[] => {
    const out: string[] = [];
    let at = entry.offset;
    if (at < 0 || at >= data.length) throw new ParseError(`rpm header string offset ${at} is outside the data store`);
    for (let n = 0; n < entry.count; n++) {
      const end = data.indexOf(0, at);
      if (end === -1) throw new ParseError('rpm header string runs past the data store');
      out.push(decoder.decode(data.subarray(at, end)));
      at = end + 1;
    }
    return out;
  };

  return {
    string(tag) {
      const entry = entries.get(tag);
      if (!entry || (entry.type !== TYPE.STRING && entry.type !== TYPE.I18NSTRING && entry.type !== TYPE.STRING_ARRAY)) return undefined;
      // I18N strings hold one translation per locale; the first is the untranslated text.
      return readStrings({ ...entry, count: 1 })[0];
    },
    strings(tag) {
      const entry = entries.get(tag);
      if (!entry || (entry.type !== TYPE.STRING_ARRAY && entry.type !== TYPE.STRING)) return [];
      return readStrings(entry.type === TYPE.STRING ? { ...entry, count: 1 } : entry);
    },
    int32(tag) {
      const entry = entries.get(tag);
      if (!entry || entry.type !== TYPE.INT32 || entry.count < 1) return undefined;
      if (entry.offset < 0 || entry.offset + 4 > data.length) throw new ParseError(`rpm header integer offset ${entry.offset} is outside the data store`);
      return new DataView(data.buffer, data.byteOffset + entry.offset, 4).getUint32(0);
    },
  };
}
