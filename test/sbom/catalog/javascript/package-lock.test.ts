import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import type { Package } from '../../../../src/core/types.ts';
import { gitSource } from '../../../../src/sbom/catalog/javascript/npm-support.ts';
import { packageLockCataloger } from '../../../../src/sbom/catalog/javascript/package-lock.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';

const fixtures = join(import.meta.dirname, '../../../fixtures/catalog/package-lock');

async function catalog(caseName: string, file = 'package-lock.json') {
  return packageLockCataloger.catalog(fileInput(join(fixtures, caseName), file));
}

/** Catalog a lockfile given as text (bad-input cases). */
async function catalogText(text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-package-lock-'));
  writeFileSync(join(dir, 'package-lock.json'), text);
  return packageLockCataloger.catalog(fileInput(dir, 'package-lock.json'));
}

function find(packages: Package[], name: string, version?: string): Package {
  const pkg = packages.find((p) => p.name === name && p.version === version);
  if (!pkg) throw new Error(`no ${name}@${version} in ${packages.map((p) => `${p.name}@${p.version}`).join(', ')}`);
  return pkg;
}

describe('javascript/package-lock wants()', () => {
  it.each([
    ['package-lock.json', true],
    ['web/npm-shrinkwrap.json', true],
    ['apps/site/package-lock.json', true],
    ['node_modules/left-pad/package-lock.json', false],
    ['a/node_modules/b/npm-shrinkwrap.json', false],
    ['node_modules/.package-lock.json', false],
    ['package-lock.json.bak', false],
    ['my-package-lock.json', false],
    ['package-lock.json/readme', false],
  ])('%s → %s', (path, wanted) => {
    expect(packageLockCataloger.wants(path)).toBe(wanted);
  });
});

describe('javascript/package-lock v3 with workspaces', () => {
  it('skips the workspace itself but catalogues what it depends on', async () => {
    const { packages, issues } = await catalog('v3-workspaces');
    expect(issues).toBeUndefined();
    expect(packages.map((p) => `${p.name}@${p.version}`).sort()).toEqual([
      'debug@2.6.9',
      'debug@4.3.4',
      'eslint@8.57.0',
      'express@4.18.2',
      'fsevents@2.3.3',
      'left-pad@1.3.0',
      'local-utils@0.3.0',
      'ms@2.0.0',
      'ms@2.1.2',
      'string-width@4.2.3',
      'typescript@5.4.5',
    ]);
    expect(packages.some((p) => p.name === '@shop/api')).toBe(false);
    // The workspace's own dependencies are direct dependencies of the project.
    expect(find(packages, 'debug', '2.6.9').direct).toBe(true);
    expect(find(packages, 'typescript', '5.4.5').direct).toBe(true);
  });

  it('reports the line of each entry and its licence', async () => {
    const { packages } = await catalog('v3-workspaces');
    expect(find(packages, 'express', '4.18.2')).toMatchObject({
      purl: 'pkg:npm/express@4.18.2',
      locations: [{ path: 'package-lock.json', line: 66 }],
      licenses: ['MIT'],
      direct: true,
      scope: 'required',
    });
    expect(find(packages, 'debug', '4.3.4').locations).toEqual([{ path: 'package-lock.json', line: 51 }]);
  });

  it('maps dev, optional, devOptional, peer and inBundle to scope and groups', async () => {
    const { packages } = await catalog('v3-workspaces');
    expect(find(packages, 'eslint', '8.57.0')).toMatchObject({ scope: 'dev', groups: ['dev'] });
    expect(find(packages, 'fsevents', '2.3.3')).toMatchObject({ scope: 'dev', groups: ['dev', 'optional'] });
    expect(find(packages, 'typescript', '5.4.5')).toMatchObject({ scope: 'optional', groups: ['dev', 'optional'] });
    expect(find(packages, 'left-pad', '1.3.0')).toMatchObject({ scope: 'required', groups: ['peer'] });
    expect(find(packages, 'string-width', '4.2.3')).toMatchObject({ scope: 'required', groups: ['bundled'] });
    expect(find(packages, 'ms', '2.0.0').groups).toBeUndefined();
  });

  it('resolves dependency edges to the nearest node_modules copy', async () => {
    const { packages } = await catalog('v3-workspaces');
    expect(find(packages, 'express', '4.18.2').dependsOn).toEqual(['pkg:npm/debug@2.6.9', 'pkg:npm/ms@2.0.0']);
    expect(find(packages, 'eslint', '8.57.0').dependsOn).toEqual(['pkg:npm/debug@4.3.4', 'pkg:npm/fsevents@2.3.3']);
    expect(find(packages, 'debug', '4.3.4').dependsOn).toEqual(['pkg:npm/ms@2.1.2']);
    // A file: dependency resolves its own dependencies from its folder up to the root.
    expect(find(packages, 'local-utils', '0.3.0').dependsOn).toEqual(['pkg:npm/ms@2.0.0']);
  });

  it('names aliases and file: targets after the package, not the folder', async () => {
    const { packages } = await catalog('v3-workspaces');
    expect(find(packages, 'string-width', '4.2.3').direct).toBe(true);
    expect(find(packages, 'local-utils', '0.3.0')).toMatchObject({ direct: true, locations: [{ line: 22 }] });
  });

  it('keeps the version of a git dependency and puts its commit in the purl', async () => {
    const { packages } = await catalog('v3-workspaces');
    expect(find(packages, 'left-pad', '1.3.0')).toMatchObject({
      commit: '5a1d2bd2e2d2e0b0a4c56ac3f4f1c1e1b8a7d6e5',
      purl:
        'pkg:npm/left-pad@1.3.0?vcs_url=' +
        encodeURIComponent('git+https://github.com/left-pad/left-pad@5a1d2bd2e2d2e0b0a4c56ac3f4f1c1e1b8a7d6e5'),
    });
  });
});

