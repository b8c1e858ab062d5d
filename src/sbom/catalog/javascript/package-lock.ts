/**
 * npm's package-lock.json and npm-shrinkwrap.json (https://docs.npmjs.com/cli/configuring-npm/package-lock-json).
 *
 * - lockfileVersion 2 (npm 7–8) and 3 (npm 9+): `packages` maps each install path
 *   (`node_modules/a/node_modules/b`, a workspace folder, a `file:` target) to its entry. v2 also
 *   carries the v1 tree for old clients; `packages` wins when present.
 * - lockfileVersion 1 (npm 5–6): a `dependencies` tree that mirrors node_modules, each entry
 *   naming what it `requires`.
 *
 * Dependency edges follow Node's module resolution: a package's dependency is the nearest copy in a
 * `node_modules` folder of its own directory or an ancestor.
 */
import { ParseError } from '../../../core/errors.ts';
import type { InputIssue, Scope } from '../../../core/types.ts';
import { baseName, type Cataloger, type CatalogInput, type CatalogResult } from '../cataloger.ts';
import { PackageCollector, asRecord, dependencyNames, gitSource, inNodeModules, isGitSpec, isLocalSpec, isTarballUrl, KeyLines, memberOffset, parseAlias, stringOf, type Occurrence } from './npm-support.ts';
import { parseJson } from '../json.ts';

export const packageLockCataloger: Cataloger = {
  name: 'javascript/package-lock',
  ecosystem: 'npm',
  wants: (path) => {
    const name = baseName(path);
    return (name === 'package-lock.json' || name === 'npm-shrinkwrap.json') && !inNodeModules(path);
  },
  catalog: catalogPackageLock,
};

/** What an installed package needs at run time (devDependencies of a dependency are never installed). */
const RUNTIME_DEPS = ['dependencies', 'optionalDependencies', 'peerDependencies'] as const;
/** What the project itself (root or workspace) declares. */
const PROJECT_DEPS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'] as const;

