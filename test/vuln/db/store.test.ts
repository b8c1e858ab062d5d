import { openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PalisadeError } from '../../../src/core/errors.ts';
import { importOsv } from '../../../src/vuln/db/import.ts';
import { openVulnDb, SCHEMA_VERSION, type VulnDb } from '../../../src/vuln/db/store.ts';
import { realDir, realRecord, sha256, tempDir } from './helpers.ts';

let dir: string;
let path: string;
let db: VulnDb;
beforeAll(async () => {
  dir = tempDir();
  path = join(dir, 'vuln.db');
  await importOsv(path, [realDir]);
  db = openVulnDb(path);
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const ids = (ecosystem: string, name: string) => db.advisoriesFor(ecosystem, name).map((r) => r.id);

describe('advisoriesFor', () => {
  it('returns the stored records exactly as readOsvRecord read them (plain and compressed)', () => {
    expect(db.advisoriesFor('npm', 'protobufjs')).toEqual([realRecord('npm/GHSA-h755-8qp9-cq85.json')]);
    // The jquery record is over 2 KB and is stored deflated.
    expect(db.advisoriesFor('npm', 'jquery')).toEqual([realRecord('npm/GHSA-gxr4-xjj5-5px2.json')]);
  });

  it('matches npm, NuGet and Maven names case-insensitively (GHSA writes `Axios`)', () => {
    expect(ids('npm', 'axios')).toEqual(['GHSA-8hc4-vh64-cxmj']);
    expect(ids('npm', 'AXIOS')).toEqual(['GHSA-8hc4-vh64-cxmj']);
    expect(ids('NuGet', 'newtonsoft.json')).toEqual(['GHSA-5crp-9r3c-p9vr']);
    expect(ids('NuGet', 'jQuery')).toEqual(['GHSA-gxr4-xjj5-5px2']);
    expect(ids('Maven', 'org.webjars.npm:jquery')).toEqual(['GHSA-gxr4-xjj5-5px2']);
  });

  it('applies PEP 503 to PyPI names and accepts any spelling of the ecosystem', () => {
    expect(ids('PyPI', 'CipherBcrypt')).toEqual(['PYSEC-2024-55']);
    expect(ids('pypi', 'cipherbcrypt')).toEqual(['PYSEC-2024-55']);
  });

  it('keeps Go, crates.io and RubyGems names exact', () => {
    expect(ids('Go', 'github.com/Tencent/WeKnora')).toEqual(['GO-2026-4640']);
    expect(ids('Go', 'github.com/tencent/weknora')).toEqual([]);
    expect(ids('crates.io', 'serde_yaml')).toEqual(['RUSTSEC-2018-0005']);
    expect(ids('crates.io', 'serde-yaml')).toEqual([]);
    expect(ids('RubyGems', 'jquery-rails')).toEqual(['GHSA-gxr4-xjj5-5px2']);
  });

  it('returns every release of a distro for base or suffixed ecosystems (the matcher filters releases)', () => {
    expect(ids('Debian', 'libxml2')).toEqual(['DLA-3012-1']);
    expect(ids('Debian:9', 'libxml2')).toEqual(['DLA-3012-1']);
    expect(ids('Debian:12', 'libxml2')).toEqual(['DLA-3012-1']);
    expect(ids('Ubuntu:22.04:LTS', 'wayland')).toEqual(['USN-5614-1']);
    expect(ids('Ubuntu', 'wayland')).toEqual(['USN-5614-1']);
    expect(ids('Ubuntu', 'libxml2')).toEqual([]);
  });

  it('finds nothing for unknown packages or ecosystems', () => {
    expect(ids('npm', 'left-pad')).toEqual([]);
    expect(ids('Hackage', 'aeson')).toEqual([]);
  });
});

describe('advisory and idsForAlias', () => {
  it('finds advisories by id and by alias or upstream id', () => {
    expect(db.advisory('RUSTSEC-2024-0386')?.affected[0]?.package?.name).toBe('strason');
    expect(db.advisory('NOPE-1')).toBeUndefined();
    expect(db.idsForAlias('CVE-2024-39338')).toEqual(['GHSA-8hc4-vh64-cxmj']);
    // Debian DLA records list their CVEs in `upstream`.
    expect(db.idsForAlias('CVE-2022-29824')).toEqual(['DLA-3012-1']);
  });
});

describe('status', () => {
  it('reports schema, counts per ecosystem and age', () => {
    const s = db.status();
    expect(s).toMatchObject({ path, schemaVersion: SCHEMA_VERSION, advisories: 11, withdrawn: 2, feeds: [] });
    expect(s.byEcosystem).toEqual({ Debian: 1, Go: 2, Maven: 1, NuGet: 2, PyPI: 1, RubyGems: 1, Ubuntu: 1, 'crates.io': 2, npm: 3 });
    expect(s.sizeBytes).toBe(statSync(path).size);
    expect(Date.parse(s.created!)).toBeLessThanOrEqual(Date.parse(s.lastUpdate!));
    expect(s.ageMs).toBeGreaterThanOrEqual(0);
    expect(s.ageMs).toBeLessThan(60_000);
  });
});

describe('openVulnDb errors', () => {
  const expectError = (file: string, code: string, pattern: RegExp) => {
    let error: unknown;
    try {
      openVulnDb(file).close();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PalisadeError);
    expect((error as PalisadeError).code).toBe(code);
    expect((error as Error).message).toMatch(pattern);
  };

  it('explains both ways to get a database when it is missing', () => {
    expectError(join(dir, 'missing.db'), 'DB_MISSING', /no vulnerability database at .*missing\.db.*`palisade db update`.*`palisade db import <dir\|zip>`/);
  });

  it('refuses a file that is not SQLite, leaving it untouched (also for import)', async () => {
    const file = join(dir, 'notes.db');
    writeFileSync(file, 'just some text, not a database\n'.repeat(10));
    const before = sha256(file);
    expectError(file, 'DB_CORRUPT', /not a SQLite file.*left untouched.*`palisade db update`.*`palisade db import/);
    await expect(importOsv(file, [realDir])).rejects.toMatchObject({ code: 'DB_CORRUPT' });
    expect(sha256(file)).toBe(before);
  });

  it('refuses another program’s SQLite database, leaving it untouched (also for import)', async () => {
    const file = join(dir, 'foreign.db');
    const other = new DatabaseSync(file);
    other.exec("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('Ada');");
    other.close();
    const before = sha256(file);
    expectError(file, 'DB_CORRUPT', /SQLite database of another program/);
    await expect(importOsv(file, [realDir])).rejects.toMatchObject({ code: 'DB_CORRUPT' });
    expect(sha256(file)).toBe(before);
  });

  it('refuses a database with a newer schema version, also for import', async () => {
    const file = join(dir, 'future.db');
    await importOsv(file, [join(realDir, 'npm/GHSA-8hc4-vh64-cxmj.json')]);
    const raw = new DatabaseSync(file);
    raw.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    const before = sha256(file);
    expectError(file, 'DB_CORRUPT', new RegExp(`schema version ${SCHEMA_VERSION + 1}, newer than this Palisade understands`));
    await expect(importOsv(file, [realDir])).rejects.toMatchObject({ code: 'DB_CORRUPT' });
    expect(sha256(file)).toBe(before);
  });

  it('refuses an empty file', () => {
    const file = join(dir, 'empty.db');
    writeFileSync(file, '');
    expectError(file, 'DB_CORRUPT', /the file is empty/);
  });

  it('reports a damaged record as DB_CORRUPT', async () => {
    const file = join(dir, 'bad-record.db');
    await importOsv(file, [join(realDir, 'npm/GHSA-8hc4-vh64-cxmj.json')]);
    const raw = new DatabaseSync(file);
    raw.exec("UPDATE advisories SET record = '{\"id\": truncated'");
    raw.close();
    const damaged = openVulnDb(file);
    expect(() => damaged.advisoriesFor('npm', 'axios')).toThrow(/advisory GHSA-8hc4-vh64-cxmj cannot be decoded/);
    damaged.close();
  });

  it('reports damage inside the file as DB_CORRUPT', async () => {
    const file = join(dir, 'damaged.db');
    await importOsv(file, [realDir]);
    const size = statSync(file).size;
    // Keep the header page, overwrite everything after it.
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(size - 4096, 0xa5), 0, size - 4096, 4096);
    closeSync(fd);
    let error: unknown;
    try {
      const damaged = openVulnDb(file);
      try {
        damaged.advisoriesFor('npm', 'axios');
        damaged.status();
      } finally {
        damaged.close();
      }
    } catch (err) {
      error = err;
    }
    expect((error as PalisadeError).code).toBe('DB_CORRUPT');
    expect((error as Error).message).toMatch(/damaged\.db is not a usable Palisade vulnerability database/);
    expect(readFileSync(file).subarray(4096, 4100)).toEqual(Buffer.alloc(4, 0xa5));
  });
});
