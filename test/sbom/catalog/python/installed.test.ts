import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import { pythonInstalledCataloger } from '../../../../src/sbom/catalog/python/installed.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';
import { repoRoot } from '../../../helpers/corpus.ts';

const dir = join(repoRoot, 'test/fixtures/catalog/python-installed');
const catalog = (file: string) => pythonInstalledCataloger.catalog(fileInput(dir, `site-packages/${file}`));

describe('python/installed', () => {
  it('wants core metadata files of installed distributions', () => {
    const wants = pythonInstalledCataloger.wants;
    expect(wants('usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA')).toBe(true);
    expect(wants('site-packages/PyYAML-6.0.1-py3.11.egg-info/PKG-INFO')).toBe(true);
    expect(wants('site-packages/simplejson-3.19.2-py3.11.egg/EGG-INFO/PKG-INFO')).toBe(true);
    expect(wants('site-packages/distutils_pkg-1.0-py2.7.egg-info')).toBe(true);
    expect(wants('METADATA')).toBe(false);
    expect(wants('docs/METADATA')).toBe(false);
    expect(wants('requests-2.31.0.dist-info/RECORD')).toBe(false);
    expect(wants('project/PKG-INFO')).toBe(false);
    expect(wants('.egg-info')).toBe(false);
  });

  it('reads a wheel METADATA: name, version, line, License-Expression first', async () => {
    const { packages, issues } = await catalog('requests-2.31.0.dist-info/METADATA');
    expect(issues).toBeUndefined();
    expect(packages).toEqual([
      {
        name: 'requests',
        version: '2.31.0',
        ecosystem: 'PyPI',
        purl: 'pkg:pypi/requests@2.31.0',
        locations: [{ path: 'site-packages/requests-2.31.0.dist-info/METADATA', line: 2 }],
        scope: 'required',
        licenses: ['Apache-2.0'],
      },
    ]);
  });

  it('takes a one-line License, else the license classifiers', async () => {
    expect((await catalog('six-1.16.0.dist-info/METADATA')).packages[0]!.licenses).toEqual(['MIT']);
    // A folded License holding the license text is not a name.
    expect((await catalog('PyYAML-6.0.1-py3.11.egg-info/PKG-INFO')).packages[0]).toMatchObject({
      name: 'PyYAML',
      version: '6.0.1',
      licenses: ['MIT License'],
    });
    expect((await catalog('simplejson-3.19.2-py3.11.egg/EGG-INFO/PKG-INFO')).packages[0]!.licenses).toEqual([
      'MIT License',
      'Academic Free License (AFL)',
    ]);
    expect((await catalog('distutils_pkg-1.0-py2.7.egg-info')).packages[0]).toMatchObject({
      name: 'distutils-pkg',
      version: '1.0',
      licenses: ['BSD'],
    });
  });

  it('skips a distribution without Name or Version with an issue', async () => {
    expect(await catalog('broken-1.0.dist-info/METADATA')).toEqual({
      packages: [],
      issues: [
        {
          path: 'site-packages/broken-1.0.dist-info/METADATA',
          message: 'skipped installed distribution: no Name or Version header',
        },
      ],
    });
  });

  it('rejects a file that is not core metadata', async () => {
    await expect(catalog('junk-1.0.dist-info/METADATA')).rejects.toThrow(ParseError);
  });
});
