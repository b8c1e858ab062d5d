/**
 * renv.lock (https://rstudio.github.io/renv/articles/lockfile.html): JSON with a `Packages` map,
 * name → `{Package, Version, Source, Repository, Requirements, Remote*}`.
 * Only packages installed from CRAN (or Posit Package Manager, which serves CRAN under its own
 * repository name) are CRAN packages: Bioconductor, GitHub/GitLab remotes and local sources have
 * other identities and are left out, as are entries that name no repository at all.
 */
import { ParseError } from '../../../core/errors.ts';
import { LineIndex } from '../../../core/lines.ts';
import { makePurl } from '../../../core/purl.ts';
import type { InputIssue, Package } from '../../../core/types.ts';
import { baseName, type Cataloger, type CatalogInput, type CatalogResult } from '../cataloger.ts';
import { parseJsonObject } from '../json.ts';

/** Repository names renv records for CRAN and its Posit Package Manager mirror. */
const CRAN_REPOSITORIES = new Set(['CRAN', 'RSPM', 'PPM', 'P3M']);

export const renvLockCataloger: Cataloger = {
  name: 'r/renv-lock',
  ecosystem: 'CRAN',
  wants: (path) => baseName(path) === 'renv.lock',
  catalog: catalogRenvLock,
};

interface Entry {
  pkg: Package;
  requirements: string[];
}

async function catalogRenvLock(input: CatalogInput): Promise<CatalogResult> {
  const text = await input.text();
  const doc = parseJsonObject(text, 'renv.lock');
  const raw = doc['Packages'] ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ParseError('`Packages` is not an object');

  const lines = new LineIndex(text);
  const packagesAt = text.indexOf('"Packages"');
  const issues: InputIssue[] = [];
  const entries: Entry[] = [];
  let from = packagesAt;
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const at = keyOffset(text, key, from);
    const line = at === -1 ? undefined : lines.lineAt(at);
    if (at !== -1) from = at + 1;
    const entry = readEntry(key, value, input.path, line);
    if (typeof entry === 'string') issues.push({ path: input.path, ...(line !== undefined && { line }), message: entry });
    else if (entry) entries.push(entry);
  }
  linkRequirements(entries);
  return { packages: entries.map((e) => e.pkg), ...(issues.length > 0 && { issues }) };
}

/** Offset of `"key":` at or after `from` (a package name also appears in other packages' Requirements). */
function keyOffset(text: string, key: string, from: number): number {
  const re = new RegExp(`${JSON.stringify(key).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*:`, 'g');
  re.lastIndex = Math.max(from, 0);
  return re.exec(text)?.index ?? -1;
}

/** One CRAN package; undefined for a package from elsewhere; a string when the entry is unusable. */
function readEntry(key: string, value: unknown, path: string, line: number | undefined): Entry | string | undefined {
  if (typeof value !== 'object' || value === null) return `skipped package ${key}: not an object`;
  const { Package: name = key, Version: version, Repository: repository, Requirements: requirements } =
    value as Record<string, unknown>;
  if (typeof repository !== 'string' || !CRAN_REPOSITORIES.has(repository)) return undefined;
  if (typeof name !== 'string' || name === '') return `skipped package ${key}: no name`;
  if (typeof version !== 'string' || version === '') return `skipped package ${name}: no version`;
  return {
    pkg: {
      name,
      version,
      ecosystem: 'CRAN',
      purl: makePurl('CRAN', name, version),
      locations: [{ path, ...(line !== undefined && { line }) }],
      scope: 'required',
    },
    requirements: Array.isArray(requirements) ? requirements.filter((r): r is string => typeof r === 'string') : [],
  };
}

/** `Requirements` name other packages of the lockfile; base packages (tools, utils, …) are not in it. */
function linkRequirements(entries: Entry[]): void {
  const byName = new Map(entries.map((e) => [e.pkg.name, e.pkg.purl]));
  for (const e of entries) {
    const purls = e.requirements.map((r) => byName.get(r)).filter((p): p is string => p !== undefined);
    if (purls.length > 0) e.pkg.dependsOn = [...new Set(purls)].sort();
  }
}
