import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import { gemfileLockCataloger } from '../../../../src/sbom/catalog/ruby/gemfile-lock.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';
import { repoRoot } from '../../../helpers/corpus.ts';

const dir = join(repoRoot, 'test/fixtures/catalog/gemfile-lock');
const catalog = (file: string) => gemfileLockCataloger.catalog(fileInput(dir, file));
const byPurl = <T extends { purl: string }>(list: T[], purl: string): T => {
  const found = list.find((p) => p.purl === purl);
  if (!found) throw new Error(`no ${purl} in ${list.map((p) => p.purl).join(', ')}`);
  return found;
};

const NOKOGIRI_LINUX = 'pkg:gem/nokogiri@1.15.0?platform=x86_64-linux';
const HANAMI =
  'pkg:gem/hanami-controller@2.0.0.alpha1?vcs_url=git%2Bhttps%3A%2F%2Fgithub.com%2Fhanami%2Fcontroller.git%40027dbe2e56397b534e859fc283990cad1b6addd6';

describe('ruby/gemfile-lock', () => {
  it('wants Gemfile.lock and gems.locked only', () => {
    expect(gemfileLockCataloger.wants('Gemfile.lock')).toBe(true);
    expect(gemfileLockCataloger.wants('app/gems.locked')).toBe(true);
    expect(gemfileLockCataloger.wants('Gemfile')).toBe(false);
    expect(gemfileLockCataloger.wants('gemfile.lock')).toBe(false);
    expect(gemfileLockCataloger.wants('Gemfile.lock.orig')).toBe(false);
    expect(gemfileLockCataloger.wants('gems.rb')).toBe(false);
  });

  it('reads every source section, platforms, direct dependencies and edges', async () => {
    const file = 'sources-and-platforms.lock';
    const { packages, issues } = await catalog(file);
    expect(issues).toBeUndefined();
    expect(packages.map((p) => `${p.name}@${p.version}:${p.locations[0]!.line}`)).toEqual([
      'hanami-controller@2.0.0.alpha1:6',
      'local-helper@0.3.0:12',
      'mini_portile2@2.8.2:18',
      'nokogiri@1.15.0:19',
      'nokogiri@1.15.0:22',
      'racc@1.7.0:24',
      'rack@2.2.7:25',
      'example-plugin@1.0.0:31',
    ]);
    expect(packages.every((p) => p.ecosystem === 'RubyGems' && p.scope === 'required')).toBe(true);

    expect(byPurl(packages, HANAMI)).toMatchObject({
      commit: '027dbe2e56397b534e859fc283990cad1b6addd6',
      direct: true,
      dependsOn: ['pkg:gem/rack@2.2.7'],
    });
    // Both platform builds of one version stand for the dependency.
    expect(byPurl(packages, 'pkg:gem/local-helper@0.3.0')).toMatchObject({
      direct: true,
      dependsOn: ['pkg:gem/nokogiri@1.15.0', NOKOGIRI_LINUX],
    });
    expect(byPurl(packages, 'pkg:gem/nokogiri@1.15.0').dependsOn).toEqual([
      'pkg:gem/mini_portile2@2.8.2',
      'pkg:gem/racc@1.7.0',
    ]);
    expect(byPurl(packages, NOKOGIRI_LINUX)).toMatchObject({ direct: true, dependsOn: ['pkg:gem/racc@1.7.0'] });
    expect(byPurl(packages, 'pkg:gem/racc@1.7.0').direct).toBeUndefined();
    expect(byPurl(packages, 'pkg:gem/rack@2.2.7').commit).toBeUndefined();
    expect(packages.some((p) => p.name === 'bundler')).toBe(false);
  });

  it('skips a spec without a version with an issue', async () => {
    const { packages, issues } = await catalog('invalid-spec.lock');
    expect(packages.map((p) => p.purl)).toEqual(['pkg:gem/ast@2.4.2']);
    expect(packages[0]!.direct).toBe(true);
    expect(issues).toEqual([
      { path: 'invalid-spec.lock', line: 5, message: 'skipped gem spec without a version: invalid-name' },
    ]);
  });

  it('reads CRLF line endings', async () => {
    const { packages } = await catalog('crlf.lock');
    expect(packages).toMatchObject([{ name: 'ast', version: '2.4.2', direct: true, locations: [{ line: 4 }] }]);
  });

  it('returns nothing for an empty file', async () => {
    expect((await catalog('empty.lock')).packages).toEqual([]);
  });

  it.each([
    ['not-a-lockfile.lock', /no GEM, GIT, PATH/],
    ['binary.lock', /binary content/],
  ])('rejects %s with a ParseError', async (file, message) => {
    const err = await catalog(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParseError);
    expect((err as ParseError).message).toMatch(message);
  });
});
