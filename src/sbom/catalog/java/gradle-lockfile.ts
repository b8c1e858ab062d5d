/**
 * Gradle dependency lockfiles (https://docs.gradle.org/current/userguide/dependency_locking.html).
 * Gradle 6+ writes one `gradle.lockfile` per project (`buildscript-gradle.lockfile` and
 * `settings-gradle.lockfile` for the build's own classpaths) with lines
 * `group:artifact:version=configuration,…` and a final `empty=…` naming configurations that
 * resolved to nothing. Gradle 4.8–5 wrote one file per configuration under
 * `gradle/dependency-locks/<configuration>.lockfile`, with bare `group:artifact:version` lines.
 */
import { ParseError } from '../../../core/errors.ts';
import { makePurl } from '../../../core/purl.ts';
import type { InputIssue, Package } from '../../../core/types.ts';
import { baseName, type CatalogInput, type CatalogResult, type Cataloger } from '../cataloger.ts';

/** Lockfiles of the build's own classpath (plugins): build tooling, never shipped. */
const BUILD_LOCKFILES = new Set(['buildscript-gradle.lockfile', 'settings-gradle.lockfile']);

export const gradleLockfileCataloger: Cataloger = {
  name: 'java/gradle-lockfile',
  ecosystem: 'Maven',
  wants: (path) => {
    const base = baseName(path);
    return base === 'gradle.lockfile' || BUILD_LOCKFILES.has(base) || isLegacyLockfile(path);
  },
  catalog: catalogGradleLockfile,
};

function isLegacyLockfile(path: string): boolean {
  return /(^|\/)gradle\/dependency-locks\/[^/]+\.lockfile$/.test(path);
}

async function catalogGradleLockfile(input: CatalogInput): Promise<CatalogResult> {
  const text = await input.text();
  if (text.includes('\0')) throw new ParseError('not a Gradle lockfile: binary content');
  const base = baseName(input.path);
  // A legacy lockfile's configuration is its file name.
  const legacyConfiguration = isLegacyLockfile(input.path) ? base.slice(0, -'.lockfile'.length) : undefined;
  const buildOnly = BUILD_LOCKFILES.has(base);

  const packages: Package[] = [];
  const issues: InputIssue[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const coordinates = eq === -1 ? line : line.slice(0, eq);
    if (coordinates === 'empty') return;
    const configurations =
      eq === -1 ? (legacyConfiguration ? [legacyConfiguration] : []) : line.slice(eq + 1).split(',').filter(Boolean);
    const parts = coordinates.split(':');
    if (parts.length !== 3 || parts.some((p) => p === '' || /\s/.test(p))) {
      issues.push({ path: input.path, line: i + 1, message: `not a group:artifact:version entry: ${line.slice(0, 80)}` });
      return;
    }
    const [group, artifact, version] = parts as [string, string, string];
    const name = `${group}:${artifact}`;
    packages.push({
      name,
      version,
      ecosystem: 'Maven',
      purl: makePurl('Maven', name, version),
      locations: [{ path: input.path, line: i + 1 }],
      scope: buildOnly || (configurations.length > 0 && configurations.every(isTestConfiguration)) ? 'dev' : 'required',
      ...(configurations.length > 0 && { groups: configurations }),
    });
  });
  return { packages, ...(issues.length > 0 && { issues }) };
}

/**
 * Test classpaths by Gradle's and the Android plugin's naming: `testRuntimeClasspath`,
 * `testFixturesCompileClasspath`, `integrationTestRuntimeClasspath`, `debugUnitTestCompileClasspath`,
 * `debugAndroidTestRuntimeClasspath`.
 */
function isTestConfiguration(configuration: string): boolean {
  return /^test/.test(configuration) || /Test(?=[A-Z]|$)/.test(configuration);
}
