import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import type { CatalogInput } from '../../../../src/sbom/catalog/cataloger.ts';
import { gradleLockfileCataloger } from '../../../../src/sbom/catalog/java/gradle-lockfile.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';

const fixtures = join(import.meta.dirname, '../../../fixtures/catalog/gradle-lockfile');
const catalog = (root: string, path: string) => gradleLockfileCataloger.catalog(fileInput(join(fixtures, root), path));
const textInput = (text: string): CatalogInput => ({
  path: 'gradle.lockfile',
  text: async () => text,
  bytes: async () => Buffer.from(text),
  head: async (n) => Buffer.from(text).subarray(0, n),
  sibling: async () => undefined,
});

describe('java/gradle-lockfile', () => {
  it('wants Gradle lockfiles by name and the legacy per-configuration files', () => {
    const wants = gradleLockfileCataloger.wants;
    expect(wants('gradle.lockfile')).toBe(true);
    expect(wants('app/gradle.lockfile')).toBe(true);
    expect(wants('buildscript-gradle.lockfile')).toBe(true);
    expect(wants('settings-gradle.lockfile')).toBe(true);
    expect(wants('gradle/dependency-locks/compileClasspath.lockfile')).toBe(true);
    expect(wants('app/gradle/dependency-locks/testRuntimeClasspath.lockfile')).toBe(true);
    expect(wants('gradle.lockfile.bak')).toBe(false);
    expect(wants('path.to.gradle.lockfile')).toBe(false);
    expect(wants('other/dependency-locks/x.lockfile')).toBe(false);
    expect(wants('gradle/dependency-locks/nested/x.lockfile')).toBe(false);
  });

  it('reads group:artifact:version=configurations with lines, scopes and groups', async () => {
    const { packages, issues } = await catalog('project', 'gradle.lockfile');
    expect(issues).toBeUndefined();
    expect(packages[0]).toEqual({
      name: 'com.google.guava:guava',
      version: '32.1.3-jre',
      ecosystem: 'Maven',
      purl: 'pkg:maven/com.google.guava/guava@32.1.3-jre',
      locations: [{ path: 'gradle.lockfile', line: 4 }],
      scope: 'required',
      groups: ['compileClasspath', 'runtimeClasspath', 'testCompileClasspath', 'testRuntimeClasspath'],
    });
    expect(packages.map((p) => [p.name, p.scope])).toEqual([
      ['com.google.guava:guava', 'required'],
      ['junit:junit', 'dev'],
      ['org.mockito:mockito-core', 'dev'],
      ['org.projectlombok:lombok', 'required'],
    ]);
  });

  it('reports the build classpath lockfile as dev', async () => {
    const { packages } = await catalog('project', 'buildscript-gradle.lockfile');
    expect(packages).toMatchObject([{ name: 'com.github.johnrengelman:shadow', version: '8.1.1', scope: 'dev', groups: ['classpath'] }]);
  });

  it('reads the legacy format, taking the configuration from the file name', async () => {
    const { packages } = await catalog('legacy', 'gradle/dependency-locks/testRuntimeClasspath.lockfile');
    expect(packages.map((p) => [p.name, p.version, p.scope, p.groups, p.locations[0]?.line])).toEqual([
      ['junit:junit', '4.12', 'dev', ['testRuntimeClasspath'], 4],
      ['org.hamcrest:hamcrest-core', '1.3', 'dev', ['testRuntimeClasspath'], 5],
    ]);
  });

  it('skips lines that are not entries, with an issue each', async () => {
    const { packages, issues } = await catalog('bad-lines', 'gradle.lockfile');
    expect(packages.map((p) => `${p.name}@${p.version}`)).toEqual([
      'org.springframework.boot:spring-boot-autoconfigure@2.7.4',
      'org.springframework.boot:spring-boot-devtools@2.7.6',
    ]);
    expect(issues?.map((i) => i.line)).toEqual([2, 6, 7, 8]);
  });

  it('yields nothing for comments and empty=', async () => {
    expect(await gradleLockfileCataloger.catalog(textInput('# comment\n\nempty=\n'))).toEqual({ packages: [] });
  });

  it('rejects binary content', async () => {
    await expect(gradleLockfileCataloger.catalog(textInput('PK\u0003\u0004\u0000\u0000'))).rejects.toBeInstanceOf(ParseError);
  });
});
