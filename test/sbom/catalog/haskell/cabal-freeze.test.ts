import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import { cabalFreezeCataloger } from '../../../../src/sbom/catalog/haskell/cabal-freeze.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';
import { repoRoot } from '../../../helpers/corpus.ts';

const dir = join(repoRoot, 'test/fixtures/catalog/cabal-freeze');
const catalog = (file: string) => cabalFreezeCataloger.catalog(fileInput(dir, file));

describe('haskell/cabal-freeze', () => {
  it('wants cabal.project.freeze files only', () => {
    expect(cabalFreezeCataloger.wants('cabal.project.freeze')).toBe(true);
    expect(cabalFreezeCataloger.wants('software-develop/cabal.project.freeze')).toBe(true);
    expect(cabalFreezeCataloger.wants('cabal.project')).toBe(false);
    expect(cabalFreezeCataloger.wants('software-develop/foocabal.project.freeze')).toBe(false);
    expect(cabalFreezeCataloger.wants('cabal.project.freeze/foo')).toBe(false);
  });

  it('reads the version pins of a multi-line constraints field, with lines', async () => {
    const { packages, issues } = await catalog('freeze.freeze');
    expect(issues).toBeUndefined();
    expect(packages.map((p) => [p.name, p.version, p.locations[0]!.line])).toEqual([
      ['aeson', '2.2.1.0', 3],
      ['base', '4.18.2.1', 5],
      ['text-short', '0.1.5', 8],
      ['time-compat', '1.9.6.1', 8],
      ['vector', '0.13.1.0', 9],
    ]);
    expect(packages[0]).toEqual({
      name: 'aeson',
      version: '2.2.1.0',
      ecosystem: 'Hackage',
      purl: 'pkg:hackage/aeson@2.2.1.0',
      locations: [{ path: 'freeze.freeze', line: 3 }],
      scope: 'required',
    });
  });

  it('reports stray lines and unqualified pins, keeping the rest', async () => {
    const { packages, issues } = await catalog('problems.freeze');
    expect(packages.map((p) => `${p.name}@${p.version}`)).toEqual(['AC-Angle@1.0', 'ANum@0.2.0.2']);
    expect(issues).toEqual([
      { path: 'problems.freeze', line: 1, message: 'skipped line `test`: not a `field:` or its continuation' },
      { path: 'problems.freeze', line: 3, message: 'skipped constraint `foo ==2.4.0.3`: not an `any.` version pin' },
    ]);
  });

  it('rejects empty files and files with no fields', async () => {
    await expect(catalog('empty.freeze')).rejects.toThrow(new ParseError('empty file'));
    await expect(catalog('binary.freeze')).rejects.toThrow(/no `field:` lines/);
  });
});
