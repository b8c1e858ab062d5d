import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import { poetryLockCataloger } from '../../../../src/sbom/catalog/python/poetry-lock.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';
import { repoRoot } from '../../../helpers/corpus.ts';

const dir = join(repoRoot, 'test/fixtures/catalog/poetry-lock');
const catalog = (file: string) => poetryLockCataloger.catalog(fileInput(dir, file));
const byPurl = <T extends { purl: string }>(list: T[], purl: string): T => {
  const found = list.find((p) => p.purl === purl);
  if (!found) throw new Error(`no ${purl} in ${list.map((p) => p.purl).join(', ')}`);
  return found;
};

describe('python/poetry-lock', () => {
  it('wants poetry.lock files only', () => {
    expect(poetryLockCataloger.wants('poetry.lock')).toBe(true);
    expect(poetryLockCataloger.wants('path/to/my/poetry.lock')).toBe(true);
    expect(poetryLockCataloger.wants('path/to/my/poetry.lock/file')).toBe(false);
    expect(poetryLockCataloger.wants('path/to/my/poetry.lock.file')).toBe(false);
    expect(poetryLockCataloger.wants('path.to.my.poetry.lock')).toBe(false);
    expect(poetryLockCataloger.wants('pyproject.toml')).toBe(false);
  });

  it('reads a lock 1.1 file: category, dependencies, git commit, lines; skips path dependencies', async () => {
    const { packages, issues } = await catalog('v1-dev-and-git.lock');
    expect(issues).toBeUndefined();
    expect(packages.map((p) => `${p.name}@${p.version}`)).toEqual([
      'Flask@2.2.5',
      'click@8.1.7',
      'jinja2@3.1.3',
      'pytest@7.4.4',
      'ike@0.2.0',
    ]);
    expect(byPurl(packages, 'pkg:pypi/flask@2.2.5')).toEqual({
      name: 'Flask',
      version: '2.2.5',
      ecosystem: 'PyPI',
      purl: 'pkg:pypi/flask@2.2.5',
      locations: [{ path: 'v1-dev-and-git.lock', line: 1 }],
      scope: 'required',
      // `Jinja2` matches the `jinja2` package (PEP 503); importlib-metadata is not locked.
      dependsOn: ['pkg:pypi/click@8.1.7', 'pkg:pypi/jinja2@3.1.3'],
    });
    expect(byPurl(packages, 'pkg:pypi/pytest@7.4.4')).toMatchObject({ scope: 'dev', groups: ['dev'], locations: [{ line: 30 }] });
    const ike = packages.find((p) => p.name === 'ike')!;
    expect(ike.commit).toBe('cd66602cd29f61a2d2e7fb995fef1e61708c034d');
    expect(ike.purl).toBe(
      'pkg:pypi/ike@0.2.0?vcs_url=git%2Bhttps%3A%2F%2Fgithub.com%2Fjerith%2Fike.git%40cd66602cd29f61a2d2e7fb995fef1e61708c034d',
    );
  });

  it('reads a lock 2.x file: groups, optional packages, ambiguous edges left out', async () => {
    const { packages, issues } = await catalog('v2-groups.lock');
    expect(issues).toEqual([{ path: 'v2-groups.lock', line: 90, message: 'skipped broken: no version' }]);
    expect(byPurl(packages, 'pkg:pypi/redis@5.2.1')).toMatchObject({
      scope: 'optional',
      groups: ['optional'],
      dependsOn: ['pkg:pypi/async-timeout@5.0.1'],
    });
    expect(byPurl(packages, 'pkg:pypi/faker@33.3.0')).toMatchObject({ scope: 'dev', groups: ['dev', 'test'] });
    // In `main` as well as `dev`: a runtime dependency.
    expect(byPurl(packages, 'pkg:pypi/typing-extensions@4.12.2').scope).toBe('required');
    expect(byPurl(packages, 'pkg:pypi/proto-plus@1.22.0').dependsOn).toEqual(['pkg:pypi/protobuf@4.25.5']);
    expect(byPurl(packages, 'pkg:pypi/proto-plus@1.23.0').groups).toBeUndefined();
    // `wrapper` names proto-plus, locked at two versions: no edge rather than a guess.
    expect(byPurl(packages, 'pkg:pypi/wrapper@1.0.0').dependsOn).toBeUndefined();
  });

  it('treats an empty file as no packages', async () => {
    expect(await catalog('empty.lock')).toEqual({ packages: [] });
  });

  it('rejects invalid TOML and unknown lock versions', async () => {
    await expect(catalog('not-toml.txt')).rejects.toThrow(ParseError);
    await expect(catalog('unsupported-version.lock')).rejects.toThrow('unsupported poetry.lock lock-version 3.0');
  });
});
