/**
 * yarn.lock, both generations:
 * - classic v1, yarn's own indentation syntax: `name@^1.0.0, name@^1.2.0:` headers and
 *   `version "1.2.3"` / `resolved "…"` fields;
 * - Berry (v2+), a YAML subset with a `__metadata` entry, `name@npm:^1.0.0` descriptors and a
 *   `resolution` locator that names the real package.
 * One line scanner reads both: they share the layout (entry headers at column 0, fields one level
 * in, dependency maps two levels in), and a general YAML parser would be slower and still could not
 * read v1. Scopes come from the package.json beside the lockfile, when there is one.
 */
import { ParseError } from '../../../core/errors.ts';
import { makePurl } from '../../../core/purl.ts';
import type { InputIssue, Package, Scope } from '../../../core/types.ts';
import { baseName, type CatalogInput, type CatalogResult, type Cataloger } from '../cataloger.ts';
import { scopesByReachability, type Edge } from './dep-graph.ts';
import { gitCommit, vcsUrl } from './git-source.ts';

/** One lockfile entry: the descriptors that resolved to it and its fields. */
interface Entry {
  /** `name@range` as the dependents asked for it (v1), or `name@protocol:range` (Berry). */
  descriptors: string[];
  /** Line of the entry header. */
  line: number;
  fields: Map<string, string>;
  /** Nested maps: `dependencies`, `optionalDependencies`, … (name → range). */
  maps: Map<string, Map<string, string>>;
}

/** The dependency lists of a package.json that decide scopes. */
interface Manifest {
  dependencies: Map<string, string>;
  optionalDependencies: Map<string, string>;
  devDependencies: Map<string, string>;
}

const ROOT_GROUPS = [
  ['dependencies', 'required'],
  ['optionalDependencies', 'optional'],
  ['devDependencies', 'dev'],
] as const satisfies readonly (readonly [keyof Manifest, Scope])[];

const EDGE_MAPS = [
  ['dependencies', false],
  ['optionalDependencies', true],
] as const;

export const yarnLockCataloger: Cataloger = {
  name: 'javascript/yarn-lock',
  ecosystem: 'npm',
  wants: (path) => baseName(path) === 'yarn.lock',
  async catalog(input: CatalogInput): Promise<CatalogResult> {
    const entries = parseEntries(await input.text());
    const issues: InputIssue[] = [];
    const manifest = parseManifest(await input.sibling('package.json'), input.path, issues);
    return { packages: buildPackages(input.path, entries, manifest, issues), issues };
  },
};

// ---------------------------------------------------------------------------------------------
// Line scanner

function parseEntries(text: string): Entry[] {
  if (text.includes('\0')) throw new ParseError('not a yarn.lock: binary content');
  const entries: Entry[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  let entry: Entry | undefined;
  let fieldIndent = 0; // set by the first field of each entry
  let map: Map<string, string> | undefined; // the nested map being filled
  let mapIndent = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.endsWith('\r') ? lines[i]!.slice(0, -1) : lines[i]!;
    const content = raw.trimStart();
    if (content === '' || content.startsWith('#')) continue;
    const line = i + 1;
    const indent = raw.length - content.length;
    if (indent === 0) {
      if (!content.endsWith(':')) throw new ParseError(`expected an entry header ("name@range:"), got "${clip(content)}"`, line);
      entry = { descriptors: splitHeader(content.slice(0, -1), line), line, fields: new Map(), maps: new Map() };
      entries.push(entry);
      fieldIndent = 0;
      map = undefined;
      continue;
    }
    if (!entry) throw new ParseError('indented line before the first entry', line);
    if (fieldIndent === 0) fieldIndent = indent;
    if (indent < fieldIndent) throw new ParseError('inconsistent indentation', line);
    const [key, value] = splitField(content, line);
    if (indent === fieldIndent) {
      map = undefined;
      if (value !== undefined) entry.fields.set(key, value);
      else entry.maps.set(key, (map = new Map()));
      mapIndent = 0;
    } else if (map) {
      if (mapIndent === 0) mapIndent = indent;
      // Deeper levels (dependenciesMeta options, bin paths) carry nothing we catalog.
      if (indent === mapIndent) map.set(key, value ?? '');
    }
  }
  return entries;
}

