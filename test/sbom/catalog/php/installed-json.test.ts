import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import { installedJsonCataloger } from '../../../../src/sbom/catalog/php/installed-json.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';
import { repoRoot } from '../../../helpers/corpus.ts';

const dir = join(repoRoot, 'test/fixtures/catalog/installed-json');
const catalog = (path: string) => installedJsonCataloger.catalog(fileInput(dir, path));

describe('php/installed-json', () => {
  it('wants composer/installed.json only', () => {
    expect(installedJsonCataloger.wants('vendor/composer/installed.json')).toBe(true);
    expect(installedJsonCataloger.wants('var/www/html/vendor/composer/installed.json')).toBe(true);
    expect(installedJsonCataloger.wants('installed.json')).toBe(false);
    expect(installedJsonCataloger.wants('vendor/installed.json')).toBe(false);
    expect(installedJsonCataloger.wants('vendor/mycomposer/installed.json')).toBe(false);
    expect(installedJsonCataloger.wants('vendor/composer/installed.php')).toBe(false);
  });

  it('reads the Composer 2 format with dev packages and the project composer.json', async () => {
    const path = 'composer2/vendor/composer/installed.json';
    const { packages, issues } = await catalog(path);
    expect(issues).toBeUndefined();
    expect(packages).toEqual([
      {
        name: 'monolog/monolog',
        version: '3.5.0',
        ecosystem: 'Packagist',
        purl: 'pkg:composer/monolog/monolog@3.5.0',
        locations: [{ path, line: 4 }],
        scope: 'required',
        licenses: ['MIT'],
        commit: 'c915e2634718dbc8a4a15c61b0e62e7a44e14448',
        dependsOn: ['pkg:composer/psr/log@3.0.0'],
        direct: true,
      },
      {
        name: 'psr/log',
        version: '3.0.0',
        ecosystem: 'Packagist',
        purl: 'pkg:composer/psr/log@3.0.0',
        locations: [{ path, line: 23 }],
        scope: 'required',
        licenses: ['MIT'],
        commit: 'fe5ea303b0887d5caefd3d431c3e61ad47037001',
      },
      {
        name: 'phpunit/phpunit',
        version: '10.5.2',
        ecosystem: 'Packagist',
        purl: 'pkg:composer/phpunit/phpunit@10.5.2',
        locations: [{ path, line: 37 }],
        scope: 'dev',
        groups: ['dev'],
        licenses: ['BSD-3-Clause'],
        direct: true,
      },
    ]);
  });

  it('reads the Composer 1 format (a bare array) without a composer.json', async () => {
    const { packages } = await catalog('composer1/vendor/composer/installed.json');
    expect(packages.map((p) => [p.purl, p.scope, p.direct, p.dependsOn])).toEqual([
      ['pkg:composer/symfony/polyfill-ctype@v1.28.0', 'required', undefined, undefined],
      ['pkg:composer/twig/twig@v3.8.0', 'required', undefined, ['pkg:composer/symfony/polyfill-ctype@v1.28.0']],
    ]);
  });

  it.each([
    ['bad/vendor/composer/installed.json', /expected a list of packages/],
    ['bad/vendor/composer/truncated.json', /not valid JSON/],
  ])('rejects %s with a ParseError', async (path, message) => {
    const err = await catalog(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParseError);
    expect((err as ParseError).message).toMatch(message);
  });
});
