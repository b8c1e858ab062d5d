/**
 * vendor/composer/installed.json, what Composer actually installed (the way to see PHP packages in
 * a container image, where composer.lock is often left out). Composer 1 writes a bare array of
 * package entries; Composer 2 writes `{"packages": [...], "dev": bool, "dev-package-names": [...]}`.
 * The project's composer.json, two directories up from vendor/composer/, gives the direct ones.
 */
import { ParseError } from '../../../core/errors.ts';
import type { Cataloger, CatalogInput, CatalogResult } from '../cataloger.ts';
import { asRecord, composerPackages, type ComposerEntry } from './composer-packages.ts';
import { parseJson } from '../json.ts';

export const installedJsonCataloger: Cataloger = {
  name: 'php/installed-json',
  ecosystem: 'Packagist',
  // The vendor directory can be renamed (`config.vendor-dir`), the `composer/` folder inside it cannot.
  wants: (path) => path === 'composer/installed.json' || path.endsWith('/composer/installed.json'),
  catalog: catalogInstalledJson,
};

async function catalogInstalledJson(input: CatalogInput): Promise<CatalogResult> {
  const text = await input.text();
  const { list, devNames } = readInstalled(parseJson(text, 'installed.json'));
  const entries: ComposerEntry[] = list.map((entry) => {
    const name = asRecord(entry)?.['name'];
    return { entry, dev: typeof name === 'string' && devNames.has(name) };
  });
  const { packages, issues } = composerPackages(entries, input, text, await input.sibling('../../composer.json'));
  return { packages, ...(issues.length > 0 && { issues }) };
}

function readInstalled(json: unknown): { list: unknown[]; devNames: Set<string> } {
  if (Array.isArray(json)) return { list: json, devNames: new Set() };
  const doc = asRecord(json);
  if (!doc || !Array.isArray(doc['packages'])) {
    throw new ParseError('not a Composer installed.json: expected a list of packages or {"packages": [...]}');
  }
  const devNames = Array.isArray(doc['dev-package-names'])
    ? doc['dev-package-names'].filter((n): n is string => typeof n === 'string')
    : [];
  return { list: doc['packages'], devNames: new Set(devNames) };
}
