/**
 * stack.yaml.lock (https://docs.haskellstack.org/en/stable/topics/lock_files/): the exact form of
 * each `extra-deps` entry of stack.yaml. `packages[].completed` is either
 *   `hackage: name-1.2.3@sha256:<hash>,<size>` (or `@rev:N`), a Hackage release, or
 *   `{name, version, git, commit, …}` / `{name, version, url, …}`, a package from git or an archive.
 * The packages of the resolver snapshot (`snapshots:`) are not listed, so they are not catalogued.
 */
import { LineCounter, isMap, isScalar, isSeq } from 'yaml';
import type { YAMLMap } from 'yaml';
import { ParseError } from '../../../core/errors.ts';
import { makePurl } from '../../../core/purl.ts';
import type { InputIssue, Package } from '../../../core/types.ts';
import { baseName, type Cataloger, type CatalogInput, type CatalogResult } from '../cataloger.ts';
import { lineOf, parseYamlMap } from '../yaml.ts';

export const stackLockCataloger: Cataloger = {
  name: 'haskell/stack-lock',
  ecosystem: 'Hackage',
  wants: (path) => baseName(path) === 'stack.yaml.lock',
  catalog: catalogStackLock,
};

async function catalogStackLock(input: CatalogInput): Promise<CatalogResult> {
  const lineCounter = new LineCounter();
  const root = parseYamlMap(await input.text(), lineCounter, 'stack.yaml.lock');
  const list = root.get('packages', true);
  // `packages:` with nothing after it (failsafe schema: an empty string) means no extra-deps.
  if (list === undefined || (isScalar(list) && list.value === '')) return { packages: [] };
  if (!isSeq(list)) throw new ParseError('`packages` is not a list', lineOf(list, lineCounter));

  const packages: Package[] = [];
  const issues: InputIssue[] = [];
  for (const item of list.items) {
    const line = lineOf(item, lineCounter);
    const pkg = readItem(item, input.path, line);
    if (typeof pkg === 'string') issues.push({ path: input.path, ...(line !== undefined && { line }), message: pkg });
    else packages.push(pkg);
  }
  return { packages, ...(issues.length > 0 && { issues }) };
}

/** One `packages:` item, or the reason it was skipped. */
function readItem(item: unknown, path: string, line: number | undefined): Package | string {
  const completed = isMap(item) ? item.get('completed') : undefined;
  if (!isMap(completed)) return 'skipped entry without `completed`';
  const id = identity(completed);
  if (typeof id === 'string') return id;
  const git = stringAt(completed, 'git');
  const commit = git === undefined ? undefined : stringAt(completed, 'commit');
  return {
    ...id,
    ecosystem: 'Hackage',
    purl: makePurl('Hackage', id.name, id.version, commit ? { vcs_url: `git+${git}@${commit}` } : undefined),
    locations: [{ path, ...(line !== undefined && { line }) }],
    scope: 'required',
    ...(commit !== undefined && { commit }),
  };
}

/** `hackage: name-1.2.3@…` (the name may itself contain dashes), else the `name`/`version` keys. */
function identity(completed: YAMLMap): { name: string; version: string } | string {
  const hackage = completed.get('hackage');
  if (typeof hackage === 'string') {
    const m = /^(.+)-(\d+(?:\.\d+)*)(?:@.*)?$/.exec(hackage.trim());
    return m ? { name: m[1]!, version: m[2]! } : `skipped ${hackage}: not a name-version Hackage identifier`;
  }
  const name = stringAt(completed, 'name');
  const version = stringAt(completed, 'version');
  if (name === undefined || version === undefined) return 'skipped entry: no Hackage identifier and no name/version';
  return { name, version };
}

function stringAt(map: YAMLMap, key: string): string | undefined {
  const value = map.get(key);
  return typeof value === 'string' && value !== '' ? value : undefined;
}
