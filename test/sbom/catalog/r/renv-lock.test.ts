import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import { renvLockCataloger } from '../../../../src/sbom/catalog/r/renv-lock.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';
import { repoRoot } from '../../../helpers/corpus.ts';

const dir = join(repoRoot, 'test/fixtures/catalog/renv-lock');
const catalog = (file: string) => renvLockCataloger.catalog(fileInput(dir, file));

describe('r/renv-lock', () => {
  it('wants renv.lock files only', () => {
    expect(renvLockCataloger.wants('renv.lock')).toBe(true);
    expect(renvLockCataloger.wants('analysis/renv.lock')).toBe(true);
    expect(renvLockCataloger.wants('renv/activate.R')).toBe(false);
    expect(renvLockCataloger.wants('packrat.lock')).toBe(false);
    expect(renvLockCataloger.wants('renv.lock.bak')).toBe(false);
  });

  it('catalogs CRAN (and Posit Package Manager) packages only, with requirements and lines', async () => {
    const { packages, issues } = await catalog('mixed-sources.lock');
    expect(packages).toEqual([
      {
        name: 'markdown',
        version: '1.7',
        ecosystem: 'CRAN',
        purl: 'pkg:cran/markdown@1.7',
        locations: [{ path: 'mixed-sources.lock', line: 21 }],
        scope: 'required',
        // `utils` is part of R; `xfun` has no version and is not catalogued.
        dependsOn: ['pkg:cran/commonmark@1.9.0'],
      },
      {
        name: 'commonmark',
        version: '1.9.0',
        ecosystem: 'CRAN',
        purl: 'pkg:cran/commonmark@1.9.0',
        locations: [{ path: 'mixed-sources.lock', line: 33 }],
        scope: 'required',
      },
    ]);
    expect(issues).toEqual([{ path: 'mixed-sources.lock', line: 50, message: 'skipped package xfun: no version' }]);
  });

  it('reads a lockfile without packages', async () => {
    expect(await catalog('empty-object.lock')).toEqual({ packages: [] });
  });

  it('rejects broken JSON and other shapes', async () => {
    await expect(catalog('not-json.lock')).rejects.toThrow(/is not valid JSON/);
    await expect(catalog('array.lock')).rejects.toThrow(new ParseError('not a renv.lock: not a JSON object'));
    await expect(catalog('packages-not-object.lock')).rejects.toThrow(/`Packages` is not an object/);
  });
});
