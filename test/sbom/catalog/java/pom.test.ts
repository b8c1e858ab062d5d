import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import type { Package } from '../../../../src/core/types.ts';
import type { CatalogInput } from '../../../../src/sbom/catalog/cataloger.ts';
import { pomCataloger } from '../../../../src/sbom/catalog/java/pom.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';

const fixtures = join(import.meta.dirname, '../../../fixtures/catalog/pom');

const catalog = (root: string, path = 'pom.xml') => pomCataloger.catalog(fileInput(join(fixtures, root), path));
const byName = (packages: Package[]) => new Map(packages.map((p) => [p.name, p]));
const textInput = (text: string): CatalogInput => ({
  path: 'pom.xml',
  text: async () => text,
  bytes: async () => Buffer.from(text),
  head: async (n) => Buffer.from(text).subarray(0, n),
  sibling: async () => undefined,
});

describe('java/pom', () => {
  it('wants pom.xml only', () => {
    expect(pomCataloger.wants('pom.xml')).toBe(true);
    expect(pomCataloger.wants('services/api/pom.xml')).toBe(true);
    expect(pomCataloger.wants('pom.xml.bak')).toBe(false);
    expect(pomCataloger.wants('my-pom.xml')).toBe(false);
    expect(pomCataloger.wants('pom.xml/file')).toBe(false);
    expect(pomCataloger.wants('lib-1.0.pom')).toBe(false);
  });

  it('interpolates properties and the model, and never invents a version', async () => {
    const { packages, issues } = await catalog('interpolation');
    const pkgs = byName(packages);
    expect([...pkgs.keys()].sort()).toEqual([
      'com.example:shop-api',
      'com.fasterxml.jackson.core:jackson-databind',
      'jakarta.servlet:jakarta.servlet-api',
      'junit:junit',
      'org.eclipse.jetty:jetty-server',
      'org.example:below-only',
      'org.example:cyclic',
      'org.example:from-remote-parent',
      'org.postgresql:postgresql',
    ]);
    expect(pkgs.get('com.fasterxml.jackson.core:jackson-databind')).toEqual({
      name: 'com.fasterxml.jackson.core:jackson-databind',
      version: '2.15.2',
      ecosystem: 'Maven',
      purl: 'pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.15.2',
      locations: [{ path: 'pom.xml', line: 17 }],
      scope: 'required',
      direct: true,
    });
    expect(pkgs.get('com.example:shop-api')?.version).toBe('2.5.0');
    // A range's inclusive lower bound is the least version it allows; other ranges pin nothing.
    expect(pkgs.get('org.eclipse.jetty:jetty-server')?.version).toBe('9.4.35.v20201120');
    expect(pkgs.get('org.example:below-only')?.version).toBeUndefined();
    expect(pkgs.get('org.example:from-remote-parent')?.version).toBeUndefined();
    expect(pkgs.get('org.example:from-remote-parent')?.purl).toBe('pkg:maven/org.example/from-remote-parent');
    expect(pkgs.get('org.example:cyclic')?.version).toBeUndefined();
    expect(issues).toEqual([{ path: 'pom.xml', line: 47, message: 'dependency uses an undefined property; skipped' }]);
  });

  it('maps Maven scopes and optional, keeping the raw scope as a group', async () => {
    const pkgs = byName((await catalog('interpolation')).packages);
    expect(pkgs.get('junit:junit')).toMatchObject({ scope: 'dev', groups: ['test'], locations: [{ line: 52 }] });
    expect(pkgs.get('jakarta.servlet:jakarta.servlet-api')).toMatchObject({ scope: 'required', groups: ['provided'] });
    expect(pkgs.get('org.postgresql:postgresql')).toMatchObject({ scope: 'optional', groups: ['optional'] });
  });

  it('does not report build plugin dependencies', async () => {
    const names = (await catalog('interpolation')).packages.map((p) => p.name);
    expect(names).not.toContain('org.apache.maven.surefire:surefire-junit4');
  });

  it('keys dependencies by groupId:artifactId:type:classifier, first declaration winning', async () => {
    const { packages } = await catalog('dependency-keys');
    expect(packages.map((p) => [p.purl, p.locations[0]?.line])).toEqual([
      ['pkg:maven/com.example/my-lib@1.0.0', 7],
      ['pkg:maven/com.example/my-lib@1.0.0?classifier=tests', 12],
      ['pkg:maven/com.example/my-lib@1.0.0?type=pom', 18],
    ]);
  });

  it('applies active profiles: an absent-property trigger turns off activeByDefault ones', async () => {
    const pkgs = byName((await catalog('profiles')).packages);
    expect([...pkgs.keys()].sort()).toEqual(['com.google.guava:guava', 'org.extras:extras']);
    expect(pkgs.get('com.google.guava:guava')?.version).toBe('32.1.3-jre');
    expect(pkgs.get('org.extras:extras')?.locations).toEqual([{ path: 'pom.xml', line: 40 }]);
  });

  it('inherits from parents on disk: properties, dependencyManagement and dependencies', async () => {
    const { packages, issues } = await catalog('parent-chain', 'app/pom.xml');
    expect(issues).toBeUndefined();
    const pkgs = byName(packages);
    // The child's property lookup sees the nearest parent's value first.
    expect(pkgs.get('org.slf4j:slf4j-api')).toMatchObject({ version: '2.0.7', locations: [{ path: 'app/pom.xml', line: 10 }] });
    // Managed by the grandparent, found through a relativePath naming a directory.
    expect(pkgs.get('org.apache.commons:commons-lang3')?.version).toBe('3.13.0');
    // Scope comes from dependencyManagement too.
    expect(pkgs.get('org.assertj:assertj-core')).toMatchObject({ version: '3.24.2', scope: 'dev' });
    // Only the BOM import could pin it, and that needs the network.
    expect(pkgs.get('org.springframework:spring-core')?.version).toBeUndefined();
    // Inherited from the parent, located there, with the child's project.version.
    expect(pkgs.get('com.example:common')).toMatchObject({ version: '3.0.0', locations: [{ path: 'pom.xml', line: 42 }] });
    expect(packages).toHaveLength(5);
  });

  it('ignores a POM at the parent path that is not the parent named', async () => {
    const { packages } = await catalog('parent-mismatch', 'app/pom.xml');
    expect(packages.map((p) => [p.name, p.version])).toEqual([['org.example:lib', undefined]]);
  });

  it('stops at parent chains that loop', async () => {
    const loop = `<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version>
      <parent><groupId>g</groupId><artifactId>a</artifactId><version>1</version><relativePath>pom.xml</relativePath></parent>
      <dependencies><dependency><groupId>x</groupId><artifactId>y</artifactId><version>1</version></dependency></dependencies>
    </project>`;
    const input = { ...textInput(loop), sibling: async () => loop };
    expect((await pomCataloger.catalog(input)).packages.map((p) => p.name)).toEqual(['x:y']);
  });

  it('rejects files that are not POMs', async () => {
    await expect(catalog('not-a-pom')).rejects.toThrow(/not a Maven POM/);
    await expect(pomCataloger.catalog(textInput('this is not a pom.xml file!'))).rejects.toBeInstanceOf(ParseError);
    await expect(pomCataloger.catalog(textInput('\u0000\u0001PK\u0003\u0004'))).rejects.toBeInstanceOf(ParseError);
  });

  it('reports the line of malformed XML', async () => {
    const err = await pomCataloger.catalog(textInput('<project>\n  <dependencies>\n  </project>')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParseError);
    expect((err as ParseError).line).toBe(3);
  });

  it('yields nothing for a POM without dependencies', async () => {
    expect(await pomCataloger.catalog(textInput('<project><groupId>g</groupId></project>'))).toEqual({ packages: [] });
    expect(await pomCataloger.catalog(textInput('<project/>'))).toEqual({ packages: [] });
  });
});
