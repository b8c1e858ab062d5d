import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import type { CatalogInput } from '../../../../src/sbom/catalog/cataloger.ts';
import { packagesConfigCataloger as cataloger } from '../../../../src/sbom/catalog/dotnet/packages-config.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';

const fixtures = join(import.meta.dirname, '../../../fixtures/catalog/packages-config');
const textInput = (text: string): CatalogInput => ({
  path: 'packages.config',
  text: async () => text,
  bytes: async () => Buffer.from(text),
  head: async (n) => Buffer.from(text).subarray(0, n),
  sibling: async () => undefined,
});

describe('dotnet/packages-config', () => {
  it('wants packages.config and packages.<project>.config', () => {
    expect(cataloger.wants('packages.config')).toBe(true);
    expect(cataloger.wants('src/Web/packages.config')).toBe(true);
    expect(cataloger.wants('src/Web/packages.Web.config')).toBe(true);
    expect(cataloger.wants('web.config')).toBe(false);
    expect(cataloger.wants('packages.config.bak')).toBe(false);
    expect(cataloger.wants('mypackages.config')).toBe(false);
  });

  it('reads packages with lines, development dependencies as dev, and skips incomplete ones', async () => {
    const { packages, issues } = await cataloger.catalog(fileInput(fixtures, 'packages.config'));
    expect(packages).toEqual([
      {
        name: 'Newtonsoft.Json',
        version: '13.0.3',
        ecosystem: 'NuGet',
        purl: 'pkg:nuget/Newtonsoft.Json@13.0.3',
        locations: [{ path: 'packages.config', line: 3 }],
        scope: 'required',
      },
      {
        name: 'Microsoft.Net.Compilers',
        version: '4.2.0',
        ecosystem: 'NuGet',
        purl: 'pkg:nuget/Microsoft.Net.Compilers@4.2.0',
        locations: [{ path: 'packages.config', line: 4 }],
        scope: 'dev',
        groups: ['dev'],
      },
      {
        name: 'Newtonsoft.Json',
        version: '13.0.3',
        ecosystem: 'NuGet',
        purl: 'pkg:nuget/Newtonsoft.Json@13.0.3',
        locations: [{ path: 'packages.config', line: 7 }],
        scope: 'required',
      },
    ]);
    expect(issues).toEqual([
      { path: 'packages.config', line: 5, message: 'package without a version; skipped' },
      { path: 'packages.config', line: 6, message: 'package without an id; skipped' },
    ]);
  });

  it('yields nothing for an empty list', async () => {
    expect(await cataloger.catalog(textInput('<packages/>'))).toEqual({ packages: [] });
  });

  it('rejects non-XML and other XML', async () => {
    await expect(cataloger.catalog(textInput('not\nxml'))).rejects.toBeInstanceOf(ParseError);
    await expect(cataloger.catalog(textInput('<configuration><appSettings/></configuration>'))).rejects.toThrow(
      /not a NuGet packages.config/,
    );
  });
});
