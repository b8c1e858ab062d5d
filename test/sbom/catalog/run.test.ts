import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogPath, catalogTree, mergePackages } from '../../../src/sbom/catalog/run.ts';
import { memoryInput, type FileTree } from '../../../src/sbom/catalog/tree.ts';
import { PalisadeError } from '../../../src/core/errors.ts';
import { makePurl } from '../../../src/core/purl.ts';
import type { Package } from '../../../src/core/types.ts';

const lock = (deps: Record<string, string>) =>
  JSON.stringify({
    name: 'app',
    lockfileVersion: 3,
    packages: { '': { name: 'app' }, ...Object.fromEntries(Object.entries(deps).map(([n, v]) => [`node_modules/${n}`, { version: v }])) },
  });

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'palisade-run-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

describe('catalog runner', () => {
  it('catalogs every supported file of a tree and merges packages by purl', async () => {
    const root = tree({
      'a/package-lock.json': lock({ lodash: '4.17.21', ms: '2.1.3' }),
      'b/package-lock.json': lock({ lodash: '4.17.21' }),
      'svc/requirements.txt': 'flask==2.0.1\n',
      'README.md': '# not a lockfile',
    });
    const report = await catalogPath(root);
    expect(report.files).toEqual(['a/package-lock.json', 'b/package-lock.json', 'svc/requirements.txt']);
    expect(report.issues).toEqual([]);
    const lodash = report.packages.find((p) => p.name === 'lodash')!;
    expect(lodash.locations.map((l) => l.path)).toEqual(['a/package-lock.json', 'b/package-lock.json']);
    expect(report.packages.map((p) => p.name).sort()).toEqual(['flask', 'lodash', 'ms']);
  });

  it('reports a malformed, a truncated and an unreadable file, and still catalogs the rest', async () => {
    const root = tree({
      'good/package-lock.json': lock({ ms: '2.1.3' }),
      'bad/package-lock.json': '{"lockfileVersion": 3, "packages": {',
      'junk/Cargo.lock': '\u0000\u0001\u0002binary junk\u00ff',
      'locked/poetry.lock': '[[package]]\nname = "x"\nversion = "1"\n',
    });
    chmodSync(join(root, 'locked/poetry.lock'), 0o000);
    const report = await catalogPath(root);
    expect(report.packages.map((p) => p.name)).toContain('ms');
    const paths = report.issues.map((i) => i.path);
    expect(paths).toContain('bad/package-lock.json');
    expect(paths).toContain('junk/Cargo.lock');
    // root can read anything; only check the unreadable file when permissions apply.
    if (process.getuid?.() !== 0) expect(paths).toContain('locked/poetry.lock');
  });

  it('does not follow a symlink loop, and reports a looping lockfile link', async () => {
    const root = tree({ 'app/package-lock.json': lock({ ms: '2.1.3' }) });
    symlinkSync(join(root, 'app'), join(root, 'app', 'self'));
    symlinkSync(join(root, 'loop.json'), join(root, 'loop.json.tmp'));
    symlinkSync(join(root, 'loop.json.tmp'), join(root, 'loop.json'));
    symlinkSync('package-lock.json', join(root, 'package-lock.json'));
    const report = await catalogPath(root);
    expect(report.packages.map((p) => p.name)).toEqual(['ms']);
    expect(report.issues).toContainEqual(expect.objectContaining({ path: 'package-lock.json', message: expect.stringMatching(/symlink/) }));
  });

  it('skips directories named by --skip-dirs', async () => {
    const root = tree({ 'a/package-lock.json': lock({ ms: '2.1.3' }), 'vendor/x/package-lock.json': lock({ debug: '4.3.4' }) });
    const report = await catalogPath(root, { skipDirs: ['vendor'] });
    expect(report.packages.map((p) => p.name)).toEqual(['ms']);
  });

  it('catalogs a single lockfile, and rejects a file no cataloger reads', async () => {
    const root = tree({ 'package-lock.json': lock({ ms: '2.1.3' }), 'notes.txt': 'hello' });
    const report = await catalogPath(join(root, 'package-lock.json'));
    expect(report.target.kind).toBe('lockfile');
    expect(report.packages).toHaveLength(1);
    await expect(catalogPath(join(root, 'notes.txt'))).rejects.toThrow(PalisadeError);
    await expect(catalogPath(join(root, 'missing'))).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND' });
  });

  it('recognises a single file by its directory when the format needs it (requirements/dev.txt)', async () => {
    const root = tree({ 'requirements/dev.txt': 'pytest==8.0.0\n' });
    const report = await catalogPath(join(root, 'requirements/dev.txt'));
    expect(report.packages.map((p) => `${p.name}@${p.version}`)).toEqual(['pytest@8.0.0']);
    expect(report.packages[0]!.locations[0]!.path).toBe('requirements/dev.txt');
  });

  it('catalogs an in-memory tree and stamps locations with the layer that added each file', async () => {
    const files = new Map([['app/package-lock.json', Buffer.from(lock({ ms: '2.1.3' }))]]);
    const layer = { digest: 'sha256:abc', diffId: 'sha256:def', createdBy: 'COPY . /app' };
    const mem: FileTree = {
      list: async (wants) => ({ files: [...files.keys()].filter(wants), issues: [] }),
      size: async (p) => files.get(p)!.length,
      input: (p) => memoryInput(p, files.get(p)!, (s) => files.get(s)),
      layerOf: () => layer,
    };
    const report = await catalogTree(mem, { kind: 'image', name: 'example:1' });
    expect(report.packages[0]!.locations[0]).toMatchObject({ path: 'app/package-lock.json', layer });
  });
});

describe('mergePackages', () => {
  const pkg = (scope: Package['scope'], path: string, dependsOn?: string[]): Package => ({
    name: 'a',
    version: '1.0.0',
    ecosystem: 'npm',
    purl: makePurl('npm', 'a', '1.0.0'),
    locations: [{ path }],
    scope,
    ...(dependsOn && { dependsOn }),
  });

  it('keeps one component per purl: required wins over dev, locations and edges are unioned', () => {
    const [merged] = mergePackages([pkg('dev', 'x/package-lock.json', ['pkg:npm/b@1']), pkg('required', 'y/package-lock.json', ['pkg:npm/c@1'])]);
    expect(merged).toMatchObject({ scope: 'required', dependsOn: ['pkg:npm/b@1', 'pkg:npm/c@1'] });
    expect(merged!.locations).toHaveLength(2);
  });
});

describe('unsupported lockfiles', () => {
  it('reports a binary bun.lockb instead of cataloguing nothing in silence, unless bun.lock is beside it', async () => {
    const alone = await catalogPath(tree({ 'app/bun.lockb': '\u0000binary' }));
    expect(alone.issues).toEqual([expect.objectContaining({ path: 'app/bun.lockb', message: expect.stringMatching(/^unsupported: binary bun\.lockb/) })]);
    const withText = await catalogPath(tree({ 'app/bun.lockb': '\u0000binary', 'app/bun.lock': '{"lockfileVersion": 1, "workspaces": {"": {}}, "packages": {}}' }));
    expect(withText.issues).toEqual([]);
  });
});
