import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import { pipfileLockCataloger } from '../../../../src/sbom/catalog/python/pipfile-lock.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';
import { repoRoot } from '../../../helpers/corpus.ts';

const dir = join(repoRoot, 'test/fixtures/catalog/pipfile-lock');
const catalog = (file: string) => pipfileLockCataloger.catalog(fileInput(dir, file));

describe('python/pipfile-lock', () => {
  it('wants Pipfile.lock files only', () => {
    expect(pipfileLockCataloger.wants('Pipfile.lock')).toBe(true);
    expect(pipfileLockCataloger.wants('app/Pipfile.lock')).toBe(true);
    expect(pipfileLockCataloger.wants('Pipfile')).toBe(false);
    expect(pipfileLockCataloger.wants('pipfile.lock')).toBe(false);
    expect(pipfileLockCataloger.wants('Pipfile.lock.bak')).toBe(false);
    expect(pipfileLockCataloger.wants('Pipfile.lock/x')).toBe(false);
  });

  it('reads default, develop and custom sections with lines', async () => {
    const { packages, issues } = await catalog('sections.json');
    expect(packages.map((p) => [p.name, p.version, p.scope, p.groups ?? [], p.locations[0]?.line])).toEqual([
      ['itsdangerous', '2.1.2', 'required', [], 9],
      // Also in `develop`: still a runtime package, located at its `default` entry.
      ['markupsafe', '2.1.1', 'required', [], 14],
      ['toolz', '0.12.1', 'required', [], 18],
      ['pytest', '8.1.1', 'dev', ['dev'], 35],
      ['sphinx', '7.2.6', 'dev', ['docs'], 40],
    ]);
    expect(issues).toEqual([{ path: 'sections.json', line: 27, message: 'skipped weird: version * is not an exact pin' }]);
  });

  it('keeps the commit of a git entry that pins a version, and skips path entries', async () => {
    const { packages } = await catalog('sections.json');
    expect(packages.find((p) => p.name === 'toolz')).toMatchObject({
      commit: '5a3d9cb57bbb3eca03cfd7f7c6c3d0f5a9b26e4d',
      purl: 'pkg:pypi/toolz@0.12.1?vcs_url=git%2Bhttps%3A%2F%2Fgithub.com%2Fpytoolz%2Ftoolz.git%405a3d9cb57bbb3eca03cfd7f7c6c3d0f5a9b26e4d',
    });
    expect(packages.map((p) => p.name)).not.toContain('mylib');
  });

  it('rejects files that are not a Pipfile.lock', async () => {
    await expect(catalog('not-json.txt')).rejects.toThrow(ParseError);
    await expect(catalog('array.json')).rejects.toThrow('not a Pipfile.lock');
    await expect(catalog('pipfile-not-lock.json')).rejects.toThrow('not a Pipfile.lock');
    await expect(catalog('unsupported-spec.json')).rejects.toThrow('unsupported pipfile-spec 7');
  });
});
