/**
 * Builds rpm package databases for tests: rpm header blobs, and the three storage formats that
 * hold them (SQLite `rpmdb.sqlite`, Berkeley DB hash `Packages`, ndb `Packages.db`), written from
 * the formats' descriptions so tests can cover cases real tools do not produce (big-endian files,
 * damaged chains and checksums).
 */
import { DatabaseSync } from 'node:sqlite';
import { adler32 } from '../../src/sbom/catalog/os/rpmdb-ndb.ts';
import { TAG } from '../../src/sbom/catalog/os/rpm-header.ts';

type Value = { int32: number } | { string: string } | { strings: string[] };

/** A header blob: big-endian il/dl, 16-byte index entries, then the data store. */
export function encodeRpmHeader(tags: [number, Value][]): Buffer {
  const index: Buffer[] = [];
  const data: Buffer[] = [];
  let size = 0;
  for (const [tag, value] of tags) {
    let type: number;
    let count: number;
    let bytes: Buffer;
    if ('int32' in value) {
      // INT32 values are 4-byte aligned in the data store.
      const pad = (4 - (size % 4)) % 4;
      data.push(Buffer.alloc(pad));
      size += pad;
      type = 4;
      count = 1;
      bytes = Buffer.alloc(4);
      bytes.writeUInt32BE(value.int32);
    } else if ('string' in value) {
      type = 6;
      count = 1;
      bytes = Buffer.from(`${value.string}\0`);
    } else {
      type = 8;
      count = value.strings.length;
      bytes = Buffer.from(value.strings.map((s) => `${s}\0`).join(''));
    }
    const entry = Buffer.alloc(16);
    entry.writeUInt32BE(tag, 0);
    entry.writeUInt32BE(type, 4);
    entry.writeUInt32BE(size, 8);
    entry.writeUInt32BE(count, 12);
    index.push(entry);
    data.push(bytes);
    size += bytes.length;
  }
  const head = Buffer.alloc(8);
  head.writeUInt32BE(tags.length, 0);
  head.writeUInt32BE(size, 4);
  return Buffer.concat([head, ...index, ...data]);
}

export interface RpmPackageSpec {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  arch?: string;
  sourceRpm?: string;
  license?: string;
  modularityLabel?: string;
  requires?: string[];
  provides?: string[];
}

export function rpmPackageHeader(p: RpmPackageSpec): Buffer {
  const tags: [number, Value][] = [
    [TAG.NAME, { string: p.name }],
    [TAG.VERSION, { string: p.version }],
    [TAG.RELEASE, { string: p.release }],
  ];
  if (p.epoch !== undefined) tags.push([TAG.EPOCH, { int32: p.epoch }]);
  if (p.license) tags.push([TAG.LICENSE, { string: p.license }]);
  if (p.arch) tags.push([TAG.ARCH, { string: p.arch }]);
  if (p.sourceRpm) tags.push([TAG.SOURCERPM, { string: p.sourceRpm }]);
  if (p.provides) tags.push([TAG.PROVIDENAME, { strings: p.provides }]);
  if (p.requires) tags.push([TAG.REQUIRENAME, { strings: p.requires }]);
  if (p.modularityLabel) tags.push([TAG.MODULARITYLABEL, { string: p.modularityLabel }]);
  return encodeRpmHeader(tags);
}

/** An rpmdb.sqlite with rpm's Packages table. */
export function writeRpmSqlite(path: string, blobs: Buffer[]): void {
  const db = new DatabaseSync(path);
  db.exec('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)');
  const insert = db.prepare('INSERT INTO Packages (blob) VALUES (?)');
  for (const blob of blobs) insert.run(blob);
  db.close();
}

/** An ndb Packages.db: one slot page, blobs after it in 16-byte blocks. */
export function ndbFile(blobs: Buffer[]): Buffer {
  const page = 4096;
  const header = Buffer.alloc(page);
  header.write('RpmP', 0, 'latin1');
  header.writeUInt32LE(0, 4);
  header.writeUInt32LE(1, 8);
  header.writeUInt32LE(1, 12);
  header.writeUInt32LE(blobs.length + 1, 16);
  for (let at = 32; at < page; at += 16) header.write('Slot', at, 'latin1');
  const parts: Buffer[] = [header];
  let block = page / 16;
  blobs.forEach((blob, i) => {
    const size = Math.ceil((16 + blob.length + 12) / 16) * 16;
    const b = Buffer.alloc(size);
    b.write('BlbS', 0, 'latin1');
    b.writeUInt32LE(i + 1, 4);
    b.writeUInt32LE(1700000000, 8);
    b.writeUInt32LE(blob.length, 12);
    blob.copy(b, 16);
    b.writeUInt32LE(adler32(b.subarray(0, size - 12)), size - 12);
    b.writeUInt32LE(blob.length, size - 8);
    b.write('BlbE', size - 4, 'latin1');
    const slot = 32 + i * 16;
    header.writeUInt32LE(i + 1, slot + 4);
    header.writeUInt32LE(block, slot + 8);
    header.writeUInt32LE(size / 16, slot + 12);
    parts.push(b);
    block += size / 16;
  });
  return Buffer.concat(parts);
}

/**
 * A Berkeley DB hash file: metadata page, one hash page with the key/data pairs (values larger
 * than `inlineMax` go to overflow page chains), in the given byte order.
 */
export function berkeleyHashFile(values: Buffer[], options: { pageSize: number; littleEndian: boolean; inlineMax?: number }): Buffer {
  const { pageSize, littleEndian: le } = options;
  const pages: Buffer[] = [Buffer.alloc(pageSize), Buffer.alloc(pageSize)];
  const w16 = (b: Buffer, v: number, at: number) => (le ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at));
  const w32 = (b: Buffer, v: number, at: number) => (le ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at));
  const hash = pages[1]!;
  w32(hash, 1, 8);
  hash[25] = 13;
  let top = pageSize;
  let item = 0;
  const place = (bytes: Buffer) => {
    top -= bytes.length;
    bytes.copy(hash, top);
    w16(hash, top, 26 + item * 2);
    item++;
  };
  values.forEach((value, i) => {
    const key = Buffer.alloc(5);
    key[0] = 1;
    w32(key, i + 1, 1);
    place(key);
    if (value.length <= (options.inlineMax ?? 0)) {
      place(Buffer.concat([Buffer.from([1]), value]));
      return;
    }
    const ref = Buffer.alloc(12);
    ref[0] = 3;
    w32(ref, pages.length, 4);
    w32(ref, value.length, 8);
    place(ref);
    for (let at = 0; at < value.length; at += pageSize - 26) {
      const chunk = value.subarray(at, at + pageSize - 26);
      const overflow = Buffer.alloc(pageSize);
      w32(overflow, pages.length, 8);
      w16(overflow, chunk.length, 22);
      overflow[25] = 7;
      const last = at + chunk.length >= value.length;
      w32(overflow, last ? 0 : pages.length + 1, 16);
      chunk.copy(overflow, 26);
      pages.push(overflow);
    }
  });
  w16(hash, item, 20);
  w16(hash, top, 22);
  const meta = pages[0]!;
  w32(meta, 0x061561, 12);
  w32(meta, 9, 16);
  w32(meta, pageSize, 20);
  meta[25] = 8;
  w32(meta, pages.length - 1, 32);
  return Buffer.concat(pages);
}
