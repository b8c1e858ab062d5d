/**
 * Gradle dependency verification metadata, `gradle/verification-metadata.xml`
 * (https://docs.gradle.org/current/userguide/dependency_verification.html): one
 * `<component group name version>` per module whose artifacts the build verifies — every module
 * the build resolved, plugins and test dependencies included, so nothing here says which
 * classpath a module is on. A component Gradle repeats is reported at each of its lines.
 */
import { PackageURL } from 'packageurl-js';
import { ParseError } from '../../../core/errors.ts';
import { LineIndex } from '../../../core/lines.ts';
import { makePurl } from '../../../core/purl.ts';
import type { InputIssue, Package } from '../../../core/types.ts';
import type { CatalogInput, CatalogResult, Cataloger } from '../cataloger.ts';
import { attribute, child, children, elementLine, parseXml, rootElement } from '../xml.ts';

export const gradleVerificationMetadataCataloger: Cataloger = {
  name: 'java/gradle-verification-metadata',
  ecosystem: 'Maven',
  wants: (path) => /(^|\/)gradle\/verification-metadata\.xml$/.test(path),
  catalog: catalogVerificationMetadata,
};

async function catalogVerificationMetadata(input: CatalogInput): Promise<CatalogResult> {
  const text = await input.text();
  const root = rootElement(parseXml(text, new Set(['component'])), 'verification-metadata');
  if (!root) throw new ParseError('not Gradle verification metadata: the root element is not <verification-metadata>');
  const lines = new LineIndex(text);
  const packages: Package[] = [];
  const issues: InputIssue[] = [];
  for (const component of children(child(root, 'components'), 'component')) {
    const line = elementLine(component, lines);
    const group = attribute(component, 'group') ?? '';
    const module = attribute(component, 'name') ?? '';
    if (!group || !module) {
      issues.push({ path: input.path, ...(line !== undefined && { line }), message: 'component without a group or name attribute' });
    }
    packages.push(toPackage(group, module, attribute(component, 'version') || undefined, input.path, line));
  }
  return { packages, ...(issues.length > 0 && { issues }) };
}

function toPackage(
  group: string,
  module: string,
  version: string | undefined,
  path: string,
  line: number | undefined,
): Package {
  const name = `${group}:${module}`;
  return {
    name,
    ...(version !== undefined && { version }),
    ecosystem: 'Maven',
    // A Maven purl needs both parts; an incomplete component keeps what it says under a generic purl.
    purl:
      group && module
        ? makePurl('Maven', name, version)
        : new PackageURL('generic', undefined, name, version, undefined, undefined).toString(),
    locations: [{ path, ...(line !== undefined && { line }) }],
    scope: 'required',
  };
}
