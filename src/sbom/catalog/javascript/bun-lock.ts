/**
 * bun.lock, Bun's text lockfile (https://bun.sh/docs/install/lockfile), lockfileVersion 0 and 1.
 * It is JSONC (comments and trailing commas allowed). `workspaces` holds each workspace's declared
 * dependencies; `packages` maps a key to a tuple whose first element is `name@version` (or
 * `name@github:…#sha`, `name@file:…`, `name@workspace:…`) and whose first object member lists the
 * package's own dependencies. Keys are the install path in package names: `chalk/supports-color`
 * is the copy of supports-color nested under chalk, found before the hoisted `supports-color`.
 *
 * The file has no dev/optional flags: a package is `dev` when only devDependencies of the
 * workspaces reach it, `optional` when only optional edges do.
 */
import { ParseError } from '../../../core/errors.ts';
import type { InputIssue, Scope } from '../../../core/types.ts';
import { baseName, type Cataloger, type CatalogInput, type CatalogResult } from '../cataloger.ts';
import { PackageCollector, asRecord, gitSource, inNodeModules, isGitSpec, isLocalSpec, isTarballUrl, KeyLines, memberOffset, parseAlias, stringOf, type Occurrence } from './npm-support.ts';
import { parseJson } from '../json.ts';

/**
 * Bun's binary lockfile (`bun.lockb`, before Bun 1.2) has no published format, so its packages
 * cannot be read. Rather than cataloguing nothing in silence, it is reported — unless the text
 * `bun.lock` beside it is there and catalogued instead.
 */
export const bunLockbCataloger: Cataloger = {
  name: 'javascript/bun-lockb',
  ecosystem: 'npm',
  wants: (path) => baseName(path) === 'bun.lockb' && !inNodeModules(path),
  async catalog(input) {
    if ((await input.sibling('bun.lock')) !== undefined) return { packages: [] };
    return {
      packages: [],
      issues: [{ path: input.path, message: 'unsupported: binary bun.lockb; write a text bun.lock with `bun install --save-text-lockfile` (Bun ≥ 1.1.39) and scan that' }],
    };
  },
};

export const bunLockCataloger: Cataloger = {
  name: 'javascript/bun-lock',
  ecosystem: 'npm',
  wants: (path) => baseName(path) === 'bun.lock' && !inNodeModules(path),
  catalog: catalogBunLock,
};

interface Node {
  key: string;
  occurrence: Occurrence;
  info: Record<string, unknown>;
}

/** How a dependency is needed; also the scope it passes on. */
type Need = Scope;

/** A dependency by name (as declared) or by package key (once resolved). */
interface Edge {
  to: string;
  need: Need;
}

