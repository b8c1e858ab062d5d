import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import { stackLockCataloger } from '../../../../src/sbom/catalog/haskell/stack-lock.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';
import { repoRoot } from '../../../helpers/corpus.ts';

const dir = join(repoRoot, 'test/fixtures/catalog/stack-lock');
const catalog = (file: string) => stackLockCataloger.catalog(fileInput(dir, file));

describe('haskell/stack-lock', () => {
  it('wants stack.yaml.lock files only', () => {
    expect(stackLockCataloger.wants('stack.yaml.lock')).toBe(true);
    expect(stackLockCataloger.wants('pkg/stack.yaml.lock')).toBe(true);
    expect(stackLockCataloger.wants('stack.yaml')).toBe(false);
    expect(stackLockCataloger.wants('stack.lock')).toBe(false);
    expect(stackLockCataloger.wants('my-stack.yaml.lock')).toBe(false);
  });

  it('reads Hackage and git extra-deps with lines, skipping odd entries with issues', async () => {
    const { packages, issues } = await catalog('mixed.lock');
    expect(packages).toEqual([
      {
        name: 'hasql-pool',
        version: '1.0.1',
        ecosystem: 'Hackage',
        purl: 'pkg:hackage/hasql-pool@1.0.1',
        locations: [{ path: 'mixed.lock', line: 5 }],
        scope: 'required',
      },
      {
        name: 'text',
        version: '2.0',
        ecosystem: 'Hackage',
        purl: 'pkg:hackage/text@2.0',
        locations: [{ path: 'mixed.lock', line: 12 }],
        scope: 'required',
      },
      {
        name: 'servant',
        version: '0.20.1',
        ecosystem: 'Hackage',
        purl: 'pkg:hackage/servant@0.20.1?vcs_url=git%2Bhttps%3A%2F%2Fgithub.com%2Fhaskell-servant%2Fservant.git%400cd2f2f2f1ae8d7df0fa4a3f1bb2ccaf3cf3c9a1',
        locations: [{ path: 'mixed.lock', line: 16 }],
        scope: 'required',
        commit: '0cd2f2f2f1ae8d7df0fa4a3f1bb2ccaf3cf3c9a1',
      },
    ]);
    expect(issues).toEqual([
      { path: 'mixed.lock', line: 29, message: 'skipped not-a-version@sha256:abc,1: not a name-version Hackage identifier' },
      { path: 'mixed.lock', line: 33, message: 'skipped entry without `completed`' },
    ]);
  });

  it('reads a lockfile without extra-deps', async () => {
    expect(await catalog('no-packages.lock')).toEqual({ packages: [] });
  });

  it('rejects empty, malformed and odd files', async () => {
    await expect(catalog('empty.lock')).rejects.toThrow(new ParseError('empty file'));
    await expect(catalog('invalid-yaml.lock')).rejects.toThrow(/^invalid YAML/);
    await expect(catalog('packages-not-list.lock')).rejects.toThrow(/`packages` is not a list/);
  });
});
