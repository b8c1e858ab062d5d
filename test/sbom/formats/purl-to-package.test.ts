import { describe, expect, it } from 'vitest';
import { osEcosystem, osvDistro, resolvePurl, sourceRpm } from '../../../src/sbom/formats/purl-to-package.ts';

describe('resolvePurl', () => {
  it.each([
    ['pkg:npm/%40angular/core@17.0.0', 'npm', '@angular/core', '17.0.0'],
    ['pkg:npm/lodash@4.17.21', 'npm', 'lodash', '4.17.21'],
    ['pkg:pypi/Django_Rest@3.0', 'PyPI', 'django-rest', '3.0'],
    ['pkg:golang/golang.org/x/net@v0.17.0', 'Go', 'golang.org/x/net', '0.17.0'],
    ['pkg:golang/github.com/a/b@v2.0.0+incompatible#sub/dir', 'Go', 'github.com/a/b', '2.0.0+incompatible'],
    ['pkg:golang/stdlib@v1.21.3', 'Go', 'stdlib', '1.21.3'],
    ['pkg:cargo/serde@1.0.0', 'crates.io', 'serde', '1.0.0'],
    ['pkg:gem/rails@7.1.0', 'RubyGems', 'rails', '7.1.0'],
    ['pkg:composer/symfony/http-kernel@6.4.0', 'Packagist', 'symfony/http-kernel', '6.4.0'],
    ['pkg:maven/org.yaml/snakeyaml@1.33?type=jar', 'Maven', 'org.yaml:snakeyaml', '1.33'],
    ['pkg:nuget/Newtonsoft.Json@13.0.1', 'NuGet', 'Newtonsoft.Json', '13.0.1'],
    ['pkg:pub/http@1.1.0', 'Pub', 'http', '1.1.0'],
    ['pkg:hex/phoenix@1.7.0', 'Hex', 'phoenix', '1.7.0'],
    ['pkg:conan/openssl@3.2.0', 'ConanCenter', 'openssl', '3.2.0'],
    ['pkg:cran/ggplot2@3.4.4', 'CRAN', 'ggplot2', '3.4.4'],
    ['pkg:hackage/aeson@2.2.0.0', 'Hackage', 'aeson', '2.2.0.0'],
    ['pkg:swift/github.com/apple/swift-nio@2.60.0', 'SwiftURL', 'github.com/apple/swift-nio', '2.60.0'],
    ['pkg:cocoapods/AFNetworking@4.0.1', 'CocoaPods', 'AFNetworking', '4.0.1'],
    ['pkg:deb/debian/openssl@3.0.11-1~deb12u2?distro=debian-12', 'Debian', 'openssl', '3.0.11-1~deb12u2'],
    ['pkg:deb/ubuntu/libc6@2.35-0ubuntu3.6', 'Ubuntu', 'libc6', '2.35-0ubuntu3.6'],
    ['pkg:apk/alpine/zlib@1.3.1-r0', 'Alpine', 'zlib', '1.3.1-r0'],
    ['pkg:apk/chainguard/curl@8.5.0-r0', 'Chainguard', 'curl', '8.5.0-r0'],
    ['pkg:rpm/redhat/openssl@3.0.7-24.el9?epoch=1', 'Red Hat', 'openssl', '1:3.0.7-24.el9'],
    ['pkg:rpm/rocky/bash@5.1.8-6.el9_1?distro=rocky-9.3', 'Rocky Linux', 'bash', '5.1.8-6.el9_1'],
    ['pkg:rpm/almalinux/bash@5.1.8-6.el9?epoch=0', 'AlmaLinux', 'bash', '5.1.8-6.el9'],
  ])('%s → %s %s %s', (purl, ecosystem, name, version) => {
    expect(resolvePurl(purl)).toMatchObject({ kind: 'package', ecosystem, name, version });
  });

  it('takes the version beside the purl when the purl has none', () => {
    expect(resolvePurl('pkg:npm/left-pad', '1.3.0')).toMatchObject({ kind: 'package', version: '1.3.0' });
    expect(resolvePurl('pkg:npm/left-pad')).toEqual({ kind: 'package', purl: 'pkg:npm/left-pad', ecosystem: 'npm', name: 'left-pad' });
  });

  it('canonicalises the purl (qualifier order, encoding)', () => {
    expect(resolvePurl('pkg:npm/@babel/core@7.0.0')).toMatchObject({ purl: 'pkg:npm/%40babel/core@7.0.0' });
    expect(resolvePurl('pkg:deb/debian/a@1?distro=debian-12&arch=amd64')).toMatchObject({ purl: 'pkg:deb/debian/a@1?arch=amd64&distro=debian-12' });
  });

  it('OS purls: distro and source package from qualifiers', () => {
    expect(resolvePurl('pkg:deb/debian/libssl3@3.0.11-1?distro=debian-12.5&upstream=openssl%403.0.11-1')).toMatchObject({
      distro: 'Debian:12',
      source: { name: 'openssl', version: '3.0.11-1' },
    });
    expect(resolvePurl('pkg:apk/alpine/libcrypto3@3.1.4-r5?distro=3.19.1&origin=openssl')).toMatchObject({
      distro: 'Alpine:v3.19',
      source: { name: 'openssl' },
    });
    expect(resolvePurl('pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?upstream=openssl-3.0.7-24.el9.src.rpm')).toMatchObject({
      source: { name: 'openssl', version: '3.0.7-24.el9' },
    });
    // A source named like the package adds nothing.
    expect(resolvePurl('pkg:apk/alpine/zlib@1.3.1-r0?origin=zlib')).not.toHaveProperty('source');
    // deb without a namespace: the distro qualifier names the distribution.
    expect(resolvePurl('pkg:deb/libc6@2.36-9?distro=debian-12')).toMatchObject({ ecosystem: 'Debian', distro: 'Debian:12' });
  });

  it('purl types and distributions without an ecosystem are unsupported, with the reason', () => {
    expect(resolvePurl('pkg:docker/library/nginx@1.25')).toEqual({
      kind: 'unsupported',
      purl: 'pkg:docker/library/nginx@1.25',
      name: 'library/nginx',
      version: '1.25',
      reason: 'purl type "docker" has no vulnerability ecosystem Palisade scans',
    });
    expect(resolvePurl('pkg:rpm/fedora/bash@5.2')).toMatchObject({
      kind: 'unsupported',
      reason: 'rpm packages of "fedora" have no vulnerability ecosystem Palisade scans',
    });
    expect(resolvePurl('pkg:apk/zlib@1.3')).toMatchObject({ kind: 'unsupported', reason: 'apk purl without a namespace naming the distribution' });
  });

  it('invalid purls say why', () => {
    expect(resolvePurl('npm/foo@1')).toEqual({ kind: 'invalid', reason: 'missing required "pkg" scheme component' });
    expect(resolvePurl('pkg:npm/')).toEqual({ kind: 'invalid', reason: '"name" is a required component' });
  });
});

