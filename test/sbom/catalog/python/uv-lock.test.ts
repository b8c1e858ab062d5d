import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import { uvLockCataloger } from '../../../../src/sbom/catalog/python/uv-lock.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';
import { repoRoot } from '../../../helpers/corpus.ts';

const dir = join(repoRoot, 'test/fixtures/catalog/uv-lock');
const catalog = (file: string) => uvLockCataloger.catalog(fileInput(dir, file));
const byPurl = <T extends { purl: string }>(list: T[], purl: string): T => {
  const found = list.find((p) => p.purl === purl);
  if (!found) throw new Error(`no ${purl} in ${list.map((p) => p.purl).join(', ')}`);
  return found;
};
const ruffPurl =
  'pkg:pypi/ruff@0.8.1?vcs_url=git%2Bhttps%3A%2F%2Fgithub.com%2Fastral-sh%2Fruff%4084748be16341b76e073d117329f7f5f4ee2941ad';

describe('python/uv-lock', () => {
  it('wants uv.lock files only', () => {
    expect(uvLockCataloger.wants('uv.lock')).toBe(true);
    expect(uvLockCataloger.wants('path/to/my/uv.lock')).toBe(true);
    expect(uvLockCataloger.wants('path/to/my/uv.lock/file')).toBe(false);
    expect(uvLockCataloger.wants('path/to/my/uv.lock.file')).toBe(false);
    expect(uvLockCataloger.wants('path.to.my.uv.lock')).toBe(false);
  });

  it('catalogues registry and git packages, not the local projects', async () => {
    const { packages, issues } = await catalog('project.lock');
    expect(packages.map((p) => `${p.name}@${p.version}`)).toEqual([
      'black@24.10.0',
      'click@8.1.7',
      'colorama@0.4.6',
      'emoji@2.14.0',
      'httpx@0.27.2',
      'numpy@1.26.4',
      'numpy@2.1.3',
      'ruff@0.8.1',
      'socksio@1.0.0',
      'tomli@2.2.1',
    ]);
    expect(issues).toEqual([{ path: 'project.lock', line: 75, message: 'skipped nameless-version: no version' }]);
    expect(byPurl(packages, ruffPurl)).toMatchObject({ commit: '84748be16341b76e073d117329f7f5f4ee2941ad', locations: [{ line: 60 }] });
  });

  it('scopes packages by reachability from the project: runtime, extras, dependency groups', async () => {
    const { packages } = await catalog('project.lock');
    expect(byPurl(packages, 'pkg:pypi/emoji@2.14.0')).toMatchObject({ scope: 'required', direct: true });
    // Through the editable path dependency `mylib`, which names the numpy version it needs.
    expect(byPurl(packages, 'pkg:pypi/numpy@2.1.3').scope).toBe('required');
    expect(byPurl(packages, 'pkg:pypi/numpy@2.1.3').direct).toBeUndefined();
    expect(byPurl(packages, 'pkg:pypi/httpx@0.27.2')).toMatchObject({ scope: 'optional', groups: ['net'], direct: true });
    // The `socks` extra of httpx, asked for by the `net` extra of the project.
    expect(byPurl(packages, 'pkg:pypi/socksio@1.0.0')).toMatchObject({ scope: 'optional', groups: ['net'] });
    expect(byPurl(packages, ruffPurl)).toMatchObject({ scope: 'dev', groups: ['dev', 'lint'], direct: true });
    expect(byPurl(packages, 'pkg:pypi/colorama@0.4.6')).toMatchObject({ scope: 'dev', groups: ['dev'] });
    expect(byPurl(packages, 'pkg:pypi/colorama@0.4.6').direct).toBeUndefined();
  });

  it('records dependency edges', async () => {
    const { packages } = await catalog('project.lock');
    expect(byPurl(packages, 'pkg:pypi/black@24.10.0').dependsOn).toEqual(['pkg:pypi/click@8.1.7', 'pkg:pypi/tomli@2.2.1']);
    expect(byPurl(packages, 'pkg:pypi/click@8.1.7').dependsOn).toEqual(['pkg:pypi/colorama@0.4.6']);
    expect(byPurl(packages, 'pkg:pypi/emoji@2.14.0').dependsOn).toBeUndefined();
  });

  it('rejects invalid TOML and unknown lockfile versions', async () => {
    await expect(catalog('not-toml.txt')).rejects.toThrow(ParseError);
    await expect(catalog('unsupported-version.lock')).rejects.toThrow('unsupported uv.lock version 2');
  });
});
