/**
 * pdm.lock (https://pdm-project.org/latest/usage/lockfile/), lock_version 4.x (3.x read alike).
 * Every `[[package]]` is a resolved distribution with the `groups` that pull it in (`sections`
 * in old locks): `default` is the runtime group; any other is either an extra
 * (`[project.optional-dependencies]`) or a dev dependency group (`[tool.pdm.dev-dependencies]`,
 * PEP 735 `[dependency-groups]`). The lockfile does not say which, so the pyproject.toml beside
 * it is asked; without one, a group named `dev` is dev and others are extras. Git checkouts
 * carry `git` + `revision`; `path` entries are local code, not packages. `dependencies` are
 * PEP 508 strings, resolved by name within the file.
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
  requirementName,
  stringArray,
  stringField,
  readArrayTables,
} from './common.ts';

const SUPPORTED_MAJORS = new Set([3, 4]);
const DEFAULT_GROUP = 'default';

interface Locked {
  pkg: Package;
  deps: string[];
  groups: string[];
}

/** Which non-default groups are dev groups, and which are extras, as pyproject.toml declares them. */
interface GroupKinds {
  dev: Set<string>;
  extras: Set<string>;
}

export const pdmLockCataloger: Cataloger = {
  name: 'python/pdm-lock',
  ecosystem: 'PyPI',
  wants: (path) => baseName(path) === 'pdm.lock',
  catalog: catalogPdmLock,
};

async function catalogPdmLock(input: CatalogInput): Promise<CatalogResult> {
  const text = await input.text();
  const doc = parseToml(text);
  checkLockVersion(doc['metadata']);
  const { items: locked, issues } = readArrayTables<Locked>(text, doc, 'package', input.path, (entry, line) =>
    readPackage(entry, input.path, line),
  );

  const kinds = locked.some((l) => l.groups.some((g) => g !== DEFAULT_GROUP)) ? await groupKinds(input) : undefined;
  const index = new NameIndex(locked.map((l) => l.pkg));
  for (const { pkg, deps, groups } of locked) {
    const dependsOn = dependencyPurls(index, deps.map((name) => ({ name })));
    if (dependsOn.length > 0) pkg.dependsOn = dependsOn;
    applyGroups(pkg, groups, kinds);
  }
  return { packages: locked.map((l) => l.pkg), ...(issues.length > 0 && { issues }) };
}

function checkLockVersion(metadata: unknown): void {
  if (!isRecord(metadata)) return;
  const version = metadata['lock_version'];
  if (version === undefined) return;
  const major = typeof version === 'string' ? Number(version.split('.')[0]) : NaN;
  if (!SUPPORTED_MAJORS.has(major)) throw new ParseError(`unsupported pdm.lock lock_version ${String(version)}`);
}

/** One `[[package]]`: the package, undefined for a local path package, or why it was skipped. */
function readPackage(entry: unknown, path: string, line: number | undefined): Locked | string | undefined {
  if (!isRecord(entry)) return 'skipped [[package]]: not a table';
  const name = stringField(entry, 'name');
  if (!name) return 'skipped [[package]] without a name';
  if (stringField(entry, 'path') !== undefined) return undefined;
  const version = stringField(entry, 'version');
  if (!version) return `skipped ${name}: no version`;

  const url = stringField(entry, 'git');
  const revision = stringField(entry, 'revision');
  const git = url && isCommit(revision) ? { url, commit: revision } : undefined;
  const pkg = pypiPackage({ name, version, path, line, git });
  const deps = stringArray(entry['dependencies']).flatMap((d) => requirementName(d) ?? []);
  const groups = stringArray(entry['groups'] ?? entry['sections']);
  return { pkg, deps, groups };
}

/** Runtime if in `default`; else optional when only extras pull it in, dev otherwise. */
function applyGroups(pkg: Package, groups: string[], kinds: GroupKinds | undefined): void {
  if (groups.length === 0 || groups.includes(DEFAULT_GROUP)) return;
  const isExtra = (g: string) => (kinds ? kinds.extras.has(g) && !kinds.dev.has(g) : g !== 'dev');
  const scope: Scope = groups.every(isExtra) ? 'optional' : 'dev';
  pkg.scope = scope;
  pkg.groups = [...groups];
}

/** Group kinds from the pyproject.toml beside the lockfile, if there is a readable one. */
async function groupKinds(input: CatalogInput): Promise<GroupKinds | undefined> {
  const text = await input.sibling('pyproject.toml');
  if (text === undefined) return undefined;
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text);
  } catch {
    return undefined;
  }
  const project = isRecord(doc['project']) ? doc['project'] : {};
  const tool = isRecord(doc['tool']) ? doc['tool'] : {};
  const pdm = isRecord(tool['pdm']) ? tool['pdm'] : {};
  const keys = (v: unknown) => (isRecord(v) ? Object.keys(v) : []);
  return {
    extras: new Set(keys(project['optional-dependencies'])),
    dev: new Set([...keys(pdm['dev-dependencies']), ...keys(doc['dependency-groups'])]),
  };
}
