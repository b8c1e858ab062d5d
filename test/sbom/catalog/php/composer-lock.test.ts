import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import { composerLockCataloger } from '../../../../src/sbom/catalog/php/composer-lock.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';
import { repoRoot } from '../../../helpers/corpus.ts';

const dir = join(repoRoot, 'test/fixtures/catalog/composer-lock');
const catalog = (file: string) => composerLockCataloger.catalog(fileInput(dir, file));
const byName = <T extends { name: string }>(list: T[], name: string): T => {
  const found = list.find((p) => p.name === name);
  if (!found) throw new Error(`no ${name} in ${list.map((p) => p.name).join(', ')}`);
  return found;
};

const ACME =
  'pkg:composer/acme/http-message@dev-main?vcs_url=git%2Bhttps%3A%2F%2Fgithub.com%2Facme%2Fhttp-message.git%400123456789abcdef0123456789abcdef01234567';

describe('php/composer-lock', () => {
  it('wants composer.lock only', () => {
    expect(composerLockCataloger.wants('composer.lock')).toBe(true);
    expect(composerLockCataloger.wants('app/composer.lock')).toBe(true);
    expect(composerLockCataloger.wants('composer.json')).toBe(false);
    expect(composerLockCataloger.wants('Composer.lock')).toBe(false);
    expect(composerLockCataloger.wants('composer.lock.dist')).toBe(false);
  });

  it('reads packages and packages-dev with commits, licenses, edges, lines and direct flags', async () => {
    const { packages, issues } = await catalog('composer.lock');
    expect(packages.map((p) => `${p.name}@${p.version}:${p.locations[0]!.line}:${p.scope}`)).toEqual([
      'guzzlehttp/guzzle@7.8.1:9:required',
      'guzzlehttp/psr7@2.6.2:28:required',
      'acme/http-message@dev-main:42:required',
      'drupal/tfa@2.0.0-alpha4:54:required',
      'symfony/yaml@v6.4.0:68:dev',
    ]);
    expect(issues).toEqual([{ path: 'composer.lock', line: 63, message: 'skipped package broken/no-version: no version' }]);

    expect(byName(packages, 'guzzlehttp/guzzle')).toEqual({
      name: 'guzzlehttp/guzzle',
      version: '7.8.1',
      ecosystem: 'Packagist',
      purl: 'pkg:composer/guzzlehttp/guzzle@7.8.1',
      locations: [{ path: 'composer.lock', line: 9 }],
      scope: 'required',
      licenses: ['MIT'],
      commit: '41042bc7ab002487b876a0683fc8dce04ddce104',
      // php, ext-json and the virtual psr/http-client-implementation are not packages of the file.
      dependsOn: ['pkg:composer/guzzlehttp/psr7@2.6.2'],
      direct: true,
    });
    // psr/http-message is provided by the package that replaces it.
    expect(byName(packages, 'guzzlehttp/psr7')).toMatchObject({ licenses: ['MIT'], dependsOn: [ACME] });
    expect(byName(packages, 'guzzlehttp/psr7').direct).toBeUndefined();
    // A branch version keeps its commit in the purl.
    expect(byName(packages, 'acme/http-message')).toMatchObject({
      purl: ACME,
      commit: '0123456789abcdef0123456789abcdef01234567',
    });
    // drupal.org puts the tag in `reference`: no commit.
    expect(byName(packages, 'drupal/tfa').commit).toBeUndefined();
    expect(byName(packages, 'symfony/yaml')).toMatchObject({
      purl: 'pkg:composer/symfony/yaml@v6.4.0',
      scope: 'dev',
      groups: ['dev'],
      direct: true,
    });
    expect(byName(packages, 'symfony/yaml').commit).toBeUndefined();
    expect(byName(packages, 'symfony/yaml').dependsOn).toBeUndefined();
  });

  it.each([
    ['truncated.lock', /not valid JSON/],
    ['null.lock', /top level is not an object/],
    ['packages-not-list.lock', /`packages` is not a list/],
  ])('rejects %s with a ParseError', async (file, message) => {
    const err = await catalog(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParseError);
    expect((err as ParseError).message).toMatch(message);
  });
});
