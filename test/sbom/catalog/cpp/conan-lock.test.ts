import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import { conanLockCataloger } from '../../../../src/sbom/catalog/cpp/conan-lock.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';
import { repoRoot } from '../../../helpers/corpus.ts';

const dir = join(repoRoot, 'test/fixtures/catalog/conan-lock');
const catalog = (file: string) => conanLockCataloger.catalog(fileInput(dir, file));

describe('cpp/conan-lock', () => {
  it('wants conan.lock files only', () => {
    expect(conanLockCataloger.wants('conan.lock')).toBe(true);
    expect(conanLockCataloger.wants('build/conan.lock')).toBe(true);
    expect(conanLockCataloger.wants('conanfile.txt')).toBe(false);
    expect(conanLockCataloger.wants('conan.lock.json')).toBe(false);
    expect(conanLockCataloger.wants('myconan.lock')).toBe(false);
  });

  it('reads a Conan 1 graph lock: root excluded, build requirements dev, edges, direct, lines', async () => {
    const { packages, issues } = await catalog('graph-v0.4.lock');
    const by = (name: string) => packages.find((p) => p.name === name)!;
    expect(packages.map((p) => [p.purl, p.scope, p.groups])).toEqual([
      ['pkg:conan/libpng@1.6.39?rrev=7927e8ce5b2576a6ea497c6ca70e9751', 'required', ['requires']],
      ['pkg:conan/openssl@3.0.8', 'required', ['requires']],
      ['pkg:conan/zlib@1.2.13', 'required', ['requires']],
      ['pkg:conan/cmake@3.27.1', 'dev', ['build-requires']],
      ['pkg:conan/ncurses@6.4', 'dev', ['build-requires']],
      ['pkg:conan/pyhelpers@0.3?rrev=a1b2c3d4e5f6', 'dev', ['python-requires']],
    ]);
    expect(by('libpng')).toMatchObject({
      ecosystem: 'ConanCenter',
      version: '1.6.39',
      direct: true,
      dependsOn: ['pkg:conan/zlib@1.2.13'],
      locations: [{ path: 'graph-v0.4.lock', line: 11 }],
    });
    expect(by('openssl').direct).toBe(true);
    expect(by('zlib').direct).toBeUndefined();
    expect(by('cmake')).toMatchObject({ direct: true, dependsOn: ['pkg:conan/ncurses@6.4'] });
    expect(by('pyhelpers').locations).toEqual([{ path: 'graph-v0.4.lock', line: 14 }]);
    expect(issues).toEqual([{ path: 'graph-v0.4.lock', line: 40, message: 'skipped node 6: 1.2.3 is not a name/version reference' }]);
  });

  it('reads the unversioned 0.0 format (root found as the node nothing requires, package refs)', async () => {
    const { packages, issues } = await catalog('old-format-0.0.lock');
    expect(issues).toBeUndefined();
    expect(packages).toEqual([
      {
        name: 'zlib',
        version: '1.2.11',
        ecosystem: 'ConanCenter',
        purl: 'pkg:conan/zlib@1.2.11?rrev=5f4917ce0a630b102f472afd00102d40',
        locations: [{ path: 'old-format-0.0.lock', line: 11 }],
        scope: 'required',
        groups: ['requires'],
        direct: true,
      },
    ]);
  });

  it('reads a Conan 2 lock: requires, build_requires and python_requires with lines', async () => {
    const { packages, issues } = await catalog('flat-v0.5.lock');
    expect(packages.map((p) => [p.name, p.version, p.scope, p.groups, p.locations[0]!.line])).toEqual([
      ['zlib', '1.2.13', 'required', ['requires'], 4],
      ['openssl', '3.0.8', 'required', ['requires'], 5],
      ['ninja', '1.11.1', 'dev', ['build-requires'], 9],
      ['pyhelpers', '0.3', 'dev', ['python-requires'], 12],
    ]);
    expect(packages[0]!.purl).toBe('pkg:conan/zlib@1.2.13?rrev=13c96f538b52e1600c40b88994de240f');
    expect(issues).toEqual([
      {
        path: 'flat-v0.5.lock',
        line: 6,
        message: 'skipped requires entry 1.2.3#ffa77daf83a57094149707928bdce823%1667396813.184: not a name/version reference',
      },
    ]);
  });

  it('rejects unknown versions, non-lockfile JSON, null and broken JSON', async () => {
    await expect(catalog('unknown-version.lock')).rejects.toThrow(new ParseError('unsupported conan.lock version "0.9"'));
    await expect(catalog('unknown-graph-version.lock')).rejects.toThrow(/unsupported conan.lock version "0.7"/);
    await expect(catalog('other-json.lock')).rejects.toThrow(/not a conan.lock/);
    await expect(catalog('null.lock')).rejects.toThrow(/not a conan.lock/);
    await expect(catalog('truncated.lock')).rejects.toBeInstanceOf(ParseError);
  });
});
