import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import { pylockCataloger } from '../../../../src/sbom/catalog/python/pylock.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';
import { repoRoot } from '../../../helpers/corpus.ts';

const dir = join(repoRoot, 'test/fixtures/catalog/pylock');
const catalog = (file: string) => pylockCataloger.catalog(fileInput(dir, file));

describe('python/pylock', () => {
  it('wants pylock.toml and pylock.<name>.toml', () => {
    const wants = pylockCataloger.wants;
    expect(wants('pylock.toml')).toBe(true);
    expect(wants('pylock.spam.toml')).toBe(true);
    expect(wants('path/to/my/pylock.dev.toml')).toBe(true);
    expect(wants('mypylock.toml')).toBe(false);
    expect(wants('PYLOCK.spam.toml')).toBe(false);
    expect(wants('pylock.a.b.toml')).toBe(false);
    expect(wants('path/to/my/pylock.toml/file')).toBe(false);
    expect(wants('path/to/my/pylock.toml.file')).toBe(false);
    expect(wants('path.to.my.pylock.toml')).toBe(false);
  });

  it('reads index, archive and VCS packages with lines and dependencies', async () => {
    const { packages, issues } = await catalog('pylock.toml');
    expect(packages.map((p) => [p.name, p.version ?? null, p.locations[0]?.line])).toEqual([
      ['cattrs', '24.1.2', 5],
      ['attrs', '25.1.0', 14],
      ['mleroc', null, 24],
      ['release', '1.0.0', 28],
    ]);
    expect(packages[0]!.dependsOn).toEqual(['pkg:pypi/attrs@25.1.0']);
    expect(packages[2]).toMatchObject({
      commit: '735093f03c4d8be70bfaaae44074ac92d7419b6d',
      purl: 'pkg:pypi/mleroc?vcs_url=git%2Bhttps%3A%2F%2Fgithub.com%2FVeggente%2Fmleroc.git%40735093f03c4d8be70bfaaae44074ac92d7419b6d',
    });
    // The project directory and the local archive are not packages; an entry with no version and no source is an issue.
    expect(issues).toEqual([{ path: 'pylock.toml', line: 42, message: 'skipped mystery: no version' }]);
  });

  it('reads an inline `packages` array (no header lines to report)', async () => {
    const { packages } = await catalog('inline-just-self.toml');
    expect(packages).toEqual([
      {
        name: 'six',
        version: '1.16.0',
        ecosystem: 'PyPI',
        purl: 'pkg:pypi/six@1.16.0',
        locations: [{ path: 'inline-just-self.toml' }],
        scope: 'required',
      },
    ]);
  });

  it('rejects invalid TOML and unknown lock versions', async () => {
    await expect(catalog('not-toml.txt')).rejects.toThrow(ParseError);
    await expect(catalog('unsupported-version.toml')).rejects.toThrow('unsupported pylock.toml lock-version 2.0');
  });
});
