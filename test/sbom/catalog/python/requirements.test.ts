import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import { requirementsCataloger } from '../../../../src/sbom/catalog/python/requirements.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';
import { repoRoot } from '../../../helpers/corpus.ts';

const dir = join(repoRoot, 'test/fixtures/catalog/requirements');
const catalog = (file: string, root = dir) => requirementsCataloger.catalog(fileInput(root, file));

describe('python/requirements', () => {
  it('wants requirements files by name or by a requirements/ directory', () => {
    const wants = requirementsCataloger.wants;
    expect(wants('requirements.txt')).toBe(true);
    expect(wants('app/dev-requirements.txt')).toBe(true);
    expect(wants('RsaCtfTool/optional-requirements.txt')).toBe(true);
    expect(wants('requirements.in')).toBe(true);
    expect(wants('requirements/base.txt')).toBe(true);
    expect(wants('app/requirements/test.txt')).toBe(true);
    expect(wants('requirements-asdf/test.txt')).toBe(false);
    expect(wants('yolo-txt/requirements.md')).toBe(false);
    expect(wants('requirements.txt/file')).toBe(false);
    expect(wants('requirements/nested/base.txt')).toBe(false);
    expect(wants('constraints.txt')).toBe(false);
  });

  it('reads pins, bounds and unresolved requirements with their lines', async () => {
    const { packages } = await catalog('mixed.txt');
    const got = packages.map((p) => [p.name, p.version ?? null, p.locations[0]?.line]);
    expect(got).toEqual([
      ['Django', '4.2.11', 2],
      ['requests', '2.31.0', 3],
      ['PyYAML', '6.0.1', 4],
      ['urllib3', '1.26.5', 5],
      ['keyring', '24.0', 6],
      ['pkg', '1.2.3', 7],
      ['six', null, 8],
      ['attrs', null, 9],
      ['numpy', null, 10],
      ['click', null, 11],
      ['gunicorn', '21.2.0', 12],
      ['cryptography', '42.0.5', 15],
      ['foo-bar.baz_qux', '1.0', 16],
      ['toolz', null, 22],
      ['MarkupSafe', null, 23],
      ['hgpkg', null, 28],
    ]);
    const six = packages.find((p) => p.name === 'six')!;
    expect(six).toEqual({
      name: 'six',
      ecosystem: 'PyPI',
      purl: 'pkg:pypi/six',
      locations: [{ path: 'mixed.txt', line: 8 }],
      scope: 'required',
    });
    expect(packages.find((p) => p.name === 'Django')!.purl).toBe('pkg:pypi/django@4.2.11');
    // A bound keeps its version for the SBOM but is marked as not a pin; an exact pin is not.
    expect(packages.find((p) => p.name === 'keyring')!.groups).toEqual(['unpinned']);
    expect(packages.find((p) => p.name === 'Django')!.groups).toBeUndefined();
  });

  it('catalogues VCS requirements locked to a full commit, and nothing for other URLs and paths', async () => {
    const { packages } = await catalog('mixed.txt');
    expect(packages.find((p) => p.name === 'toolz')).toMatchObject({
      commit: '5a3d9cb57bbb3eca03cfd7f7c6c3d0f5a9b26e4d',
      purl: 'pkg:pypi/toolz?vcs_url=git%2Bhttps%3A%2F%2Fgithub.com%2Fpytoolz%2Ftoolz%405a3d9cb57bbb3eca03cfd7f7c6c3d0f5a9b26e4d',
    });
    expect(packages.find((p) => p.name === 'MarkupSafe')?.commit).toBe('b36054111bc1e8bbadb5d0d60158feb72926f467');
    expect(packages.find((p) => p.name === 'hgpkg')?.purl).toBe(
      'pkg:pypi/hgpkg?vcs_url=hg%2Bhttps%3A%2F%2Fhg.example.com%2Frepo%400123456789abcdef0123456789abcdef01234567',
    );
    const names = packages.map((p) => p.name);
    for (const skipped of ['urllib4', 'tabulate', 'local', 'pkg-1.0']) expect(names).not.toContain(skipped);
  });

  it('reports lines it cannot use as issues and keeps the rest', async () => {
    const { issues } = await catalog('mixed.txt');
    expect(issues).toEqual([
      { path: 'mixed.txt', line: 25, message: 'skipped requirement with an environment variable' },
      { path: 'mixed.txt', line: 26, message: 'skipped invalid requirement: asdf 1.0' },
      { path: 'mixed.txt', line: 27, message: 'skipped invalid requirement: broken==' },
    ]);
  });

  it('follows -r includes relative to each file, guards cycles, and applies -c constraint pins', async () => {
    const { packages, issues } = await catalog('requirements.txt', join(dir, 'include'));
    expect(packages).toEqual([
      // `flask>=2.0` takes the exact pin of constraints.txt (written `Flask`: names match per PEP 503).
      {
        name: 'flask',
        version: '3.0.3',
        ecosystem: 'PyPI',
        purl: 'pkg:pypi/flask@3.0.3',
        locations: [{ path: 'requirements.txt', line: 3 }],
        scope: 'required',
      },
      // A `>=` constraint is no pin: jinja2 stays unresolved, and constraints add no packages.
      { name: 'jinja2', ecosystem: 'PyPI', purl: 'pkg:pypi/jinja2', locations: [{ path: 'requirements.txt', line: 4 }], scope: 'required' },
      {
        name: 'pytest',
        version: '8.1.1',
        ecosystem: 'PyPI',
        purl: 'pkg:pypi/pytest@8.1.1',
        locations: [{ path: 'requirements/dev.txt', line: 3 }],
        scope: 'required',
      },
    ]);
    expect(issues).toEqual([{ path: 'requirements/dev.txt', line: 4, message: 'cannot read included file missing.txt' }]);
  });

  it('locates included packages under the includer directory when the file is not at the root', async () => {
    const { packages } = await catalog('include/requirements.txt');
    expect(packages.map((p) => p.locations[0]!.path)).toEqual([
      'include/requirements.txt',
      'include/requirements.txt',
      'include/requirements/dev.txt',
    ]);
  });

  it('rejects binary content', async () => {
    await expect(catalog('binary.txt')).rejects.toThrow(ParseError);
  });

  it('joins a trailing backslash at end of file and reads CRLF files', async () => {
    expect((await catalog('trailing-backslash.txt')).packages.map((p) => [p.name, p.version])).toEqual([['pkg1', '1.0']]);
    const crlf = await catalog('crlf.txt');
    expect(crlf.packages.map((p) => [p.name, p.version, p.locations[0]?.line])).toEqual([
      ['alpha', '1.0', 1],
      ['beta', '2.0', 2],
    ]);
  });
});