/** `a@1, "b@2":` (v1) or `"a@npm:1, a@npm:2":` (Berry) → the descriptors. */
function splitHeader(header: string, line: number): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < header.length; i++) {
    const c = header[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      parts.push(header.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(header.slice(start));
  const descriptors = parts.flatMap((part) => {
    const trimmed = part.trim();
    return (trimmed.startsWith('"') ? unquote(trimmed, line) : trimmed).split(',').map((d) => d.trim());
  });
  if (descriptors.some((d) => d === '')) throw new ParseError('empty descriptor in entry header', line);
  return descriptors;
}

/** `key "value"` (v1), `key: value` (Berry), `"key": value`, or `key:` opening a nested map (no value). */
function splitField(content: string, line: number): [string, string | undefined] {
  let key: string;
  let rest: string;
  if (content.startsWith('"')) {
    const end = closingQuote(content, line);
    key = unquote(content.slice(0, end + 1), line);
    rest = content.slice(end + 1);
  } else {
    key = /^[^\s:]*/.exec(content)![0];
    rest = content.slice(key.length);
  }
  if (key === '') throw new ParseError(`malformed line "${clip(content)}"`, line);
  if (rest.startsWith(':')) rest = rest.slice(1);
  rest = rest.trim();
  if (rest === '') return [key, undefined];
  return [key, rest.startsWith('"') ? unquote(rest, line) : rest];
}

function closingQuote(s: string, line: number): number {
  for (let i = 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  throw new ParseError('unterminated quoted string', line);
}

/** Both generations write double-quoted strings with JSON escapes. */
function unquote(quoted: string, line: number): string {
  if (quoted.length < 2 || !quoted.endsWith('"')) throw new ParseError(`malformed quoted string ${clip(quoted)}`, line);
  if (!quoted.includes('\\')) return quoted.slice(1, -1);
  try {
    return JSON.parse(quoted) as string;
  } catch {
    throw new ParseError(`malformed quoted string ${clip(quoted)}`, line);
  }
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

// ---------------------------------------------------------------------------------------------
// Packages

/** `name@range` → [name, range]; a scope's leading `@` is part of the name. */
function splitDescriptor(descriptor: string): [string, string] {
  const at = descriptor.indexOf('@', 1);
  return at === -1 ? [descriptor, ''] : [descriptor.slice(0, at), descriptor.slice(at + 1)];
}

/** The real package behind an alias range `npm:real@^1.0.0`. */
function aliasTarget(range: string): string | undefined {
  if (!range.startsWith('npm:')) return undefined;
  const [name, rest] = splitDescriptor(range.slice(4));
  return rest === '' ? undefined : name;
}

type Identity = { name: string; version: string; commit?: string; source: string } | 'root' | { issue: string };

function identify(entry: Entry, berry: boolean): Identity {
  const resolution = berry ? entry.fields.get('resolution') : undefined;
  let name: string;
  let source: string;
  if (resolution !== undefined) {
    // Berry's resolution locator names the real package (aliases and patches resolved).
    [name, source] = splitDescriptor(resolution);
    if (source === 'workspace:.') return 'root';
  } else {
    const [alias, range] = splitDescriptor(entry.descriptors[0]!);
    name = aliasTarget(range) ?? alias;
    source = entry.fields.get('resolved') ?? range;
  }
  const version = entry.fields.get('version');
  if (!version) return { issue: `entry "${clip(entry.descriptors[0]!)}" has no version; skipped` };
  const commit = gitCommit(source);
  return commit ? { name, version, commit, source } : { name, version, source };
}

function buildPackages(path: string, entries: Entry[], manifest: Manifest | undefined, issues: InputIssue[]): Package[] {
  const { packageEntries, byDescriptor, rootEntry } = collectPackages(path, entries, issues);
  // Berry omits the default `npm:` protocol in ranges written by older versions and in package.json.
  const resolve = (name: string, range: string) =>
    byDescriptor.get(`${name}@${range}`) ?? byDescriptor.get(`${name}@npm:${range}`);
  const edges = new Map<Package, Edge<Package>[]>();
  for (const [pkg, pkgEntries] of packageEntries) {
    const list = pkgEntries.flatMap((entry) => entryEdges(entry, resolve)).filter((edge) => edge.to !== pkg);
    edges.set(pkg, list);
    if (list.length > 0) pkg.dependsOn = [...new Set(list.map((e) => e.to.purl))].sort();
  }

  const roots = rootDependencies(manifest, rootEntry).flatMap(({ name, range, scope }) => {
    const node = resolve(name, range);
    return node ? [{ node, scope }] : [];
  });
  const scopes = scopesByReachability(roots, (pkg) => edges.get(pkg) ?? []);
  for (const { node } of roots) node.direct = true;
  const packages = [...packageEntries.keys()];
  for (const pkg of packages) {
    // Without a package.json there are no dev roots: everything counts as required.
    pkg.scope = scopes.get(pkg) ?? 'required';
    if (pkg.scope !== 'required') pkg.groups = [pkg.scope];
  }
  return packages;
}

/**
 * One package per purl with the entries behind it (a Berry `patch:` entry and the package it
 * patches are one package), each descriptor's package, and Berry's root workspace entry.
 */
function collectPackages(path: string, entries: Entry[], issues: InputIssue[]) {
  const berry = entries.some((e) => e.descriptors[0] === '__metadata');
  const byPurl = new Map<string, Package>();
  const packageEntries = new Map<Package, Entry[]>();
  const byDescriptor = new Map<string, Package>();
  let rootEntry: Entry | undefined;
  for (const entry of entries) {
    if (entry.descriptors[0] === '__metadata') continue;
    const id = identify(entry, berry);
    if (id === 'root') {
      rootEntry = entry;
      continue;
    }
    if ('issue' in id) {
      issues.push({ path, line: entry.line, message: id.issue });
      continue;
    }
    const purl = makePurl('npm', id.name, id.version, id.commit ? { vcs_url: vcsUrl(id.source, id.commit) } : undefined);
    const location = { path, line: entry.line };
    let pkg = byPurl.get(purl);
    if (!pkg) {
      pkg = { name: id.name, version: id.version, ecosystem: 'npm', purl, locations: [location], scope: 'required' };
      if (id.commit) pkg.commit = id.commit;
      byPurl.set(purl, pkg);
      packageEntries.set(pkg, []);
    } else {
      pkg.locations.push(location);
    }
    packageEntries.get(pkg)!.push(entry);
    for (const d of entry.descriptors) byDescriptor.set(d, pkg);
  }
  return { packageEntries, byDescriptor, rootEntry };
}

function entryEdges(entry: Entry, resolve: (name: string, range: string) => Package | undefined): Edge<Package>[] {
  return EDGE_MAPS.flatMap(([mapName, optional]) =>
    [...(entry.maps.get(mapName) ?? [])].flatMap(([name, range]) => {
      const to = resolve(name, range);
      return to ? [{ to, optional }] : [];
    }),
  );
}

/** The project's own dependencies: from package.json, else from Berry's root workspace entry. */
function rootDependencies(manifest: Manifest | undefined, rootEntry: Entry | undefined) {
  if (manifest) {
    return ROOT_GROUPS.flatMap(([group, scope]) => [...manifest[group]].map(([name, range]) => ({ name, range, scope })));
  }
  return [...(rootEntry?.maps.get('dependencies') ?? [])].map(([name, range]) => ({ name, range, scope: 'required' as const }));
}

function parseManifest(text: string | undefined, lockPath: string, issues: InputIssue[]): Manifest | undefined {
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    const message = 'package.json beside yarn.lock is not a JSON object; dependency scopes not computed';
    issues.push({ path: lockPath, message });
    return undefined;
  }
  const group = (key: keyof Manifest) => {
    const value: unknown = (json as Record<string, unknown>)[key];
    const ranges = new Map<string, string>();
    if (typeof value === 'object' && value !== null) {
      for (const [name, range] of Object.entries(value)) if (typeof range === 'string') ranges.set(name, range);
    }
    return ranges;
  };
  return {
    dependencies: group('dependencies'),
    optionalDependencies: group('optionalDependencies'),
    devDependencies: group('devDependencies'),
  };
}
