import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PalisadeError } from '../../../src/core/errors.ts';
import { importOsv } from '../../../src/vuln/db/import.ts';
import { openVulnDb } from '../../../src/vuln/db/store.ts';
import { writeZip } from '../../helpers/zip-writer.ts';
import { osvFixtures, realDir, realEntries, realJson, realRecord, recordingLogger, sha256, strayFiles, tempDir } from './helpers.ts';

let dir: string;
let db: string;
beforeEach(() => {
  dir = tempDir();
  db = join(dir, 'vuln.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const AXIOS = 'npm/GHSA-8hc4-vh64-cxmj.json';

/** Writes a (synthetic) variant of a real record as a JSON file and returns its path. */
function variant(file: string, changes: Record<string, unknown>, name = 'variant.json'): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ ...realJson(file), ...changes }));
  return path;
}

function lookup(ecosystem: string, name: string) {
  const store = openVulnDb(db);
  try {
    return store.advisoriesFor(ecosystem, name);
  } finally {
    store.close();
  }
}

describe('importOsv', () => {
  it('imports a directory recursively, drops withdrawn records and reports per ecosystem', async () => {
    const report = await importOsv(db, [realDir]);
    expect(report).toMatchObject({ imported: 11, updated: 0, skipped: 0, withdrawn: 2, malformed: 0, problems: [] });
    expect(report.byEcosystem).toEqual({ Debian: 1, Go: 2, Maven: 1, NuGet: 2, PyPI: 1, RubyGems: 1, Ubuntu: 1, 'crates.io': 2, npm: 3 });
    const store = openVulnDb(db);
    expect(store.advisory('GO-2022-0617')).toBeUndefined();
    expect(store.advisory('PYSEC-2022-15')).toBeUndefined();
    expect(store.advisory('GO-2024-3278')).toEqual(realRecord('Go/GO-2024-3278.json'));
    store.close();
  });

  it('imports single JSON files', async () => {
    const report = await importOsv(db, [join(realDir, AXIOS), join(realDir, 'Debian/DLA-3012-1.json')]);
    expect(report.imported).toBe(2);
    expect(lookup('npm', 'axios').map((r) => r.id)).toEqual(['GHSA-8hc4-vh64-cxmj']);
  });

  it('imports ZIP archives (one record per entry), whatever the file is called', async () => {
    const zip = join(dir, 'all.zip');
    writeFileSync(zip, writeZip(realEntries().map(([name, text]) => ({ name: name.split('/').pop()!, data: text }))));
    const oddName = join(dir, 'download.bin');
    writeFileSync(oddName, writeZip([{ name: 'x.json', data: JSON.stringify(realJson(AXIOS)) }]));
    const report = await importOsv(db, [zip, oddName]);
    expect(report).toMatchObject({ imported: 11, withdrawn: 2, skipped: 1, malformed: 0 });
    expect(lookup('Ubuntu:22.04:LTS', 'wayland').map((r) => r.id)).toEqual(['USN-5614-1']);
  });

  it('imports archives written by another ZIP implementation, and .zip files found in directories', async () => {
    const report = await importOsv(db, [join(osvFixtures, 'zip')]);
    // Both archives hold the same two records: the second copy of each is not newer.
    expect(report).toMatchObject({ imported: 2, skipped: 2, malformed: 0 });
  });

  it('keeps the newest record: a newer modified replaces, an older one never overwrites', async () => {
    await importOsv(db, [join(realDir, AXIOS)]);
    const newer = variant(AXIOS, { modified: '2025-01-01T00:00:00Z', summary: 'synthetic newer summary' }, 'newer.json');
    expect(await importOsv(db, [newer])).toMatchObject({ imported: 0, updated: 1 });
    expect(lookup('npm', 'Axios')[0]!.summary).toBe('synthetic newer summary');

    const older = variant(AXIOS, { modified: '2020-01-01T00:00:00Z', summary: 'synthetic older summary' }, 'older.json');
    expect(await importOsv(db, [older])).toMatchObject({ updated: 0, skipped: 1 });
    expect(await importOsv(db, [newer])).toMatchObject({ updated: 0, skipped: 1 });
    expect(lookup('npm', 'axios')[0]!.summary).toBe('synthetic newer summary');
  });

  it('re-indexes a replaced record: package names and aliases of the old copy go away', async () => {
    await importOsv(db, [join(realDir, AXIOS)]);
    const json = realJson(AXIOS) as { affected: { package: { name: string } }[] };
    const renamed = variant(AXIOS, {
      modified: '2025-01-01T00:00:00Z',
      aliases: ['CVE-0000-SYNTHETIC'],
      affected: [{ ...json.affected[0], package: { ecosystem: 'npm', name: 'synthetic-renamed' } }],
    });
    await importOsv(db, [renamed]);
    const store = openVulnDb(db);
    expect(store.advisoriesFor('npm', 'axios')).toEqual([]);
    expect(store.advisoriesFor('npm', 'synthetic-renamed').map((r) => r.id)).toEqual(['GHSA-8hc4-vh64-cxmj']);
    expect(store.idsForAlias('CVE-2024-39338')).toEqual([]);
    expect(store.idsForAlias('CVE-0000-SYNTHETIC')).toEqual(['GHSA-8hc4-vh64-cxmj']);
    store.close();
  });

  it('removes a stored advisory when a newer copy says it was withdrawn', async () => {
    await importOsv(db, [realDir]);
    const withdrawn = variant(AXIOS, { modified: '2025-01-01T00:00:00Z', withdrawn: '2025-01-01T00:00:00Z' });
    expect(await importOsv(db, [withdrawn])).toMatchObject({ withdrawn: 1, imported: 0, updated: 0 });
    const store = openVulnDb(db);
    expect(store.advisory('GHSA-8hc4-vh64-cxmj')).toBeUndefined();
    expect(store.advisoriesFor('npm', 'axios')).toEqual([]);
    expect(store.idsForAlias('CVE-2024-39338')).toEqual([]);
    expect(store.status()).toMatchObject({ advisories: 10, withdrawn: 3 });
    store.close();
  });

  it('keeps a withdrawn advisory out when an older copy is imported later', async () => {
    const withdrawn = variant(AXIOS, { modified: '2025-01-01T00:00:00Z', withdrawn: '2025-01-01T00:00:00Z' });
    expect(await importOsv(db, [withdrawn])).toMatchObject({ withdrawn: 1, imported: 0 });
    expect(await importOsv(db, [join(realDir, AXIOS)])).toMatchObject({ skipped: 1, imported: 0 });
    expect(lookup('npm', 'axios')).toEqual([]);
    // A newer copy that is no longer withdrawn comes back.
    const revived = variant(AXIOS, { modified: '2026-01-01T00:00:00Z' }, 'revived.json');
    expect(await importOsv(db, [revived])).toMatchObject({ imported: 1 });
    expect(lookup('npm', 'axios').map((r) => r.modified)).toEqual(['2026-01-01T00:00:00Z']);
  });

  it('skips malformed records with a warning naming the file or entry and the reason, and carries on', async () => {
    const zip = join(dir, 'mixed.zip');
    writeFileSync(
      zip,
      writeZip([
        { name: 'broken.json', data: '{"id": "SYNTH-1", ' },
        { name: 'crc.json', data: JSON.stringify(realJson(AXIOS)), crc: 42 },
        { name: 'ok.json', data: JSON.stringify(realJson('crates.io/RUSTSEC-2018-0005.json')) },
        { name: 'README.txt', data: 'not a record, ignored' },
      ]),
    );
    const log = recordingLogger();
    const report = await importOsv(db, [join(osvFixtures, 'synthetic'), zip, join(realDir, 'PyPI/PYSEC-2024-55.json')], { log });
    expect(report).toMatchObject({ imported: 2, malformed: 5 });
    expect(report.problems.map((p) => p.source.replace(osvFixtures, '<osv>').replace(dir, '<tmp>'))).toEqual([
      '<osv>/synthetic/bad-json.json',
      '<osv>/synthetic/missing-modified.json',
      '<osv>/synthetic/not-an-object.json',
      '<tmp>/mixed.zip (broken.json)',
      '<tmp>/mixed.zip (crc.json)',
    ]);
    expect(log.warnings).toHaveLength(5);
    expect(log.warnings[0]).toMatch(/bad-json\.json: bad JSON/);
    expect(log.warnings[1]).toMatch(/missing-modified\.json: invalid OSV record: modified: missing/);
    expect(log.warnings[2]).toMatch(/not-an-object\.json: invalid OSV record: \(root\): not a JSON object/);
    expect(log.warnings[4]).toMatch(/mixed\.zip \(crc\.json\): crc\.json: CRC-32 mismatch/);
    expect(lookup('crates.io', 'serde_yaml').map((r) => r.id)).toEqual(['RUSTSEC-2018-0005']);
  });

  it('accepts the protobufjs record with the malformed fixed event as it is', async () => {
    await importOsv(db, [join(realDir, 'npm/GHSA-h755-8qp9-cq85.json')]);
    const [record] = lookup('npm', 'protobufjs');
    expect(record!.affected[0]!.ranges[0]!.events).toEqual([{ introduced: '6.10.0' }, { fixed: '7.2.4, 6.11.4' }]);
  });

  it('fails before touching the database when an input does not exist', async () => {
    await expect(importOsv(db, [realDir, join(dir, 'nope')])).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND' });
    expect(existsSync(db)).toBe(false);
  });

  it('leaves the existing database untouched when an input cannot be read, and no temporary files behind', async () => {
    await importOsv(db, [join(realDir, AXIOS)]);
    const before = sha256(db);
    const junk = join(dir, 'junk.zip');
    writeFileSync(junk, 'PK\x03\x04 this is not really a zip archive');
    const err = await importOsv(db, [realDir, junk]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PalisadeError);
    expect((err as PalisadeError).code).toBe('INPUT_UNREADABLE');
    expect((err as Error).message).toMatch(/junk\.zip: not a readable ZIP archive/);
    expect(sha256(db)).toBe(before);
    expect(strayFiles(dir, ['vuln.db', 'junk.zip'])).toEqual([]);
  });

  it('creates the database directory and removes temporary copies of writers that died', async () => {
    const nested = join(dir, 'a', 'b', 'vuln.db');
    await importOsv(nested, [join(realDir, AXIOS)]);
    const stale = join(dir, 'a', 'b', '.vuln.db.2147483646.1700000000000.tmp');
    writeFileSync(stale, 'left over by a killed import');
    await importOsv(nested, [join(realDir, AXIOS)]);
    expect(existsSync(stale)).toBe(false);
    expect(readFileSync(nested).subarray(0, 15).toString()).toBe('SQLite format 3');
  });

  it('treats an empty file as no database', async () => {
    writeFileSync(db, '');
    expect((await importOsv(db, [join(realDir, AXIOS)])).imported).toBe(1);
  });
});
