import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import { cargoLockCataloger } from '../../../../src/sbom/catalog/rust/cargo-lock.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';
import { repoRoot } from '../../../helpers/corpus.ts';

const dir = join(repoRoot, 'test/fixtures/catalog/cargo-lock');
const catalog = (file: string) => cargoLockCataloger.catalog(fileInput(dir, file));
const byPurl = <T extends { purl: string }>(list: T[], purl: string): T => {
  const found = list.find((p) => p.purl === purl);
  if (!found) throw new Error(`no ${purl} in ${list.map((p) => p.purl).join(', ')}`);
  return found;
};

describe('rust/cargo-lock', () => {
  it('wants Cargo.lock files only', () => {
    expect(cargoLockCataloger.wants('Cargo.lock')).toBe(true);
    expect(cargoLockCataloger.wants('crates/app/Cargo.lock')).toBe(true);
    expect(cargoLockCataloger.wants('Cargo.toml')).toBe(false);
    expect(cargoLockCataloger.wants('cargo.lock')).toBe(false);
    expect(cargoLockCataloger.wants('Cargo.lock.bak')).toBe(false);
    expect(cargoLockCataloger.wants('Cargo.lock/readme')).toBe(false);
  });

  it('reads a v4 lockfile: sources, duplicate versions, dependency resolution and lines', async () => {
    const { packages, issues } = await catalog('v4-workspace.lock');
    expect(issues).toBeUndefined();
    expect(packages.map((p) => `${p.name}@${p.version}`)).toEqual([
      'app@0.1.0',
      'libc@0.2.155',
      'private-crate@1.2.0',
      'rand@0.7.3',
      'rand@0.8.5',
      'serde@1.0.203',
      'tokio@1.38.0',
    ]);
    const tokioPurl =
      'pkg:cargo/tokio@1.38.0?vcs_url=git%2Bhttps%3A%2F%2Fgithub.com%2Ftokio-rs%2Ftokio%40a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
    const privatePurl = 'pkg:cargo/private-crate@1.2.0?repository_url=https%3A%2F%2Fcargo.example.com%2Findex%2F';

    const app = byPurl(packages, 'pkg:cargo/app@0.1.0');
    expect(app).toMatchObject({ ecosystem: 'crates.io', scope: 'required', locations: [{ path: 'v4-workspace.lock', line: 5 }] });
    expect(app.direct).toBeUndefined();
    expect(app.dependsOn).toEqual([privatePurl, 'pkg:cargo/rand@0.8.5', 'pkg:cargo/serde@1.0.203', tokioPurl].sort());

    // `serde` names `rand 0.7.3`, the older of the two rands.
    expect(byPurl(packages, 'pkg:cargo/serde@1.0.203').dependsOn).toEqual(['pkg:cargo/rand@0.7.3']);
    expect(byPurl(packages, 'pkg:cargo/rand@0.8.5')).toMatchObject({ direct: true, dependsOn: ['pkg:cargo/libc@0.2.155'] });
    expect(byPurl(packages, 'pkg:cargo/rand@0.7.3').direct).toBeUndefined();
    expect(byPurl(packages, 'pkg:cargo/libc@0.2.155').direct).toBeUndefined();
    expect(byPurl(packages, privatePurl).direct).toBe(true);

    const tokio = byPurl(packages, tokioPurl);
    expect(tokio.locations).toEqual([{ path: 'v4-workspace.lock', line: 54 }]);
    expect(tokio.commit).toBeUndefined();
  });

  it('reads a v1 lockfile with full dependency specs and ignores [metadata]', async () => {
    const { packages } = await catalog('v1.lock');
    expect(packages.map((p) => p.purl)).toEqual(['pkg:cargo/cfg-if@0.1.10', 'pkg:cargo/hello@0.1.0', 'pkg:cargo/log@0.4.8']);
    expect(byPurl(packages, 'pkg:cargo/hello@0.1.0').dependsOn).toEqual(['pkg:cargo/cfg-if@0.1.10', 'pkg:cargo/log@0.4.8']);
    expect(byPurl(packages, 'pkg:cargo/log@0.4.8')).toMatchObject({
      direct: true,
      dependsOn: ['pkg:cargo/cfg-if@0.1.10'],
      locations: [{ path: 'v1.lock', line: 14 }],
    });
  });

  it('reads a v2 lockfile (no version key, short dependency names)', async () => {
    const { packages } = await catalog('v2.lock');
    expect(byPurl(packages, 'pkg:cargo/hello@0.1.0').dependsOn).toEqual(['pkg:cargo/itoa@1.0.1']);
    expect(byPurl(packages, 'pkg:cargo/itoa@1.0.1')).toMatchObject({ direct: true, locations: [{ line: 10 }] });
  });

  it('skips a [[package]] without a version with an issue', async () => {
    const { packages, issues } = await catalog('v3-skipped-entry.lock');
    expect(packages.map((p) => p.purl)).toEqual(['pkg:cargo/itoa@1.0.1']);
    expect(issues).toEqual([{ path: 'v3-skipped-entry.lock', line: 8, message: 'skipped crate no-version: no version' }]);
  });

  it.each([
    ['unsupported-version.lock', /unsupported Cargo.lock version 99/],
    ['truncated.lock', /invalid TOML/],
    ['package-not-array.lock', /not an array of tables/],
  ])('rejects %s with a ParseError', async (file, message) => {
    const err = await catalog(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParseError);
    expect((err as ParseError).message).toMatch(message);
  });

  it('reports the line of a TOML syntax error', async () => {
    const err = (await catalog('truncated.lock').catch((e: unknown) => e)) as ParseError;
    expect(err.line).toBe(3);
  });
});
