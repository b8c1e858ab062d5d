import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import type { CatalogInput } from '../../../../src/sbom/catalog/cataloger.ts';
import { gradleVerificationMetadataCataloger as cataloger } from '../../../../src/sbom/catalog/java/gradle-verification-metadata.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';

const PATH = 'gradle/verification-metadata.xml';
const fixtures = join(import.meta.dirname, '../../../fixtures/catalog/gradle-verification-metadata');
const catalog = (root: string) => cataloger.catalog(fileInput(join(fixtures, root), PATH));
const textInput = (text: string): CatalogInput => ({
  path: PATH,
  text: async () => text,
  bytes: async () => Buffer.from(text),
  head: async (n) => Buffer.from(text).subarray(0, n),
  sibling: async () => undefined,
});

describe('java/gradle-verification-metadata', () => {
  it('wants gradle/verification-metadata.xml only', () => {
    expect(cataloger.wants(PATH)).toBe(true);
    expect(cataloger.wants('service/gradle/verification-metadata.xml')).toBe(true);
    expect(cataloger.wants('verification-metadata.xml')).toBe(false);
    expect(cataloger.wants('gradle/verification-metadata.xml.bak')).toBe(false);
    expect(cataloger.wants('mygradle/verification-metadata.xml')).toBe(false);
  });

  it('reads components whatever the quoting or line breaks, with their lines', async () => {
    const { packages, issues } = await catalog('two-packages');
    expect(issues).toBeUndefined();
    expect(packages).toEqual([
      {
        name: 'org.apache.pdfbox:pdfbox',
        version: '2.0.17',
        ecosystem: 'Maven',
        purl: 'pkg:maven/org.apache.pdfbox/pdfbox@2.0.17',
        locations: [{ path: PATH, line: 10 }],
        scope: 'required',
      },
      {
        name: 'com.google.guava:guava',
        // A string, not the number 1.1.
        version: '1.10',
        ecosystem: 'Maven',
        purl: 'pkg:maven/com.google.guava/guava@1.10',
        locations: [{ path: PATH, line: 18 }],
        scope: 'required',
      },
    ]);
  });

  it('keeps incomplete components as written, under a generic purl, with an issue', async () => {
    const { packages, issues } = await catalog('missing-attribute');
    expect(packages.map((p) => [p.name, p.version, p.purl, p.locations[0]?.line])).toEqual([
      [':pdfbox', '2.0.17', 'pkg:generic/%3Apdfbox@2.0.17', 6],
      ['org.apache.pdfbox:', '2.0.17', 'pkg:generic/org.apache.pdfbox%3A@2.0.17', 12],
      ['org.apache.pdfbox:pdfbox', undefined, 'pkg:maven/org.apache.pdfbox/pdfbox', 18],
    ]);
    expect(issues?.map((i) => i.line)).toEqual([6, 12]);
  });

  it('yields nothing when there are no components', async () => {
    expect(await cataloger.catalog(textInput('<verification-metadata><configuration/></verification-metadata>'))).toEqual({
      packages: [],
    });
  });

  it('rejects other XML and non-XML', async () => {
    await expect(catalog('wrong-root')).rejects.toThrow(/not Gradle verification metadata/);
    await expect(cataloger.catalog(textInput('this is not a valid xml file!'))).rejects.toBeInstanceOf(ParseError);
  });
});
