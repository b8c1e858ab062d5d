/**
 * pubspec.lock, written by `dart pub` / `flutter pub` (https://dart.dev/tools/pub/glossary#lockfile).
 * A YAML map `packages:` of name → `{dependency, description, source, version}`:
 * `dependency` is `direct main`, `direct dev`, `direct overridden` or `transitive`; `source` is
 * `hosted` (a package repository, pub.dev unless `description.url` says otherwise), `git`
 * (`description.resolved-ref` is the commit), `path` or `sdk` (Flutter's own packages).
 * The lockfile records no dependency edges, and no scope for transitive packages.
 */
import { LineCounter, isMap, isScalar } from 'yaml';
import type { YAMLMap } from 'yaml';
import { ParseError } from '../../../core/errors.ts';
import { makePurl } from '../../../core/purl.ts';
import type { InputIssue, Package } from '../../../core/types.ts';
import { baseName, type Cataloger, type CatalogInput, type CatalogResult } from '../cataloger.ts';
import { lineOf, parseYamlMap } from '../yaml.ts';

/** Both names of the public repository; packages hosted anywhere else get a `repository_url`. */
const PUB_DEV = /^https?:\/\/(pub\.dev|pub\.dartlang\.org)\/?$/;

export const pubspecLockCataloger: Cataloger = {
  name: 'dart/pubspec-lock',
  ecosystem: 'Pub',
  wants: (path) => baseName(path) === 'pubspec.lock',
  catalog: catalogPubspecLock,
};

async function catalogPubspecLock(input: CatalogInput): Promise<CatalogResult> {
  const lineCounter = new LineCounter();
  const root = parseYamlMap(await input.text(), lineCounter, 'pubspec.lock');
  const packagesNode = root.get('packages', true);
  if (packagesNode === undefined && !root.has('sdks')) throw new ParseError('not a pubspec.lock: no `packages` map');
  // `packages:` with nothing after it (failsafe schema: an empty string) means no packages.
  if (packagesNode === undefined || (isScalar(packagesNode) && packagesNode.value === '')) return { packages: [] };
  if (!isMap(packagesNode)) throw new ParseError('`packages` is not a map', lineOf(packagesNode, lineCounter));

  const packages: Package[] = [];
  const issues: InputIssue[] = [];
  for (const pair of packagesNode.items) {
    const line = lineOf(pair.key, lineCounter);
    const name = isScalar(pair.key) ? String(pair.key.value) : '';
    const entry = readEntry(name, pair.value, input.path, line);
    if (typeof entry === 'string') issues.push({ path: input.path, ...(line !== undefined && { line }), message: entry });
    else packages.push(entry);
  }
  return { packages, ...(issues.length > 0 && { issues }) };
}

/** One `packages:` entry, or the reason it was skipped. */
function readEntry(name: string, value: unknown, path: string, line: number | undefined): Package | string {
  if (name === '') return 'skipped package without a name';
  if (!isMap(value)) return `skipped package ${name}: not a map`;
  const version = stringAt(value, 'version');
  const dependency = stringAt(value, 'dependency') ?? '';
  const source = stringAt(value, 'source');
  const description = value.get('description');
  const commit = source === 'git' && isMap(description) ? stringAt(description, 'resolved-ref') : undefined;

  const dev = dependency === 'direct dev';
  return {
    name,
    ...(version !== undefined && { version }),
    ecosystem: 'Pub',
    purl: makePurl('Pub', name, version, qualifiers(source, description, commit)),
    locations: [{ path, ...(line !== undefined && { line }) }],
    scope: dev ? 'dev' : 'required',
    ...(dev && { groups: ['dev'] }),
    ...(dependency.startsWith('direct ') && { direct: true }),
    ...(commit !== undefined && { commit }),
  };
}

/** Keep packages from git or from a private repository distinct from the pub.dev package of that name. */
function qualifiers(
  source: string | undefined,
  description: unknown,
  commit: string | undefined,
): Record<string, string> | undefined {
  const url = isMap(description) ? stringAt(description, 'url') : undefined;
  if (source === 'git' && url !== undefined && commit !== undefined) return { vcs_url: `git+${url}@${commit}` };
  if (source === 'hosted' && url !== undefined && !PUB_DEV.test(url)) return { repository_url: url };
  return undefined;
}

function stringAt(map: YAMLMap, key: string): string | undefined {
  const value = map.get(key);
  return typeof value === 'string' && value !== '' ? value : undefined;
}
