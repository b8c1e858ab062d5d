/**
 * uv.lock (https://docs.astral.sh/uv/concepts/projects/layout/#the-lockfile), lockfile `version = 1`.
 * Every `[[package]]` is one node of the resolved graph. Its `source` says where it comes from:
 * `registry` (an index), `git` (`URL?rev=…#<commit>`), `url` (an archive), or a local project
 * (`virtual`/`editable`/`directory`/`path`). Local projects are not packages: the ones nothing
 * depends on are the project roots, and their `dependencies`, `optional-dependencies` (extras) and
 * `dev-dependencies` (dependency groups) decide each package's scope by reachability.
 */
import { ParseError } from '../../../core/errors.ts';
import { isRecord } from '../../../core/json.ts';
import type { Package, Scope } from '../../../core/types.ts';
import { baseName, type Cataloger, type CatalogInput, type CatalogResult } from '../cataloger.ts';
import {
  NameIndex,
  isCommit,
  parseToml,
  pypiPackage,
  stringArray,
  stringField,
  readArrayTables,
} from './common.ts';

const SUPPORTED_VERSION = 1;
const LOCAL_SOURCES = ['virtual', 'editable', 'directory', 'path'];

/** A dependency as uv writes it: `version`/`source` only when the name alone is ambiguous. */
interface DepRef {
  name: string;
  version?: string;
  extras: string[];
}

interface Node {
  name: string;
  version?: string;
  local: boolean;
  deps: DepRef[];
  extras: Map<string, DepRef[]>;
  groups: Map<string, DepRef[]>;
  pkg?: Package;
}

export const uvLockCataloger: Cataloger = {
  name: 'python/uv-lock',
  ecosystem: 'PyPI',
  wants: (path) => baseName(path) === 'uv.lock',
  catalog: catalogUvLock,
};

async function catalogUvLock(input: CatalogInput): Promise<CatalogResult> {
  const text = await input.text();
  const doc = parseToml(text);
  checkVersion(doc['version']);
  const { items: nodes, issues } = readArrayTables<Node>(text, doc, 'package', input.path, (entry, line) =>
    readNode(entry, input.path, line),
  );

  const index = new NameIndex(nodes);
  linkDependencies(nodes, index);
  assignScopes(nodes, index);
  const packages = nodes.flatMap((n) => (n.pkg ? [n.pkg] : []));
  return { packages, ...(issues.length > 0 && { issues }) };
}

function checkVersion(version: unknown): void {
  if (version === undefined || version === SUPPORTED_VERSION) return;
  throw new ParseError(`unsupported uv.lock version ${String(version)}`);
}

/** One `[[package]]` as a graph node (with its Package unless it is local), or why it was skipped. */
function readNode(entry: unknown, path: string, line: number | undefined): Node | string {
  if (!isRecord(entry)) return 'skipped [[package]]: not a table';
  const name = stringField(entry, 'name');
  if (!name) return 'skipped [[package]] without a name';
  const version = stringField(entry, 'version');
  const source = isRecord(entry['source']) ? entry['source'] : {};
  const local = LOCAL_SOURCES.some((k) => k in source);
  const node: Node = {
    name,
    ...(version !== undefined && { version }),
    local,
    deps: depRefs(entry['dependencies']),
    extras: depGroups(entry['optional-dependencies']),
    groups: depGroups(entry['dev-dependencies']),
  };
  if (local) return node;
  if (version === undefined) return `skipped ${name}: no version`;
  node.pkg = pypiPackage({ name, version, path, line, git: gitSource(stringField(source, 'git')) });
  return node;
}

/** `https://github.com/org/repo?rev=main#<commit>`: the repository and the locked commit. */
function gitSource(git: string | undefined): { url: string; commit: string } | undefined {
  if (!git) return undefined;
  const hash = git.indexOf('#');
  const commit = hash === -1 ? undefined : git.slice(hash + 1);
  if (!isCommit(commit)) return undefined;
  return { url: git.slice(0, hash).replace(/\?.*$/, ''), commit };
}

function depRefs(value: unknown): DepRef[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((d): DepRef[] => {
    if (!isRecord(d)) return [];
    const name = stringField(d, 'name');
    if (!name) return [];
    const version = stringField(d, 'version');
    return [{ name, ...(version !== undefined && { version }), extras: stringArray(d['extra']) }];
  });
}

function depGroups(value: unknown): Map<string, DepRef[]> {
  const groups = new Map<string, DepRef[]>();
  if (isRecord(value)) for (const [group, deps] of Object.entries(value)) groups.set(group, depRefs(deps));
  return groups;
}

function linkDependencies(nodes: Node[], index: NameIndex<Node>): void {
  for (const node of nodes) {
    if (!node.pkg) continue;
    const purls = new Set<string>();
    for (const dep of node.deps) {
      const target = index.resolve(dep.name, dep.version)?.pkg;
      if (target) purls.add(target.purl);
    }
    if (purls.size > 0) node.pkg.dependsOn = [...purls].sort();
  }
}

/**
 * Scope by reachability from the roots (local projects nothing depends on): through their
 * `dependencies` a package is required; otherwise through an extra it is optional, through a
 * dependency group dev, with those extra/group names as its groups. Without a root (a lockfile of
 * a non-project, or an unusual layout) every package stays required.
 */
function assignScopes(nodes: Node[], index: NameIndex<Node>): void {
  const depended = new Set<Node>();
  for (const node of nodes) {
    for (const dep of allRefs(node)) {
      const target = index.resolve(dep.name, dep.version);
      if (target) depended.add(target);
    }
  }
  const roots = nodes.filter((n) => n.local && !depended.has(n));

  const required = reach(roots.flatMap((r) => r.deps), index);
  const labelled = new Map<Node, { scope: Scope; groups: Set<string> }>();
  const label = (kind: 'extras' | 'groups', scope: Scope) => {
    for (const root of roots) {
      for (const [group, deps] of root[kind]) {
        for (const node of reach(deps, index)) {
          if (required.has(node)) continue;
          const seen = labelled.get(node);
          if (!seen) labelled.set(node, { scope, groups: new Set([group]) });
          else if (seen.scope === scope) seen.groups.add(group);
        }
      }
    }
  };
  label('extras', 'optional');
  label('groups', 'dev');

  for (const node of nodes) {
    if (!node.pkg) continue;
    const found = labelled.get(node);
    if (found) {
      node.pkg.scope = found.scope;
      node.pkg.groups = [...found.groups].sort();
    }
  }
  for (const root of roots) {
    for (const dep of allRefs(root)) {
      const pkg = index.resolve(dep.name, dep.version)?.pkg;
      if (pkg) pkg.direct = true;
    }
  }
}

function allRefs(node: Node): DepRef[] {
  return [...node.deps, ...[...node.extras.values()].flat(), ...[...node.groups.values()].flat()];
}

/** Nodes reachable through `dependencies`, plus the extras each edge asks for. */
function reach(start: DepRef[], index: NameIndex<Node>): Set<Node> {
  const seen = new Set<Node>();
  const seenExtras = new Set<string>();
  const queue = [...start];
  for (let ref = queue.pop(); ref !== undefined; ref = queue.pop()) {
    const node = index.resolve(ref.name, ref.version);
    if (!node) continue;
    for (const extra of ref.extras) {
      const key = `${node.name}@${node.version ?? ''}[${extra}]`;
      if (seenExtras.has(key)) continue;
      seenExtras.add(key);
      queue.push(...(node.extras.get(extra) ?? []));
    }
    if (seen.has(node)) continue;
    seen.add(node);
    queue.push(...node.deps);
  }
  return seen;
}
