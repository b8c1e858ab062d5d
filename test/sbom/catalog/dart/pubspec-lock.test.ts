import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import { pubspecLockCataloger } from '../../../../src/sbom/catalog/dart/pubspec-lock.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';
import { repoRoot } from '../../../helpers/corpus.ts';

const dir = join(repoRoot, 'test/fixtures/catalog/pubspec-lock');
const catalog = (file: string) => pubspecLockCataloger.catalog(fileInput(dir, file));

describe('dart/pubspec-lock', () => {
  it('wants pubspec.lock files only', () => {
    expect(pubspecLockCataloger.wants('pubspec.lock')).toBe(true);
    expect(pubspecLockCataloger.wants('app/pubspec.lock')).toBe(true);
    expect(pubspecLockCataloger.wants('pubspec.yaml')).toBe(false);
    expect(pubspecLockCataloger.wants('app/my-pubspec.lock')).toBe(false);
    expect(pubspecLockCataloger.wants('pubspec.lock/x')).toBe(false);
  });

  it('reads hosted, git, path and sdk packages with scopes, lines and commits', async () => {
    const { packages, issues } = await catalog('mixed-sources.lock');
    expect(issues).toBeUndefined();
    expect(packages.map((p) => `${p.name}@${p.version}`)).toEqual([
      'build_runner@2.4.9',
      // A failsafe YAML read keeps `1.10.0`-style versions as written.
      'collection@1.10.0',
      'flutter_web_plugins@0.0.0',
      'http@1.2.1',
      'internal_kit@3.1.0',
      'local_utils@0.0.1',
      'meta@1.11.0',
      'window_manager@0.3.8',
    ]);
    const by = (name: string) => packages.find((p) => p.name === name)!;
    expect(by('build_runner')).toEqual({
      name: 'build_runner',
      version: '2.4.9',
      ecosystem: 'Pub',
      purl: 'pkg:pub/build_runner@2.4.9',
      locations: [{ path: 'mixed-sources.lock', line: 4 }],
      scope: 'dev',
      groups: ['dev'],
      direct: true,
    });
    expect(by('collection')).toMatchObject({ scope: 'required', locations: [{ line: 12 }] });
    expect(by('collection').direct).toBeUndefined();
    expect(by('http')).toMatchObject({ scope: 'required', direct: true });
    expect(by('meta')).toMatchObject({ scope: 'required', direct: true });
    expect(by('internal_kit').purl).toBe('pkg:pub/internal_kit@3.1.0?repository_url=https%3A%2F%2Fdart.example.com');
    expect(by('window_manager')).toMatchObject({
      commit: '88487257cbafc501599ab4f82ec343b46acec020',
      purl: 'pkg:pub/window_manager@0.3.8?vcs_url=git%2Bhttps%3A%2F%2Fgithub.com%2Fleanflutter%2Fwindow_manager%4088487257cbafc501599ab4f82ec343b46acec020',
      locations: [{ path: 'mixed-sources.lock', line: 52 }],
    });
    expect(by('http').commit).toBeUndefined();
  });

  it('reads `packages: {}` as no packages', async () => {
    expect(await catalog('no-packages.lock')).toEqual({ packages: [] });
  });

  it('skips an entry that is not a map with an issue', async () => {
    const { packages, issues } = await catalog('odd-entries.lock');
    expect(packages.map((p) => p.name)).toEqual(['http']);
    expect(issues).toEqual([{ path: 'odd-entries.lock', line: 9, message: 'skipped package broken: not a map' }]);
  });

  it('rejects empty, malformed and non-lockfile YAML', async () => {
    await expect(catalog('empty.lock')).rejects.toThrow(new ParseError('empty file'));
    await expect(catalog('invalid-yaml.lock')).rejects.toBeInstanceOf(ParseError);
    await expect(catalog('not-a-map.lock')).rejects.toThrow(/not a pubspec.lock/);
  });
});
