/**
 * .NET `<app>.deps.json`, written next to a built application
 * (https://github.com/dotnet/sdk/blob/main/documentation/specs/runtime-configuration-file.md):
 * `libraries` lists everything the app loads, keyed `Name/Version`, with `type` `package` (from
 * NuGet), `project` (a project built with the app), `runtimepack` (the runtime of a
 * self-contained app, also a NuGet package) or `reference` (a bare assembly with no package
 * identity, skipped). `targets[runtimeTarget.name]` repeats the keys with each one's
 * `dependencies` (name → exact version), which become the edges.
 *
 * The application's own project (`App/1.0.0` in `App.deps.json`) is the root and not a package;
 * other projects are reported with group `project`, as their name and version are what they
 * publish under when packed.
 */
import { ParseError } from '../../../core/errors.ts';
import { LineIndex } from '../../../core/lines.ts';
import { makePurl } from '../../../core/purl.ts';
import type { InputIssue, Package } from '../../../core/types.ts';
import { baseName, type CatalogInput, type CatalogResult, type Cataloger } from '../cataloger.ts';
import {isObject, memberOffset } from './json.ts';
import { parseJson } from '../json.ts';

const SUFFIX = '.deps.json';

export const depsJsonCataloger: Cataloger = {
  name: 'dotnet/deps-json',
  ecosystem: 'NuGet',
  wants: (path) => {
    const base = baseName(path);
    return base.endsWith(SUFFIX) && base.length > SUFFIX.length;
  },
  catalog: catalogDepsJson,
};

async function catalogDepsJson(input: CatalogInput): Promise<CatalogResult> {
  const text = await input.text();
  const doc = parseJson(text, 'deps.json');
  // WordPress and other JavaScript builds also write `*.deps.json`: a list of script handles.
  if (Array.isArray(doc)) return { packages: [] };
  if (!isObject(doc) || !isObject(doc['libraries'])) throw new ParseError('not a .NET deps.json: no `libraries` object');

  const lines = new LineIndex(text);
  const rootName = baseName(input.path).endsWith(SUFFIX) ? baseName(input.path).slice(0, -SUFFIX.length) : undefined;
  const target = runtimeTarget(doc);
  const issues: InputIssue[] = [];
  const byKey = new Map<string, Package>();
  let rootDependencies: Record<string, unknown> | undefined;
  let at = Math.max(text.search(/"libraries"\s*:/), 0);
  for (const [key, value] of Object.entries(doc['libraries'])) {
    at = memberOffset(text, key, at) ?? at;
    const line = lines.lineAt(at);
    const type = isObject(value) ? value['type'] : undefined;
    const slash = key.indexOf('/');
    if (slash <= 0 || slash === key.length - 1) {
      issues.push({ path: input.path, line, message: `library ${key} is not Name/Version; skipped` });
      continue;
    }
    const name = key.slice(0, slash);
    const version = key.slice(slash + 1);
    if (type === 'reference') continue;
    if (type === 'project' && name.toLowerCase() === rootName?.toLowerCase()) {
      rootDependencies = dependenciesOf(target?.[key]);
      continue;
    }
    byKey.set(`${name}/${version}`, {
      name,
      version,
      ecosystem: 'NuGet',
      purl: makePurl('NuGet', name, version),
      locations: [{ path: input.path, line }],
      scope: 'required',
      ...(type === 'project' && { groups: ['project'] }),
    });
  }

  for (const [key, pkg] of byKey) {
    const dependsOn = purlsOf(dependenciesOf(target?.[key]), byKey);
    if (dependsOn.length > 0) pkg.dependsOn = dependsOn;
  }
  for (const [name, version] of Object.entries(rootDependencies ?? {})) {
    const pkg = byKey.get(`${name}/${String(version)}`);
    if (pkg) pkg.direct = true;
  }
  return { packages: [...byKey.values()], ...(issues.length > 0 && { issues }) };
}

/** The target the app runs on; its entries carry the dependency edges. */
function runtimeTarget(doc: Record<string, unknown>): Record<string, unknown> | undefined {
  const targets = doc['targets'];
  if (!isObject(targets)) return undefined;
  const runtime = doc['runtimeTarget'];
  const name = isObject(runtime) && typeof runtime['name'] === 'string' ? runtime['name'] : Object.keys(targets)[0];
  const target = name === undefined ? undefined : targets[name];
  return isObject(target) ? target : undefined;
}

function dependenciesOf(entry: unknown): Record<string, unknown> | undefined {
  return isObject(entry) && isObject(entry['dependencies']) ? entry['dependencies'] : undefined;
}

function purlsOf(dependencies: Record<string, unknown> | undefined, byKey: Map<string, Package>): string[] {
  return Object.entries(dependencies ?? {}).flatMap(([name, version]) => byKey.get(`${name}/${String(version)}`)?.purl ?? []);
}
