import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import type { Package } from '../../../../src/core/types.ts';
import type { CatalogInput } from '../../../../src/sbom/catalog/cataloger.ts';
import { pnpmLockCataloger } from '../../../../src/sbom/catalog/javascript/pnpm-lock.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';
import { repoRoot } from '../../../helpers/corpus.ts';

const dir = join(repoRoot, 'test/fixtures/catalog/pnpm-lock');
const catalog = (file: string) => pnpmLockCataloger.catalog(fileInput(dir, file));
const textInput = (text: string): CatalogInput => ({
  path: 'pnpm-lock.yaml',
  text: async () => text,
  bytes: async () => Buffer.from(text),
  head: async (n: number) => Buffer.from(text).subarray(0, n),
  sibling: async () => undefined,
});

const byPurl = (list: Package[], purl: string): Package => {
  const found = list.find((p) => p.purl === purl);
  if (!found) throw new Error(`no ${purl} in ${list.map((p) => p.purl).join(', ')}`);
  return found;
};
/** name@version → "scope[ direct]" for every package. */
const scopes = (packages: Package[]) =>
  Object.fromEntries(packages.map((p) => [`${p.name}@${p.version}`, `${p.scope}${p.direct ? ' direct' : ''}`]));

describe('javascript/pnpm-lock', () => {
  it('wants pnpm-lock.yaml files only', () => {
    expect(pnpmLockCataloger.wants('pnpm-lock.yaml')).toBe(true);
    expect(pnpmLockCataloger.wants('packages/web/pnpm-lock.yaml')).toBe(true);
    expect(pnpmLockCataloger.wants('pnpm-lock.yml')).toBe(false);
    expect(pnpmLockCataloger.wants('pnpm-lock.yaml.orig')).toBe(false);
    expect(pnpmLockCataloger.wants('pnpm-lock.yaml/file')).toBe(false);
    expect(pnpmLockCataloger.wants('path.to.pnpm-lock.yaml')).toBe(false);
    expect(pnpmLockCataloger.wants('pnpm-workspace.yaml')).toBe(false);
  });

  describe('lockfileVersion 5.x', () => {
    it('reads dependency paths, peer suffixes, registry hosts, git and file packages', async () => {
      const { packages, issues } = await catalog('v5-project.yaml');
      expect(packages.map((p) => `${p.name}@${p.version}`).sort()).toEqual([
        '@types/prop-types@15.7.5',
        '@types/react@18.0.28',
        'acorn-jsx@5.3.2',
        'acorn@8.7.0',
        'acorn@8.8.2',
        'csstype@3.1.1',
        'debug@4.3.4',
        'fsevents@2.3.2',
        'left-pad@1.3.0',
        'local-lib@0.1.0',
        'ms@2.1.2',
        'my-git-dep@2.0.0',
        'typescript@4.9.5',
      ]);
      // Two peer variants, one package, both lines.
      expect(byPurl(packages, 'pkg:npm/acorn-jsx@5.3.2').locations).toEqual([
        { path: 'v5-project.yaml', line: 38 },
        { path: 'v5-project.yaml', line: 46 },
      ]);
      expect(byPurl(packages, 'pkg:npm/%40types/react@18.0.28').locations).toEqual([{ path: 'v5-project.yaml', line: 31 }]);
      const git = byPurl(
        packages,
        'pkg:npm/my-git-dep@2.0.0?vcs_url=git%2Bhttps%3A%2F%2Fgithub.com%2Facme%2Fmy-git-dep%400123456789abcdef0123456789abcdef01234567',
      );
      expect(git).toMatchObject({ commit: '0123456789abcdef0123456789abcdef01234567', locations: [{ line: 107 }] });
      expect(byPurl(packages, 'pkg:npm/left-pad@1.3.0').commit).toBeUndefined();
      expect(issues).toEqual([
        {
          path: 'v5-project.yaml',
          line: 113,
          message: 'package "github.com/kevva/is-positive" skipped: no version in its key or fields',
        },
      ]);
    });

    it('takes scopes from the dev/optional flags and the graph where they are absent', async () => {
      const { packages } = await catalog('v5-project.yaml');
      expect(scopes(packages)).toEqual({
        '@types/prop-types@15.7.5': 'dev',
        '@types/react@18.0.28': 'dev direct',
        // One variant is dev, the other is not: the package is required.
        'acorn-jsx@5.3.2': 'required direct',
        'acorn@8.7.0': 'dev',
        'acorn@8.8.2': 'required',
        // No flag: only @types/react (dev) needs it.
        'csstype@3.1.1': 'dev',
        'debug@4.3.4': 'required direct',
        'fsevents@2.3.2': 'optional direct',
        'left-pad@1.3.0': 'required',
        'local-lib@0.1.0': 'required direct',
        'ms@2.1.2': 'required',
        'my-git-dep@2.0.0': 'required direct',
        'typescript@4.9.5': 'dev direct',
      });
      expect(byPurl(packages, 'pkg:npm/fsevents@2.3.2').groups).toEqual(['optional']);
      expect(byPurl(packages, 'pkg:npm/csstype@3.1.1').groups).toEqual(['dev']);
      expect(byPurl(packages, 'pkg:npm/ms@2.1.2').groups).toBeUndefined();
    });

    it('records edges of every peer variant', async () => {
      const { packages } = await catalog('v5-project.yaml');
      expect(byPurl(packages, 'pkg:npm/acorn-jsx@5.3.2').dependsOn).toEqual(['pkg:npm/acorn@8.7.0', 'pkg:npm/acorn@8.8.2']);
      expect(byPurl(packages, 'pkg:npm/%40types/react@18.0.28').dependsOn).toEqual([
        'pkg:npm/%40types/prop-types@15.7.5',
        'pkg:npm/csstype@3.1.1',
      ]);
      expect(byPurl(packages, 'pkg:npm/local-lib@0.1.0').dependsOn).toEqual(['pkg:npm/ms@2.1.2']);
    });
  });

  it('reads lockfileVersion 6.x keys with parenthesised peers and scoped names', async () => {
    const { packages, issues } = await catalog('v6-project.yaml');
    expect(issues).toEqual([]);
    expect(scopes(packages)).toEqual({
      '@other/peer@2.0.0': 'dev',
      '@scope/tool@1.0.0': 'dev direct',
      'js-tokens@4.0.0': 'required',
      'loose-envify@1.4.0': 'required',
      'next@13.4.0': 'required direct',
      'react@18.2.0': 'required direct',
    });
    expect(byPurl(packages, 'pkg:npm/%40scope/tool@1.0.0')).toMatchObject({
      locations: [{ path: 'v6-project.yaml', line: 26 }],
      dependsOn: ['pkg:npm/%40other/peer@2.0.0'],
    });
    expect(byPurl(packages, 'pkg:npm/next@13.4.0').dependsOn).toEqual(['pkg:npm/react@18.2.0']);
  });

  describe('lockfileVersion 9.x', () => {
    it('joins packages and snapshots: versions, lines, aliases, git tarballs and edges', async () => {
      const { packages, issues } = await catalog('v9-workspace.yaml');
      expect(issues).toEqual([]);
      expect(packages.map((p) => `${p.name}@${p.version}`).sort()).toEqual([
        'acorn-jsx@5.3.2',
        'acorn@8.11.3',
        'ansi-regex@5.0.1',
        'is-number@7.0.0',
        'js-tokens@4.0.0',
        'loose-envify@1.4.0',
        'string-width@4.2.3',
        'strip-ansi@6.0.1',
        'uuid@8.3.2',
      ]);
      expect(byPurl(packages, 'pkg:npm/acorn-jsx@5.3.2')).toMatchObject({
        locations: [{ path: 'v9-workspace.yaml', line: 43 }],
        dependsOn: ['pkg:npm/acorn@8.11.3'],
      });
      expect(byPurl(packages, 'pkg:npm/string-width@4.2.3').dependsOn).toEqual(['pkg:npm/strip-ansi@6.0.1']);
      const isNumber = packages.find((p) => p.name === 'is-number')!;
      expect(isNumber).toMatchObject({ commit: '98e8ff1da1a89f93d1397a24d7413ed15421c139', locations: [{ line: 57 }] });
      expect(isNumber.purl).toBe(
        'pkg:npm/is-number@7.0.0?vcs_url=git%2Bhttps%3A%2F%2Fgithub.com%2Fjonschlinkert%2Fis-number%4098e8ff1da1a89f93d1397a24d7413ed15421c139',
      );
    });

    it('derives scopes from all importers and `direct` from the root importer', async () => {
      const { packages } = await catalog('v9-workspace.yaml');
      expect(scopes(packages)).toEqual({
        'acorn-jsx@5.3.2': 'dev direct',
        // A root devDependency's dependency, but packages/app needs it at run time.
        'acorn@8.11.3': 'required',
        'ansi-regex@5.0.1': 'required direct',
        'is-number@7.0.0': 'required',
        'js-tokens@4.0.0': 'dev',
        'loose-envify@1.4.0': 'dev direct',
        'string-width@4.2.3': 'required',
        'strip-ansi@6.0.1': 'required',
        'uuid@8.3.2': 'optional',
      });
    });

    it('reads the main document when pnpm wrote its env lockfile first', async () => {
      const { packages } = await catalog('v9-env-document.yaml');
      expect(packages).toEqual([
        {
          name: 'acorn',
          version: '8.11.3',
          ecosystem: 'npm',
          purl: 'pkg:npm/acorn@8.11.3',
          locations: [{ path: 'v9-env-document.yaml', line: 41 }],
          scope: 'required',
          direct: true,
        },
      ]);
    });

    it('reads YAML outside the fast subset (a folded deprecation notice) with the same result', async () => {
      const { packages } = await catalog('v9-block-scalar.yaml');
      expect(packages).toEqual([
        expect.objectContaining({ name: 'old-pkg', version: '1.0.0', locations: [{ path: 'v9-block-scalar.yaml', line: 13 }], direct: true }),
      ]);
    });
  });

  describe('bad input', () => {
    it('returns no packages for a file with only comments, or without packages', async () => {
      expect((await catalog('comments-only.yaml')).packages).toEqual([]);
      expect((await pnpmLockCataloger.catalog(textInput("lockfileVersion: '6.0'\n"))).packages).toEqual([]);
      expect((await pnpmLockCataloger.catalog(textInput('lockfileVersion: 5.3\n\nspecifiers:\n\npackages:\n'))).packages).toEqual([]);
    });

    it.each([
      ['invalid-path.yaml', /invalid dependency path "invalidpath"/, 15],
      ['broken-yaml.yaml', /^invalid YAML: /, 7],
      ['unsupported-version.yaml', /unsupported pnpm lockfileVersion 10\.0/, undefined],
      ['no-lockfile-version.yaml', /no lockfileVersion/, undefined],
    ])('throws a ParseError for %s', async (file, message, line) => {
      const error = await catalog(file).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ParseError);
      expect((error as ParseError).message).toMatch(message);
      expect((error as ParseError).line).toBe(line);
    });

    it('throws a ParseError for text that is not a YAML mapping', async () => {
      await expect(pnpmLockCataloger.catalog(textInput('this is not valid yaml!\n'))).rejects.toThrow(
        new ParseError('not a pnpm lockfile: the top level is not a mapping'),
      );
      await expect(pnpmLockCataloger.catalog(textInput('- a\n- b\n'))).rejects.toThrow(ParseError);
    });
  });
});
