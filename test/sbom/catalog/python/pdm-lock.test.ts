import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import { pdmLockCataloger } from '../../../../src/sbom/catalog/python/pdm-lock.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';
import { repoRoot } from '../../../helpers/corpus.ts';

const dir = join(repoRoot, 'test/fixtures/catalog/pdm-lock');
const catalog = (file: string) => pdmLockCataloger.catalog(fileInput(dir, file));

describe('python/pdm-lock', () => {
  it('wants pdm.lock files only', () => {
    expect(pdmLockCataloger.wants('pdm.lock')).toBe(true);
    expect(pdmLockCataloger.wants('path/to/my/pdm.lock')).toBe(true);
    expect(pdmLockCataloger.wants('path/to/my/pdm.lock/file')).toBe(false);
    expect(pdmLockCataloger.wants('path/to/my/pdm.lock.file')).toBe(false);
    expect(pdmLockCataloger.wants('path.to.my.pdm.lock')).toBe(false);
  });

  it('reads packages, git commits and dependencies; skips path packages', async () => {
    const { packages, issues } = await catalog('with-pyproject/pdm.lock');
    expect(issues).toBeUndefined();
    expect(packages.map((p) => `${p.name}@${p.version}`)).toEqual([
      'requests@2.31.0',
      'certifi@2024.2.2',
      'urllib3@2.2.1',
      'PySocks@1.7.1',
      'pytest@8.1.1',
      'pluggy@1.4.0',
      'toml@0.10.2',
    ]);
    expect(packages[0]).toEqual({
      name: 'requests',
      version: '2.31.0',
      ecosystem: 'PyPI',
      purl: 'pkg:pypi/requests@2.31.0',
      locations: [{ path: 'with-pyproject/pdm.lock', line: 10 }],
      scope: 'required',
      dependsOn: ['pkg:pypi/certifi@2024.2.2', 'pkg:pypi/urllib3@2.2.1'],
    });
    // tomli (python < 3.11 only) is not locked: no edge.
    expect(packages.find((p) => p.name === 'pytest')!.dependsOn).toEqual(['pkg:pypi/pluggy@1.4.0']);
    expect(packages.find((p) => p.name === 'toml')).toMatchObject({
      commit: '65bab7582ce14c55cdeec2244c65ea23039c9e6f',
      purl: 'pkg:pypi/toml@0.10.2?vcs_url=git%2Bhttps%3A%2F%2Fgithub.com%2Fuiri%2Ftoml.git%4065bab7582ce14c55cdeec2244c65ea23039c9e6f',
      scope: 'required',
    });
  });

  it('tells extras from dev groups with the pyproject.toml beside the lockfile', async () => {
    const { packages } = await catalog('with-pyproject/pdm.lock');
    const scopes = Object.fromEntries(packages.map((p) => [p.name, [p.scope, p.groups ?? []]]));
    expect(scopes['PySocks']).toEqual(['optional', ['socks']]);
    expect(scopes['pytest']).toEqual(['dev', ['test']]);
    // A PEP 735 dependency group and a pdm dev group.
    expect(scopes['pluggy']).toEqual(['dev', ['lint', 'test']]);
    expect(scopes['certifi']).toEqual(['required', []]);
  });

  it('without a pyproject.toml, takes `dev` for dev and other groups for extras', async () => {
    const { packages } = await catalog('without-pyproject/pdm.lock');
    expect(packages.map((p) => [p.name, p.scope, p.groups])).toEqual([
      ['pyroute2', 'dev', ['dev']],
      ['win-inet-pton', 'optional', ['tmp']],
    ]);
  });

  it('rejects invalid TOML and unknown lock versions', async () => {
    await expect(catalog('not-toml.txt')).rejects.toThrow(ParseError);
    await expect(catalog('unsupported-version.lock')).rejects.toThrow('unsupported pdm.lock lock_version 5.0');
  });
});
