import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import type { Package } from '../../../../src/core/types.ts';
import { bunLockCataloger, stripJsonc } from '../../../../src/sbom/catalog/javascript/bun-lock.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';

const fixtures = join(import.meta.dirname, '../../../fixtures/catalog/bun-lock');

async function catalog(caseName: string) {
  return bunLockCataloger.catalog(fileInput(join(fixtures, caseName), 'bun.lock'));
}

async function catalogText(text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-bun-lock-'));
  writeFileSync(join(dir, 'bun.lock'), text);
  return bunLockCataloger.catalog(fileInput(dir, 'bun.lock'));
}

function find(packages: Package[], name: string, version?: string): Package {
  const pkg = packages.find((p) => p.name === name && p.version === version);
  if (!pkg) throw new Error(`no ${name}@${version} in ${packages.map((p) => `${p.name}@${p.version}`).join(', ')}`);
  return pkg;
}

describe('javascript/bun-lock wants()', () => {
  it.each([
    ['bun.lock', true],
    ['apps/web/bun.lock', true],
    ['bun.lockb', false],
    ['bun.lock.bak', false],
    ['node_modules/x/bun.lock', false],
    ['bun.lock/file', false],
  ])('%s → %s', (path, wanted) => {
    expect(bunLockCataloger.wants(path)).toBe(wanted);
  });
});

describe('javascript/bun-lock', () => {
  it('lists every package with its line, skipping workspace entries', async () => {
    const { packages, issues } = await catalog('workspaces');
    expect(issues).toBeUndefined();
    expect(packages.map((p) => `${p.name}@${p.version ?? ''}:${p.locations[0]!.line}`)).toEqual([
      'ansi-styles@4.3.0:29',
      'chalk@4.1.2:31',
      'color-convert@2.0.1:33',
      'fsevents@2.3.3:35',
      'has-flag@4.0.0:37',
      'is-number@:39',
      'local-tools@:41',
      'supports-color@7.2.0:43',
      'typescript@5.4.5:45',
      'supports-color@5.5.0:50',
      'has-flag@3.0.0:52',
    ]);
  });

  it('derives scopes from what the workspaces declare', async () => {
    const { packages } = await catalog('workspaces');
    expect(find(packages, 'typescript', '5.4.5')).toMatchObject({ scope: 'dev', groups: ['dev'] });
    expect(find(packages, 'fsevents', '2.3.3')).toMatchObject({ scope: 'optional', groups: ['optional'] });
    expect(find(packages, 'color-convert', '2.0.1').scope).toBe('required');
    expect(find(packages, 'color-convert', '2.0.1').groups).toBeUndefined();
  });

  it('marks the dependencies of every workspace as direct', async () => {
    const { packages } = await catalog('workspaces');
    expect(packages.filter((p) => p.direct).map((p) => `${p.name}@${p.version ?? ''}`)).toEqual([
      'chalk@4.1.2',
      'fsevents@2.3.3',
      'is-number@',
      'local-tools@',
      'typescript@5.4.5',
      'supports-color@5.5.0',
    ]);
  });

  it('resolves edges to the nearest nested copy first', async () => {
    const { packages } = await catalog('workspaces');
    expect(find(packages, 'chalk', '4.1.2').dependsOn).toEqual(['pkg:npm/ansi-styles@4.3.0', 'pkg:npm/supports-color@7.2.0']);
    expect(find(packages, 'supports-color', '7.2.0').dependsOn).toEqual(['pkg:npm/has-flag@4.0.0']);
    expect(find(packages, 'supports-color', '5.5.0').dependsOn).toEqual(['pkg:npm/has-flag@3.0.0']);
  });

  it('records git commits and local tarballs in the purl, without a version', async () => {
    const { packages } = await catalog('workspaces');
    expect(find(packages, 'is-number')).toMatchObject({
      commit: '98e8ff1',
      purl: `pkg:npm/is-number?vcs_url=${encodeURIComponent('git+https://github.com/jonschlinkert/is-number@98e8ff1')}`,
    });
    expect(find(packages, 'local-tools').purl).toBe(
      `pkg:npm/local-tools?download_url=${encodeURIComponent('./vendor/local-tools-1.0.0.tgz')}`,
    );
  });

  it('keeps same-named packages from different local tarballs apart', async () => {
    const { packages } = await catalogText(`{
  "lockfileVersion": 1,
  "workspaces": { "": { "dependencies": { "tools-a": "./a.tgz", "tools-b": "../b.tgz" } } },
  "packages": {
    "tools-a": ["@acme/tools@./a.tgz", {}, "sha512-AAAA"],
    "tools-b": ["@acme/tools@../b.tgz", {}, "sha512-BBBB"],
  }
}`);
    expect(packages.map((p) => p.purl)).toEqual([
      `pkg:npm/%40acme/tools?download_url=${encodeURIComponent('./a.tgz')}`,
      `pkg:npm/%40acme/tools?download_url=${encodeURIComponent('../b.tgz')}`,
    ]);
  });

  it('names aliased packages after the real package', async () => {
    const { packages } = await catalogText(`{
  "lockfileVersion": 0,
  "workspaces": { "": { "dependencies": { "color-old": "npm:supports-color@^6.0.0" } } },
  "packages": {
    "color-old": ["supports-color@6.1.0", "", {}, "sha512-AAAA"],
  }
}`);
    expect(packages).toMatchObject([{ name: 'supports-color', version: '6.1.0', direct: true, locations: [{ line: 5 }] }]);
  });

  it('returns nothing for an empty lockfile', async () => {
    expect(await catalogText('{}')).toEqual({ packages: [] });
    expect(await catalogText('{ "lockfileVersion": 0, "workspaces": { "": {} } }')).toEqual({ packages: [] });
  });

  it('skips an identifier it cannot read, with an issue', async () => {
    const { packages, issues } = await catalog('unreadable-ident');
    expect(packages.map((p) => p.purl)).toEqual(['pkg:npm/wrappy@1.0.2']);
    expect(issues).toEqual([{ path: 'bun.lock', line: 5, message: 'skipped `mystery`: cannot read "mystery" as name@version' }]);
  });
});

