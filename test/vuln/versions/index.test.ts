import { describe, expect, it } from 'vitest';
import {
  InvalidVersionError,
  SUPPORTED_ECOSYSTEMS,
  alpine,
  debian,
  maven,
  pep440,
  rpm,
  schemeFor,
  semver,
} from '../../../src/vuln/versions/index.ts';

describe('schemeFor', () => {
  it.each([
    ['npm', 'semver'],
    ['crates.io', 'semver'],
    ['Hex', 'semver'],
    ['Go', 'go'],
    ['PyPI', 'pep440'],
    ['Maven', 'maven'],
    ['RubyGems', 'rubygems'],
    ['NuGet', 'nuget'],
    ['Packagist', 'packagist'],
    ['Pub', 'pub'],
    ['CRAN', 'cran'],
    ['Hackage', 'hackage'],
    ['Debian', 'debian'],
    ['Ubuntu', 'debian'],
    ['Alpine', 'alpine'],
    ['Red Hat', 'rpm'],
  ])('%s → %s', (ecosystem, name) => {
    expect(schemeFor(ecosystem)?.name).toBe(name);
  });

  it('ignores OSV ecosystem suffixes', () => {
    expect(schemeFor('Debian:12')).toBe(debian);
    expect(schemeFor('Ubuntu:22.04:LTS')).toBe(debian);
    expect(schemeFor('Ubuntu:Pro:18.04:LTS')).toBe(debian);
    expect(schemeFor('Alpine:v3.20')).toBe(alpine);
    expect(schemeFor('Red Hat:enterprise_linux:9::appstream')).toBe(rpm);
    expect(schemeFor('Maven:https://repo.maven.apache.org/maven2/')).toBe(maven);
  });

  it('matches names case-insensitively', () => {
    expect(schemeFor('pypi')).toBe(pep440);
    expect(schemeFor('NPM')).toBe(semver);
  });

  it('returns undefined for ecosystems it cannot order', () => {
    expect(schemeFor('GitHub Actions')).toBeUndefined();
    expect(schemeFor('')).toBeUndefined();
    expect(schemeFor('Debia')).toBeUndefined();
  });

  it('knows a scheme for every listed ecosystem', () => {
    for (const ecosystem of SUPPORTED_ECOSYSTEMS) expect(schemeFor(ecosystem), ecosystem).toBeDefined();
  });
});

describe('VersionScheme', () => {
  it('compares parsed versions without reparsing', () => {
    const installed = debian.parse('1:2.4.47-2');
    expect(debian.compareParsed(installed, debian.parse('1:2.4.47-3'))).toBe(-1);
    expect(debian.compareParsed(installed, debian.parse('2.5'))).toBe(1);
  });

  it('returns the cached parse for a repeated string', () => {
    expect(semver.parse('1.2.3-rc.1')).toBe(semver.parse('1.2.3-rc.1'));
  });

  it('reports invalid versions with a code, the scheme and the input', () => {
    let thrown: unknown;
    try {
      debian.parse('x:1');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(InvalidVersionError);
    expect(thrown).toMatchObject({ code: 'INVALID_VERSION', scheme: 'debian', version: 'x:1' });
    expect(debian.isValid('x:1')).toBe(false);
    expect(debian.isValid('1:1')).toBe(true);
  });
});
