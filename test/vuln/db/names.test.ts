import { describe, expect, it } from 'vitest';
import { ecosystemBase, normalizePackageName } from '../../../src/vuln/db/names.ts';

describe('ecosystemBase', () => {
  it('drops release suffixes and canonicalises the spelling', () => {
    expect(ecosystemBase('Debian:12')).toBe('Debian');
    expect(ecosystemBase('Ubuntu:Pro:22.04:LTS')).toBe('Ubuntu');
    expect(ecosystemBase('Alpine:v3.20')).toBe('Alpine');
    expect(ecosystemBase('Red Hat:enterprise_linux:9::appstream')).toBe('Red Hat');
    expect(ecosystemBase('Maven:https://maven.google.com')).toBe('Maven');
    expect(ecosystemBase('pypi')).toBe('PyPI');
    expect(ecosystemBase('CRATES.IO')).toBe('crates.io');
    expect(ecosystemBase('SomethingNew')).toBe('SomethingNew');
  });
});

describe('normalizePackageName', () => {
  it('applies PEP 503 to PyPI names', () => {
    expect(normalizePackageName('PyPI', 'Django')).toBe('django');
    expect(normalizePackageName('PyPI', 'zope.interface')).toBe('zope-interface');
    expect(normalizePackageName('PyPI', 'Foo__Bar-.-baz')).toBe('foo-bar-baz');
  });

  it('folds case where the ecosystem is case-insensitive', () => {
    expect(normalizePackageName('npm', 'Axios')).toBe('axios');
    expect(normalizePackageName('npm', '@Babel/Core')).toBe('@babel/core');
    expect(normalizePackageName('NuGet', 'Newtonsoft.Json')).toBe('newtonsoft.json');
    expect(normalizePackageName('Packagist', 'Symfony/HTTP-Kernel')).toBe('symfony/http-kernel');
    expect(normalizePackageName('Maven', 'org.webjars.npm:jQuery')).toBe('org.webjars.npm:jquery');
    expect(normalizePackageName('Pub', 'Http')).toBe('http');
    expect(normalizePackageName('Hex', 'Plug')).toBe('plug');
  });

  it('keeps case-sensitive ecosystems exact', () => {
    expect(normalizePackageName('Go', 'github.com/Tencent/WeKnora')).toBe('github.com/Tencent/WeKnora');
    expect(normalizePackageName('crates.io', 'serde_yaml')).toBe('serde_yaml');
    expect(normalizePackageName('RubyGems', 'RedCloth')).toBe('RedCloth');
    expect(normalizePackageName('Red Hat:enterprise_linux:9', 'NetworkManager')).toBe('NetworkManager');
    expect(normalizePackageName('Debian:12', 'libxml2')).toBe('libxml2');
  });

  it('uses the base ecosystem of suffixed names and trims whitespace', () => {
    expect(normalizePackageName('Maven:https://maven.google.com', ' com.Google:Guava ')).toBe('com.google:guava');
    expect(normalizePackageName('pypi', 'Requests')).toBe('requests');
  });
});
