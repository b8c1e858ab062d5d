/**
 * composer.lock (https://getcomposer.org/doc/01-basic-usage.md#commit-your-composer-lock-file-to-version-control):
 * `packages` are what the project needs at run time, `packages-dev` what only development needs.
 * The composer.json beside it, when present, says which of them the project requires directly.
 */
import { ParseError } from '../../../core/errors.ts';
import { baseName, type Cataloger, type CatalogInput, type CatalogResult } from '../cataloger.ts';
import { asRecord, composerPackages, type ComposerEntry } from './composer-packages.ts';
import { parseJson } from '../json.ts';

export const composerLockCataloger: Cataloger = {
  name: 'php/composer-lock',
  ecosystem: 'Packagist',
  wants: (path) => baseName(path) === 'composer.lock',
  catalog: catalogComposerLock,
};

async function catalogComposerLock(input: CatalogInput): Promise<CatalogResult> {
  const text = await input.text();
  const lock = asRecord(parseJson(text, 'composer.lock'));
  if (!lock) throw new ParseError('not a composer.lock: the top level is not an object');
  const entries: ComposerEntry[] = [
    ...packageList(lock, 'packages').map((entry) => ({ entry, dev: false })),
    ...packageList(lock, 'packages-dev').map((entry) => ({ entry, dev: true })),
  ];
  const { packages, issues } = composerPackages(entries, input, text, await input.sibling('composer.json'));
  return { packages, ...(issues.length > 0 && { issues }) };
}

function packageList(lock: Record<string, unknown>, key: string): unknown[] {
  const list = lock[key];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new ParseError(`not a composer.lock: \`${key}\` is not a list`);
  return list;
}
