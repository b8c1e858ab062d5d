/**
 * Compatibility suite: imports every record of ../shared/corpus/osv (one folder per ecosystem,
 * one record per file) into a fresh database and checks that nothing valid was lost: every
 * file whose JSON is a valid, non-withdrawn OSV record is retrievable by id (as the newest copy
 * when an id appears twice) and by each of its affected packages. Prints the counts.
 */
import { readFileSync, readdirSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importOsv } from '../../src/vuln/db/import.ts';
import { openVulnDb } from '../../src/vuln/db/store.ts';
import { readOsvRecord, type OsvRecord } from '../../src/vuln/osv/record.ts';
import { corpusDir } from '../helpers/corpus.ts';

const root = corpusDir('osv');

/**
 * Every record file, read independently of the importer. Per id the newest copy counts (the
 * first one read on a tie); it is expected in the database unless it is withdrawn.
 */
function expectedRecords(dir: string): { valid: Map<string, OsvRecord>; withdrawn: Set<string>; invalid: number } {
  const newest = new Map<string, OsvRecord>();
  let invalid = 0;
  for (const eco of readdirSync(dir, { withFileTypes: true })) {
    if (!eco.isDirectory()) continue;
    for (const file of readdirSync(join(dir, eco.name))) {
      if (!file.endsWith('.json')) continue;
      let record: OsvRecord;
      try {
        record = readOsvRecord(JSON.parse(readFileSync(join(dir, eco.name, file), 'utf8'))).record;
      } catch {
        invalid++;
        continue;
      }
      const seen = newest.get(record.id);
      if (!seen || Date.parse(record.modified) > Date.parse(seen.modified)) newest.set(record.id, record);
    }
  }
  const valid = new Map([...newest].filter(([, r]) => !r.withdrawn));
  const withdrawn = new Set([...newest].filter(([, r]) => r.withdrawn).map(([id]) => id));
  return { valid, withdrawn, invalid };
}

describe.skipIf(!root)('OSV corpus import', () => {
  it('imports every valid record, retrievable by id and by package', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-compat-osv-'));
    try {
      const path = join(dir, 'vuln.db');
      const started = performance.now();
      const report = await importOsv(path, [root!]);
      const ms = performance.now() - started;
      const { valid, withdrawn, invalid } = expectedRecords(root!);
      const total = report.imported + report.updated + report.skipped + report.withdrawn + report.malformed;
      const perEcosystem = Object.entries(report.byEcosystem)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([e, n]) => `${e} ${n}`)
        .join(', ');
      console.log(
        `[compat] osv import: ${total} records, ${report.malformed} malformed, ${report.withdrawn} withdrawn, ` +
          `${report.skipped} duplicates/older, ${report.imported} stored in ${ms.toFixed(0)} ms; per ecosystem: ${perEcosystem}`,
      );
      expect(report.malformed).toBe(invalid);

      const db = openVulnDb(path);
      try {
        const lost: string[] = [];
        const unindexed: string[] = [];
        for (const [id, record] of valid) {
          const stored = db.advisory(id);
          if (!stored || stored.modified !== record.modified) {
            lost.push(id);
            continue;
          }
          for (const a of record.affected) {
            if (a.package && !db.advisoriesFor(a.package.ecosystem, a.package.name).some((r) => r.id === id)) {
              unindexed.push(`${id} (${a.package.ecosystem}/${a.package.name})`);
            }
          }
        }
        for (const id of withdrawn) if (db.advisory(id)) lost.push(`${id} (withdrawn but stored)`);
        console.log(`[compat] osv import: ${valid.size - lost.length}/${valid.size} valid records retrievable by id, ${unindexed.length} package lookups missed`);
        expect(lost).toEqual([]);
        expect(unindexed).toEqual([]);
        expect(db.status().advisories).toBe(valid.size);
      } finally {
        db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