describe('osvDistro', () => {
  it.each([
    ['Debian', 'debian-12', 'Debian:12'],
    ['Debian', 'debian-12.5', 'Debian:12'],
    ['Debian', '11', 'Debian:11'],
    ['Debian', 'bookworm', 'Debian:12'],
    ['Debian', 'sid', undefined],
    ['Ubuntu', 'ubuntu-22.04', 'Ubuntu:22.04:LTS'],
    ['Ubuntu', '24.04', 'Ubuntu:24.04:LTS'],
    ['Ubuntu', 'ubuntu-23.10', 'Ubuntu:23.10'],
    ['Ubuntu', 'ubuntu-21.04', 'Ubuntu:21.04'],
    ['Ubuntu', 'jammy', 'Ubuntu:22.04:LTS'],
    ['Alpine', 'alpine-3.18.0', 'Alpine:v3.18'],
    ['Alpine', '3.15.0', 'Alpine:v3.15'],
    ['Alpine', 'edge', undefined],
    ['Wolfi', '', 'Wolfi'],
    ['Rocky Linux', 'rocky-9.3', 'Rocky Linux:9'],
    ['AlmaLinux', 'almalinux-8.9', 'AlmaLinux:8'],
    ['Red Hat', 'rhel-9.3', undefined],
    ['Debian', '', undefined],
  ] as const)('%s %s → %s', (ecosystem, value, expected) => {
    expect(osvDistro(ecosystem, value)).toBe(expected);
  });
});

describe('helpers', () => {
  it('osEcosystem maps OS names', () => {
    expect(osEcosystem('debian')).toBe('Debian');
    expect(osEcosystem('Ubuntu')).toBe('Ubuntu');
    expect(osEcosystem('centos')).toBe('Red Hat');
    expect(osEcosystem('windows')).toBeUndefined();
  });

  it('sourceRpm splits a source RPM file name', () => {
    expect(sourceRpm('glibc-2.34-60.el9.src.rpm')).toEqual({ name: 'glibc', version: '2.34-60.el9' });
    expect(sourceRpm('python3-dateutil-2.8.1-7.el9.src.rpm')).toEqual({ name: 'python3-dateutil', version: '2.8.1-7.el9' });
    expect(sourceRpm('not-a-src-rpm')).toBeUndefined();
  });
});
