/**
 * Loading rules files: read each file (YAML documents of items), layer the items in the order the
 * files are given, compile. Directories contribute their `.yaml`/`.yml` files in name order, as
 * Falco's `rules_files` does. The result carries every error and warning, per file, and the
 * compiled ruleset when there was no error.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../../core/errors.ts';
import { defaultRegistry, type FieldRegistry } from '../fields/registry.ts';
import { Collector } from './collector.ts';
import { compileCollected, type CompiledRuleset } from './compile.ts';
import { readRulesFile, type ReadResult } from './reader.ts';
import { ItemError, type LoadMessage } from './result.ts';

export interface RulesText {
  /** Name used in messages (usually the path). */
  name: string;
  text: string;
}

export interface FileLoadResult {
  name: string;
  ok: boolean;
  errors: LoadMessage[];
  warnings: LoadMessage[];
}

export interface LoadResult {
  ok: boolean;
  /** Present when there was no error. */
  ruleset?: CompiledRuleset;
  errors: LoadMessage[];
  warnings: LoadMessage[];
  files: FileLoadResult[];
}

/**
 * Parsed files by name and text. YAML parsing dominates loading (a quarter of a second for the
 * default rules) and read results are never mutated, so a process that loads the same files
 * again (tests, a server reloading) reuses them.
 */
const readCache = new Map<string, ReadResult>();
const READ_CACHE_LIMIT = 32;

function readCached(name: string, text: string): ReadResult {
  const key = `${name}\u0000${text}`;
  let hit = readCache.get(key);
  if (!hit) {
    hit = readRulesFile(name, text);
    if (readCache.size >= READ_CACHE_LIMIT) readCache.delete(readCache.keys().next().value!);
    readCache.set(key, hit);
  }
  return hit;
}

export function loadRules(files: readonly RulesText[], registry: FieldRegistry = defaultRegistry): LoadResult {
  const collector = new Collector();
  const errors: LoadMessage[] = [];
  const warnings: LoadMessage[] = [];
  for (const file of files) {
    const read = readCached(file.name, file.text);
    errors.push(...read.errors);
    warnings.push(...read.warnings);
    for (const item of read.items) {
      try {
        collector.apply(item);
      } catch (err) {
        if (!(err instanceof ItemError)) throw err;
        errors.push({ code: err.code, message: err.message, ...err.context });
        break;
      }
    }
  }
  const compiled = compileCollected(collector, registry);
  errors.push(...compiled.errors);
  warnings.push(...compiled.warnings);
  const perFile = files.map((f) => {
    const fe = errors.filter((e) => e.file === f.name);
    return { name: f.name, ok: fe.length === 0, errors: fe, warnings: warnings.filter((w) => w.file === f.name) };
  });
  const result: LoadResult = { ok: errors.length === 0, errors, warnings, files: perFile };
  if (result.ok) result.ruleset = compiled.ruleset;
  return result;
}

/** Reads rules files and directories (their .yaml/.yml files, sorted), then loads them. */
export async function loadRulesFiles(paths: readonly string[], registry: FieldRegistry = defaultRegistry): Promise<LoadResult> {
  const texts: RulesText[] = [];
  const readErrors: LoadMessage[] = [];
  for (const path of paths) {
    try {
      if ((await stat(path)).isDirectory()) {
        const names = (await readdir(path)).filter((n) => /\.ya?ml$/.test(n)).sort();
        for (const n of names) texts.push({ name: join(path, n), text: await readFile(join(path, n), 'utf8') });
      } else {
        texts.push({ name: path, text: await readFile(path, 'utf8') });
      }
    } catch (err) {
      readErrors.push({ code: 'LOAD_ERR_FILE_READ', message: `Could not read rules file: ${errorMessage(err)}`, itemType: 'rules content', itemName: '', file: path });
    }
  }
  if (readErrors.length > 0) {
    return { ok: false, errors: readErrors, warnings: [], files: readErrors.map((e) => ({ name: e.file, ok: false, errors: [e], warnings: [] })) };
  }
  return loadRules(texts, registry);
}