async function catalogBunLock(input: CatalogInput): Promise<CatalogResult> {
  const raw = await input.text();
  const text = stripJsonc(raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw);
  const lock = asRecord(parseJson(text, 'bun.lock'));
  if (!lock) throw new ParseError('not a bun.lock: the top level is not an object');
  const version = lock.lockfileVersion;
  if (version !== undefined && version !== 0 && version !== 1) {
    throw new ParseError(`unsupported lockfileVersion ${JSON.stringify(version)} (Palisade reads 0 and 1)`);
  }
  const packages = lock.packages === undefined ? {} : asRecord(lock.packages);
  if (!packages) throw new ParseError('not a bun.lock: `packages` is not an object');
  const workspaces = lock.workspaces === undefined ? {} : asRecord(lock.workspaces);
  if (!workspaces) throw new ParseError('not a bun.lock: `workspaces` is not an object');

  const issues: InputIssue[] = [];
  const lines = new KeyLines(text, memberOffset(text, 'packages'));
  const nodes = new Map<string, Node>();
  for (const [key, tuple] of Object.entries(packages)) {
    const line = lines.next(key);
    if (!Array.isArray(tuple) || typeof tuple[0] !== 'string') {
      // The tuple is the format's core structure: a file that breaks it is not a bun.lock we can trust.
      throw new ParseError(`packages["${key}"] is not a ["name@version", …] tuple`, line);
    }
    const parsed = identify(tuple[0]);
    if (parsed === 'skip') continue;
    if (parsed === undefined) {
      issues.push({ path: input.path, line, message: `skipped \`${key}\`: cannot read "${tuple[0]}" as name@version` });
      continue;
    }
    const info = asRecord(tuple.find((item, i) => i > 0 && asRecord(item) !== undefined)) ?? {};
    const groups = info.bundled === true ? ['bundled'] : [];
    nodes.set(key, { key, info, occurrence: { ...parsed, ...(line !== undefined && { line }), scope: 'required', groups } });
  }

  // Edges between keys, resolved like Node does: the nearest enclosing copy first.
  const resolveAll = (prefixes: string[], deps: Edge[]): Edge[] => {
    const resolved: Edge[] = [];
    for (const { to: name, need } of deps) {
      for (const prefix of prefixes) {
        const candidate = prefix === '' ? name : `${prefix}/${name}`;
        if (nodes.has(candidate)) {
          resolved.push({ to: candidate, need });
          break;
        }
      }
    }
    return resolved;
  };
  const edges = new Map<string, Edge[]>();
  for (const node of nodes.values()) edges.set(node.key, resolveAll(enclosingKeys(node.key), declared(node.info, false)));

  // Roots: what the workspaces declare. Nested copies under a workspace are keyed by its name.
  const roots: Edge[] = [];
  for (const [folder, value] of Object.entries(workspaces)) {
    const workspace = asRecord(value) ?? {};
    const wsName = stringOf(workspace.name);
    roots.push(...resolveAll(folder === '' || wsName === undefined ? [''] : [wsName, ''], declared(workspace, true)));
  }
  const scopes = scopesFrom(roots, edges);

  const collector = new PackageCollector(input.path);
  const purls = new Map<string, string>();
  for (const node of nodes.values()) {
    const scope = scopes.get(node.key) ?? 'required';
    const groups = scope === 'required' ? node.occurrence.groups : [scope, ...node.occurrence.groups];
    purls.set(node.key, collector.add({ ...node.occurrence, scope, groups }));
  }
  for (const [from, targets] of edges) {
    for (const { to } of targets) collector.dependsOn(purls.get(from)!, purls.get(to)!);
  }
  for (const root of roots) collector.markDirect(purls.get(root.to)!);
  return { packages: collector.result(), ...(issues.length > 0 && { issues }) };
}

/** Name and version (or git commit / origin) from a tuple's `name@spec`; 'skip' for workspaces and links. */
function identify(ident: string): Pick<Occurrence, 'name' | 'version' | 'git' | 'downloadUrl'> | 'skip' | undefined {
  const at = ident.indexOf('@', 1);
  if (at === -1) return undefined;
  const name = ident.slice(0, at);
  const spec = ident.slice(at + 1);
  if (name === '' || spec === '') return undefined;
  // workspace: and link: entries are folders of the project (or linked from elsewhere), not packages.
  if (/^(workspace|link|root):/.test(spec)) return 'skip';
  if (isLocalSpec(spec) || isTarballUrl(spec)) return { name, downloadUrl: spec };
  if (isGitSpec(spec)) return { name, git: gitSource(spec) };
  if (spec.startsWith('npm:')) {
    const alias = parseAlias(spec);
    return { name: alias.name ?? name, ...(alias.version !== undefined && { version: alias.version }) };
  }
  return { name, version: spec };
}

/** Where a package keyed `a/@s/b` looks for its dependencies, nearest first: `a/@s/b`, `a`, then the top. */
function enclosingKeys(key: string): string[] {
  const keys = [key];
  const parts = key.split('/');
  let end = parts.length;
  while (end > 0) {
    // A scoped name spans two parts.
    end -= end >= 2 && parts[end - 2]!.startsWith('@') ? 2 : 1;
    keys.push(parts.slice(0, end).join('/'));
  }
  return keys;
}

