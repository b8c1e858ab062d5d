import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import type { CatalogInput } from '../../../../src/sbom/catalog/cataloger.ts';
import { goModCataloger } from '../../../../src/sbom/catalog/go/go-mod.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';
import { repoRoot } from '../../../helpers/corpus.ts';

const fixtures = join(repoRoot, 'test/fixtures/catalog/go-mod');

function textInput(text: string, siblings: Record<string, string> = {}): CatalogInput {
  return {
    path: 'app/go.mod',
    text: async () => text,
    bytes: async () => Buffer.from(text),
    head: async (n: number) => Buffer.from(text).subarray(0, n),
    sibling: async (rel) => siblings[rel],
  };
}

async function catalog(input: CatalogInput) {
  const result = await goModCataloger.catalog(input);
  const byName = (name: string) => result.packages.filter((p) => p.name === name);
  return { ...result, byName };
}

describe('go/go-mod', () => {
  it('wants go.mod files only', () => {
    expect(goModCataloger.wants('go.mod')).toBe(true);
    expect(goModCataloger.wants('services/api/go.mod')).toBe(true);
    expect(goModCataloger.wants('go.sum')).toBe(false);
    expect(goModCataloger.wants('go.mod.bak')).toBe(false);
    expect(goModCataloger.wants('path/to/go.mod/file')).toBe(false);
    expect(goModCataloger.wants('path.to.go.mod')).toBe(false);
    expect(goModCataloger.wants('go.work')).toBe(false);
  });

  it('reads every directive form, applying exclude and replace', async () => {
    const { packages, issues } = await catalog(fileInput(join(fixtures, 'directives'), 'go.mod'));
    expect(issues).toBeUndefined();
    const summary = packages.map((p) => [p.name, p.version, p.locations[0]?.line, p.direct, p.groups]);
    expect(summary).toEqual([
      ['github.com/BurntSushi/toml', '1.3.2', 13, true, undefined],
      ['golang.org/x/text', '0.14.0', 16, true, undefined],
      ['gopkg.in/yaml.v3', '3.0.1', 17, true, undefined],
      ['github.com/davecgh/go-spew', '1.1.1', 18, false, ['indirect']],
      ['github.com/pmezard/go-difflib', '1.0.0', 19, false, ['indirect']],
      // Replaced with a newer version of itself: the replace line says which version is used.
      ['golang.org/x/net', '0.23.0', 33, false, ['indirect']],
      ['github.com/docker/docker', '24.0.7+incompatible', 21, true, undefined],
      // example.com/internal/lib is replaced by ../lib: listed by its path, without a version;
      // excluded/mod is excluded.
      ['../lib', undefined, 38, true, ['local']],
      ['github.com/fork/errors', '0.9.2', 37, true, undefined],
      // The toolchain line wins over `go 1.22`.
      ['stdlib', '1.22.4', 6, undefined, ['unpinned']],
    ]);
  });

  it('keeps the Go version form in purls and marks every module required', async () => {
    const { byName } = await catalog(fileInput(join(fixtures, 'directives'), 'go.mod'));
    expect(byName('github.com/BurntSushi/toml')[0]).toMatchObject({
      ecosystem: 'Go',
      purl: 'pkg:golang/github.com/BurntSushi/toml@v1.3.2',
      scope: 'required',
      locations: [{ path: 'go.mod', line: 13 }],
    });
    expect(byName('gopkg.in/yaml.v3')[0]?.purl).toBe('pkg:golang/gopkg.in/yaml.v3@v3.0.1');
    expect(byName('stdlib')[0]?.purl).toBe('pkg:golang/stdlib@1.22.4');
  });

  it('adds go.sum modules for go < 1.17, where go.mod leaves indirect ones out', async () => {
    const { packages, issues } = await catalog(fileInput(join(fixtures, 'go-1.16'), 'go.mod'));
    expect(issues).toBeUndefined();
    expect(packages.map((p) => [p.name, p.version, p.locations[0], p.direct])).toEqual([
      ['github.com/sirupsen/logrus', '1.8.1', { path: 'go.mod', line: 6 }, true],
      ['github.com/fork/errors', '0.9.2', { path: 'go.mod', line: 10 }, true],
      ['stdlib', '1.16', { path: 'go.mod', line: 3 }, undefined],
      // Only `h1:` source hashes count; modules go.mod names (logrus 1.8.0 is stale) are not added again.
      ['github.com/davecgh/go-spew', '1.1.1', { path: 'go.sum', line: 2 }, false],
      ['golang.org/x/sys', '0.0.0-20191026070338-33540a1f6037', { path: 'go.sum', line: 9 }, false],
    ]);
  });

  it('ignores go.sum from Go 1.17 on', async () => {
    const mod = 'module m\n\ngo 1.17\n\nrequire github.com/sirupsen/logrus v1.8.1\n';
    const sum = 'golang.org/x/sys v0.1.0 h1:abc=\n';
    const { packages } = await catalog(textInput(mod, { 'go.sum': sum }));
    expect(packages.map((p) => p.name)).toEqual(['github.com/sirupsen/logrus', 'stdlib']);
  });

  it('ignores a go.sum it cannot read, with an issue', async () => {
    const { packages, issues } = await catalog(fileInput(join(fixtures, 'go-1.16-bad-sum'), 'go.mod'));
    expect(packages.map((p) => p.name)).toEqual(['github.com/sirupsen/logrus', 'stdlib']);
    expect(issues).toEqual([{ path: 'go.sum', line: 2, message: expect.stringContaining('go.sum ignored') }]);
  });

  it('replaces every version when the replace names none, and merges what becomes identical', async () => {
    const mod = [
      'require (',
      '\tgolang.org/x/net v1.2.3',
      '\tgolang.org/x/net v0.5.6 // indirect',
      ')',
      'replace golang.org/x/net => example.com/fork/net v1.4.5',
    ].join('\n');
    const { packages } = await catalog(textInput(mod));
    expect(packages).toHaveLength(1);
    expect(packages[0]).toMatchObject({ name: 'example.com/fork/net', version: '1.4.5', direct: true });
  });

  it('prefers a versioned replacement over an all-versions one, whatever the order', async () => {
    const mod = [
      'require example.com/a v1.0.0',
      'require example.com/a v2.0.0+incompatible',
      'replace example.com/a v1.0.0 => example.com/b v1.0.1',
      'replace example.com/a => example.com/c v3.0.0',
    ].join('\n');
    const { packages } = await catalog(textInput(mod));
    expect(packages.map((p) => `${p.name}@${p.version}`)).toEqual(['example.com/b@1.0.1', 'example.com/c@3.0.0']);
  });

  it('makes no stdlib package without a go directive, and none for `toolchain default`', async () => {
    expect((await catalog(textInput('module m\n'))).packages).toEqual([]);
    const { packages } = await catalog(textInput('module m\ngo 1.21rc2\ntoolchain default\n'));
    expect(packages.map((p) => [p.name, p.version])).toEqual([['stdlib', '1.21rc2']]);
  });

  it('reads an empty file and a file of comments as no packages', async () => {
    expect((await catalog(textInput(''))).packages).toEqual([]);
    expect((await catalog(textInput('// nothing yet\r\n\r\n'))).packages).toEqual([]);
  });

  it('skips odd entries with an issue and keeps the rest', async () => {
    const mod = [
      'require (',
      '\tgithub.com/ok/mod v1.0.0',
      '\tgithub.com/no/version',
      '\tgithub.com/bad/version v1.2',
      ')',
      'replace github.com/ok/mod => github.com/other/mod',
      'exclude github.com/ok/mod',
    ].join('\n');
    const { packages, issues } = await catalog(textInput(mod));
    expect(packages.map((p) => `${p.name}@${p.version}`)).toEqual(['github.com/ok/mod@1.0.0']);
    expect(issues?.map((i) => i.line)).toEqual([3, 4, 6, 7]);
    expect(issues?.every((i) => i.path === 'app/go.mod')).toBe(true);
  });

  it.each([
    ['a file that is not go.mod', 'this is not a go.mod file!\n', 1, /unknown directive `this`/],
    ['an unterminated block', 'module m\nrequire (\n\tgithub.com/a/b v1.0.0\n', 2, /unterminated `require \(` block/],
    ['a stray parenthesis', 'require github.com/a/b v1.0.0 )\n', 1, /parenthesis/],
    ['an unterminated string', 'module "example.com/m\n', 1, /unterminated quoted string/],
    ['JSON', '{"require": []}\n', 1, /unknown directive/],
    ['binary junk', '\u0000\u0001ELF\u0002\n', 1, /unknown directive/],
  ])('throws ParseError with the line for %s', async (_name, text, line, message) => {
    const error = await goModCataloger.catalog(textInput(text)).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ParseError);
    expect((error as ParseError).line).toBe(line);
    expect((error as ParseError).message).toMatch(message);
  });
});