describe('javascript/bun-lock bad input', () => {
  it('rejects a package that is not a tuple, with its line', async () => {
    const err = await catalog('bad-tuple').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParseError);
    expect((err as ParseError).message).toMatch(/wrappy-bad/);
    expect((err as ParseError).line).toBe(12);
  });

  it('rejects an unknown lockfileVersion', async () => {
    await expect(catalog('unsupported-version')).rejects.toThrow(/unsupported lockfileVersion 7/);
  });

  it('reports where an unterminated comment breaks the file', async () => {
    const err = await catalog('unterminated').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParseError);
    expect((err as ParseError).line).toBe(10);
  });

  it.each([
    ['not JSON', 'this is not json!'],
    ['null', 'null'],
    ['binary junk', '\u0000\u0001\u0002bun-lockfile-format-v0\u0000'],
    ['`packages` of the wrong type', '{"lockfileVersion": 1, "packages": []}'],
    ['`workspaces` of the wrong type', '{"lockfileVersion": 1, "workspaces": 3}'],
  ])('throws ParseError for %s', async (_case, text) => {
    await expect(catalogText(text)).rejects.toBeInstanceOf(ParseError);
  });
});

describe('stripJsonc', () => {
  it('blanks comments and trailing commas without moving anything', () => {
    const text = '{\n  // note\n  "a": [1, 2,], /* x\n y */ "b": "// not a comment, ]",\n}';
    const stripped = stripJsonc(text);
    expect(stripped).toHaveLength(text.length);
    expect(stripped.split('\n')).toHaveLength(text.split('\n').length);
    expect(JSON.parse(stripped)).toEqual({ a: [1, 2], b: '// not a comment, ]' });
  });

  it('leaves escaped quotes inside strings alone', () => {
    expect(JSON.parse(stripJsonc('{"a": "say \\"hi\\", // ok",}'))).toEqual({ a: 'say "hi", // ok' });
  });
});
