/**
 * Pipfile.lock (pipenv, `pipfile-spec` 6): a JSON object whose `default` section holds the runtime
 * packages and `develop` the dev packages; newer pipenv adds custom categories as further
 * top-level sections (installed only on request, so treated like dev). Each entry is keyed by
 * name and pins `version: "==x"`. Entries without a version are git/path/file checkouts
 * (`git` + `ref`, `path`, `file`); they carry no release to match, so they are not catalogued.
 */
import { ParseError } from '../../../core/errors.ts';
import { LineIndex } from '../../../core/lines.ts';
import type { InputIssue, Package } from '../../../core/types.ts';
import { baseName, type Cataloger, type CatalogInput, type CatalogResult } from '../cataloger.ts';
import { isRecord } from '../../../core/json.ts';
import { isCommit, pypiPackage, stringField } from './common.ts';
import { parseJson } from '../json.ts';

const MAX_PIPFILE_SPEC = 6;
const META = '_meta';
const DEFAULT_SECTION = 'default';
const DEV_SECTION = 'develop';

interface Entry {
  name: string;
  version: string;
  line?: number;
  git?: { url: string; commit: string };
  sections: string[];
}

export const pipfileLockCataloger: Cataloger = {
  name: 'python/pipfile-lock',
  ecosystem: 'PyPI',
  wants: (path) => baseName(path) === 'Pipfile.lock',
  catalog: catalogPipfileLock,
};

async function catalogPipfileLock(input: CatalogInput): Promise<CatalogResult> {
  const text = await input.text();
  const doc = parsePipfileLock(text);
  checkSpec(doc[META]);

  const lines = new LineIndex(text);
  const issues: InputIssue[] = [];
  // One package per name and version; a package in several sections keeps them all.
  const entries = new Map<string, Entry>();
  for (const section of sectionNames(doc)) {
    const packages = doc[section];
    if (!isRecord(packages)) continue;
    const sectionOffset = keyOffset(text, section, 0);
    for (const [name, value] of Object.entries(packages)) {
      const offset = sectionOffset === undefined ? undefined : keyOffset(text, name, sectionOffset);
      const line = offset === undefined ? undefined : lines.lineAt(offset);
      const entry = readEntry(name, value, line);
      if (typeof entry === 'string') {
        issues.push({ path: input.path, ...(line !== undefined && { line }), message: entry });
        continue;
      }
      if (!entry) continue;
      const key = `${name}@${entry.version}`;
      const seen = entries.get(key);
      if (seen) seen.sections.push(section);
      else entries.set(key, { ...entry, sections: [section] });
    }
  }
  const packages = [...entries.values()].map((e) => toPackage(e, input.path));
  return { packages, ...(issues.length > 0 && { issues }) };
}

function parsePipfileLock(text: string): Record<string, unknown> {
  const doc = parseJson(text, 'Pipfile.lock');
  if (!isRecord(doc) || !(META in doc || DEFAULT_SECTION in doc || DEV_SECTION in doc)) {
    throw new ParseError('not a Pipfile.lock: no `_meta`, `default` or `develop` section');
  }
  return doc;
}

function checkSpec(meta: unknown): void {
  const spec = isRecord(meta) ? meta['pipfile-spec'] : undefined;
  if (spec === undefined) return;
  if (typeof spec !== 'number' || !Number.isInteger(spec) || spec < 1 || spec > MAX_PIPFILE_SPEC) {
    throw new ParseError(`unsupported pipfile-spec ${String(spec)}`);
  }
}

/** `default` first, so a package also listed elsewhere is located at its runtime entry. */
function sectionNames(doc: Record<string, unknown>): string[] {
  const rest = Object.keys(doc).filter((k) => k !== META && k !== DEFAULT_SECTION);
  return DEFAULT_SECTION in doc ? [DEFAULT_SECTION, ...rest] : rest;
}

/** Offset of the JSON key `"key":` at or after `from` (JSON.parse gives no positions). */
function keyOffset(text: string, key: string, from: number): number | undefined {
  const pattern = new RegExp(`"${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"\\s*:`, 'g');
  pattern.lastIndex = from;
  return pattern.exec(text)?.index;
}

/** One entry: what to catalogue, undefined for a checkout without a version, or why it was skipped. */
function readEntry(name: string, value: unknown, line: number | undefined): Omit<Entry, 'sections'> | string | undefined {
  if (!isRecord(value)) return `skipped ${name}: entry is not an object`;
  const pin = stringField(value, 'version');
  if (pin === undefined) return undefined;
  const version = /^===?\s*(\S+)$/.exec(pin)?.[1];
  if (!version) return `skipped ${name}: version ${pin} is not an exact pin`;
  const url = stringField(value, 'git');
  const ref = stringField(value, 'ref');
  return { name, version, line, ...(url && isCommit(ref) && { git: { url, commit: ref } }) };
}

/** Runtime if any section is `default`; otherwise dev, with the sections it came from as groups. */
function toPackage(entry: Entry, path: string): Package {
  const required = entry.sections.includes(DEFAULT_SECTION);
  const groups = required ? [] : entry.sections.map((s) => (s === DEV_SECTION ? 'dev' : s));
  return pypiPackage({
    name: entry.name,
    version: entry.version,
    path,
    line: entry.line,
    scope: required ? 'required' : 'dev',
    groups,
    git: entry.git,
  });
}