describe('javascript/package-lock v2', () => {
  it('reads `packages` and ignores the v1 `dependencies` section kept for old npm', async () => {
    const { packages } = await catalog('v2-both-sections');
    expect(packages).toEqual([
      {
        name: 'wrappy',
        version: '1.0.2',
        ecosystem: 'npm',
        purl: 'pkg:npm/wrappy@1.0.2',
        locations: [{ path: 'package-lock.json', line: 14 }],
        scope: 'required',
        direct: true,
      },
    ]);
  });

  it('reads the same format from npm-shrinkwrap.json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-shrinkwrap-'));
    writeFileSync(
      join(dir, 'npm-shrinkwrap.json'),
      JSON.stringify({ lockfileVersion: 3, packages: { 'node_modules/ms': { version: '2.1.3' } } }),
    );
    const { packages } = await packageLockCataloger.catalog(fileInput(dir, 'npm-shrinkwrap.json'));
    expect(packages.map((p) => p.purl)).toEqual(['pkg:npm/ms@2.1.3']);
  });

  it('lists one package per name and version, with every install path as a location', async () => {
    const { packages } = await catalogText(
      JSON.stringify(
        {
          lockfileVersion: 2,
          packages: {
            'node_modules/a': { version: '1.0.0', dependencies: { ms: '^2.0.0' } },
            'node_modules/a/node_modules/ms': { version: '2.1.3', dev: true },
            'node_modules/b/node_modules/ms': { version: '2.1.3' },
            'node_modules/ms': { version: '2.0.0' },
          },
        },
        null,
        2,
      ),
    );
    expect(find(packages, 'a', '1.0.0').dependsOn).toEqual(['pkg:npm/ms@2.1.3']);
    // dev only if every copy is dev.
    expect(find(packages, 'ms', '2.1.3')).toMatchObject({
      scope: 'required',
      locations: [
        { path: 'package-lock.json', line: 10 },
        { path: 'package-lock.json', line: 14 },
      ],
    });
    expect(find(packages, 'ms', '2.1.3').groups).toBeUndefined();
    expect(packages).toHaveLength(3);
  });

  it('skips an entry that is not an object with an issue', async () => {
    const { packages, issues } = await catalogText(
      '{\n  "lockfileVersion": 3,\n  "packages": {\n    "node_modules/bad": "1.0.0",\n    "node_modules/ok": {\n      "version": "1.0.0"\n    }\n  }\n}\n',
    );
    expect(packages.map((p) => p.purl)).toEqual(['pkg:npm/ok@1.0.0']);
    expect(issues).toEqual([{ path: 'package-lock.json', line: undefined, message: 'skipped `node_modules/bad`: the entry is not an object' }]);
  });
});

