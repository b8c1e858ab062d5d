/**
 * What the npm-family lockfile catalogers (package-lock.json, bun.lock) share: reading the
 * dependency specs npm understands (registry versions, `npm:` aliases, git, tarball URLs, local
 * paths), finding the line of a JSON key without a position-aware parser, and collecting one
 * package per purl from the many install paths a lockfile may list it at.
 */
import { makePurl } from '../../../core/purl.ts';
import type { Package, Scope } from '../../../core/types.ts';

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

export function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Files inside an installed dependency (`node_modules/x/package-lock.json`) describe that dependency's own build. */
export function inNodeModules(path: string): boolean {
  return `/${path}`.includes('/node_modules/');
}

/** Names declared in the given dependency maps of a package.json-like entry, in file order. */
export function dependencyNames(entry: Record<string, unknown>, fields: readonly string[]): string[] {
  const names: string[] = [];
  for (const field of fields) {
    const deps = asRecord(entry[field]);
    if (deps) names.push(...Object.keys(deps));
  }
  return names;
}

// ---------------------------------------------------------------------------------------------
// Dependency specs

const HOSTED_SHORTCUTS: Record<string, string> = {
  github: 'github.com',
  gitlab: 'gitlab.com',
  bitbucket: 'bitbucket.org',
  gist: 'gist.github.com',
};

/** `git+ssh://…`, `git://…`, `github:user/repo#sha` and the other git forms npm and bun write. */
export function isGitSpec(spec: string): boolean {
  return /^(git\+|git:\/\/|git@|(github|gitlab|bitbucket|gist):)/.test(spec);
}

export function isTarballUrl(spec: string): boolean {
  return /^https?:\/\//.test(spec);
}

/** A directory or tarball on disk: `file:…`, `./x.tgz`, `../x`, `/abs/x.tgz`, `~/x`. */
export function isLocalSpec(spec: string): boolean {
  return /^(file:|\.\.?\/|\/|~\/)/.test(spec);
}

export interface GitSource {
  /** https URL of the repository, credentials and `.git` removed. */
  repo: string;
  /** The pinned commit (npm pins the full sha, bun an abbreviated one); absent when the ref is a branch or tag. */
  commit?: string;
}

export function gitSource(spec: string): GitSource {
  const hash = spec.indexOf('#');
  const ref = hash === -1 ? '' : spec.slice(hash + 1);
  const repo = repositoryUrl(hash === -1 ? spec : spec.slice(0, hash));
  return /^[0-9a-f]{7,40}$/i.test(ref) ? { repo, commit: ref.toLowerCase() } : { repo };
}

/** Normalise the many ways a git remote is written to `https://host/path` (never with credentials). */
function repositoryUrl(raw: string): string {
  let rest = raw.replace(/^git\+/, '');
  const shortcut = /^(github|gitlab|bitbucket|gist):(?!\/\/)(.*)$/.exec(rest);
  if (shortcut) return `https://${HOSTED_SHORTCUTS[shortcut[1]!]}/${stripGitSuffix(shortcut[2]!)}`;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(rest);
  if (scheme) rest = rest.slice(scheme[0].length);
  const slash = rest.indexOf('/');
  let authority = slash === -1 ? rest : rest.slice(0, slash);
  let path = slash === -1 ? '' : rest.slice(slash + 1);
  authority = authority.slice(authority.lastIndexOf('@') + 1);
  // scp-like `host:user/repo` (also seen inside ssh URLs): the part after the colon is the path.
  const colon = authority.indexOf(':');
  if (colon !== -1 && !/^\d+$/.test(authority.slice(colon + 1))) {
    path = `${authority.slice(colon + 1)}${path === '' ? '' : `/${path}`}`;
    authority = authority.slice(0, colon);
  }
  const host = HOSTED_SHORTCUTS[authority] ?? authority;
  return `https://${host}/${stripGitSuffix(path)}`;
}

function stripGitSuffix(path: string): string {
  return path.replace(/\/+$/, '').replace(/\.git$/, '');
}

/** `npm:@scope/name@1.2.3` → the aliased package; the version is absent when the alias pins none. */
export function parseAlias(spec: string): { name?: string; version?: string } {
  const target = spec.slice('npm:'.length);
  const at = target.indexOf('@', 1);
  if (at === -1) return target === '' ? {} : { name: target };
  return { name: target.slice(0, at), ...(at + 1 < target.length && { version: target.slice(at + 1) }) };
}

// ---------------------------------------------------------------------------------------------
// Line numbers

/**
 * Lines of lockfile map entries (`"key": {` or `"key": [`), looked up in text order: JSON.parse
 * keeps the file's key order, so each key is searched from where the previous one was found and
 * lines are counted as the cursor moves — one pass over the text in all. Lockfile writers put
 * each entry at the start of its own line, while nested metadata (`"os": ["darwin"]`) sits
 * mid-line, so only line-leading matches count. A key not found leaves the cursor where it was;
 * after a few misses (a minified or unusual file) it stops looking rather than rescan the text.
 */