async function catalogPackageLock(input: CatalogInput): Promise<CatalogResult> {
  const text = stripBom(await input.text());
  const lock = asRecord(parseJson(text, baseName(input.path)));
  if (!lock) throw new ParseError('not an npm lockfile: the top level is not an object');
  const version = lock.lockfileVersion;
  if (version !== undefined && !(version === 1 || version === 2 || version === 3)) {
    throw new ParseError(`unsupported lockfileVersion ${JSON.stringify(version)} (Palisade reads 1, 2 and 3)`);
  }
  if (lock.packages !== undefined) {
    const packages = asRecord(lock.packages);
    if (!packages) throw new ParseError('not an npm lockfile: `packages` is not an object');
    return catalogInstallPaths(input.path, text, packages);
  }
  if (lock.dependencies !== undefined) {
    const deps = asRecord(lock.dependencies);
    if (!deps) throw new ParseError('not an npm lockfile: `dependencies` is not an object');
    return catalogDependencyTree(input, text, deps);
  }
  return { packages: [] };
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Scope and raw groups of one entry, from npm's flags. */
function flagsOf(entry: Record<string, unknown>): Pick<Occurrence, 'scope' | 'groups'> {
  const groups: string[] = [];
  const dev = entry.dev === true;
  // devOptional: in the dev tree and in the optional tree, so only omitted when both are.
  const devOptional = entry.devOptional === true;
  const optional = entry.optional === true;
  if (dev || devOptional) groups.push('dev');
  if (optional || devOptional) groups.push('optional');
  if (entry.peer === true) groups.push('peer');
  if (entry.inBundle === true || entry.bundled === true) groups.push('bundled');
  const scope: Scope = dev ? 'dev' : optional || devOptional ? 'optional' : 'required';
  return { scope, groups };
}

// ---------------------------------------------------------------------------------------------
// lockfileVersion 2 and 3: `packages` keyed by install path

function catalogInstallPaths(path: string, text: string, packages: Record<string, unknown>): CatalogResult {
  const issues: InputIssue[] = [];
  const lines = new KeyLines(text, memberOffset(text, 'packages'));
  const root = asRecord(packages['']) ?? {};
  const isWorkspace = workspaceMatcher(root.workspaces);

  // Links (workspaces, `file:` directories) point at the entry of their target folder.
  const entries = new Map<string, Record<string, unknown>>();
  const lineOf = new Map<string, number>();
  const links = new Map<string, string>();
  const linkNames = new Map<string, string>();
  for (const [key, value] of Object.entries(packages)) {
    if (key === '') continue;
    const entry = asRecord(value);
    if (!entry) {
      issues.push({ path, message: `skipped \`${key}\`: the entry is not an object` });
      continue;
    }
    const line = lines.next(key);
    if (line !== undefined) lineOf.set(key, line);
    if (entry.link === true) {
      const target = stringOf(entry.resolved);
      if (target === undefined) {
        issues.push({ path, line, message: `skipped link \`${key}\`: it has no \`resolved\` target` });
        continue;
      }
      const folder = target.replace(/^file:/, '').replace(/^\.\//, '').replace(/\/+$/, '');
      links.set(key, folder);
      if (!linkNames.has(folder)) linkNames.set(folder, nameFromInstallPath(key));
      continue;
    }
    entries.set(key, entry);
  }

  const collector = new PackageCollector(path);
  const purls = new Map<string, string>();
  const projects: [string, Record<string, unknown>][] = [['', root]];
  for (const [key, entry] of entries) {
    if (!key.includes('node_modules/') && isWorkspace(key)) {
      // The workspace is part of the project, not a dependency; what it declares is.
      projects.push([key, entry]);
      continue;
    }
    const name = stringOf(entry.name) ?? linkNames.get(key) ?? nameFromInstallPath(key);
    purls.set(key, collector.add({ name, ...identity(entry), line: lineOf.get(key), ...flagsOf(entry) }));
  }

  const resolve = (from: string, name: string): string | undefined => {
    for (let dir = from; ; dir = parentPackageDir(dir)) {
      const candidate = dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
      const linked = links.get(candidate);
      if (linked !== undefined) return entries.has(linked) ? linked : undefined;
      if (entries.has(candidate)) return candidate;
      if (dir === '') return undefined;
    }
  };

  for (const [key, purl] of purls) {
    for (const dep of dependencyNames(entries.get(key)!, RUNTIME_DEPS)) {
      const target = resolve(key, dep);
      const targetPurl = target === undefined ? undefined : purls.get(target);
      if (targetPurl !== undefined) collector.dependsOn(purl, targetPurl);
    }
  }
  for (const [key, entry] of projects) {
    for (const dep of dependencyNames(entry, PROJECT_DEPS)) {
      const target = resolve(key, dep);
      const targetPurl = target === undefined ? undefined : purls.get(target);
      if (targetPurl !== undefined) collector.markDirect(targetPurl);
    }
  }
  return { packages: collector.result(), ...(issues.length > 0 && { issues }) };
}

/**
 * The next folder up that can hold a node_modules: from an installed package straight to the
 * folder whose node_modules holds it (`a/node_modules/@s/b` → `a`), else the parent folder.
 */
function parentPackageDir(dir: string): string {
  const i = dir.lastIndexOf('node_modules/');
  if (i === 0) return '';
  if (i > 0) return dir.slice(0, i - 1);
  const slash = dir.lastIndexOf('/');
  return slash === -1 ? '' : dir.slice(0, slash);
}

/** The package folder's name: the part after the last `node_modules/` (or the last folder), scope included. */
function nameFromInstallPath(key: string): string {
  const i = key.lastIndexOf('node_modules/');
  if (i !== -1) return key.slice(i + 'node_modules/'.length);
  const parts = key.split('/');
  const last = parts[parts.length - 1]!;
  const parent = parts[parts.length - 2];
  return parent?.startsWith('@') ? `${parent}/${last}` : last;
}

/** Version, git commit and license of a v2/v3 entry. */
function identity(entry: Record<string, unknown>): Pick<Occurrence, 'version' | 'git' | 'license'> {
  const resolved = stringOf(entry.resolved);
  let version = stringOf(entry.version);
  // A git dependency's entry keeps the version from its package.json; `resolved` pins the commit.
  let gitSpec = resolved !== undefined && isGitSpec(resolved) ? resolved : undefined;
  if (version !== undefined && isGitSpec(version)) gitSpec ??= version;
  if (version !== undefined && (isGitSpec(version) || isLocalSpec(version) || isTarballUrl(version))) version = undefined;
  const license = stringOf(entry.license);
  return {
    ...(version !== undefined && { version }),
    ...(gitSpec !== undefined && { git: gitSource(gitSpec) }),
    ...(license !== undefined && { license }),
  };
}

/** Matches folders against the root's `workspaces` globs (an array, or `{ packages: [...] }`). */
function workspaceMatcher(workspaces: unknown): (folder: string) => boolean {
  const globs = Array.isArray(workspaces) ? workspaces : asRecord(workspaces)?.packages;
  if (!Array.isArray(globs)) return () => false;
  const patterns = globs.filter((g): g is string => typeof g === 'string').map(globToRegExp);
  return (folder) => patterns.some((p) => p.test(folder));
}

function globToRegExp(glob: string): RegExp {
  const clean = glob.replace(/^\.\//, '').replace(/\/+$/, '');
  let source = '';
  for (let i = 0; i < clean.length; i++) {
    const c = clean[i]!;
    if (c === '*' && clean[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

// ---------------------------------------------------------------------------------------------
// lockfileVersion 1: the nested `dependencies` tree

interface TreeNode {
  key: string;
  entry: Record<string, unknown>;
  purl: string;
  children: Map<string, TreeNode>;
  parent: TreeNode | undefined;
}

/** Deeper than any real node_modules tree; guards the recursion against crafted input. */
const MAX_DEPTH = 500;

async function catalogDependencyTree(
  input: CatalogInput,
  text: string,
  dependencies: Record<string, unknown>,
): Promise<CatalogResult> {
  const issues: InputIssue[] = [];
  const collector = new PackageCollector(input.path);
  const lines = new KeyLines(text, memberOffset(text, 'dependencies'));

  // Pre-order walk, which is also the order of the keys in the text (for the line cursor).
  const build = (deps: Record<string, unknown>, parent: TreeNode | undefined, depth: number): Map<string, TreeNode> => {
    if (depth > MAX_DEPTH) throw new ParseError(`dependencies are nested more than ${MAX_DEPTH} levels deep`);
    const nodes = new Map<string, TreeNode>();
    for (const [key, value] of Object.entries(deps)) {
      const line = lines.next(key);
      const entry = asRecord(value);
      if (!entry) {
        issues.push({ path: input.path, line, message: `skipped \`${key}\`: the entry is not an object` });
        continue;
      }
      const node: TreeNode = { key, entry, parent, children: new Map(), purl: '' };
      node.purl = collector.add({ ...treeIdentity(key, entry), line, ...flagsOf(entry) });
      nodes.set(key, node);
      const children = asRecord(entry.dependencies);
      if (children) node.children = build(children, node, depth + 1);
    }
    return nodes;
  };
  const top = build(dependencies, undefined, 0);

  const resolve = (from: TreeNode, name: string): TreeNode | undefined => {
    for (let scope: TreeNode | undefined = from; scope; scope = scope.parent) {
      const found = scope.children.get(name);
      if (found) return found;
    }
    return top.get(name);
  };
  const link = (nodes: Map<string, TreeNode>): void => {
    for (const node of nodes.values()) {
      for (const dep of Object.keys(asRecord(node.entry.requires) ?? {})) {
        const target = resolve(node, dep);
        if (target) collector.dependsOn(node.purl, target.purl);
      }
      link(node.children);
    }
  };
  link(top);

  // v1 does not record the root's own dependencies; the package.json beside it does.
  for (const name of await manifestDependencies(input)) {
    const node = top.get(name);
    if (node) collector.markDirect(node.purl);
  }
  return { packages: collector.result(), ...(issues.length > 0 && { issues }) };
}

/** A v1 entry's `version` is a semver, an alias, a git URL, a tarball URL or a `file:` path. */
function treeIdentity(key: string, entry: Record<string, unknown>): Pick<Occurrence, 'name' | 'version' | 'git' | 'downloadUrl'> {
  const version = stringOf(entry.version);
  if (version === undefined) return { name: key };
  if (version.startsWith('npm:')) {
    const alias = parseAlias(version);
    return { name: alias.name ?? key, ...(alias.version !== undefined && { version: alias.version }) };
  }
  if (isGitSpec(version)) return { name: key, git: gitSource(version) };
  if (isTarballUrl(version)) return { name: key, downloadUrl: version };
  if (isLocalSpec(version)) return { name: key };
  return { name: key, version };
}

async function manifestDependencies(input: CatalogInput): Promise<string[]> {
  const text = await input.sibling('package.json');
  if (text === undefined) return [];
  try {
    const manifest = asRecord(JSON.parse(stripBom(text)));
    return manifest ? dependencyNames(manifest, PROJECT_DEPS) : [];
  } catch {
    return []; // A broken package.json only costs the `direct` flags; its own cataloger reports it.
  }
}
