/**
 * The package entries Composer writes to both composer.lock (`packages`, `packages-dev`) and
 * vendor/composer/installed.json: `name`, `version`, `source`/`dist` with a `reference`,
 * `license`, `require`, `replace`. Shared by the two PHP catalogers.
 */
import { LineIndex } from '../../../core/lines.ts';
import { makePurl } from '../../../core/purl.ts';
import type { InputIssue, Package } from '../../../core/types.ts';
import type { CatalogInput } from '../cataloger.ts';

/** A package entry plus whether it is only needed for development. */
export interface ComposerEntry {
  entry: unknown;
  dev: boolean;
}

/** Requirements on the PHP runtime and its extensions, not on packages (https://getcomposer.org/doc/01-basic-usage.md#platform-packages). */
function isPlatformPackage(name: string): boolean {
  return /^(?:php(?:-64bit|-ipv6|-zts|-debug)?|hhvm|composer|composer-(?:plugin|runtime)-api|(?:ext|lib)-.+)$/i.test(name);
}

/** A full SHA-1/SHA-256 commit; drupal.org packages put their tag name in `reference` instead. */
const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;

/** Versions that follow a branch (`dev-main`, `2.x-dev`): only the commit says what was installed. */
const BRANCH_VERSION = /^dev-|-dev$/;

interface ParsedEntry {
  pkg: Package;
  requires: string[];
  replaces: string[];
}

/**
 * Turn package entries into Packages: commit from `source.reference`, licenses, `require` edges
 * resolved within the same file (a name another package `replace`s resolves to that package),
 * `direct` from the project's composer.json when `manifest` (its text) is given.
 */
export function composerPackages(
  entries: ComposerEntry[],
  input: CatalogInput,
  text: string,
  manifest: string | undefined,
): { packages: Package[]; issues: InputIssue[] } {
  const locate = entryLocator(text);
  const issues: InputIssue[] = [];
  const parsed: ParsedEntry[] = [];
  for (const { entry, dev } of entries) {
    const result = readEntry(entry, dev, input.path, locate);
    if ('message' in result) issues.push(result);
    else parsed.push(result);
  }
  linkRequires(parsed);
  markDirect(parsed, manifest);
  return { packages: parsed.map((p) => p.pkg), issues };
}

function readEntry(
  entry: unknown,
  dev: boolean,
  path: string,
  locate: (name: string) => number | undefined,
): ParsedEntry | InputIssue {
  const e = asRecord(entry);
  if (!e) return { path, message: 'skipped package entry: not an object' };
  if (typeof e['name'] !== 'string' || e['name'] === '') return { path, message: 'skipped package entry without a name' };
  const name = e['name'];
  const line = locate(name);
  const at = { path, ...(line !== undefined && { line }) };
  if (typeof e['version'] !== 'string' || e['version'] === '') return { ...at, message: `skipped package ${name}: no version` };
  const version = e['version'];
  const source = asRecord(e['source']);
  const reference = typeof source?.['reference'] === 'string' ? source['reference'] : undefined;
  const commit = reference !== undefined && COMMIT.test(reference) ? reference : undefined;
  const licenses = stringList(e['license']);
  const pkg: Package = {
    name,
    version,
    ecosystem: 'Packagist',
    purl: makePurl('Packagist', name, version, vcsQualifier(version, source, commit)),
    locations: [at],
    scope: dev ? 'dev' : 'required',
    ...(dev && { groups: ['dev'] }),
    ...(licenses.length > 0 && { licenses }),
    ...(commit !== undefined && { commit }),
  };
  return { pkg, requires: Object.keys(asRecord(e['require']) ?? {}), replaces: Object.keys(asRecord(e['replace']) ?? {}) };
}

/**
 * A released version names the code on its own; a branch version (`dev-main`) does not, so its
 * purl carries the commit (`vcs_url`) to keep two checkouts of one branch apart.
 */
function vcsQualifier(
  version: string,
  source: Record<string, unknown> | undefined,
  commit: string | undefined,
): Record<string, string> | undefined {
  if (commit === undefined || !BRANCH_VERSION.test(version)) return undefined;
  const url = source?.['url'];
  const type = typeof source?.['type'] === 'string' ? source['type'] : 'git';
  return typeof url === 'string' ? { vcs_url: `${type}+${url}@${commit}` } : undefined;
}

function linkRequires(parsed: ParsedEntry[]): void {
  const byName = new Map<string, Package>();
  // Real packages win over a name another package merely replaces.
  for (const p of parsed) for (const r of p.replaces) if (!byName.has(r.toLowerCase())) byName.set(r.toLowerCase(), p.pkg);
  for (const p of parsed) byName.set(p.pkg.name.toLowerCase(), p.pkg);
  for (const p of parsed) {
    const deps = p.requires
      .filter((r) => !isPlatformPackage(r))
      .map((r) => byName.get(r.toLowerCase()))
      .filter((d): d is Package => d !== undefined && d !== p.pkg)
      .map((d) => d.purl);
    if (deps.length > 0) p.pkg.dependsOn = [...new Set(deps)].sort();
  }
}

/** Names in the project's composer.json `require`/`require-dev` are its direct dependencies. */
function markDirect(parsed: ParsedEntry[], manifest: string | undefined): void {
  if (manifest === undefined) return;
  let json: Record<string, unknown> | undefined;
  try {
    json = asRecord(JSON.parse(manifest));
  } catch {
    return; // A broken companion manifest only costs the `direct` flags, not the lockfile.
  }
  const direct = new Set(
    [...Object.keys(asRecord(json?.['require']) ?? {}), ...Object.keys(asRecord(json?.['require-dev']) ?? {})].map((n) =>
      n.toLowerCase(),
    ),
  );
  for (const p of parsed) if (direct.has(p.pkg.name.toLowerCase())) p.pkg.direct = true;
}

/**
 * JSON.parse gives no positions: find each package's `"name": "<name>"` in the text, searching
 * on from the previous hit because entries appear in file order.
 */
function entryLocator(text: string): (name: string) => number | undefined {
  const index = new LineIndex(text);
  let from = 0;
  return (name) => {
    const pattern = new RegExp(`"name"\\s*:\\s*${escapeRegExp(JSON.stringify(name))}`, 'g');
    pattern.lastIndex = from;
    const m = pattern.exec(text) ?? ((pattern.lastIndex = 0), pattern.exec(text));
    if (!m) return undefined;
    from = m.index + m[0].length;
    return index.lineAt(m.index);
  };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** `license` is normally an array of SPDX ids; tolerate a single string. */
function stringList(value: unknown): string[] {
  if (typeof value === 'string') return value === '' ? [] : [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v !== '') : [];
}
