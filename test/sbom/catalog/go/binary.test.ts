import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CatalogInput } from '../../../../src/sbom/catalog/cataloger.ts';
import { goBinaryCataloger } from '../../../../src/sbom/catalog/go/binary.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';
import { repoRoot } from '../../../helpers/corpus.ts';

const fixtures = join(repoRoot, 'test/fixtures/catalog/go-binary');

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const START_SENTINEL = Buffer.from('3077af0c9274080241e1c107e6d618e6', 'hex');
const END_SENTINEL = Buffer.from('f932433186182072008242104116d8f2', 'hex');
const ELF = Buffer.from('7f454c46020101000000000000000000', 'hex');
const PE = Buffer.from('MZ\x90\x00', 'latin1');
const MACHO_ARM64 = Buffer.from('cffaedfe0c000001', 'hex');

function uvarint(n: number): Buffer {
  const bytes: number[] = [];
  while (n >= 0x80) {
    bytes.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

/** The `.go.buildinfo` layout of Go ≥ 1.18: 32-byte header, then two uvarint-prefixed strings. */
function buildInfo(goVersion: string, modinfoLines: string[], flags = 0x2): Buffer {
  const header = Buffer.alloc(32);
  MAGIC.copy(header);
  header[14] = 8;
  header[15] = flags;
  const version = Buffer.from(goVersion);
  const modinfo = Buffer.concat([START_SENTINEL, Buffer.from(modinfoLines.map((l) => `${l}\n`).join('')), END_SENTINEL]);
  return Buffer.concat([header, uvarint(version.length), version, uvarint(modinfo.length), modinfo]);
}

/** An executable-looking file: a format magic, some padding, the build info, more padding. */
function executable(head: Buffer, ...parts: Buffer[]): Buffer {
  return Buffer.concat([head, Buffer.alloc(64), ...parts, Buffer.alloc(64)]);
}

function bytesInput(data: Buffer, path = 'bin/app'): CatalogInput {
  return {
    path,
    bytes: async () => data,
    head: async (n: number) => data.subarray(0, n),
    text: async () => data.toString('utf8'),
    sibling: async () => undefined,
  };
}

const summary = (pkgs: { name: string; version?: string; purl: string }[]) => pkgs.map((p) => [p.name, p.version, p.purl]);

const MODINFO = [
  'path\texample.com/cmd/app',
  'mod\texample.com/cmd\tv1.4.0\th1:main=',
  'dep\tgithub.com/spf13/cobra\tv1.8.0\th1:cobra=',
  'dep\tgolang.org/x/net\tv0.17.0\th1:net=',
  '=>\tgolang.org/x/net\tv0.23.0\th1:net2=',
  'dep\texample.com/internal\tv0.0.0',
  '=>\t../internal\t(devel)\t',
  'dep\tgolang.org/x/sys\tv0.0.0-20220715151400-c0bba94af5f8\th1:sys=',
  'build\t-compiler=gc',
  'build\tGOOS=linux',
];

describe('go/binary', () => {
  it('reads a real Go 1.19 executable (see build-hello.sh)', async () => {
    const { packages, issues } = await goBinaryCataloger.catalog(fileInput(fixtures, 'hello-go1.19-linux-amd64'));
    expect(issues).toBeUndefined();
    // Main module `(devel)` and the `./local` replacement are not registry modules.
    expect(summary(packages)).toEqual([
      ['example.com/greet', '1.2.0', 'pkg:golang/example.com/greet@v1.2.0'],
      ['example.com/new', '1.1.0', 'pkg:golang/example.com/new@v1.1.0'],
      ['stdlib', '1.19.8', 'pkg:golang/stdlib@1.19.8'],
    ]);
    expect(packages[0]).toMatchObject({
      ecosystem: 'Go',
      scope: 'required',
      locations: [{ path: 'hello-go1.19-linux-amd64' }],
    });
  });

  it.each([
    ['ELF', ELF],
    ['PE', PE],
    ['Mach-O', MACHO_ARM64],
  ])('reads the main module, dependencies with replacements applied and stdlib from %s', async (_name, head) => {
    const { packages, issues } = await goBinaryCataloger.catalog(
      bytesInput(executable(head, buildInfo('go1.22.3', MODINFO))),
    );
    expect(issues).toBeUndefined();
    expect(summary(packages)).toEqual([
      ['example.com/cmd', '1.4.0', 'pkg:golang/example.com/cmd@v1.4.0'],
      ['github.com/spf13/cobra', '1.8.0', 'pkg:golang/github.com/spf13/cobra@v1.8.0'],
      ['golang.org/x/net', '0.23.0', 'pkg:golang/golang.org/x/net@v0.23.0'],
      ['golang.org/x/sys', '0.0.0-20220715151400-c0bba94af5f8', 'pkg:golang/golang.org/x/sys@v0.0.0-20220715151400-c0bba94af5f8'],
      ['stdlib', '1.22.3', 'pkg:golang/stdlib@1.22.3'],
    ]);
  });

  it('lists a module that replaces two others once', async () => {
    const modinfo = [
      'dep\tgithub.com/a/x\tv1.0.0',
      '=>\tgithub.com/fork/x\tv1.0.1\th1:f=',
      'dep\tgithub.com/b/x\tv1.0.0',
      '=>\tgithub.com/fork/x\tv1.0.1\th1:f=',
    ];
    const { packages } = await goBinaryCataloger.catalog(bytesInput(executable(ELF, buildInfo('go1.22.3', modinfo))));
    expect(packages.map((p) => p.purl)).toEqual(['pkg:golang/github.com/fork/x@v1.0.1', 'pkg:golang/stdlib@1.22.3']);
  });

  it.each([
    ['go1.22.3 X:loopvar', '1.22.3'],
    ['go1.22.3-X:boringcrypto', '1.22.3'],
    ['go1.21.5 (Red Hat 1.21.5-1.el9)', '1.21.5'],
    ['go1.23.6-xyz', '1.23.6'],
    ['go1.21rc2', '1.21rc2'],
  ])('takes the stdlib version from %s', async (goVersion, want) => {
    const data = executable(ELF, buildInfo(goVersion, ['path\tx', 'mod\tx\t(devel)\t']));
    const { packages } = await goBinaryCataloger.catalog(bytesInput(data));
    expect(summary(packages)).toEqual([['stdlib', want, `pkg:golang/stdlib@${want}`]]);
  });

  it('lists no stdlib for a development toolchain, with an issue', async () => {
    const data = executable(ELF, buildInfo('devel go1.23-abc123 Tue Jan 2 2024', ['dep\tgithub.com/a/b\tv1.0.0\th1:x=']));
    const { packages, issues } = await goBinaryCataloger.catalog(bytesInput(data));
    expect(summary(packages)).toEqual([['github.com/a/b', '1.0.0', 'pkg:golang/github.com/a/b@v1.0.0']]);
    expect(issues).toEqual([{ path: 'bin/app', message: expect.stringContaining('devel go1.23') }]);
  });

  it('skips the magic where it is only a string constant (a binary that reads build info itself)', async () => {
    const constant = Buffer.concat([MAGIC, Buffer.from('debug/buildinfo: not a Go executable')]);
    const data = executable(ELF, constant, Buffer.alloc(40), buildInfo('go1.22.3', ['path\tx']));
    const { packages, issues } = await goBinaryCataloger.catalog(bytesInput(data));
    expect(issues).toBeUndefined();
    expect(summary(packages)).toEqual([['stdlib', '1.22.3', 'pkg:golang/stdlib@1.22.3']]);
  });

  it('reports the pre-1.18 pointer format as unsupported instead of silently listing nothing', async () => {
    const header = Buffer.alloc(32);
    MAGIC.copy(header);
    header[14] = 8;
    header[15] = 0;
    header.writeBigUInt64LE(0x4d0000n, 16);
    header.writeBigUInt64LE(0x4d0010n, 24);
    const { packages, issues } = await goBinaryCataloger.catalog(bytesInput(executable(ELF, header)));
    expect(packages).toEqual([]);
    expect(issues).toEqual([{ path: 'bin/app', message: expect.stringContaining('pre-1.18 pointer format') }]);
  });

  it('reports build info whose strings run past the end of the file', async () => {
    const whole = buildInfo('go1.22.3', MODINFO);
    const data = Buffer.concat([ELF, Buffer.alloc(64), whole.subarray(0, whole.length - 40)]);
    const { packages, issues } = await goBinaryCataloger.catalog(bytesInput(data));
    expect(packages).toEqual([]);
    expect(issues).toEqual([{ path: 'bin/app', message: expect.stringContaining('could not be decoded') }]);
  });

  it('returns nothing, without an issue, for executables that are not Go and for non-executables', async () => {
    expect(await goBinaryCataloger.catalog(bytesInput(executable(ELF)))).toEqual({ packages: [] });
    const script = Buffer.concat([Buffer.from('#!/bin/sh\n# '), buildInfo('go1.22.3', MODINFO)]);
    expect(await goBinaryCataloger.catalog(bytesInput(script))).toEqual({ packages: [] });
    expect(await goBinaryCataloger.catalog(bytesInput(Buffer.alloc(0)))).toEqual({ packages: [] });
  });

  it('wants files that may be executables, by path alone', () => {
    for (const path of ['app', 'bin/kubectl', 'dist/app.exe', 'usr/local/bin/kubectl-1.28.2', 'tool_0.4.1_linux_amd64', 'x.BIN']) {
      expect(goBinaryCataloger.wants(path), path).toBe(true);
    }
    for (const path of [
      'README.md',
      'go.mod',
      'main.go',
      'archive.tar.gz',
      'specifications/rake-13.0.6.gemspec',
      'config/app.properties',
      'lib/libc.so.6',
      'lib/plugin.so',
      '.bashrc',
      'node_modules/esbuild/bin/esbuild',
      'web/node_modules/.bin/tsc',
      'app/__pycache__/mod',
    ]) {
      expect(goBinaryCataloger.wants(path), path).toBe(false);
    }
  });
});
