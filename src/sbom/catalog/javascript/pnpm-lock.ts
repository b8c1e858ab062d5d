/**
 * pnpm-lock.yaml, the three layouts pnpm has written:
 * - lockfileVersion 5.x (pnpm 3–7): `packages` keyed by dependency path, `/name/1.0.0`,
 *   `/@scope/name/1.0.0_peer@2.0.0` (peer suffix after `_`) or with a registry host in front
 *   (`registry.example.com/name/1.0.0`); entries flag `dev: true|false` and `optional: true`;
 * - 6.x (pnpm 8): `/name@1.0.0(peer@2.0.0)`, same flags;
 * - 9.x (pnpm 9+): `packages` keyed `name@1.0.0` holds what the package is, `snapshots` keyed
 *   `name@1.0.0(peer@2.0.0)` holds each peer variant's dependencies; no dev flags, so scopes come
 *   from walking the graph from the importers.
 * Git, tarball and `file:` packages carry `name`/`version` fields instead of a registry path.
 * Single-project 5.x/6.x files list the project's dependencies at the top level; workspaces (and
 * every 9.x file) list them per project under `importers`.
 */
import { ParseError } from '../../../core/errors.ts';
import { makePurl } from '../../../core/purl.ts';
import type { InputIssue, Package, Scope } from '../../../core/types.ts';
import { baseName, type CatalogInput, type CatalogResult, type Cataloger } from '../cataloger.ts';
import { scopesByReachability, type Edge } from './dep-graph.ts';
import { gitCommit, vcsUrl } from './git-source.ts';
import { readPnpmYaml, type YamlFile, type YamlMap, type YamlValue } from './pnpm-yaml.ts';

type Layout = 'v5' | 'v6' | 'v9';

/** One peer variant of a package: a `packages` entry (5.x/6.x) or a `snapshots` entry (9.x). */
interface Node {
  pkg: Package;
  deps: { name: string; ref: string; optional: boolean }[];
  /** The scope the entry's own flags state, when they state one. */
  flagged?: Scope;
}

const DEP_GROUPS = [
  ['dependencies', 'required'],
  ['optionalDependencies', 'optional'],
  ['devDependencies', 'dev'],
] as const satisfies readonly (readonly [string, Scope])[];

const SCOPE_RANK: Record<Scope, number> = { required: 0, optional: 1, dev: 2 };

export const pnpmLockCataloger: Cataloger = {
  name: 'javascript/pnpm-lock',
  ecosystem: 'npm',
  wants: (path) => baseName(path) === 'pnpm-lock.yaml',
  async catalog(input: CatalogInput): Promise<CatalogResult> {
    return catalogPnpmLock(input.path, readPnpmYaml(await input.text()));
  },
};

function catalogPnpmLock(path: string, file: YamlFile): CatalogResult {
  if (file.root === undefined || file.root === '') return { packages: [] }; // empty, or only comments
  const lock = asMap(file.root);
  if (!lock) throw new ParseError('not a pnpm lockfile: the top level is not a mapping');
  if (Object.keys(lock).length === 0) return { packages: [] };
  const layout = layoutOf(lock);
  const issues: InputIssue[] = [];
  const lockfile = new Lockfile(path, file, layout, issues);
  const nodes = layout === 'v9' ? snapshotNodes(lock, lockfile) : packageNodes(lock, lockfile);

  const resolve = (name: string, ref: string) => candidateKeys(layout, name, ref).map((k) => nodes.get(k)).find((n) => n);
  const edges = new Map<Node, Edge<Node>[]>();
  for (const node of nodes.values()) {
    const list = node.deps.flatMap(({ name, ref, optional }) => {
      const to = resolve(name, ref);
      return to ? [{ to, optional }] : [];
    });
    edges.set(node, list);
  }
  const reached = scopesByReachability(projectRoots(lock, resolve), (node) => edges.get(node) ?? []);

  const packages = lockfile.packages();
  const scopes = new Map<Package, Scope>();
  const dependsOn = new Map<Package, Set<string>>(packages.map((pkg) => [pkg, new Set()]));
  for (const node of nodes.values()) {
    // The entry's flags are pnpm's own verdict; the graph decides where they are absent (9.x has
    // no dev flag, and 5.x/6.x omit it for a package both dev and prod code use).
    const scope = node.flagged ?? reached.get(node) ?? 'required';
    const seen = scopes.get(node.pkg);
    if (seen === undefined || SCOPE_RANK[scope] < SCOPE_RANK[seen]) scopes.set(node.pkg, scope);
    for (const edge of edges.get(node) ?? []) if (edge.to.pkg !== node.pkg) dependsOn.get(node.pkg)!.add(edge.to.pkg.purl);
  }
  for (const pkg of packages) {
    pkg.scope = scopes.get(pkg) ?? 'required';
    if (pkg.scope !== 'required') pkg.groups = [pkg.scope];
    const targets = dependsOn.get(pkg)!;
    if (targets.size > 0) pkg.dependsOn = [...targets].sort();
  }
  return { packages, issues };
}

