/** Shared pieces of the vulnerability database tests: fixtures, temp dirs, a recording logger. */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Logger } from '../../../src/core/log.ts';
import { readOsvRecord, type OsvRecord } from '../../../src/vuln/osv/record.ts';
import { repoRoot } from '../../helpers/corpus.ts';

export const osvFixtures = join(repoRoot, 'test', 'fixtures', 'osv');
export const realDir = join(osvFixtures, 'real');

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'palisade-vulndb-'));
}

/** Parsed JSON of a real fixture, e.g. `real('npm/GHSA-8hc4-vh64-cxmj.json')`. */
export function realJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(realDir, file), 'utf8')) as Record<string, unknown>;
}

/** The record as the store returns it (readOsvRecord's normalised form). */
export function realRecord(file: string): OsvRecord {
  return readOsvRecord(realJson(file)).record;
}

/** Every real fixture as [entry name, file text], for building archives. */
export function realEntries(): [string, string][] {
  const out: [string, string][] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else out.push([relative(realDir, path), readFileSync(path, 'utf8')]);
    }
  };
  walk(realDir);
  return out.sort(([a], [b]) => (a < b ? -1 : 1));
}

export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export function recordingLogger(): Logger & { warnings: string[]; infos: string[] } {
  const warnings: string[] = [];
  const infos: string[] = [];
  return {
    warnings,
    infos,
    warn: (m) => warnings.push(m),
    info: (m) => infos.push(m),
    debug() {},
    error: (m) => warnings.push(m),
  };
}

/** Files in `dir` other than `keep`, e.g. temporary copies a writer forgot. */
export function strayFiles(dir: string, keep: string[]): string[] {
  return readdirSync(dir).filter((f) => !keep.includes(f));
}
