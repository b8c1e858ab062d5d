/**
 * pylock.toml (PEP 751, https://packaging.python.org/en/latest/specifications/pylock-toml/),
 * `lock-version = "1.0"`; named `pylock.toml` or `pylock.<name>.toml`. Each `[[packages]]` entry
 * has a `name`, usually a `version`, and exactly one source: `vcs` (with `commit-id`),
 * `directory` or `archive` (local or remote), or `sdist`/`wheels` from an index. Directories and
 * local archives are the project's own code, not packages. `dependencies` name other entries
 * (with just enough keys to be unique), resolved within the file.
 */
import { ParseError } from '../../../core/errors.ts';
import { isRecord } from '../../../core/json.ts';
import type { Package } from '../../../core/types.ts';
import { baseName, type Cataloger, type CatalogInput, type CatalogResult } from '../cataloger.ts';
import {
  NameIndex,
  dependencyPurls,
  isCommit,
  parseToml,
  pypiPackage,
  stringField,
  readArrayTables,
} from './common.ts';

const SUPPORTED_MAJOR = 1;

interface Locked {
  pkg: Package;
  deps: { name: string; version?: string }[];
}

export const pylockCataloger: Cataloger = {
  name: 'python/pylock',
  ecosystem: 'PyPI',
  wants: (path) => /^pylock\.(?:[^.]+\.)?toml$/.test(baseName(path)),
  catalog: catalogPylock,
};

async function catalogPylock(input: CatalogInput): Promise<CatalogResult> {
  const text = await input.text();
  const doc = parseToml(text);
  checkLockVersion(doc['lock-version']);
  const { items: locked, issues } = readArrayTables<Locked>(text, doc, 'packages', input.path, (entry, line) =>
    readPackage(entry, input.path, line),
  );

  const index = new NameIndex(locked.map((l) => l.pkg));
  for (const { pkg, deps } of locked) {
    const dependsOn = dependencyPurls(index, deps);
    if (dependsOn.length > 0) pkg.dependsOn = dependsOn;
  }
  return { packages: locked.map((l) => l.pkg), ...(issues.length > 0 && { issues }) };
}

/** The spec requires `lock-version`; an empty file (no keys at all) is simply empty. */
function checkLockVersion(version: unknown): void {
  if (version === undefined) return;
  const major = typeof version === 'string' ? Number(version.split('.')[0]) : NaN;
  if (major !== SUPPORTED_MAJOR) throw new ParseError(`unsupported pylock.toml lock-version ${String(version)}`);
}

/** One `[[packages]]` entry: the package, undefined for local code, or why it was skipped. */
function readPackage(entry: unknown, path: string, line: number | undefined): Locked | string | undefined {
  if (!isRecord(entry)) return 'skipped [[packages]]: not a table';
  const name = stringField(entry, 'name');
  if (!name) return 'skipped [[packages]] without a name';
  if (isLocal(entry)) return undefined;

  const version = stringField(entry, 'version');
  const vcs = isRecord(entry['vcs']) ? entry['vcs'] : undefined;
  const commit = vcs && stringField(vcs, 'commit-id');
  const url = vcs && stringField(vcs, 'url');
  const git = url && isCommit(commit) ? { url, commit } : undefined;
  // A VCS checkout is identified by its commit even when it records no version.
  if (!version && !git) return `skipped ${name}: no version`;

  const pkg = pypiPackage({ name, version, path, line, git });
  return { pkg, deps: dependencyRefs(entry['dependencies']) };
}

/** A `directory`, or an `archive`/`vcs` given by a local `path` instead of a `url`. */
function isLocal(entry: Record<string, unknown>): boolean {
  if (isRecord(entry['directory'])) return true;
  return ['archive', 'vcs'].some((key) => {
    const source = entry[key];
    return isRecord(source) && stringField(source, 'url') === undefined && stringField(source, 'path') !== undefined;
  });
}

function dependencyRefs(value: unknown): { name: string; version?: string }[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((d) => {
    if (!isRecord(d)) return [];
    const name = stringField(d, 'name');
    const version = stringField(d, 'version');
    return name ? [{ name, ...(version !== undefined && { version }) }] : [];
  });
}
