import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import type { CatalogInput } from '../../../../src/sbom/catalog/cataloger.ts';
import { packagesLockCataloger as cataloger } from '../../../../src/sbom/catalog/dotnet/packages-lock.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';

const fixtures = join(import.meta.dirname, '../../../fixtures/catalog/packages-lock');
const catalog = (root: string) => cataloger.catalog(fileInput(join(fixtures, root), 'packages.lock.json'));
const textInput = (text: string): CatalogInput => ({
  path: 'packages.lock.json',
  text: async () => text,
  bytes: async () => Buffer.from(text),
  head: async (n) => Buffer.from(text).subarray(0, n),
  sibling: async () => undefined,
});

describe('dotnet/packages-lock', () => {
  it('wants packages.lock.json only', () => {
    expect(cataloger.wants('packages.lock.json')).toBe(true);
    expect(cataloger.wants('src/App/packages.lock.json')).toBe(true);
    expect(cataloger.wants('package-lock.json')).toBe(false);
    expect(cataloger.wants('packages.lock.json.orig')).toBe(false);
    expect(cataloger.wants('my.packages.lock.json')).toBe(false);
  });

  it('reads v1: each framework, edges to resolved versions, Direct marked, projects skipped', async () => {
    const { packages, issues } = await catalog('v1');
    expect(issues).toBeUndefined();
    expect(packages[0]).toEqual({
      name: 'Serilog.Sinks.Console',
      version: '4.0.1',
      ecosystem: 'NuGet',
      purl: 'pkg:nuget/Serilog.Sinks.Console@4.0.1',
      locations: [{ path: 'packages.lock.json', line: 5 }],
      scope: 'required',
      direct: true,
      dependsOn: ['pkg:nuget/Serilog@2.10.0'],
    });
    // The runtime-specific section repeats Serilog; it gets its own line there.
    expect(packages.map((p) => [p.name, p.version, p.locations[0]?.line, p.direct ?? false])).toEqual([
      ['Serilog.Sinks.Console', '4.0.1', 5, true],
      ['Serilog', '2.10.0', 14, false],
      ['Newtonsoft.Json', '13.0.3', 25, false],
      ['Serilog', '2.10.0', 32, false],
    ]);
  });

  it('reads v2 with CentralTransitive entries and skips entries without a resolved version', async () => {
    const { packages, issues } = await catalog('v2');
    expect(packages.map((p) => [p.name, p.version, p.direct ?? false, p.dependsOn])).toEqual([
      ['Microsoft.Extensions.Logging', '8.0.0', true, ['pkg:nuget/Microsoft.Extensions.Logging.Abstractions@8.0.0']],
      ['Microsoft.Extensions.Logging.Abstractions', '8.0.0', false, undefined],
    ]);
    expect(issues).toEqual([{ path: 'packages.lock.json', line: 21, message: 'Broken.Entry has no resolved version; skipped' }]);
  });

  it('rejects unknown lockfile versions, non-JSON and other JSON', async () => {
    await expect(cataloger.catalog(textInput('{"version": 3, "dependencies": {}}'))).rejects.toThrow(/unsupported .* version 3/);
    await expect(cataloger.catalog(textInput('not\njson'))).rejects.toBeInstanceOf(ParseError);
    await expect(cataloger.catalog(textInput('[1, 2]'))).rejects.toThrow(/not a NuGet lockfile/);
    await expect(cataloger.catalog(textInput('{"name": "x"}'))).rejects.toThrow(/no `dependencies`/);
  });

  it('reports the line of a JSON syntax error', async () => {
    const err = await cataloger.catalog(textInput('{\n  "version": 1,\n  "dependencies": {,\n}')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParseError);
    expect((err as ParseError).line).toBe(3);
  });
});
