/**
 * `palisade db import`: loads OSV records from directories (recursively: `*.json` and
 * `*.zip`), single JSON files and ZIP archives (OSV's per-ecosystem `all.zip`, one record per
 * entry) into the vulnerability database, atomically (see rewriteAtomically).
 *
 * A record that cannot be read (bad JSON, invalid OSV, damaged ZIP entry) is skipped with a
 * warning naming it and the import carries on; an input that cannot be opened at all stops
 * the import with the database unchanged.
 */
import { closeSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PalisadeError, errorMessage } from '../../core/errors.ts';
import { silentLogger, type Logger } from '../../core/log.ts';
import { openZip, ZipError, type ZipLimits } from '../../core/zip.ts';
import { OsvRecordError, readOsvRecord } from '../osv/record.ts';
import { ecosystemBase } from './names.ts';
import { rewriteAtomically, type StoreWriter } from './store.ts';

export interface ImportReport {
  /** Records new to the database. */
  imported: number;
  /** Records that replaced an older copy (newer `modified`). */
  updated: number;
  /** Records not newer than the stored copy (unchanged or older), left alone. */
  skipped: number;
  /** Withdrawn records (newer than any stored copy): not matchable, a stored copy is removed. */
  withdrawn: number;
  /** Records that could not be read; each is in `problems`. */
  malformed: number;
  /** Records stored (imported + updated) per base ecosystem of their affected packages. */
  byEcosystem: Record<string, number>;
  /** The unreadable records: file or `archive (entry)`, and why. */
  problems: { source: string; reason: string }[];
}

export interface ImportOptions {
  log?: Logger;
  /** Bounds for ZIP archives (entry size, total size, entry count). */
  zipLimits?: ZipLimits;
}

/** Largest JSON file read as one record. */
const MAX_JSON_FILE = 256 * 1024 * 1024;
/** Malformed records named one by one before the rest are only counted. */
const MAX_WARNINGS = 50;

export function emptyReport(): ImportReport {
  return { imported: 0, updated: 0, skipped: 0, withdrawn: 0, malformed: 0, byEcosystem: {}, problems: [] };
}

/** Imports `inputs` into the database at `dbPath` (created when missing) in one atomic step. */
export async function importOsv(dbPath: string, inputs: string[], options: ImportOptions = {}): Promise<ImportReport> {
  const log = options.log ?? silentLogger;
  // Resolve every input before touching the database, so a typo fails fast.
  const files = inputs.flatMap((input) => expandInput(input, log));
  const report = emptyReport();
  await rewriteAtomically(dbPath, (writer) => {
    for (const file of files) importFile(writer, file, report, log, options.zipLimits);
  });
  summariseProblems(report, log);
  return report;
}

export interface InputFile {
  path: string;
  kind: 'json' | 'zip';
}

/** Lists the files an input stands for: a directory's `*.json`/`*.zip` (sorted), or the file. */
function expandInput(input: string, log: Logger): InputFile[] {
  let st;
  try {
    st = statSync(input);
  } catch (err) {
    throw new PalisadeError('INPUT_NOT_FOUND', `cannot read ${input}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : errorMessage(err)}`, {
      cause: err,
    });
  }
  if (!st.isDirectory()) return [{ path: input, kind: sniff(input) }];
  const found: InputFile[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && /\.json$/i.test(entry.name)) found.push({ path, kind: 'json' });
      else if (entry.isFile() && /\.zip$/i.test(entry.name)) found.push({ path, kind: 'zip' });
    }
  };
  walk(input);
  if (found.length === 0) log.warn(`${input}: no .json or .zip files found`);
  return found;
}

/** A file given by name is a ZIP archive when it starts like one, whatever its extension. */
function sniff(path: string): 'json' | 'zip' {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const n = readSync(fd, head, 0, 4, 0);
    return n === 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5) ? 'zip' : 'json';
  } finally {
    closeSync(fd);
  }
}

/** Imports one file (a JSON record or every `.json` entry of a ZIP archive) into `writer`. */
export function importFile(writer: StoreWriter, file: InputFile, report: ImportReport, log: Logger, zipLimits?: ZipLimits): void {
  if (file.kind === 'json') {
    let text: string;
    try {
      if (statSync(file.path).size > MAX_JSON_FILE) throw new Error(`larger than ${MAX_JSON_FILE} bytes`);
      text = readFileSync(file.path, 'utf8');
    } catch (err) {
      malformed(report, file.path, errorMessage(err), log);
      return;
    }
    importText(writer, text, file.path, report, log);
    return;
  }
  let zip;
  try {
    zip = openZip(file.path, zipLimits);
  } catch (err) {
    throw new PalisadeError('INPUT_UNREADABLE', `${file.path}: not a readable ZIP archive (${errorMessage(err)})`, { cause: err });
  }
  try {
    for (const entry of zip.entries()) {
      if (entry.isDirectory || !/\.json$/i.test(entry.name)) continue;
      const source = `${file.path} (${entry.name})`;
      let text: string;
      try {
        text = entry.read().toString('utf8');
      } catch (err) {
        // A bomb-sized total is the archive's problem, not one record's: stop here.
        if (err instanceof ZipError && /archive expands/.test(err.message)) {
          throw new PalisadeError('INPUT_UNREADABLE', `${file.path}: ${err.message}`, { cause: err });
        }
        malformed(report, source, errorMessage(err), log);
        continue;
      }
      importText(writer, text, source, report, log);
    }
  } finally {
    zip.close();
  }
}

function importText(writer: StoreWriter, text: string, source: string, report: ImportReport, log: Logger): void {
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    malformed(report, source, `bad JSON: ${errorMessage(err)}`, log);
    return;
  }
  let parsed;
  try {
    parsed = readOsvRecord(value);
  } catch (err) {
    if (!(err instanceof OsvRecordError)) throw err;
    malformed(report, source, err.message, log);
    return;
  }
  const { record, warnings } = parsed;
  for (const w of warnings) log.debug(`${source}: ${w}`);
  const outcome = writer.put(record);
  report[outcome]++;
  if (outcome === 'imported' || outcome === 'updated') {
    const bases = new Set(record.affected.flatMap((a) => (a.package ? [ecosystemBase(a.package.ecosystem)] : [])));
    for (const base of bases) report.byEcosystem[base] = (report.byEcosystem[base] ?? 0) + 1;
  }
}

function malformed(report: ImportReport, source: string, reason: string, log: Logger): void {
  report.malformed++;
  report.problems.push({ source, reason });
  if (report.problems.length <= MAX_WARNINGS) log.warn(`skipped ${source}: ${reason}`);
}

export function summariseProblems(report: ImportReport, log: Logger): void {
  if (report.problems.length > MAX_WARNINGS) {
    log.warn(`… and ${report.problems.length - MAX_WARNINGS} more unreadable records (run with --debug to list them)`);
    for (const p of report.problems.slice(MAX_WARNINGS)) log.debug(`skipped ${p.source}: ${p.reason}`);
  }
}
