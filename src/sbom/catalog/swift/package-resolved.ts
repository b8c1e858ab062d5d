/**
 * Package.resolved, written by the Swift Package Manager (and Xcode):
 *  - version 1: `object.pins[]` of `{package, repositoryURL, state: {branch, revision, version}}`;
 *  - versions 2 and 3: `pins[]` of `{identity, kind, location, state: {revision, version, branch}}`.
 * A package is named by its repository URL without scheme and `.git` (`github.com/apple/swift-nio`),
 * as OSV's SwiftURL ecosystem does. A pin on a branch or revision has no version: its revision is
 * the commit, and stands in for the version in the purl (the swift purl type requires one).
 * Local checkouts (`localSourceControl`) are not packages; registry pins have no URL to name them.
 */
import { ParseError } from '../../../core/errors.ts';
import { LineIndex } from '../../../core/lines.ts';
import { makePurl } from '../../../core/purl.ts';
import type { InputIssue, Package } from '../../../core/types.ts';
import { baseName, type Cataloger, type CatalogInput, type CatalogResult } from '../cataloger.ts';
import { parseJsonObject } from '../json.ts';

export const packageResolvedCataloger: Cataloger = {
  name: 'swift/package-resolved',
  ecosystem: 'SwiftURL',
  wants: (path) => baseName(path) === 'Package.resolved',
  catalog: catalogPackageResolved,
};

interface Pin {
  /** `identity` (v2+) or `package` (v1): what the line search looks for. */
  label: string;
  kind?: string;
  location?: string;
  version?: string;
  revision?: string;
}

async function catalogPackageResolved(input: CatalogInput): Promise<CatalogResult> {
  const text = await input.text();
  const pins = readPins(parseJsonObject(text, 'Package.resolved'));
  const lines = new LineIndex(text);
  const packages: Package[] = [];
  const issues: InputIssue[] = [];
  let from = 0;
  for (const pin of pins) {
    const at = pin.label === '' ? -1 : text.indexOf(JSON.stringify(pin.label), from);
    if (at !== -1) from = at + 1;
    const line = at === -1 ? undefined : lines.lineAt(at);
    const pkg = readPin(pin, input.path, line);
    if (typeof pkg === 'string') issues.push({ path: input.path, ...(line !== undefined && { line }), message: pkg });
    else if (pkg) packages.push(pkg);
  }
  return { packages, ...(issues.length > 0 && { issues }) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The pins of a v1, v2 or v3 file, normalised to one shape. */
function readPins(doc: Record<string, unknown>): Pin[] {
  const version = doc['version'];
  if (version === 1) {
    const pins = isObject(doc['object']) ? doc['object']['pins'] : undefined;
    if (!Array.isArray(pins)) throw new ParseError('version 1 Package.resolved without `object.pins`');
    return pins.map((p: unknown) => {
      const pin = isObject(p) ? p : {};
      const state = isObject(pin['state']) ? pin['state'] : {};
      return withState({ label: str(pin['package']) ?? '', location: str(pin['repositoryURL']) }, state);
    });
  }
  if (version === 2 || version === 3) {
    const pins = doc['pins'] ?? [];
    if (!Array.isArray(pins)) throw new ParseError('`pins` is not an array');
    return pins.map((p: unknown) => {
      const pin = isObject(p) ? p : {};
      const state = isObject(pin['state']) ? pin['state'] : {};
      return withState({ label: str(pin['identity']) ?? '', kind: str(pin['kind']), location: str(pin['location']) }, state);
    });
  }
  throw new ParseError(`unsupported Package.resolved version ${JSON.stringify(version) ?? 'none'}`);
}

function withState(pin: Pin, state: Record<string, unknown>): Pin {
  const version = str(state['version']);
  const revision = str(state['revision']);
  return { ...pin, ...(version !== undefined && { version }), ...(revision !== undefined && { revision }) };
}

/** One pin as a package; undefined for a local checkout; a string when it cannot be catalogued. */
function readPin(pin: Pin, path: string, line: number | undefined): Package | string | undefined {
  const label = pin.label || '(unnamed pin)';
  if (pin.kind === 'localSourceControl' || pin.kind === 'fileSystem') return undefined;
  if (pin.kind === 'registry') return `skipped registry package ${label}: SwiftURL names packages by repository URL`;
  const name = pin.location === undefined ? undefined : nameFromUrl(pin.location);
  if (name === undefined) return `skipped ${label}: no repository URL`;
  if (pin.version === undefined && pin.revision === undefined) return `skipped ${name}: no version or revision`;
  return {
    name,
    ...(pin.version !== undefined && { version: pin.version }),
    ecosystem: 'SwiftURL',
    purl: makePurl('SwiftURL', name, pin.version ?? pin.revision),
    locations: [{ path, ...(line !== undefined && { line }) }],
    scope: 'required',
    ...(pin.version === undefined && { commit: pin.revision }),
  };
}

/**
 * `https://github.com/apple/swift-nio.git`, `git@github.com:apple/swift-nio.git` or
 * `ssh://git@github.com/apple/swift-nio` → `github.com/apple/swift-nio`.
 */
function nameFromUrl(url: string): string | undefined {
  let rest = url.trim();
  const scp = /^[\w.-]+@([^:/]+):(.+)$/.exec(rest);
  if (scp) rest = `${scp[1]}/${scp[2]}`;
  else rest = rest.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/^[^@/]*@/, '');
  rest = rest.replace(/\/+$/, '').replace(/\.git$/, '');
  return rest.includes('/') ? rest : undefined;
}
