import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import type { Package } from '../../../../src/core/types.ts';
import type { CatalogInput } from '../../../../src/sbom/catalog/cataloger.ts';
import { yarnLockCataloger } from '../../../../src/sbom/catalog/javascript/yarn-lock.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';
import { repoRoot } from '../../../helpers/corpus.ts';

const dir = join(repoRoot, 'test/fixtures/catalog/yarn-lock');
const catalog = (file: string) => yarnLockCataloger.catalog(fileInput(dir, file));
/** The same file with no package.json beside it. */
const withoutManifest = (file: string): CatalogInput => ({ ...fileInput(dir, file), sibling: async () => undefined });
const textInput = (text: string): CatalogInput => ({
  path: 'yarn.lock',
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

const MINE = 'pkg:npm/mine@1.0.0?vcs_url=git%2Bhttps%3A%2F%2Fgithub.com%2Facme%2Fmine%400123456789abcdef0123456789abcdef01234567';
const DOMINO =
  'pkg:npm/domino@2.1.6+git?vcs_url=git%2Bhttps%3A%2F%2Fgithub.com%2Fangular%2Fdomino%40f2435fe1f9f7c91ade0bd472c4723e5eacd7d19a';

describe('javascript/yarn-lock', () => {
  it('wants yarn.lock files only', () => {
    expect(yarnLockCataloger.wants('yarn.lock')).toBe(true);
    expect(yarnLockCataloger.wants('apps/web/yarn.lock')).toBe(true);
    expect(yarnLockCataloger.wants('yarn.lock.bak')).toBe(false);
    expect(yarnLockCataloger.wants('yarn.lock/readme')).toBe(false);
    expect(yarnLockCataloger.wants('my-yarn.lock')).toBe(false);
    expect(yarnLockCataloger.wants('Yarn.lock')).toBe(false);
    expect(yarnLockCataloger.wants('package-lock.json')).toBe(false);
  });

  describe('v1 with a package.json', () => {
    it('reports each entry once with versions, lines, aliases, git commits and local packages', async () => {
      const { packages } = await catalog('v1-project/yarn.lock');
      expect(packages.map((p) => `${p.name}@${p.version}`).sort()).toEqual([
        '@babel/code-frame@7.12.13',
        '@babel/highlight@7.13.10',
        'bindings@1.5.0',
        'debug@4.3.1',
        'fsevents@2.3.2',
        'js-tokens@4.0.0',
        'local-helper@0.1.0',
        'mine@1.0.0',
        'ms@2.1.2',
        'strip-ansi@6.0.1',
      ]);
      // Two descriptors, one entry, reported on the header line.
      expect(byPurl(packages, 'pkg:npm/%40babel/code-frame@7.12.13')).toMatchObject({
        ecosystem: 'npm',
        locations: [{ path: 'v1-project/yarn.lock', line: 5 }],
      });
      // `strip-ansi-cjs@npm:strip-ansi@^6.0.1` is the real strip-ansi.
      expect(byPurl(packages, 'pkg:npm/strip-ansi@6.0.1').locations).toEqual([{ path: 'v1-project/yarn.lock', line: 59 }]);
      // The `#<sha>` of a registry tarball is its checksum, not a commit.
      expect(byPurl(packages, 'pkg:npm/debug@4.3.1').commit).toBeUndefined();
      expect(byPurl(packages, MINE)).toMatchObject({ commit: '0123456789abcdef0123456789abcdef01234567', locations: [{ line: 50 }] });
    });

    it('derives scopes and direct dependencies from package.json and the dependency graph', async () => {
      const { packages } = await catalog('v1-project/yarn.lock');
      const summary = Object.fromEntries(
        packages.map((p) => [p.name, `${p.scope}${p.direct ? ' direct' : ''}${p.groups ? ` [${p.groups.join()}]` : ''}`]),
      );
      expect(summary).toEqual({
        '@babel/code-frame': 'dev direct [dev]',
        '@babel/highlight': 'dev [dev]',
        'js-tokens': 'dev [dev]',
        'local-helper': 'dev direct [dev]',
        // Reached from devDependencies too, but prod code needs it.
        debug: 'required direct',
        ms: 'required',
        mine: 'required direct',
        'strip-ansi': 'required direct',
        fsevents: 'optional direct [optional]',
        bindings: 'optional [optional]',
      });
    });

    it('records dependency edges as purls', async () => {
      const { packages } = await catalog('v1-project/yarn.lock');
      expect(byPurl(packages, 'pkg:npm/%40babel/highlight@7.13.10').dependsOn).toEqual([
        'pkg:npm/debug@4.3.1',
        'pkg:npm/js-tokens@4.0.0',
      ]);
      expect(byPurl(packages, 'pkg:npm/%40babel/code-frame@7.12.13').dependsOn).toEqual(['pkg:npm/%40babel/highlight@7.13.10']);
      expect(byPurl(packages, 'pkg:npm/fsevents@2.3.2').dependsOn).toEqual(['pkg:npm/bindings@1.5.0']);
      expect(byPurl(packages, 'pkg:npm/ms@2.1.2').dependsOn).toBeUndefined();
    });

    it('skips an entry without a version with an issue on its line', async () => {
      const { packages, issues } = await catalog('v1-project/yarn.lock');
      expect(packages.some((p) => p.name === 'broken')).toBe(false);
      expect(issues).toEqual([{ path: 'v1-project/yarn.lock', line: 25, message: 'entry "broken@^1.0.0" has no version; skipped' }]);
    });

    it('counts everything as required, with no direct flags, when there is no package.json', async () => {
      const { packages } = await yarnLockCataloger.catalog(withoutManifest('v1-project/yarn.lock'));
      expect(packages).toHaveLength(10);
      expect(packages.every((p) => p.scope === 'required' && p.groups === undefined && p.direct === undefined)).toBe(true);
    });

    it('reports an unreadable package.json and carries on without scopes', async () => {
      const input = { ...fileInput(dir, 'v1-project/yarn.lock'), sibling: async () => '{ not json' };
      const { packages, issues } = await yarnLockCataloger.catalog(input);
      expect(packages).toHaveLength(10);
      expect(issues).toContainEqual({
        path: 'v1-project/yarn.lock',
        message: 'package.json beside yarn.lock is not a JSON object; dependency scopes not computed',
      });
    });
  });

  describe('Berry', () => {
    it('names packages by their resolution, skips the root workspace and reports a patched package once', async () => {
      const { packages, issues } = await catalog('berry-workspace/yarn.lock');
      expect(issues).toEqual([]);
      expect(packages.map((p) => `${p.name}@${p.version}`).sort()).toEqual([
        '@ws/lib@0.0.0-use.local',
        'domino@2.1.6+git',
        'hasown@2.0.2',
        'is-core-module@2.13.1',
        'resolve@1.22.8',
        'string-width@4.2.3',
        'typescript@5.4.5',
      ]);
      expect(byPurl(packages, 'pkg:npm/resolve@1.22.8').locations).toEqual([
        { path: 'berry-workspace/yarn.lock', line: 52 },
        { path: 'berry-workspace/yarn.lock', line: 66 },
      ]);
      expect(byPurl(packages, DOMINO)).toMatchObject({ commit: 'f2435fe1f9f7c91ade0bd472c4723e5eacd7d19a', locations: [{ line: 27 }] });
    });

    it('resolves `npm:` and `patch:` descriptors into edges', async () => {
      const { packages } = await catalog('berry-workspace/yarn.lock');
      expect(byPurl(packages, 'pkg:npm/%40ws/lib@0.0.0-use.local').dependsOn).toEqual(['pkg:npm/resolve@1.22.8']);
      expect(byPurl(packages, 'pkg:npm/resolve@1.22.8').dependsOn).toEqual(['pkg:npm/is-core-module@2.13.1']);
      // `function-bind` has no entry in this lockfile: the edge is dropped.
      expect(byPurl(packages, 'pkg:npm/hasown@2.0.2').dependsOn).toBeUndefined();
    });

    it('takes scopes from package.json, matching its ranges to `npm:` descriptors', async () => {
      const { packages } = await catalog('berry-workspace/yarn.lock');
      const scopes = Object.fromEntries(packages.map((p) => [p.name, `${p.scope}${p.direct ? ' direct' : ''}`]));
      expect(scopes).toEqual({
        '@ws/lib': 'required direct',
        domino: 'required direct',
        'string-width': 'required direct',
        typescript: 'dev direct',
        resolve: 'required',
        'is-core-module': 'required',
        hasown: 'required',
      });
    });

    it('takes direct dependencies from the root workspace entry when there is no package.json', async () => {
      const { packages } = await yarnLockCataloger.catalog(withoutManifest('berry-workspace/yarn.lock'));
      expect(packages.filter((p) => p.direct).map((p) => p.name).sort()).toEqual(['@ws/lib', 'domino', 'string-width', 'typescript']);
      expect(packages.every((p) => p.scope === 'required')).toBe(true);
    });
  });

  describe('bad input', () => {
    it('returns no packages for a lockfile with no entries', async () => {
      expect(await catalog('empty.lock')).toEqual({ packages: [], issues: [] });
    });

    it.each([
      ['not-a-lockfile.lock', 1, /expected an entry header/],
      ['unterminated-quote.lock', 3, /malformed quoted string/],
      ['field-before-entry.lock', 3, /indented line before the first entry/],
    ])('throws a ParseError with the line for %s', async (file, line, message) => {
      const error = await catalog(file).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ParseError);
      expect(error).toMatchObject({ line, message: expect.stringMatching(message) });
    });

    it('reads a file saved with a byte-order mark and CRLF line ends', async () => {
      const text = '\uFEFF# yarn lockfile v1\r\n\r\nleft-pad@^1.3.0:\r\n  version "1.3.0"\r\n';
      const { packages } = await yarnLockCataloger.catalog(textInput(text));
      expect(packages.map((p) => [p.purl, p.locations[0]?.line])).toEqual([['pkg:npm/left-pad@1.3.0', 3]]);
    });

    it('rejects binary content', async () => {
      await expect(yarnLockCataloger.catalog(textInput('\u0000\u0001PK\u0003\u0004'))).rejects.toThrow(ParseError);
    });

    it('rejects a truncated quoted header', async () => {
      await expect(yarnLockCataloger.catalog(textInput('"left-pad@^1.3.0", "left:\n  version "1.3.0"\n'))).rejects.toThrow(
        ParseError,
      );
    });
  });
});
