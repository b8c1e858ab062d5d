/**
 * Runs the catalogers over a directory or a single file and merges what they find into one
 * package list. One bad file never stops the run: its problem becomes an InputIssue and the
 * other files are still catalogued.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, normalize, resolve, sep } from 'node:path';
import type { InputIssue, Package, Scope, Target } from '../../core/types.ts';
import { PalisadeError, ParseError, errorMessage } from '../../core/errors.ts';
import type { CatalogInput, Cataloger } from './cataloger.ts';
import { walk } from './walk.ts';
import { ALL_CATALOGERS } from './index.ts';

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

  let root: string;
  let files: string[];
  const issues: InputIssue[] = [];
  let target: Target;
  if (info.isDirectory()) {
    root = absolute;
    const walked = await walk(root, {
      skipDirs: options.skipDirs ?? [],
      wants: (p) => catalogers.some((c) => c.wants(p)),
    });
    files = walked.files;
    issues.push(...walked.issues);
    target = { kind: 'dir', name: inputPath };
  } else {
    root = dirname(absolute);
    files = [basename(absolute)];
    target = { kind: 'lockfile', name: inputPath };
    if (!catalogers.some((c) => c.wants(files[0]!))) {
      throw new PalisadeError(
        'UNSUPPORTED_FORMAT',
        `${inputPath}: not a lockfile or manifest Palisade knows (see \`palisade sbom --help\` for the supported files)`,
      );
    }
  }

  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const perFile: { path: string; packages: Package[] }[] = [];
  const parsed: string[] = [];
  let next = 0;
  async function worker(): Promise<void> {
    while (next < files.length) {
      const path = files[next++]!;
      for (const cataloger of catalogers) {
        if (!cataloger.wants(path)) continue;
        const result = await runOne(cataloger, root, path, maxBytes);
        issues.push(...result.issues);
        // A file counts as catalogued when it yielded packages: candidates such as extensionless
        // files offered to the binary cataloger are not "parsed" just because they were looked at.
        if (result.ok && result.packages.length > 0) {
          perFile.push({ path, packages: result.packages });
          if (!parsed.includes(path)) parsed.push(path);
        }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(PARALLEL_READS, files.length) }, worker));

  perFile.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    target,
    packages: mergePackages(perFile.flatMap((f) => f.packages)),
    files: parsed.sort(),
    issues: issues.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : (a.line ?? 0) - (b.line ?? 0))),
  };
}

async function runOne(
  cataloger: Cataloger,
  root: string,
  path: string,
  maxBytes: number,
): Promise<{ ok: boolean; packages: Package[]; issues: InputIssue[] }> {
  const absolute = join(root, path);
  try {
    const info = await stat(absolute);
    if (info.size > maxBytes) {
      return { ok: false, packages: [], issues: [{ path, message: `skipped: file is larger than ${maxBytes} bytes` }] };
    }
    const result = await cataloger.catalog(fileInput(root, path));
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

/** A CatalogInput over a real file under `root`. */
export function fileInput(root: string, path: string): CatalogInput {
  const absolute = join(root, path);
  let cached: Buffer | undefined;
  const bytes = async () => (cached ??= await readFile(absolute));
  const head = async (n: number) => {
    if (cached) return cached.subarray(0, n);
    const handle = await open(absolute, 'r');
    try {
      const buffer = Buffer.alloc(n);
      const { bytesRead } = await handle.read(buffer, 0, n, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  };
  return {
    path,
    bytes,
    head,
    text: async () => (await bytes()).toString('utf8'),
    sibling: async (relative) => {
      const target = normalize(join(dirname(absolute), relative));
      if (target !== root && !target.startsWith(root + sep)) return undefined;
      try {
        return await readFile(target, 'utf8');
      } catch {
        return undefined;
      }
    },
  };
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
