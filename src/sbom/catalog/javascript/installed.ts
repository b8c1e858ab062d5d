/**
 * Installed npm packages: the package.json at the root of each folder under `node_modules`
 * (`node_modules/a`, `node_modules/@scope/a`, nested `node_modules/a/node_modules/b`). This is
 * what is really on disk — in a container image there is usually no lockfile to read.
 */
import { ParseError } from '../../../core/errors.ts';
import { makePurl } from '../../../core/purl.ts';
import type { Package } from '../../../core/types.ts';
import type { Cataloger, CatalogInput, CatalogResult } from '../cataloger.ts';
import { asRecord, stringOf } from './npm-support.ts';
import { parseJson } from '../json.ts';

export const installedPackageCataloger: Cataloger = {
  name: 'javascript/package-json',
  ecosystem: 'npm',
  wants: isInstalledManifest,
  catalog: catalogInstalled,
};

/**
 * True for `…/node_modules/<name>/package.json` and `…/node_modules/@scope/<name>/package.json`;
 * a package.json deeper inside a package (test fixtures, sub-path exports) is not a package root.
 */
export function isInstalledManifest(path: string): boolean {
  // Called for every file of a walk: reject cheaply before splitting the path.
  if (!path.endsWith('/package.json') || !path.includes('node_modules/')) return false;
  const parts = path.split('/');
  const n = parts.length;
  if (n < 3) return false;
  const folder = parts[n - 2]!;
  if (folder.startsWith('.') || folder.startsWith('@')) return false;
  if (parts[n - 3] === 'node_modules') return true;
  return n >= 4 && parts[n - 3]!.startsWith('@') && parts[n - 3]!.length > 1 && parts[n - 4] === 'node_modules';
}

async function catalogInstalled(input: CatalogInput): Promise<CatalogResult> {
  const manifest = asRecord(parseJson(await input.text(), 'package.json'));
  if (!manifest) throw new ParseError('not a package.json: the top level is not an object');
  const name = stringOf(manifest.name);
  const version = stringOf(manifest.version);
  if (name === undefined || version === undefined) {
    const missing = name === undefined ? 'name' : 'version';
    return { packages: [], issues: [{ path: input.path, message: `skipped installed package: package.json has no ${missing}` }] };
  }
  const licenses = licensesOf(manifest);
  const pkg: Package = {
    name,
    version,
    ecosystem: 'npm',
    purl: makePurl('npm', name, version),
    locations: [{ path: input.path }],
    scope: 'required',
    ...(licenses.length > 0 && { licenses }),
  };
  return { packages: [pkg] };
}

/** `license` as an SPDX expression, or the legacy `{ type }` object / `licenses: [{ type }]` list. */
function licensesOf(manifest: Record<string, unknown>): string[] {
  const one = (value: unknown): string | undefined => stringOf(value) ?? stringOf(asRecord(value)?.type);
  const license = one(manifest.license);
  if (license !== undefined) return [license];
  const list = Array.isArray(manifest.licenses) ? manifest.licenses : [manifest.licenses];
  return [...new Set(list.map(one).filter((l): l is string => l !== undefined))];
}
