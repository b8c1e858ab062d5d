/**
 * Runs the catalogers over a directory or a single file and merges what they find into one
 * package list. One bad file never stops the run: its problem becomes an InputIssue and the
 * other files are still catalogued.
 */
import { stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { InputIssue, Package, Scope, Target } from '../../core/types.ts';
import { PalisadeError, ParseError, errorMessage } from '../../core/errors.ts';
import type { Cataloger } from './cataloger.ts';
import { ALL_CATALOGERS } from './index.ts';
import { directoryTree, type FileTree } from './tree.ts';

/** Kept here too: tests and compat suites build inputs with it. */
export { fileInput } from './tree.ts';

export interface CatalogOptions {
  skipDirs?: string[];
  catalogers?: readonly Cataloger[];
  /** Files larger than this are skipped with an issue (lockfiles are never this big). */
  maxFileBytes?: number;
}

export interface CatalogReport {
  target: Target;
  packages: Package[];
  /** Files a cataloger parsed successfully, root-relative. */
  files: string[];
  /** Files skipped or read in part, and why. Non-empty means the package list may be incomplete. */
  issues: InputIssue[];
}

const DEFAULT_MAX_FILE_BYTES = 512 * 1024 * 1024;
const PARALLEL_READS = 16;

export async function catalogPath(inputPath: string, options: CatalogOptions = {}): Promise<CatalogReport> {
  const catalogers = options.catalogers ?? ALL_CATALOGERS;
  const absolute = resolve(inputPath);
  let info;
  try {
    info = await stat(absolute);
  } catch (err) {
    throw new PalisadeError('INPUT_NOT_FOUND', `cannot read ${inputPath}: ${errorMessage(err)}`, { cause: err });
  }
  if (info.isDirectory()) return catalogTree(directoryTree(absolute), { kind: 'dir', name: inputPath }, options);

  // A single file: the tree is an ancestor directory, listing just that file. Some formats are
  // recognised by their directory too (`gradle/verification-metadata.xml`, `requirements/dev.txt`),
  // so the file is offered with up to two parent directories in its path.
  const parts = absolute.split(sep);
  for (let depth = 1; depth <= 3 && depth < parts.length; depth++) {
    const file = parts.slice(-depth).join('/');
    if (!catalogers.some((c) => c.wants(file))) continue;
    const dir = directoryTree(parts.slice(0, -depth).join(sep) || sep);
    const single: FileTree = { ...dir, list: async () => ({ files: [file], issues: [] }) };
    return catalogTree(single, { kind: 'lockfile', name: inputPath }, options);
  }
  throw new PalisadeError(
    'UNSUPPORTED_FORMAT',
    `${inputPath}: not a lockfile or manifest Palisade knows (see \`palisade sbom --help\` for the supported files)`,
  );
}

/** Catalogs every wanted file of a tree (a directory or an image's filesystem). */
export async function catalogTree(tree: FileTree, target: Target, options: CatalogOptions = {}): Promise<CatalogReport> {
  const catalogers = options.catalogers ?? ALL_CATALOGERS;
  const issues: InputIssue[] = [];
  const listed = await tree.list((p) => catalogers.some((c) => c.wants(p)), options.skipDirs ?? []);
  const files = listed.files;
  issues.push(...listed.issues);

  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const perFile: { path: string; packages: Package[] }[] = [];
  const parsed = new Set<string>();
  let next = 0;
  async function worker(): Promise<void> {
    while (next < files.length) {
      const path = files[next++]!;
      for (const cataloger of catalogers) {
        if (!cataloger.wants(path)) continue;
        const result = await runOne(cataloger, tree, path, maxBytes);
        issues.push(...result.issues);
        // A file counts as catalogued when it yielded packages: candidates such as extensionless
        // files offered to the binary cataloger are not "parsed" just because they were looked at.
        if (result.ok && result.packages.length > 0) {
          perFile.push({ path, packages: result.packages });
          parsed.add(path);
        }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(PARALLEL_READS, files.length) }, worker));

  perFile.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const packages = mergePackages(perFile.flatMap((f) => f.packages));
  if (tree.layerOf) {
    for (const pkg of packages) {
      for (const loc of pkg.locations) {
        const layer = tree.layerOf(loc.path);
        if (layer) loc.layer = layer;
      }
    }
  }
  return {
    target,
    packages,
    files: [...parsed].sort(),
    issues: dedupeIssues(issues),
  };
}

/** Sorted, and each problem once (an included file can be reached from several includers). */
function dedupeIssues(issues: InputIssue[]): InputIssue[] {
  const seen = new Set<string>();
  return issues
    .filter((i) => {
      const key = `${i.path}\0${i.line ?? ''}\0${i.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : (a.line ?? 0) - (b.line ?? 0)));
}

async function runOne(
  cataloger: Cataloger,
  tree: FileTree,
  path: string,
  maxBytes: number,
): Promise<{ ok: boolean; packages: Package[]; issues: InputIssue[] }> {
  try {
    if ((await tree.size(path)) > maxBytes) {
      return { ok: false, packages: [], issues: [{ path, message: `skipped: file is larger than ${maxBytes} bytes` }] };
    }
    const result = await cataloger.catalog(tree.input(path));
    return { ok: true, packages: result.packages, issues: result.issues ?? [] };
  } catch (err) {
    if (err instanceof ParseError) {
      const issue: InputIssue = { path, message: `${cataloger.name}: ${err.message}` };
      if (err.line !== undefined) issue.line = err.line;
      return { ok: false, packages: [], issues: [issue] };
    }
    if (isFsError(err)) {
      return { ok: false, packages: [], issues: [{ path, message: `cannot read: ${errorMessage(err)}` }] };
    }
    throw err;
  }
}

function isFsError(err: unknown): boolean {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && 'syscall' in err;
}

const SCOPE_RANK: Record<Scope, number> = { required: 0, optional: 1, dev: 2 };

/**
 * One component per purl: the same package found in several files (or install paths) gets all
 * their locations; it is `required` if any occurrence is, and its dependency edges are merged.
 */
export function mergePackages(packages: Package[]): Package[] {
  const byPurl = new Map<string, Package>();
  for (const pkg of packages) {
    const seen = byPurl.get(pkg.purl);
    if (!seen) {
      byPurl.set(pkg.purl, {
        ...pkg,
        locations: [...pkg.locations],
        ...(pkg.groups && { groups: [...pkg.groups] }),
        ...(pkg.dependsOn && { dependsOn: [...pkg.dependsOn] }),
      });
      continue;
    }
    for (const loc of pkg.locations) {
      if (!seen.locations.some((l) => l.path === loc.path && l.line === loc.line)) seen.locations.push(loc);
    }
    if (SCOPE_RANK[pkg.scope] < SCOPE_RANK[seen.scope]) seen.scope = pkg.scope;
    if (pkg.direct) seen.direct = true;
    if (pkg.dependsOn) seen.dependsOn = [...new Set([...(seen.dependsOn ?? []), ...pkg.dependsOn])];
    if (pkg.licenses && !seen.licenses) seen.licenses = pkg.licenses;
    if (pkg.groups) seen.groups = [...new Set([...(seen.groups ?? []), ...pkg.groups])];
  }
  const merged = [...byPurl.values()];
  for (const pkg of merged) if (pkg.dependsOn) pkg.dependsOn.sort();
  return merged.sort(comparePackages);
}

export function comparePackages(a: Package, b: Package): number {
  return a.ecosystem < b.ecosystem ? -1 : a.ecosystem > b.ecosystem ? 1 : a.purl < b.purl ? -1 : a.purl > b.purl ? 1 : 0;
}
