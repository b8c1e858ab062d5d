/**
 * NuGet `packages.lock.json` (`dotnet restore --use-lock-file`, lockfile versions 1 and 2):
 * `dependencies` maps each target framework (`net6.0`, or `net6.0/linux-x64` for a runtime) to
 * the packages resolved for it, keyed by name: `type` Direct, Transitive, CentralTransitive (v2,
 * central package management) or Project (a project reference, not a package), `resolved` the
 * version, `dependencies` the names it needs (with the requested range; the resolved version of
 * that name in the same framework is the one used). Each framework's entries are reported, so a
 * package resolved for two frameworks has a location in each.
 */
import { ParseError } from '../../../core/errors.ts';
import { LineIndex } from '../../../core/lines.ts';
import { makePurl } from '../../../core/purl.ts';
import type { InputIssue, Package } from '../../../core/types.ts';
import { baseName, type CatalogInput, type CatalogResult, type Cataloger } from '../cataloger.ts';
import {isObject, memberOffset } from './json.ts';
import { parseJson } from '../json.ts';

const SUPPORTED_VERSIONS = new Set([1, 2]);

interface LockedPackage {
  type?: unknown;
  resolved?: unknown;
  dependencies?: unknown;
}

export const packagesLockCataloger: Cataloger = {
  name: 'dotnet/packages-lock',
  ecosystem: 'NuGet',
  wants: (path) => baseName(path) === 'packages.lock.json',
  catalog: catalogPackagesLock,
};

async function catalogPackagesLock(input: CatalogInput): Promise<CatalogResult> {
  const text = await input.text();
  const doc = parseJson(text, 'packages.lock.json');
  if (!isObject(doc)) throw new ParseError('not a NuGet lockfile: the top level is not an object');
  if (doc.version !== undefined && !SUPPORTED_VERSIONS.has(doc.version as number)) {
    throw new ParseError(`unsupported packages.lock.json version ${JSON.stringify(doc.version)}`);
  }
  if (!isObject(doc.dependencies)) throw new ParseError('not a NuGet lockfile: no `dependencies` object');

  const lines = new LineIndex(text);
  const packages: Package[] = [];
  const issues: InputIssue[] = [];
  // Search for each framework's keys after the previous framework's, so equal names in two
  // frameworks get their own lines.
  let cursor = Math.max(text.indexOf('"dependencies"'), 0);
  for (const [framework, entries] of Object.entries(doc.dependencies)) {
    cursor = memberOffset(text, framework, cursor) ?? cursor;
    if (!isObject(entries)) {
      issues.push({ path: input.path, line: lines.lineAt(cursor), message: `framework ${framework} is not an object; skipped` });
      continue;
    }
    packages.push(...frameworkPackages(entries, input.path, text, cursor, lines, issues));
  }
  return { packages, ...(issues.length > 0 && { issues }) };
}

function frameworkPackages(
  entries: Record<string, unknown>,
  path: string,
  text: string,
  from: number,
  lines: LineIndex,
  issues: InputIssue[],
): Package[] {
  const resolved = new Map<string, { entry: LockedPackage; pkg: Package }>();
  let at = from;
  for (const [name, value] of Object.entries(entries)) {
    // Keys come in file order, so each search starts where the previous one ended.
    at = memberOffset(text, name, at) ?? memberOffset(text, name, from) ?? at;
    const line = lines.lineAt(at);
    const entry = (isObject(value) ? value : {}) as LockedPackage;
    if (entry.type === 'Project') continue;
    if (typeof entry.resolved !== 'string' || entry.resolved === '') {
      issues.push({ path, line, message: `${name} has no resolved version; skipped` });
      continue;
    }
    const pkg: Package = {
      name,
      version: entry.resolved,
      ecosystem: 'NuGet',
      purl: makePurl('NuGet', name, entry.resolved),
      locations: [{ path, line }],
      scope: 'required',
      ...(entry.type === 'Direct' && { direct: true }),
    };
    resolved.set(name, { entry, pkg });
  }
  for (const { entry, pkg } of resolved.values()) {
    if (!isObject(entry.dependencies)) continue;
    const dependsOn = Object.keys(entry.dependencies).flatMap((dep) => resolved.get(dep)?.pkg.purl ?? []);
    if (dependsOn.length > 0) pkg.dependsOn = dependsOn;
  }
  return [...resolved.values()].map((r) => r.pkg);
}
