import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import type { CatalogInput } from '../../../../src/sbom/catalog/cataloger.ts';
import { depsJsonCataloger as cataloger } from '../../../../src/sbom/catalog/dotnet/deps-json.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';

const fixtures = join(import.meta.dirname, '../../../fixtures/catalog/deps-json');
const textInput = (text: string): CatalogInput => ({
  path: 'Tool.deps.json',
  text: async () => text,
  bytes: async () => Buffer.from(text),
  head: async (n) => Buffer.from(text).subarray(0, n),
  sibling: async () => undefined,
});

describe('dotnet/deps-json', () => {
  it('wants <app>.deps.json', () => {
    expect(cataloger.wants('App.deps.json')).toBe(true);
    expect(cataloger.wants('publish/My.Service.deps.json')).toBe(true);
    expect(cataloger.wants('.deps.json')).toBe(false);
    expect(cataloger.wants('App.deps')).toBe(false);
    expect(cataloger.wants('App.deps.json.bak')).toBe(false);
    expect(cataloger.wants('App.runtimeconfig.json')).toBe(false);
  });

  it('reads libraries with lines and edges, leaving out the app itself and bare references', async () => {
    const { packages, issues } = await cataloger.catalog(fileInput(fixtures, 'App.deps.json'));
    expect(packages).toEqual([
      {
        name: 'runtimepack.Microsoft.NETCore.App.Runtime.linux-x64',
        version: '8.0.1',
        ecosystem: 'NuGet',
        purl: 'pkg:nuget/runtimepack.Microsoft.NETCore.App.Runtime.linux-x64@8.0.1',
        locations: [{ path: 'App.deps.json', line: 55 }],
        scope: 'required',
        direct: true,
      },
      {
        name: 'Newtonsoft.Json',
        version: '13.0.3',
        ecosystem: 'NuGet',
        purl: 'pkg:nuget/Newtonsoft.Json@13.0.3',
        locations: [{ path: 'App.deps.json', line: 60 }],
        scope: 'required',
        direct: true,
      },
      {
        name: 'Shared',
        version: '2.1.0',
        ecosystem: 'NuGet',
        purl: 'pkg:nuget/Shared@2.1.0',
        locations: [{ path: 'App.deps.json', line: 67 }],
        scope: 'required',
        groups: ['project'],
        dependsOn: ['pkg:nuget/Newtonsoft.Json@13.0.3'],
        direct: true,
      },
    ]);
    expect(issues).toEqual([{ path: 'App.deps.json', line: 77, message: 'library NoVersion is not Name/Version; skipped' }]);
  });

  it('keeps project libraries when the file name does not say which one is the app', async () => {
    const text = '{"libraries": {"App/1.0.0": {"type": "project"}, "Dapper/2.1.24": {"type": "package"}}}';
    const { packages } = await cataloger.catalog(textInput(text));
    expect(packages.map((p) => [p.name, p.version, p.groups])).toEqual([
      ['App', '1.0.0', ['project']],
      ['Dapper', '2.1.24', undefined],
    ]);
  });

  it('ignores JavaScript *.deps.json lists', async () => {
    expect(await cataloger.catalog(fileInput(fixtures, 'editor.deps.json'))).toEqual({ packages: [] });
  });

  it('rejects non-JSON and JSON without libraries', async () => {
    await expect(cataloger.catalog(textInput('not\njson'))).rejects.toBeInstanceOf(ParseError);
    await expect(cataloger.catalog(textInput('{}'))).rejects.toThrow(/no `libraries`/);
  });
});