/**
 * Declared dependencies and how they are needed. Peers named in `optionalPeers` are optional;
 * devDependencies only count for a workspace (a dependency's own are never installed).
 */
function declared(entry: Record<string, unknown>, isWorkspace: boolean): Edge[] {
  const out: Edge[] = [];
  const add = (field: string, need: Need) => {
    const deps = asRecord(entry[field]);
    if (deps) for (const to in deps) out.push({ to, need });
  };
  add('dependencies', 'required');
  add('optionalDependencies', 'optional');
  const peers = out.length;
  add('peerDependencies', 'required');
  if (Array.isArray(entry.optionalPeers)) {
    for (let i = peers; i < out.length; i++) if (entry.optionalPeers.includes(out[i]!.to)) out[i]!.need = 'optional';
  }
  if (isWorkspace) add('devDependencies', 'dev');
  return out;
}

/**
 * Scope of each key from the workspaces' roots: `required` if reachable through required edges
 * from a required root, else `optional` if reachable from any non-dev root, else `dev` if
 * reachable from a devDependency. Keys nothing reaches stay unknown (treated as required).
 */
function scopesFrom(roots: Edge[], edges: Map<string, Edge[]>): Map<string, Scope> {
  const scopes = new Map<string, Scope>();
  const visit = (starts: string[], scope: Scope, follow: (need: Need) => boolean): void => {
    const stack = starts.filter((k) => !scopes.has(k));
    for (const k of stack) scopes.set(k, scope);
    while (stack.length > 0) {
      for (const edge of edges.get(stack.pop()!) ?? []) {
        if (!follow(edge.need) || scopes.has(edge.to)) continue;
        scopes.set(edge.to, scope);
        stack.push(edge.to);
      }
    }
  };
  const startsOf = (needs: Need[]) => roots.filter((r) => needs.includes(r.need)).map((r) => r.to);
  visit(startsOf(['required']), 'required', (need) => need === 'required');
  visit(startsOf(['required', 'optional']), 'optional', () => true);
  visit(startsOf(['dev']), 'dev', () => true);
  return scopes;
}

/**
 * JSONC → JSON without moving any character (so offsets and lines stay those of the file):
 * comments become spaces, a trailing comma before `}` or `]` becomes a space. One forward scan
 * that jumps over strings; an unterminated comment is left for JSON.parse to report.
 */
export function stripJsonc(text: string): string {
  const blanks: [number, number][] = [];
  let pendingComma = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      pendingComma = -1;
      i = closingQuote(text, i);
    } else if (c === 0x2f /* / */ && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      const stop = end === -1 ? text.length : end;
      blanks.push([i, stop]);
      i = stop - 1;
    } else if (c === 0x2f && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end === -1) break;
      blanks.push([i, end + 2]);
      i = end + 1;
    } else if (c === 0x2c /* , */) {
      pendingComma = i;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      if (pendingComma !== -1) blanks.push([pendingComma, pendingComma + 1]);
      pendingComma = -1;
    } else if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
      pendingComma = -1;
    }
  }
  if (blanks.length === 0) return text;
  blanks.sort((a, b) => a[0] - b[0]);
  let out = '';
  let copied = 0;
  for (const [from, to] of blanks) {
    out += text.slice(copied, from) + text.slice(from, to).replace(/[^\r\n]/g, ' ');
    copied = to;
  }
  return out + text.slice(copied);
}

/** Index of the quote that closes the string opened at `open` (or the end of the text). */
function closingQuote(text: string, open: number): number {
  for (let i = text.indexOf('"', open + 1); i !== -1; i = text.indexOf('"', i + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(i - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return i;
  }
  return text.length;
}