/** 5.x/6.x: every `packages` entry is one peer variant, with its dependencies and flags. */
function packageNodes(lock: YamlMap, lockfile: Lockfile): Map<string, Node> {
  const nodes = new Map<string, Node>();
  for (const [key, value] of mapEntries(lock.packages)) {
    const entry = asMap(value) ?? {};
    const pkg = lockfile.packageFor(key, entry);
    const flagged = flaggedScope(entry);
    if (pkg) nodes.set(key, { pkg, deps: dependencies(entry), ...(flagged && { flagged }) });
  }
  return nodes;
}

/** 9.x: `packages` entries say what a package is, `snapshots` hold its peer variants. */
function snapshotNodes(lock: YamlMap, lockfile: Lockfile): Map<string, Node> {
  const byPackageKey = new Map<string, Package>();
  for (const [key, entry] of mapEntries(lock.packages)) {
    const pkg = lockfile.packageFor(key, asMap(entry) ?? {});
    if (pkg) byPackageKey.set(key, pkg);
  }
  const nodes = new Map<string, Node>();
  for (const [key, value] of mapEntries(lock.snapshots)) {
    const pkg = byPackageKey.get(stripPeers(key));
    const entry = asMap(value) ?? {};
    if (pkg) nodes.set(key, { pkg, deps: dependencies(entry), ...(flag(entry.optional) && { flagged: 'optional' as const }) });
  }
  return nodes;
}

/** The projects' own dependencies, scoped by the group that declares them; the root project's are direct. */
function projectRoots(lock: YamlMap, resolve: (name: string, ref: string) => Node | undefined) {
  const roots: { node: Node; scope: Scope }[] = [];
  for (const [id, project] of importers(lock)) {
    for (const [group, scope] of DEP_GROUPS) {
      for (const [name, spec] of mapEntries(project[group])) {
        // 5.x: `name: 1.0.0`; 6.x and 9.x: `name: {specifier: ^1.0.0, version: 1.0.0}`.
        const ref = typeof spec === 'string' ? spec : str(asMap(spec)?.version);
        const node = ref === undefined ? undefined : resolve(name, ref);
        if (!node) continue;
        roots.push({ node, scope });
        if (id === '.') node.pkg.direct = true;
      }
    }
  }
  return roots;
}

function layoutOf(lock: YamlMap): Layout {
  const raw = lock.lockfileVersion;
  if (typeof raw !== 'string' || raw === '') throw new ParseError('not a pnpm lockfile: no lockfileVersion');
  const major = Math.trunc(Number.parseFloat(raw));
  if (major === 5) return 'v5';
  if (major === 6) return 'v6';
  if (major === 9) return 'v9';
  throw new ParseError(`unsupported pnpm lockfileVersion ${raw} (Palisade reads 5.x, 6.x and 9.x)`);
}

/** The projects of the lockfile: `importers` in workspaces and 9.x, else the top level itself. */
function importers(lock: YamlMap): [string, YamlMap][] {
  const projects = asMap(lock.importers);
  if (!projects) return [['.', lock]];
  return mapEntries(projects).flatMap(([id, project]) => {
    const map = asMap(project);
    return map ? [[id, map] as [string, YamlMap]] : [];
  });
}

/** The keys a dependency reference can have in `packages` (5.x/6.x) or `snapshots` (9.x). */
function candidateKeys(layout: Layout, name: string, ref: string): string[] {
  if (ref.startsWith('link:')) return []; // a workspace project, not a package
  switch (layout) {
    case 'v5':
      return [`/${name}/${ref}`, ref, `/${ref}`];
    case 'v6':
      return [`/${name}@${ref}`, ref, `/${ref}`];
    case 'v9':
      return [`${name}@${ref}`, ref];
  }
}

/** 5.x/6.x flags: `dev: true` (dev only), `dev: false` (prod only), absent (both); `optional: true`. */
function flaggedScope(entry: YamlMap): Scope | undefined {
  if (flag(entry.dev)) return 'dev';
  if (flag(entry.optional)) return 'optional';
  return entry.dev === 'false' ? 'required' : undefined;
}

function dependencies(entry: YamlMap): Node['deps'] {
  const deps: Node['deps'] = [];
  for (const [group, optional] of [['dependencies', false], ['optionalDependencies', true]] as const) {
    for (const [name, ref] of mapEntries(entry[group])) if (typeof ref === 'string') deps.push({ name, ref, optional });
  }
  return deps;
}

