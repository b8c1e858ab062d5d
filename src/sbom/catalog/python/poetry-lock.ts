/**
 * poetry.lock (https://python-poetry.org/docs/basic-usage/#installing-with-poetrylock), lock
 * versions 1.x and 2.x. Every `[[package]]` is a resolved distribution. Lock 1.x marks dev-only
 * packages with `category = "dev"`; Poetry 2 writes `groups = [...]` instead, where anything not in
 * `main` is only installed with its (dev/test/docs …) group. `optional = true` means the package
 * is only installed for an extra. `[package.dependencies]` names the dependencies, resolved here
 * within the file. Path dependencies (`source.type` directory/file) are local code, not packages.
 */
import { ParseError } from '../../../core/errors.ts';
import { isRecord } from '../../../core/json.ts';
import type { Package, Scope } from '../../../core/types.ts';
import { baseName, type Cataloger, type CatalogInput, type CatalogResult } from '../cataloger.ts';
import {
  NameIndex,
  dependencyPurls,
  isCommit,
  parseToml,
  pypiPackage,
  stringArray,
  stringField,
  readArrayTables,
} from './common.ts';

const MAX_LOCK_MAJOR = 2;

/** Sources that are a checkout or archive on the local disk. */
const LOCAL_SOURCES = new Set(['directory', 'file']);

interface Locked {
  pkg: Package;
  deps: string[];
}

export const poetryLockCataloger: Cataloger = {
  name: 'python/poetry-lock',
  ecosystem: 'PyPI',
  wants: (path) => baseName(path) === 'poetry.lock',
  catalog: catalogPoetryLock,
};

async function catalogPoetryLock(input: CatalogInput): Promise<CatalogResult> {
  const text = await input.text();
  const doc = parseToml(text);
  checkLockVersion(doc['metadata']);
  const { items: locked, issues } = readArrayTables<Locked>(text, doc, 'package', input.path, (entry, line) =>
    readPackage(entry, input.path, line),
  );

  const index = new NameIndex(locked.map((l) => l.pkg));
  for (const { pkg, deps } of locked) {
    const dependsOn = dependencyPurls(index, deps.map((name) => ({ name })));
    if (dependsOn.length > 0) pkg.dependsOn = dependsOn;
  }
  return { packages: locked.map((l) => l.pkg), ...(issues.length > 0 && { issues }) };
}

function checkLockVersion(metadata: unknown): void {
  if (!isRecord(metadata)) return;
  const version = metadata['lock-version'];
  if (version === undefined) return;
  const major = typeof version === 'string' ? Number(version.split('.')[0]) : NaN;
  if (!Number.isInteger(major) || major < 1 || major > MAX_LOCK_MAJOR) {
    throw new ParseError(`unsupported poetry.lock lock-version ${String(version)}`);
  }
}

/** One `[[package]]`: the package, undefined for a local path package, or why it was skipped. */
function readPackage(entry: unknown, path: string, line: number | undefined): Locked | string | undefined {
  if (!isRecord(entry)) return 'skipped [[package]]: not a table';
  const name = stringField(entry, 'name');
  if (!name) return 'skipped [[package]] without a name';
  const version = stringField(entry, 'version');
  if (!version) return `skipped ${name}: no version`;

  const source = isRecord(entry['source']) ? entry['source'] : {};
  const sourceType = stringField(source, 'type');
  if (sourceType !== undefined && LOCAL_SOURCES.has(sourceType)) return undefined;
  const url = stringField(source, 'url');
  const commit = stringField(source, 'resolved_reference');
  const git = sourceType === 'git' && url && isCommit(commit) ? { url, commit } : undefined;

  const { scope, groups } = scopeOf(entry);
  const pkg = pypiPackage({ name, version, path, line, scope, groups, git });
  const deps = isRecord(entry['dependencies']) ? Object.keys(entry['dependencies']) : [];
  return { pkg, deps };
}

/**
 * Lock 1.x: `category` is `main` or `dev`. Lock 2.x: `groups` lists every group that pulls the
 * package in; in `main` means a runtime dependency. Groups other than `main` are kept as they are.
 */
function scopeOf(entry: Record<string, unknown>): { scope: Scope; groups: string[] } {
  const category = stringField(entry, 'category');
  const raw = Array.isArray(entry['groups']) ? stringArray(entry['groups']) : category ? [category] : [];
  const inMain = raw.length === 0 || raw.includes('main');
  const optional = entry['optional'] === true;
  const groups = [...(optional ? ['optional'] : []), ...raw.filter((g) => g !== 'main')];
  const scope: Scope = !inMain ? 'dev' : optional ? 'optional' : 'required';
  return { scope, groups };
}
