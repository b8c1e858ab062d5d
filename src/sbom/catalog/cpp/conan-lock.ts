/**
 * conan.lock (https://docs.conan.io/), in the shapes Conan has written:
 *  - Conan 2 (`"version": "0.5"`): flat arrays `requires`, `build_requires`, `python_requires` of
 *    references `name/version[@user/channel][#rrev][%timestamp]`; no graph edges.
 *  - Conan 1 (`"version": "0.4"` and the older 0.1–0.3 and unversioned files): `graph_lock.nodes`,
 *    node id → `{ref | pref, requires, build_requires, python_requires, context, path}`. `pref` (old
 *    files) is `ref:package_id#prev`; `requires` is an array of node ids, or in the oldest files a map
 *    reference → node id. The consumer project is node `0` or the node with a `path` (its conanfile).
 * Build requirements (tools: cmake, ninja, …) are `dev`.
 */
import { ParseError } from '../../../core/errors.ts';
import { LineIndex } from '../../../core/lines.ts';
import { makePurl } from '../../../core/purl.ts';
import type { InputIssue, Package, Scope } from '../../../core/types.ts';
import { baseName, type Cataloger, type CatalogInput, type CatalogResult } from '../cataloger.ts';
import { parseJsonObject } from '../json.ts';

const GRAPH_LOCK_VERSIONS = new Set(['0.1', '0.2', '0.3', '0.4']);
const FLAT_LOCK_VERSIONS = new Set(['0.5']);

/** Conan 2 arrays → the group name and scope their packages get. */
const FLAT_GROUPS: [key: string, group: string, scope: Scope][] = [
  ['requires', 'requires', 'required'],
  ['build_requires', 'build-requires', 'dev'],
  ['python_requires', 'python-requires', 'dev'],
];

interface Reference {
  name: string;
  version: string;
  rrev?: string;
}

interface GraphNode {
  ref?: unknown;
  pref?: unknown;
  path?: unknown;
  context?: unknown;
  requires?: unknown;
  build_requires?: unknown;
  python_requires?: unknown;
}

export const conanLockCataloger: Cataloger = {
  name: 'cpp/conan-lock',
  ecosystem: 'ConanCenter',
  wants: (path) => baseName(path) === 'conan.lock',
  catalog: catalogConanLock,
};

async function catalogConanLock(input: CatalogInput): Promise<CatalogResult> {
  const text = await input.text();
  const doc = parseJsonObject(text, 'conan.lock');
  const ctx: Context = { path: input.path, text, lines: new LineIndex(text), issues: [] };
  const graphLock = doc['graph_lock'];
  let packages: Package[];
  if (typeof graphLock === 'object' && graphLock !== null && 'nodes' in graphLock) {
    checkVersion(doc['version'], GRAPH_LOCK_VERSIONS, true);
    packages = readGraphLock((graphLock as { nodes: unknown }).nodes, ctx);
  } else if (Array.isArray(doc['requires'])) {
    checkVersion(doc['version'], FLAT_LOCK_VERSIONS, false);
    packages = readFlatLock(doc, ctx);
  } else {
    throw new ParseError('not a conan.lock: neither `graph_lock.nodes` nor a `requires` array');
  }
  return { packages, ...(ctx.issues.length > 0 && { issues: ctx.issues }) };
}

interface Context {
  path: string;
  text: string;
  lines: LineIndex;
  issues: InputIssue[];
}

/** Unversioned Conan 1 lockfiles (0.0) exist; Conan 2 always writes a version. */
function checkVersion(version: unknown, known: Set<string>, mayBeAbsent: boolean): void {
  if (version === undefined && mayBeAbsent) return;
  if (typeof version !== 'string' || !known.has(version)) {
    throw new ParseError(`unsupported conan.lock version ${JSON.stringify(version) ?? 'none'}`);
  }
}

/**
 * `name/version[@user[/channel]][#rrev][%timestamp]`, optionally followed by `:package_id#prev`
 * (a package reference). user/channel are not kept: ConanCenter recipes have none, and the purl
 * type has no place for them without a vendor namespace.
 */
