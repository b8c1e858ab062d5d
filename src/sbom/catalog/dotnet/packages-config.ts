/**
 * NuGet `packages.config` (https://learn.microsoft.com/nuget/reference/packages-config), the
 * pre-PackageReference manifest: a flat `<packages>` list of every installed package, direct or
 * transitive, as `<package id version targetFramework developmentDependency allowedVersions/>`.
 * NuGet also reads `packages.<project>.config`. `id` and `version` are required; an entry
 * missing either is skipped with an issue.
 */
import { ParseError } from '../../../core/errors.ts';
import { LineIndex } from '../../../core/lines.ts';
import { makePurl } from '../../../core/purl.ts';
import type { InputIssue, Package } from '../../../core/types.ts';
import { baseName, type CatalogInput, type CatalogResult, type Cataloger } from '../cataloger.ts';
import { attribute, children, elementLine, parseXml, rootElement } from '../xml.ts';

export const packagesConfigCataloger: Cataloger = {
  name: 'dotnet/packages-config',
  ecosystem: 'NuGet',
  wants: (path) => /^packages(\.[^./]+)?\.config$/.test(baseName(path)),
  catalog: catalogPackagesConfig,
};

async function catalogPackagesConfig(input: CatalogInput): Promise<CatalogResult> {
  const text = await input.text();
  const root = rootElement(parseXml(text, new Set(['package'])), 'packages');
  if (!root) throw new ParseError('not a NuGet packages.config: the root element is not <packages>');
  const lines = new LineIndex(text);
  const packages: Package[] = [];
  const issues: InputIssue[] = [];
  for (const element of children(root, 'package')) {
    const line = elementLine(element, lines);
    const location = { path: input.path, ...(line !== undefined && { line }) };
    const name = attribute(element, 'id');
    const version = attribute(element, 'version');
    if (!name || !version) {
      issues.push({ ...location, message: `package without ${name ? 'a version' : 'an id'}; skipped` });
      continue;
    }
    // developmentDependency: build-time only (analyzers, compilers); NuGet does not flow it to consumers.
    const dev = attribute(element, 'developmentDependency')?.toLowerCase() === 'true';
    packages.push({
      name,
      version,
      ecosystem: 'NuGet',
      purl: makePurl('NuGet', name, version),
      locations: [location],
      scope: dev ? 'dev' : 'required',
      ...(dev && { groups: ['dev'] }),
    });
  }
  return { packages, ...(issues.length > 0 && { issues }) };
}
