/**
 * Helpers shared by the Python catalogers: PEP 503 name matching, TOML parsing with ParseError,
 * `[[package]]` header lines (smol-toml gives no positions), and building a PyPI Package.
 */
import { parse, TomlError } from 'smol-toml';
import { ParseError, errorMessage } from '../../../core/errors.ts';
import { makePurl } from '../../../core/purl.ts';
import type { InputIssue, Package, Scope } from '../../../core/types.ts';

/** PEP 503 normalised name: how Python tools compare names (`Foo_Bar.baz` = `foo-bar-baz`). */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** The distribution name at the start of a PEP 508 requirement string (`foo[bar]>=1; marker`). */
export function requirementName(requirement: string): string | undefined {
  return /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)/.exec(requirement)?.[1];
}

export function parseToml(text: string): Record<string, unknown> {
  try {
    return parse(text);
  } catch (err) {
    if (err instanceof TomlError) throw new ParseError(`invalid TOML: ${err.message.split('\n')[0]}`, err.line);
    throw new ParseError(`invalid TOML: ${errorMessage(err)}`);
  }
}

/**
 * Lines of the `[[<table>]]` headers; the n-th header is the n-th array element. When the count
 * does not match the parsed array (inline arrays, a header inside a multi-line string), no lines.
 */
export function arrayTableLines(text: string, table: string, count: number): (number | undefined)[] {
  const header = new RegExp(`^\\s*\\[\\[\\s*${table}\\s*\\]\\]\\s*(?:#.*)?$`);
  const lines: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (header.test(line)) lines.push(i + 1);
  });
  return lines.length === count ? lines : [];
}

/**
 * Reads each element of a lockfile's `[[<table>]]` array with `read`, which gets the element and
 * its header line and returns the item, a string (why the element was skipped: an issue) or
 * undefined (nothing to catalogue). The table itself not being an array of tables is a ParseError.
 */
export function readArrayTables<T>(
  text: string,
  doc: Record<string, unknown>,
  table: string,
  path: string,
  read: (entry: unknown, line: number | undefined) => T | string | undefined,
): { items: T[]; issues: InputIssue[] } {
  const entries = doc[table] ?? [];
  if (!Array.isArray(entries)) throw new ParseError(`\`${table}\` is not an array of tables`);
  const lines = arrayTableLines(text, table, entries.length);
  const items: T[] = [];
  const issues: InputIssue[] = [];
  entries.forEach((entry: unknown, i) => {
    const line = lines[i];
    const result = read(entry, line);
    if (typeof result === 'string') issues.push({ path, ...(line !== undefined && { line }), message: result });
    else if (result !== undefined) items.push(result);
  });
  return { items, issues };
}

export function stringField(table: Record<string, unknown>, key: string): string | undefined {
  const value = table[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export interface PypiPackageFields {
  name: string;
  version?: string;
  path: string;
  line?: number;
  scope?: Scope;
  groups?: string[];
  /** A git checkout: the commit and the repository URL (another VCS: URL with its `hg+`/`svn+` prefix). */
  git?: { url: string; commit: string };
}

/** A PyPI Package; a git checkout carries its commit in the purl (`vcs_url`) so two commits stay distinct. */
export function pypiPackage(fields: PypiPackageFields): Package {
  const { name, version, path, line, git } = fields;
  // purl `vcs_url` is `<vcs>+<url>@<commit>`; lockfiles mostly write the bare URL of a git repository.
  const vcsUrl = git && `${/^[a-z]+\+/i.test(git.url) ? '' : 'git+'}${git.url}@${git.commit}`;
  const qualifiers = vcsUrl ? { vcs_url: vcsUrl } : undefined;
  return {
    name,
    ...(version !== undefined && { version }),
    ecosystem: 'PyPI',
    purl: makePurl('PyPI', name, version, qualifiers),
    locations: [{ path, ...(line !== undefined && { line }) }],
    scope: fields.scope ?? 'required',
    ...(fields.groups && fields.groups.length > 0 && { groups: fields.groups }),
    ...(git && { commit: git.commit }),
  };
}

/** A full git commit id (abbreviated ones and branch names are not commits we can match on). */
export function isCommit(value: string | undefined): value is string {
  return value !== undefined && /^[0-9a-f]{40}$/i.test(value);
}

/** Entries of one lockfile by PEP 503 name, to resolve dependency names. */
export class NameIndex<T extends { name: string; version?: string }> {
  private readonly byName = new Map<string, T[]>();

  constructor(entries: Iterable<T>) {
    for (const entry of entries) {
      const key = normalizeName(entry.name);
      const list = this.byName.get(key);
      if (list) list.push(entry);
      else this.byName.set(key, [entry]);
    }
  }

  /** The one entry a dependency names (narrowed by version when given), or undefined if none or ambiguous. */
  resolve(name: string, version?: string): T | undefined {
    let candidates = this.byName.get(normalizeName(name)) ?? [];
    if (version !== undefined) candidates = candidates.filter((e) => e.version === version);
    return candidates.length === 1 ? candidates[0] : undefined;
  }
}

/** Sorted, de-duplicated purls of the named dependencies that resolve unambiguously. */
export function dependencyPurls(index: NameIndex<Package>, deps: { name: string; version?: string }[]): string[] {
  const purls = new Set<string>();
  for (const dep of deps) {
    const target = index.resolve(dep.name, dep.version);
    if (target) purls.add(target.purl);
  }
  return [...purls].sort();
}