export class KeyLines {
  private readonly text: string;
  private cursor: number;
  private line = 1;
  private lineStart = 0;
  private misses = 0;

  constructor(text: string, from = 0) {
    this.text = text;
    this.cursor = from;
  }

  next(key: string): number | undefined {
    if (this.misses > 20) return undefined;
    const text = this.text;
    const needle = JSON.stringify(key);
    for (let i = text.indexOf(needle, this.cursor); i !== -1; i = text.indexOf(needle, i + 1)) {
      let j = skipSpace(text, i + needle.length);
      if (text[j] !== ':') continue;
      j = skipSpace(text, j + 1);
      if ((text[j] !== '{' && text[j] !== '[') || !startsLine(text, i)) continue;
      this.cursor = j;
      return this.lineAt(i);
    }
    this.misses++;
    return undefined;
  }

  /** Offsets only grow, so lines are counted incrementally. */
  private lineAt(offset: number): number {
    const text = this.text;
    for (let i = text.indexOf('\n', this.lineStart); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
      this.line++;
      this.lineStart = i + 1;
    }
    return this.line;
  }
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  return i;
}

function startsLine(text: string, offset: number): boolean {
  let i = offset - 1;
  while (i >= 0 && (text[i] === ' ' || text[i] === '\t')) i--;
  return i < 0 || text[i] === '\n';
}

/** Offset of the first `"<key>": {` member (where a lockfile's map starts), or 0. */
export function memberOffset(text: string, key: string): number {
  const i = text.search(new RegExp(`"${key}"\\s*:\\s*\\{`));
  return i === -1 ? 0 : i;
}

// ---------------------------------------------------------------------------------------------
// Collecting packages

/** One sighting of a package at one install path. */
export interface Occurrence {
  name: string;
  version?: string;
  git?: GitSource;
  /** Tarball URL or local path of a package that does not come from a registry. */
  downloadUrl?: string;
  /** SPDX expression the lockfile copied from the package's metadata. */
  license?: string;
  line?: number;
  scope: Scope;
  groups: string[];
}

const SCOPE_RANK: Record<Scope, number> = { required: 0, optional: 1, dev: 2 };

/**
 * One package per purl. A package installed at several paths gets every location; it is `dev`
 * (or `optional`) only if every occurrence is, and keeps only the groups every occurrence has.
 */
export class PackageCollector {
  private readonly path: string;
  private readonly packages = new Map<string, Package>();
  /** Groups every occurrence so far has; absent when that is none (the common case). */
  private readonly groups = new Map<string, Set<string>>();
  private readonly edges = new Map<string, Set<string>>();

  constructor(path: string) {
    this.path = path;
  }

  /** Record an occurrence; returns its purl. */
  add(occurrence: Occurrence): string {
    const purl = purlOf(occurrence);
    const location = occurrence.line === undefined ? { path: this.path } : { path: this.path, line: occurrence.line };
    const seen = this.packages.get(purl);
    if (!seen) {
      this.packages.set(purl, {
        name: occurrence.name,
        ...(occurrence.version !== undefined && { version: occurrence.version }),
        ecosystem: 'npm',
        purl,
        locations: [location],
        scope: occurrence.scope,
        ...(occurrence.git?.commit !== undefined && { commit: occurrence.git.commit }),
        ...(occurrence.license !== undefined && { licenses: [occurrence.license] }),
      });
      if (occurrence.groups.length > 0) this.groups.set(purl, new Set(occurrence.groups));
      return purl;
    }
    if (!seen.locations.some((l) => l.line === location.line)) seen.locations.push(location);
    if (SCOPE_RANK[occurrence.scope] < SCOPE_RANK[seen.scope]) seen.scope = occurrence.scope;
    const groups = this.groups.get(purl);
    if (groups) for (const group of groups) if (!occurrence.groups.includes(group)) groups.delete(group);
    return purl;
  }

  dependsOn(from: string, to: string): void {
    if (from === to) return;
    let set = this.edges.get(from);
    if (!set) this.edges.set(from, (set = new Set()));
    set.add(to);
  }

  markDirect(purl: string): void {
    const pkg = this.packages.get(purl);
    if (pkg) pkg.direct = true;
  }

  result(): Package[] {
    return [...this.packages.values()].map((pkg) => {
      const groups = [...(this.groups.get(pkg.purl) ?? [])].sort();
      const deps = [...(this.edges.get(pkg.purl) ?? [])].sort();
      return { ...pkg, ...(groups.length > 0 && { groups }), ...(deps.length > 0 && { dependsOn: deps }) };
    });
  }
}

function purlOf(o: Occurrence): string {
  // The commit or the artifact's origin goes into the purl so two git commits (or a tarball and the
  // registry release) of one name stay distinct components.
  const qualifiers: Record<string, string> = {};
  if (o.git) qualifiers.vcs_url = `git+${o.git.repo}${o.git.commit ? `@${o.git.commit}` : ''}`;
  else if (o.downloadUrl !== undefined) qualifiers.download_url = o.downloadUrl;
  return makePurl('npm', o.name, o.version, qualifiers);
}
