import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import { installedPackageCataloger } from '../../../../src/sbom/catalog/javascript/installed.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';

// Fixture folders stand for `node_modules/<name>`: the cataloger reads only the file, wants() only the path.
const fixtures = join(import.meta.dirname, '../../../fixtures/catalog/package-json');

async function catalog(caseName: string) {
  return installedPackageCataloger.catalog(fileInput(join(fixtures, caseName), 'package.json'));
}

async function catalogText(text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-package-json-'));
  writeFileSync(join(dir, 'package.json'), text);
  return installedPackageCataloger.catalog(fileInput(dir, 'package.json'));
}

describe('javascript/package-json wants()', () => {
  it.each([
    ['node_modules/express/package.json', true],
    ['node_modules/@babel/core/package.json', true],
    ['node_modules/a/node_modules/b/package.json', true],
    ['node_modules/a/node_modules/@s/b/package.json', true],
    ['usr/lib/node_modules/npm/package.json', true],
    ['app/node_modules/left-pad/package.json', true],
    ['package.json', false],
    ['app/package.json', false],
    ['node_modules/package.json', false],
    ['node_modules/@babel/package.json', false],
    ['node_modules/a/test/fixtures/package.json', false],
    ['node_modules/a/lib/package.json', false],
    ['node_modules/a/@s/b/package.json', false],
    ['node_modules/.bin/package.json', false],
    ['node_modules/express/package.json.bak', false],
    ['node_modules/.package-lock.json', false],
  ])('%s → %s', (path, wanted) => {
    expect(installedPackageCataloger.wants(path)).toBe(wanted);
  });
});

describe('javascript/package-json', () => {
  it('reads name, version and an SPDX license', async () => {
    expect(await catalog('spdx-license')).toEqual({
      packages: [
        {
          name: 'express',
          version: '4.18.2',
          ecosystem: 'npm',
          purl: 'pkg:npm/express@4.18.2',
          locations: [{ path: 'package.json' }],
          scope: 'required',
          licenses: ['MIT'],
        },
      ],
    });
  });

  it('keeps the scope in the name and purl', async () => {
    const { packages } = await catalog('scoped');
    expect(packages).toMatchObject([{ name: '@babel/core', version: '7.24.5', purl: 'pkg:npm/%40babel/core@7.24.5' }]);
  });

  it('reads the legacy `license: {type}` object', async () => {
    const { packages } = await catalog('legacy-license-object');
    expect(packages[0]!.licenses).toEqual(['AFLv2.1']);
  });

  it('reads the legacy `licenses` array', async () => {
    const { packages } = await catalog('legacy-licenses-array');
    expect(packages[0]!.licenses).toEqual(['MIT', 'Apache-2.0']);
  });

  it('skips a package.json without a version, with an issue', async () => {
    expect(await catalog('no-version')).toEqual({
      packages: [],
      issues: [{ path: 'package.json', message: 'skipped installed package: package.json has no version' }],
    });
  });

  it('skips a package.json without a name, with an issue', async () => {
    const { packages, issues } = await catalogText('{"version": "1.0.0"}');
    expect(packages).toEqual([]);
    expect(issues?.[0]?.message).toMatch(/no name/);
  });

  it('omits licenses when none is declared', async () => {
    const { packages } = await catalogText('{"name": "tiny", "version": "0.0.1"}');
    expect(packages[0]!.licenses).toBeUndefined();
  });

  it.each([
    ['not JSON', '{"name": "x",'],
    ['an array', '["x"]'],
    ['binary junk', '\u0000\u0001\u00ff'],
  ])('throws ParseError for %s', async (_case, text) => {
    await expect(catalogText(text)).rejects.toBeInstanceOf(ParseError);
  });
});
