import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openZip, ZipError, type ZipArchive } from '../../src/core/zip.ts';
import { repoRoot } from '../helpers/corpus.ts';
import { writeZip } from '../helpers/zip-writer.ts';

const fixtures = join(repoRoot, 'test', 'fixtures', 'osv');
const tmp = mkdtempSync(join(tmpdir(), 'palisade-zip-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function readAll(zip: ZipArchive): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of zip.entries()) if (!e.isDirectory) out[e.name] = e.read().toString('utf8');
  return out;
}

describe('openZip', () => {
  it('reads stored and deflated entries written by Python zipfile, skipping the comment', () => {
    const zip = openZip(join(fixtures, 'zip', 'python-mixed.zip'));
    const entries = [...zip.entries()];
    expect(entries.map((e) => [e.name, e.method, e.isDirectory])).toEqual([
      ['records/', 0, true],
      ['records/GHSA-8hc4-vh64-cxmj.json', 0, false],
      ['records/RUSTSEC-2018-0005.json', 8, false],
    ]);
    const files = readAll(zip);
    expect(files['records/GHSA-8hc4-vh64-cxmj.json']).toBe(readFileSync(join(fixtures, 'real', 'npm', 'GHSA-8hc4-vh64-cxmj.json'), 'utf8'));
    expect(files['records/RUSTSEC-2018-0005.json']).toBe(readFileSync(join(fixtures, 'real', 'crates.io', 'RUSTSEC-2018-0005.json'), 'utf8'));
    zip.close();
  });

  it('reads entries whose local headers carry zip64 extra fields (Python force_zip64)', () => {
    const zip = openZip(join(fixtures, 'zip', 'python-zip64.zip'));
    expect(JSON.parse(readAll(zip)['records/RUSTSEC-2018-0005.json']!).id).toBe('RUSTSEC-2018-0005');
    zip.close();
  });

  it('reads zip64 central directory records and end records, from bytes and from a file', () => {
    const bytes = writeZip(
      [{ name: 'a/' }, { name: 'a/one.json', data: '{"n":1}' }, { name: 'two.txt', data: 'x'.repeat(5000), method: 0 }],
      { zip64: true, comment: 'zip64 test' },
    );
    const path = join(tmp, 'z64.zip');
    writeFileSync(path, bytes);
    for (const input of [bytes, path]) {
      const zip = openZip(input);
      expect(zip.entryCount).toBe(3);
      const files = readAll(zip);
      expect(files).toEqual({ 'a/one.json': '{"n":1}', 'two.txt': 'x'.repeat(5000) });
      zip.close();
    }
  });

  it('finds the end record behind a comment that contains its signature', () => {
    const bytes = writeZip([{ name: 'x.json', data: '{}' }], { comment: 'PK\x05\x06 looks like an end record' });
    expect(readAll(openZip(bytes))).toEqual({ 'x.json': '{}' });
  });

  it('iterates lazily: a damaged entry fails only when read', () => {
    const zip = openZip(writeZip([{ name: 'bad.json', data: '{"a":1}', crc: 1234 }, { name: 'good.json', data: '{"b":2}' }]));
    const entries = [...zip.entries()];
    expect(entries.map((e) => e.name)).toEqual(['bad.json', 'good.json']);
    expect(() => entries[0]!.read()).toThrow(/CRC-32 mismatch/);
    expect(entries[1]!.read().toString()).toBe('{"b":2}');
  });

  it('refuses what is not a ZIP archive or is cut short', () => {
    expect(() => openZip(Buffer.from('{"id": "not a zip"}'))).toThrow(ZipError);
    expect(() => openZip(Buffer.alloc(0))).toThrow(/too short/);
    const whole = writeZip([{ name: 'a.json', data: 'x'.repeat(100) }]);
    expect(() => openZip(whole.subarray(0, whole.length - 30))).toThrow(ZipError);
    const noCentral = Buffer.from(whole);
    noCentral.writeUInt32LE(0, noCentral.length - 6); // central directory offset → 0 (a local header)
    expect(() => [...openZip(noCentral).entries()]).toThrow(/corrupt central directory/);
  });

  it('rejects unsupported methods and encrypted entries', () => {
    const zip = openZip(writeZip([{ name: 'b.bz2', data: 'abc', method: 12 }]));
    expect(() => [...zip.entries()][0]!.read()).toThrow(/unsupported compression method 12/);
    expect(() => [...openZip(writeZip([{ name: 'secret', data: 'abc', encrypted: true }])).entries()]).toThrow(/encrypted/);
  });

  describe('bounds (zip bombs)', () => {
    it('cuts inflation at the declared size when the header lies', () => {
      // 8 MB of zeros deflate to ~8 KB; the header claims 100 bytes.
      const zip = openZip(writeZip([{ name: 'bomb.json', data: Buffer.alloc(8 * 1024 * 1024), declaredSize: 100 }]));
      const entry = [...zip.entries()][0]!;
      expect(entry.size).toBe(100);
      expect(() => entry.read()).toThrow(ZipError);
    });

    it('refuses an entry larger than maxEntrySize before inflating it', () => {
      const zip = openZip(writeZip([{ name: 'big.json', data: Buffer.alloc(1024 * 1024) }]), { maxEntrySize: 64 * 1024 });
      expect(() => [...zip.entries()][0]!.read()).toThrow(/more than the limit of 65536/);
    });

    it('stops when the archive expands beyond maxTotalSize', () => {
      const entries = Array.from({ length: 5 }, (_, i) => ({ name: `e${i}.json`, data: Buffer.alloc(1000) }));
      const zip = openZip(writeZip(entries), { maxTotalSize: 2500 });
      const it = zip.entries();
      it.next().value!.read();
      it.next().value!.read();
      expect(() => it.next().value!.read()).toThrow(/expands beyond the limit of 2500/);
    });

    it('refuses archives listing more entries than maxEntries', () => {
      const entries = Array.from({ length: 11 }, (_, i) => ({ name: `e${i}`, data: '' }));
      expect(() => openZip(writeZip(entries), { maxEntries: 10 })).toThrow(/11 entries, more than the limit of 10/);
    });

    it('rejects a deflated entry that inflates to less than declared', () => {
      const zip = openZip(writeZip([{ name: 'short.json', data: 'abc', declaredSize: 10 }]));
      expect(() => [...zip.entries()][0]!.read()).toThrow(/size 3 differs from the declared 10/);
    });
  });
});
