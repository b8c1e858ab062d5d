import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import { gemspecCataloger } from '../../../../src/sbom/catalog/ruby/gemspec.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';
import { repoRoot } from '../../../helpers/corpus.ts';

const dir = join(repoRoot, 'test/fixtures/catalog/gemspec');
const catalog = (file: string) => gemspecCataloger.catalog(fileInput(dir, `specifications/${file}`));

describe('ruby/gemspec', () => {
  it('wants installed specifications only', () => {
    expect(gemspecCataloger.wants('usr/local/bundle/specifications/rake-13.0.6.gemspec')).toBe(true);
    expect(gemspecCataloger.wants('usr/local/lib/ruby/gems/3.2.0/specifications/default/json-2.6.3.gemspec')).toBe(true);
    expect(gemspecCataloger.wants('specifications/rake-13.0.6.gemspec')).toBe(true);
    // A project's own gemspec is Ruby code, not an installed gem.
    expect(gemspecCataloger.wants('mygem.gemspec')).toBe(false);
    expect(gemspecCataloger.wants('usr/local/bundle/gems/rake-13.0.6/rake.gemspec')).toBe(false);
    expect(gemspecCataloger.wants('specifications/rake-13.0.6.gemspec.bak')).toBe(false);
    expect(gemspecCataloger.wants('specifications/default/nested/x.gemspec')).toBe(false);
  });

  it('reads name, version and licenses of an installed gem', async () => {
    const { packages, issues } = await catalog('rake-13.0.6.gemspec');
    expect(issues).toBeUndefined();
    expect(packages).toEqual([
      {
        name: 'rake',
        version: '13.0.6',
        ecosystem: 'RubyGems',
        purl: 'pkg:gem/rake@13.0.6',
        locations: [{ path: 'specifications/rake-13.0.6.gemspec', line: 5 }],
        scope: 'required',
        licenses: ['MIT'],
      },
    ]);
  });

  it('puts a binary gem platform in the purl and reads several licenses', async () => {
    const { packages } = await catalog('nokogiri-1.15.0-x86_64-linux.gemspec');
    expect(packages).toMatchObject([
      {
        name: 'nokogiri',
        version: '1.15.0',
        purl: 'pkg:gem/nokogiri@1.15.0?platform=x86_64-linux',
        licenses: ['MIT', 'LGPL-2.1-or-later'],
      },
    ]);
  });

  it('reads Gem::Version.new and a single license', async () => {
    const { packages } = await catalog('default/json-2.6.3.gemspec');
    expect(packages).toMatchObject([{ name: 'json', version: '2.6.3', purl: 'pkg:gem/json@2.6.3', licenses: ['Ruby'] }]);
  });

  it('reads old %q{} literals, single quotes and the ruby platform', async () => {
    const { packages } = await catalog('old-style-0.8.7.gemspec');
    expect(packages).toMatchObject([
      { name: 'old-style', version: '0.8.7', purl: 'pkg:gem/old-style@0.8.7', licenses: ['BSD-2-Clause'], locations: [{ line: 4 }] },
    ]);
  });

  it('skips a gemspec whose version is not a literal with an issue', async () => {
    expect(await catalog('no-version.gemspec')).toEqual({
      packages: [],
      issues: [{ path: 'specifications/no-version.gemspec', message: 'skipped gemspec without a literal name and version' }],
    });
  });

  it('rejects binary content with a ParseError', async () => {
    await expect(catalog('binary.gemspec')).rejects.toBeInstanceOf(ParseError);
  });
});