function parseReference(ref: string): Reference | undefined {
  const recipe = ref.split(':')[0]!;
  const m = /^([^/@#%\s]+)\/([^/@#%\s]+)(?:@[^#%\s]*)?(?:#([^%\s]+))?(?:%\S*)?$/.exec(recipe);
  if (!m) return undefined;
  return { name: m[1]!, version: m[2]!, ...(m[3] !== undefined && { rrev: m[3] }) };
}

function makePackage(ref: Reference, scope: Scope, group: string, line: number | undefined, ctx: Context): Package {
  return {
    name: ref.name,
    version: ref.version,
    ecosystem: 'ConanCenter',
    purl: makePurl('ConanCenter', ref.name, ref.version, ref.rrev ? { rrev: ref.rrev } : undefined),
    locations: [{ path: ctx.path, ...(line !== undefined && { line }) }],
    scope,
    groups: [group],
  };
}

/** The line of the first `"needle"` at or after `from`, with the offset to search on from. */
function findQuoted(ctx: Context, needle: string, from: number): { line?: number; next: number } {
  const at = ctx.text.indexOf(JSON.stringify(needle), from);
  return at === -1 ? { next: from } : { line: ctx.lines.lineAt(at), next: at + 1 };
}

function issue(ctx: Context, message: string, line?: number): void {
  ctx.issues.push({ path: ctx.path, ...(line !== undefined && { line }), message });
}

function readFlatLock(doc: Record<string, unknown>, ctx: Context): Package[] {
  const packages: Package[] = [];
  let from = 0;
  for (const [key, group, scope] of FLAT_GROUPS) {
    const refs = doc[key] ?? [];
    if (!Array.isArray(refs)) throw new ParseError(`\`${key}\` is not an array`);
    for (const raw of refs) {
      const text = typeof raw === 'string' ? raw : JSON.stringify(raw);
      const found = findQuoted(ctx, text, from);
      from = found.next;
      const ref = typeof raw === 'string' ? parseReference(raw) : undefined;
      if (!ref) issue(ctx, `skipped ${key} entry ${text}: not a name/version reference`, found.line);
      else packages.push(makePackage(ref, scope, group, found.line, ctx));
    }
  }
  return packages;
}

/** Edges of a graph node: node ids (0.3+ arrays) or the values of a reference → id map (0.0–0.2). */
function nodeIds(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (typeof value === 'object' && value !== null) {
    return Object.values(value).filter((v): v is string => typeof v === 'string');
  }
  return [];
}

function readGraphLock(rawNodes: unknown, ctx: Context): Package[] {
  if (typeof rawNodes !== 'object' || rawNodes === null || Array.isArray(rawNodes)) {
    throw new ParseError('`graph_lock.nodes` is not an object');
  }
  const nodes = new Map(Object.entries(rawNodes as Record<string, GraphNode>));
  const roots = rootNodes(nodes);
  const direct = new Set(
    [...roots].flatMap((id) => [...nodeIds(nodes.get(id)?.requires), ...nodeIds(nodes.get(id)?.build_requires)]),
  );
  const build = buildOnlyNodes(nodes, roots);

  const nodesStart = ctx.text.indexOf('"nodes"');
  const byId = new Map<string, Package>();
  const packages: Package[] = [];
  for (const [id, node] of nodes) {
    if (roots.has(id)) continue;
    const keyAt = nodeKeyOffset(ctx.text, id, nodesStart);
    const line = keyAt === -1 ? undefined : ctx.lines.lineAt(keyAt);
    const refText = typeof node?.ref === 'string' ? node.ref : typeof node?.pref === 'string' ? node.pref : undefined;
    const ref = refText === undefined ? undefined : parseReference(refText);
    if (!ref) {
      issue(ctx, `skipped node ${id}: ${refText === undefined ? 'no reference' : `${refText} is not a name/version reference`}`, line);
      continue;
    }
    const isBuild = build.has(id);
    const pkg = makePackage(ref, isBuild ? 'dev' : 'required', isBuild ? 'build-requires' : 'requires', line, ctx);
    if (direct.has(id)) pkg.direct = true;
    byId.set(id, pkg);
    packages.push(pkg);
  }
  for (const [id, pkg] of byId) {
    const node = nodes.get(id);
    const deps = [...nodeIds(node?.requires), ...nodeIds(node?.build_requires)]
      .map((d) => byId.get(d)?.purl)
      .filter((p): p is string => p !== undefined);
    if (deps.length > 0) pkg.dependsOn = [...new Set(deps)].sort();
  }
  packages.push(...pythonRequires(nodes, ctx));
  return packages;
}

/**
 * The consumer project: node `0` or the node with a `path` (its conanfile); in the unversioned
 * format, which has neither, the node nothing requires.
 */
function rootNodes(nodes: Map<string, GraphNode>): Set<string> {
  const marked = [...nodes].filter(([id, n]) => id === '0' || typeof n?.path === 'string').map(([id]) => id);
  if (marked.length > 0) return new Set(marked);
  const required = new Set([...nodes.values()].flatMap((n) => [...nodeIds(n?.requires), ...nodeIds(n?.build_requires)]));
  return new Set([...nodes.keys()].filter((id) => !required.has(id)));
}

/** `"<id>": {` inside `nodes`: the key, not an id mentioned in some `requires` array. */
function nodeKeyOffset(text: string, id: string, from: number): number {
  const re = new RegExp(`${JSON.stringify(id).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*:\\s*\\{`, 'g');
  re.lastIndex = Math.max(from, 0);
  return re.exec(text)?.index ?? -1;
}

/**
 * Nodes needed only to build: `context: build` ones, and those the roots reach only through some
 * `build_requires` edge. Nodes nothing reaches keep the default scope.
 */
function buildOnlyNodes(nodes: Map<string, GraphNode>, roots: Set<string>): Set<string> {
  const runtime = reachable(nodes, roots, (n) => nodeIds(n?.requires).filter((d) => nodes.get(d)?.context !== 'build'));
  const any = reachable(nodes, roots, (n) => [...nodeIds(n?.requires), ...nodeIds(n?.build_requires)]);
  return new Set(
    [...nodes].filter(([id, n]) => !roots.has(id) && (n?.context === 'build' || (any.has(id) && !runtime.has(id)))).map(([id]) => id),
  );
}

function reachable(nodes: Map<string, GraphNode>, from: Set<string>, edges: (n: GraphNode | undefined) => string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...from];
  while (stack.length > 0) {
    for (const dep of edges(nodes.get(stack.pop()!))) {
      if (seen.has(dep) || from.has(dep)) continue;
      seen.add(dep);
      stack.push(dep);
    }
  }
  return seen;
}

/** Conan 1 records python_requires as references on the nodes that use them. */
function pythonRequires(nodes: Map<string, GraphNode>, ctx: Context): Package[] {
  const seen = new Set<string>();
  const packages: Package[] = [];
  for (const node of nodes.values()) {
    const refs = Array.isArray(node?.python_requires) ? node.python_requires : [];
    for (const raw of refs) {
      if (typeof raw !== 'string' || seen.has(raw)) continue;
      seen.add(raw);
      const ref = parseReference(raw);
      const line = findQuoted(ctx, raw, 0).line;
      if (!ref) issue(ctx, `skipped python_requires ${raw}: not a name/version reference`, line);
      else packages.push(makePackage(ref, 'dev', 'python-requires', line, ctx));
    }
  }
  return packages;
}