describe('javascript/package-lock v1', () => {
  it('walks the nested tree with lines, scopes and groups', async () => {
    const { packages } = await catalog('v1-nested');
    expect(packages.map((p) => `${p.name}@${p.version ?? ''}:${p.locations[0]!.line}:${p.scope}`)).toEqual([
      'chalk@2.4.2:7:required',
      'supports-color@5.5.0:15:required',
      'has-flag@3.0.0:25:required',
      'is-number@:30:dev',
      'lodash@4.17.21:35:required',
      'my-helpers@:40:required',
      'supports-color@7.2.0:46:dev',
      'has-flag@4.0.0:56:dev',
      'tarball-pkg@:65:required',
    ]);
    expect(find(packages, 'has-flag', '4.0.0').groups).toEqual(['dev', 'optional']);
  });

  it('resolves `requires` through the nested dependencies first', async () => {
    const { packages } = await catalog('v1-nested');
    expect(find(packages, 'chalk', '2.4.2').dependsOn).toEqual(['pkg:npm/supports-color@5.5.0']);
    expect(find(packages, 'supports-color', '5.5.0').dependsOn).toEqual(['pkg:npm/has-flag@3.0.0']);
    expect(find(packages, 'supports-color', '7.2.0').dependsOn).toEqual(['pkg:npm/has-flag@4.0.0']);
    expect(find(packages, 'my-helpers').dependsOn).toEqual(['pkg:npm/has-flag@3.0.0']);
  });

  it('takes direct dependencies from the package.json beside the lockfile', async () => {
    const { packages } = await catalog('v1-nested');
    expect(packages.filter((p) => p.direct).map((p) => p.name)).toEqual(['chalk', 'is-number', 'lodash']);
  });

  it('reads aliases, git commits, tarball URLs and file: paths without inventing versions', async () => {
    const { packages } = await catalog('v1-nested');
    expect(find(packages, 'lodash', '4.17.21').purl).toBe('pkg:npm/lodash@4.17.21');
    expect(find(packages, 'is-number')).toMatchObject({
      commit: 'af885e2e890b9ef0875edd2b117305119ee5bdc5',
      purl:
        'pkg:npm/is-number?vcs_url=' +
        encodeURIComponent('git+https://github.com/jonschlinkert/is-number@af885e2e890b9ef0875edd2b117305119ee5bdc5'),
    });
    expect(find(packages, 'tarball-pkg').purl).toBe(
      `pkg:npm/tarball-pkg?download_url=${encodeURIComponent('https://example.com/tarballs/tarball-pkg-1.0.0.tgz')}`,
    );
    expect(find(packages, 'my-helpers').purl).toBe('pkg:npm/my-helpers');
  });

  it('returns nothing for an empty tree', async () => {
    expect(await catalogText('{"lockfileVersion": 1, "requires": true, "dependencies": {}}')).toEqual({ packages: [] });
    expect(await catalogText('{"name": "no-deps", "lockfileVersion": 1}')).toEqual({ packages: [] });
  });
});