/** Packages of one lockfile, one per purl, built from its `packages` keys and entries. */
class Lockfile {
  private readonly path: string;
  private readonly file: YamlFile;
  private readonly layout: Layout;
  private readonly issues: InputIssue[];
  private readonly byPurl = new Map<string, Package>();

  constructor(path: string, file: YamlFile, layout: Layout, issues: InputIssue[]) {
    this.path = path;
    this.file = file;
    this.layout = layout;
    this.issues = issues;
  }

  packages(): Package[] {
    return [...this.byPurl.values()];
  }

  /** The package a `packages` entry describes, or undefined (with an issue) when it names none. */
  packageFor(key: string, entry: YamlMap): Package | undefined {
    const line = this.file.keyLine('packages', key);
    const id = this.identify(key, entry, line);
    if (typeof id === 'string') {
      this.issues.push({ path: this.path, ...(line !== undefined && { line }), message: `package "${key}" skipped: ${id}` });
      return undefined;
    }
    const resolution = asMap(entry.resolution) ?? {};
    const tarball = str(resolution.tarball);
    const commit = str(resolution.commit) ?? (tarball === undefined ? undefined : gitCommit(tarball));
    const source = str(resolution.repo) ?? tarball ?? key;
    const purl = makePurl('npm', id.name, id.version, commit ? { vcs_url: vcsUrl(source, commit) } : undefined);
    const location = line === undefined ? { path: this.path } : { path: this.path, line };
    const seen = this.byPurl.get(purl);
    if (seen) {
      // Another peer variant of the same package (5.x/6.x).
      if (!seen.locations.some((l) => l.line === line)) seen.locations.push(location);
      return seen;
    }
    const pkg: Package = { name: id.name, version: id.version, ecosystem: 'npm', purl, locations: [location], scope: 'required' };
    if (commit) pkg.commit = commit;
    this.byPurl.set(purl, pkg);
    return pkg;
  }

  /** Name and version from the entry's fields, else from its key; a string says why there are none. */
  private identify(key: string, entry: YamlMap, line: number | undefined): { name: string; version: string } | string {
    const name = str(entry.name);
    const version = str(entry.version);
    if (name !== undefined && version !== undefined) return { name, version };
    const fromKey = this.layout === 'v9' ? splitAt(key) : this.dependencyPath(key, line);
    if (!fromKey) return 'no name and version';
    if (fromKey.ref.startsWith('link:')) return 'a link to a local directory';
    if (version !== undefined) return { name: name ?? fromKey.name, version };
    const keyVersion = stripPeers(fromKey.ref);
    // Registry versions start with a digit; anything else (a git host path, a tarball URL, a
    // local directory) must name its version in a `version` field.
    if (!/^\d/.test(keyVersion)) return 'no version in its key or fields';
    return { name: name ?? fromKey.name, version: keyVersion };
  }

  /** 5.x/6.x dependency path → name and the version (with peer suffix) it ends in. */
  private dependencyPath(key: string, line: number | undefined): { name: string; ref: string } | undefined {
    if (key.startsWith('file:') || key.startsWith('link:')) return splitAt(key);
    if (!key.includes('/')) throw new ParseError(`invalid dependency path "${key}" in packages`, line);
    // A leading `/` is the default registry; otherwise the first segment is the registry host.
    const path = key.startsWith('/') ? key.slice(1) : key.slice(key.indexOf('/') + 1);
    if (this.layout === 'v6') return splitAt(path);
    const parts = path.split('/');
    const scoped = parts[0]!.startsWith('@');
    const name = scoped ? `${parts[0]}/${parts[1] ?? ''}` : parts[0]!;
    return { name, ref: parts[scoped ? 2 : 1] ?? '' };
  }
}

/** `name@ref` (the name may be scoped) → its parts; undefined when there is no `@ref`. */
function splitAt(s: string): { name: string; ref: string } | undefined {
  const at = s.indexOf('@', 1);
  return at === -1 ? undefined : { name: s.slice(0, at), ref: s.slice(at + 1) };
}

/** `1.0.0(react@18.2.0)` (6.x/9.x) or `1.0.0_react@18.2.0` (5.x) → `1.0.0`. */
function stripPeers(ref: string): string {
  const paren = ref.indexOf('(');
  const base = paren === -1 ? ref : ref.slice(0, paren);
  // An `_` in a URL or path is part of it, not a peer suffix.
  return /^\d/.test(base) ? base.split('_')[0]! : base;
}

function asMap(value: YamlValue | undefined): YamlMap | undefined {
  return typeof value === 'object' && !Array.isArray(value) ? value : undefined;
}

function mapEntries(value: YamlValue | undefined): [string, YamlValue | undefined][] {
  const map = asMap(value);
  return map ? Object.entries(map) : [];
}

function str(value: YamlValue | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function flag(value: YamlValue | undefined): boolean {
  return value === 'true';
}
