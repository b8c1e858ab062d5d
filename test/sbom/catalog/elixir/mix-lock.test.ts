import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import { mixLockCataloger } from '../../../../src/sbom/catalog/elixir/mix-lock.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';
import { repoRoot } from '../../../helpers/corpus.ts';

const dir = join(repoRoot, 'test/fixtures/catalog/mix-lock');
const catalog = (file: string) => mixLockCataloger.catalog(fileInput(dir, file));

describe('elixir/mix-lock', () => {
  it('wants mix.lock files only', () => {
    expect(mixLockCataloger.wants('mix.lock')).toBe(true);
    expect(mixLockCataloger.wants('apps/web/mix.lock')).toBe(true);
    expect(mixLockCataloger.wants('mix.exs')).toBe(false);
    expect(mixLockCataloger.wants('path/to/my/mix.lock.file')).toBe(false);
    expect(mixLockCataloger.wants('path.to.my.mix.lock')).toBe(false);
    expect(mixLockCataloger.wants('mix.lock/file')).toBe(false);
  });

  it('reads hex and git entries with checksums, commits, edges and lines', async () => {
    const { packages, issues } = await catalog('hex-and-git.lock');
    expect(issues).toBeUndefined();
    const by = (purl: string) => packages.find((p) => p.purl === purl)!;
    expect(packages.map((p) => p.purl)).toEqual([
      'pkg:hex/decimal@2.0.0',
      'pkg:hex/ecto@3.5.5',
      'pkg:hex/foo?vcs_url=git%2Bhttps%3A%2F%2Fgithub.com%2Fmy-org%2Ffoo.git%40fc94cce7830fa4dc455024bc2a83720afe244531',
      // An app aliasing a Hex package is catalogued under the package's name.
      'pkg:hex/telemetry@0.4.2',
      'pkg:hex/telemetry@0.4.2',
    ]);
    expect(by('pkg:hex/ecto@3.5.5')).toEqual({
      name: 'ecto',
      version: '3.5.5',
      ecosystem: 'Hex',
      purl: 'pkg:hex/ecto@3.5.5',
      locations: [{ path: 'hex-and-git.lock', line: 4 }],
      scope: 'required',
      // The inner checksum, as the upstream extractors report it.
      commit: '48219a991bb86daba6e38a1e64f8cea540cded58950ff38fbc8163e062281a07',
      // jason is optional and not locked: no edge.
      dependsOn: ['pkg:hex/decimal@2.0.0', 'pkg:hex/telemetry@0.4.2'],
    });
    const foo = packages.find((p) => p.name === 'foo')!;
    expect(foo.version).toBeUndefined();
    expect(foo).toMatchObject({ commit: 'fc94cce7830fa4dc455024bc2a83720afe244531', locations: [{ line: 5 }] });
  });

  it('reads the old `=>` map form and short hex tuples', async () => {
    const { packages } = await catalog('old-format.lock');
    expect(packages.map((p) => [p.purl, p.commit, p.locations[0]!.line])).toEqual([
      ['pkg:hex/cowboy@1.0.4', undefined, 1],
      ['pkg:hex/plug@1.1.6', '8927e4028433fcb859e000b9389ee9c37c80eb28378eeeea31b0273350bf668b', 2],
    ]);
    expect(packages[1]!.dependsOn).toEqual(['pkg:hex/cowboy@1.0.4']);
  });

  it('skips corrupted and unsupported entries with issues, keeping the rest', async () => {
    const { packages, issues } = await catalog('corrupted-entry.lock');
    expect(packages.map((p) => p.purl)).toEqual(['pkg:hex/bunt@1.0.0']);
    expect(issues).toEqual([
      {
        path: 'corrupted-entry.lock',
        line: 3,
        message: 'skipped certifi: malformed hex entry (expected {:hex, :name, "version", ...})',
      },
      { path: 'corrupted-entry.lock', line: 4, message: 'skipped local: unsupported source :path' },
    ]);
  });

  it('reads an empty map as no packages', async () => {
    expect(await catalog('empty-map.lock')).toEqual({ packages: [] });
  });

  it('rejects empty, truncated, non-map, trailing-junk and absurdly nested files', async () => {
    await expect(catalog('empty.lock')).rejects.toThrow(new ParseError('empty file'));
    await expect(catalog('truncated.lock')).rejects.toMatchObject({ name: 'ParseError', line: 3 });
    await expect(catalog('not-a-map.lock')).rejects.toThrow(/not a mix.lock/);
    await expect(catalog('trailing.lock')).rejects.toThrow(/unexpected text after the end/);
    await expect(catalog('deep.lock')).rejects.toThrow(/nested too deeply/);
  });
});