describe('javascript/package-lock bad input', () => {
  it.each([
    ['not JSON', 'this is not json!'],
    ['truncated', '{\n  "lockfileVersion": 3,\n  "packages": {\n    "node_modules/a": {'],
    ['null', 'null'],
    ['an array', '[]'],
    ['binary junk', '\u0000\u0001PK\u0003\u0004\u00ff'],
    ['an unknown lockfileVersion', '{"lockfileVersion": 4, "packages": {}}'],
    ['`packages` of the wrong type', '{"lockfileVersion": 3, "packages": []}'],
    ['`dependencies` of the wrong type', '{"lockfileVersion": 1, "dependencies": "x"}'],
  ])('throws ParseError for %s', async (_case, text) => {
    await expect(catalogText(text)).rejects.toBeInstanceOf(ParseError);
  });

  it('gives the line of a syntax error', async () => {
    const err = await catalogText('{\n  "lockfileVersion": 3,\n  "packages": {\n    "node_modules/a": { "version": 1.0.0 }\n  }\n}').catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ParseError);
    expect((err as ParseError).line).toBe(4);
  });

  it('rejects absurdly deep v1 nesting instead of overflowing the stack', async () => {
    let deps = '{}';
    for (let i = 0; i < 600; i++) deps = `{"a":{"version":"1.0.0","dependencies":${deps}}}`;
    await expect(catalogText(`{"lockfileVersion":1,"dependencies":${deps}}`)).rejects.toThrow(/nested more than/);
  });
});

describe('javascript/package-lock performance', () => {
  it('catalogues 5,000 packages in well under half a second', async () => {
    const packages: Record<string, unknown> = { '': { name: 'big', dependencies: { 'pkg-0': '^1.0.0' } } };
    for (let i = 0; i < 4000; i++) {
      packages[`node_modules/pkg-${i}`] = {
        version: `1.${i % 7}.0`,
        resolved: `https://registry.npmjs.org/pkg-${i}/-/pkg-${i}-1.0.0.tgz`,
        integrity: 'sha512-AAAA',
        dependencies: { [`pkg-${(i + 1) % 4000}`]: '^1.0.0', [`pkg-${(i + 7) % 4000}`]: '^1.0.0' },
      };
    }
    for (let i = 0; i < 1000; i++) packages[`node_modules/pkg-${i}/node_modules/pkg-${i + 1}`] = { version: '2.0.0' };
    const text = JSON.stringify({ lockfileVersion: 3, packages }, null, 2);
    const { packages: found } = await catalogText(text);
    expect(found).toHaveLength(5000);
    expect(found.find((p) => p.name === 'pkg-0')!.dependsOn).toEqual(['pkg:npm/pkg-1@2.0.0', 'pkg:npm/pkg-7@1.0.0']);
  });
});

describe('gitSource', () => {
  it.each([
    ['git+ssh://git@github.com/segmentio/analytics.js.git#3b1bb80b302c2e552685dc8a029797ec832ea7c9', 'https://github.com/segmentio/analytics.js', '3b1bb80b302c2e552685dc8a029797ec832ea7c9'],
    ['git+https://dummy-token@github.com/jonschlinkert/is-number.git#AF885E2', 'https://github.com/jonschlinkert/is-number', 'af885e2'],
    ['github:jonschlinkert/is-number#d5ac058', 'https://github.com/jonschlinkert/is-number', 'd5ac058'],
    ['gitlab:kornelski/babel-preset-php#1ae6dc1267500360b411ec711b8aeac8c68b2246', 'https://gitlab.com/kornelski/babel-preset-php', '1ae6dc1267500360b411ec711b8aeac8c68b2246'],
    ['git+ssh://gitlab:kornelski/babel-preset-php#1ae6dc1', 'https://gitlab.com/kornelski/babel-preset-php', '1ae6dc1'],
    ['git@bitbucket.org:team/repo.git#0123456789abcdef', 'https://bitbucket.org/team/repo', '0123456789abcdef'],
    ['git://github.com/brianfryer/slick#main', 'https://github.com/brianfryer/slick', undefined],
  ])('%s', (spec, repo, commit) => {
    expect(gitSource(spec)).toEqual(commit === undefined ? { repo } : { repo, commit });
  });
});
