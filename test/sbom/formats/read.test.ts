import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PalisadeError } from '../../../src/core/errors.ts';
import type { Package } from '../../../src/core/types.ts';
import { readSbom } from '../../../src/sbom/formats/read.ts';
import { repoRoot } from '../../helpers/corpus.ts';

const dir = join(repoRoot, 'test/fixtures/sbom-input');
const read = (file: string) => readSbom(readFileSync(join(dir, file), 'utf8'), file);
const byPurl = (list: Package[], purl: string): Package => {
  const found = list.find((p) => p.purl === purl);
  if (!found) throw new Error(`no ${purl} in ${list.map((p) => p.purl).join(', ')}`);
  return found;
};

function readError(file: string): PalisadeError {
  try {
    read(file);
  } catch (err) {
    if (err instanceof PalisadeError) return err;
    throw err;
  }
  throw new Error(`${file} was read`);
}

describe('readSbom: CycloneDX JSON', () => {
  const result = read('cyclonedx-mixed.cdx.json');

  it('detects the format and takes the target from metadata.component', () => {
    expect(result.format).toBe('cyclonedx');
    expect(result.encoding).toBe('json');
    expect(result.specVersion).toBe('1.6');
    expect(result.target).toEqual({
      kind: 'sbom',
      name: 'shop-app',
      metadata: {
        file: 'cyclonedx-mixed.cdx.json',
        format: 'cyclonedx',
        specVersion: '1.6',
        tool: 'cdxgen 11.0.0',
        created: '2025-01-02T03:04:05Z',
        componentType: 'application',
        componentVersion: '2.0.0',
        componentPurl: 'pkg:npm/shop-app@2.0.0',
        serialNumber: 'urn:uuid:0f6a0e1c-1111-4d2b-9a2e-6a3c1c0d0001',
        os: 'debian 12.5',
      },
    });
  });

  it('reads nested components and the target’s nested components, but not the target itself', () => {
    const purls = result.packages.map((p) => p.purl);
    expect(purls).not.toContain('pkg:npm/shop-app@2.0.0');
    expect(purls).toContain('pkg:npm/%40shop/ui@2.0.0');
    expect(purls).toContain('pkg:npm/debug@2.6.9');
    expect(result.packages.map((p) => `${p.ecosystem}|${p.name}|${p.version ?? ''}`)).toEqual([
      'Debian|libc6|2.36-9+deb12u4',
      'Debian|libgcc-s1|1:12.2.0-14',
      'Go|github.com/gin-gonic/gin|1.9.1',
      'Go|stdlib|1.22.1',
      'Maven|org.apache.logging.log4j:log4j-core|2.14.1',
      'Packagist|monolog/monolog|3.5.0',
      'Ubuntu|bash|5.2.15-2ubuntu1',
      'Wolfi|glibc|2.39-r1',
      'npm|@babel/core|7.24.0',
      'npm|@shop/ui|2.0.0',
      'npm|debug|2.6.9',
      'npm|express|4.18.2',
      'npm|fsevents|2.3.3',
    ]);
  });

  it('maps scope, licenses and producer locations', () => {
    const babel = byPurl(result.packages, 'pkg:npm/%40babel/core@7.24.0');
    expect(babel.scope).toBe('dev');
    expect(babel.licenses).toEqual(['MIT']);
    expect(babel.locations).toEqual([{ path: 'src/shop/package-lock.json' }]);
    const fsevents = byPurl(result.packages, 'pkg:npm/fsevents@2.3.3');
    expect(fsevents.scope).toBe('optional');
    expect(fsevents.licenses).toEqual(['MIT OR Apache-2.0']);
    expect(fsevents.locations).toEqual([{ path: 'package-lock.json', line: 42 }]);
    expect(byPurl(result.packages, 'pkg:golang/github.com/gin-gonic/gin@v1.9.1').locations).toEqual([
      { path: 'go.mod', layer: { digest: 'sha256:aaaa' } },
    ]);
  });

  it('locates packages the SBOM records no location for at their purl in the SBOM', () => {
    expect(byPurl(result.packages, 'pkg:npm/debug@2.6.9').locations).toEqual([{ path: 'cyclonedx-mixed.cdx.json', line: 56 }]);
    expect(byPurl(result.packages, 'pkg:npm/%40shop/ui@2.0.0').locations).toEqual([{ path: 'cyclonedx-mixed.cdx.json', line: 16 }]);
  });

  it('merges components with the same purl: locations joined, the least restrictive scope kept', () => {
    const express = byPurl(result.packages, 'pkg:npm/express@4.18.2');
    expect(express.scope).toBe('required');
    expect(express.locations).toEqual([{ path: 'node_modules/express/package.json', line: 2 }, { path: 'other/package-lock.json' }]);
    expect(express.licenses).toEqual(['The MIT License', 'MIT']);
  });

  it('translates dependencies to purls and marks the target’s dependencies direct', () => {
    expect(byPurl(result.packages, 'pkg:npm/express@4.18.2').dependsOn).toEqual(['pkg:npm/debug@2.6.9']);
    expect(byPurl(result.packages, 'pkg:npm/%40babel/core@7.24.0').dependsOn).toEqual(['pkg:npm/fsevents@2.3.3']);
    expect(result.packages.filter((p) => p.direct).map((p) => p.name)).toEqual(['@babel/core', '@shop/ui', 'express']);
  });

  it('Go versions lose the v; the stdlib its go prefix; the purl keeps them', () => {
    expect(byPurl(result.packages, 'pkg:golang/stdlib@go1.22.1').version).toBe('1.22.1');
    expect(byPurl(result.packages, 'pkg:golang/github.com/gin-gonic/gin@v1.9.1').version).toBe('1.9.1');
  });

  it('OS packages: distro from the qualifier or the operating-system component, source from properties or qualifiers', () => {
    const libc = byPurl(result.packages, 'pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64');
    expect(libc.distro).toBe('Debian:12');
    expect(libc.source).toEqual({ name: 'glibc', version: '2.36-9+deb12u4' });
    const libgcc = byPurl(result.packages, 'pkg:deb/debian/libgcc-s1@12.2.0-14?arch=amd64&distro=bookworm&epoch=1&upstream=gcc-12');
    expect(libgcc.distro).toBe('Debian:12');
    expect(libgcc.version).toBe('1:12.2.0-14');
    expect(libgcc.source).toEqual({ name: 'gcc-12' });
    expect(byPurl(result.packages, 'pkg:deb/ubuntu/bash@5.2.15-2ubuntu1?distro=ubuntu-23.10').distro).toBe('Ubuntu:23.10');
    expect(byPurl(result.packages, 'pkg:apk/wolfi/glibc@2.39-r1?arch=x86_64').distro).toBe('Wolfi');
  });

  it('counts components without a purl and with purls it cannot scan; skips grouping nodes', () => {
    expect(result.withoutPurl).toEqual([
      { ref: 'vendored', name: 'left-pad-fork', version: '1.0.0', cpes: ['cpe:2.3:a:acme:left-pad-fork:1.0.0:*:*:*:*:*:*:*'] },
    ]);
    expect(result.unscannable).toEqual([
      {
        ref: 'suse-pkg',
        name: 'libz1',
        version: '1.2.13-150500.4.3.1',
        purl: 'pkg:rpm/opensuse/libz1@1.2.13-150500.4.3.1',
        reason: 'rpm packages of "opensuse" have no vulnerability ecosystem Palisade scans',
      },
      {
        ref: 'openssl-src',
        name: 'openssl',
        version: '3.0.13',
        purl: 'pkg:generic/openssl@3.0.13',
        reason: 'purl type "generic" has no vulnerability ecosystem Palisade scans',
      },
    ]);
  });

  it('skips malformed entries with an issue naming the JSON path, and reads the rest', () => {
    expect(result.issues.map((i) => i.message).sort()).toEqual([
      'components[14].purl: invalid purl "npm/broken@1.0.0" (missing required "pkg" scheme component)',
      'components[18]: not an object',
      'components[19]: component without a name or purl',
      'dependencies[3]: no ref',
    ]);
    expect(result.issues.every((i) => i.path === 'cyclonedx-mixed.cdx.json')).toBe(true);
  });
});

describe('readSbom: trivy CycloneDX', () => {
  it('an image: rpm packages with trivy’s source package (epoch, release) and OS component', () => {
    const result = read('trivy-centos-7.cdx.json');
    expect(result.specVersion).toBe('1.5');
    expect(result.target.name).toBe('integration/testdata/fixtures/images/centos-7.tar.gz');
    expect(result.target.metadata).toMatchObject({ tool: 'trivy dev', componentType: 'container', os: 'centos 7.6.1810' });
    expect(result.withoutPurl).toEqual([]);
    const openssl = byPurl(result.packages, 'pkg:rpm/centos/openssl-libs@1.0.2k-16.el7?arch=x86_64&distro=centos-7.6.1810&epoch=1');
    expect(openssl).toMatchObject({
      name: 'openssl-libs',
      version: '1:1.0.2k-16.el7',
      ecosystem: 'Red Hat',
      source: { name: 'openssl', version: '1:1.0.2k-16.el7' },
      licenses: ['OpenSSL+'],
      direct: true,
    });
    // Red Hat advisories are per product stream, which an SBOM does not record.
    expect(openssl.distro).toBeUndefined();
  });

  it('a repository: packages are located in the lockfile component that reaches them', () => {
    const result = read('trivy-npm.cdx.json');
    expect(result.packages).toHaveLength(12);
    expect(result.withoutPurl).toEqual([]);
    expect(result.packages.every((p) => p.locations.length === 1 && p.locations[0]!.path === 'package-lock.json')).toBe(true);
    expect(result.packages.filter((p) => p.direct).map((p) => p.name)).toEqual(['jquery', 'promise', 'react', 'redux']);
    expect(byPurl(result.packages, 'pkg:npm/promise@8.0.3').dependsOn).toEqual(['pkg:npm/asap@2.0.6']);
  });
});

describe('readSbom: CycloneDX XML', () => {
  it('reads the same model from XML (1.6: tools as components, nested dependencies, expression)', () => {
    const result = read('cyclonedx-1.6.cdx.xml');
    expect(result).toMatchObject({ format: 'cyclonedx', encoding: 'xml', specVersion: '1.6' });
    expect(result.target.name).toBe('orders');
    expect(result.target.metadata?.tool).toBe('cyclonedx-maven-plugin 2.9.1');
    expect(result.packages.map((p) => `${p.name}@${p.version}:${p.scope}`)).toEqual([
      'junit:junit@4.13.2:dev',
      'org.springframework:spring-core@5.3.20:required',
      'org.springframework:spring-jcl@5.3.20:required',
    ]);
    const core = byPurl(result.packages, 'pkg:maven/org.springframework/spring-core@5.3.20?type=jar');
    expect(core.locations).toEqual([{ path: 'pom.xml', line: 31 }]);
    expect(core.dependsOn).toEqual(['pkg:maven/org.springframework/spring-jcl@5.3.20?type=jar']);
    expect(core.direct).toBe(true);
    expect(byPurl(result.packages, 'pkg:maven/junit/junit@4.13.2?type=jar')).toMatchObject({
      licenses: ['EPL-1.0 OR Apache-2.0'],
      locations: [{ path: 'lib/junit-4.13.2.jar' }],
    });
    expect(byPurl(result.packages, 'pkg:maven/org.springframework/spring-jcl@5.3.20?type=jar').locations).toEqual([
      { path: 'cyclonedx-1.6.cdx.xml', line: 39 },
    ]);
    expect(result.withoutPurl).toEqual([{ ref: 'tool', name: 'internal-cli', version: '0.3' }]);
  });

  it('syft 1.4 XML: apk packages with their origin, layer and a binary without purl', () => {
    const result = read('syft-alpine-3.17.cdx.xml');
    expect(result.specVersion).toBe('1.4');
    expect(result.target).toMatchObject({ name: 'alpine:latest', metadata: { tool: 'syft 0.73.0', os: 'alpine 3.17.2' } });
    expect(result.packages).toHaveLength(14);
    expect(result.packages.every((p) => p.ecosystem === 'Alpine' && p.distro === 'Alpine:v3.17')).toBe(true);
    const binsh = result.packages.find((p) => p.name === 'busybox-binsh')!;
    expect(binsh.source).toEqual({ name: 'busybox' });
    expect(binsh.locations[0]).toMatchObject({ path: 'lib/apk/db/installed', layer: { digest: expect.stringMatching(/^sha256:/) } });
    expect(result.withoutPurl).toEqual([
      { ref: 'e93bc067bebd50a9', name: 'busybox', version: '1.35.0', cpes: ['cpe:2.3:a:busybox:busybox:1.35.0:*:*:*:*:*:*:*'] },
    ]);
  });
});

describe('readSbom: SPDX JSON', () => {
  const result = read('spdx-mixed.spdx.json');

  it('the described package is the target; its metadata and the producing tool', () => {
    expect(result).toMatchObject({ format: 'spdx', encoding: 'json', specVersion: '2.3' });
    expect(result.target).toEqual({
      kind: 'sbom',
      name: 'api-server',
      metadata: {
        file: 'spdx-mixed.spdx.json',
        format: 'spdx',
        specVersion: '2.3',
        tool: 'syft-1.18.0',
        created: '2025-02-03T04:05:06Z',
        componentVersion: '3.1.0',
        componentPurl: 'pkg:pypi/api-server@3.1.0',
        documentNamespace: 'https://example.com/spdx/api-server-1',
        os: 'alpine 3.19.1',
      },
    });
    expect(result.packages.map((p) => p.name)).toEqual(['musl', 'pluggy', 'pytest', 'requests', 'urllib3', 'uvloop']);
  });

  it('relationships: DEPENDS_ON and DEPENDENCY_OF become dependsOn; dev and optional edges set the scope, transitively', () => {
    const requests = byPurl(result.packages, 'pkg:pypi/requests@2.31.0');
    expect(requests).toMatchObject({ scope: 'required', direct: true, dependsOn: ['pkg:pypi/urllib3@2.0.7'] });
    expect(byPurl(result.packages, 'pkg:pypi/urllib3@2.0.7').scope).toBe('required');
    expect(byPurl(result.packages, 'pkg:pypi/pytest@8.0.0')).toMatchObject({ scope: 'dev', direct: true });
    expect(byPurl(result.packages, 'pkg:pypi/pluggy@1.4.0').scope).toBe('dev');
    expect(byPurl(result.packages, 'pkg:pypi/uvloop@0.19.0').scope).toBe('optional');
  });

  it('licenses: declared unless NOASSERTION/NONE, else concluded', () => {
    expect(byPurl(result.packages, 'pkg:pypi/requests@2.31.0').licenses).toEqual(['Apache-2.0']);
    expect(byPurl(result.packages, 'pkg:pypi/urllib3@2.0.7').licenses).toEqual(['MIT']);
    expect(byPurl(result.packages, 'pkg:pypi/pytest@8.0.0').licenses).toBeUndefined();
  });

  it('sourceInfo gives locations (syft) and source packages (trivy); the OS package gives the release', () => {
    expect(byPurl(result.packages, 'pkg:pypi/requests@2.31.0').locations).toEqual([
      { path: 'usr/lib/python3/site-packages/requests-2.31.0.dist-info/METADATA' },
      { path: 'usr/lib/python3/site-packages/requests-2.31.0.dist-info/RECORD' },
    ]);
    expect(byPurl(result.packages, 'pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64')).toMatchObject({
      distro: 'Alpine:v3.19',
      source: { name: 'musl', version: '1.2.4-r2' },
      direct: true,
    });
  });

  it('counts packages without a purl (a derived copy of a purl package is covered by it) and unscannable ones', () => {
    expect(result.withoutPurl).toEqual([{ ref: 'SPDXRef-internal', name: 'internal-tool', version: '0.1' }]);
    expect(result.unscannable.map((u) => u.purl)).toEqual(['pkg:github/madler/zlib@v1.3']);
  });

  it('skips malformed entries with an issue naming the JSON path', () => {
    expect(result.issues.map((i) => i.message).sort()).toEqual([
      'packages[11].externalRefs[0]: invalid purl "pkg:" ("type" is a required component)',
      'packages[12]: package without a name or purl',
      'packages[13]: not an object',
      'relationships[9]: needs spdxElementId, relationshipType and relatedSpdxElement',
    ]);
  });
});

describe('readSbom: SPDX from syft, trivy, osv-scalibr and the SPDX examples', () => {
  it('syft: PACKAGE_MANAGER purls, locations from sourceInfo, apk upstream as source', () => {
    const result = read('syft-alpine-3.10.spdx.json');
    expect(result.specVersion).toBe('2.2');
    expect(result.target.name).toBe('alpine-3.10');
    expect(result.packages.map((p) => `${p.name}@${p.version} ${p.distro}`)).toEqual([
      'busybox@1.30.1-r5 Alpine:v3.10',
      'libssl1.1@1.1.1k-r0 Alpine:v3.10',
      'ssl_client@1.30.1-r5 Alpine:v3.10',
    ]);
    const client = result.packages.find((p) => p.name === 'ssl_client')!;
    expect(client.source).toEqual({ name: 'busybox' });
    expect(client.locations).toEqual([{ path: 'lib/apk/db/installed' }]);
    expect(client.licenses).toEqual(['GPL-2.0']);
  });

  it('trivy: image and OS packages are structural; the purl’s version wins over versionInfo', () => {
    const result = read('trivy-centos-7.spdx.json');
    expect(result.target.name).toBe('integration/testdata/fixtures/images/centos-7.tar.gz');
    expect(result.withoutPurl).toEqual([]);
    expect(result.target.metadata?.os).toBe('centos 7.6.1810');
    expect(result.packages.map((p) => `${p.name}@${p.version}`)).toEqual(['bash@4.2.46-31.el7', 'openssl-libs@1:1.0.2k-16.el7']);
    expect(result.packages[1]!.source).toEqual({ name: 'openssl-libs', version: '1:1.0.2k-16.el7' });
    expect(result.packages.every((p) => p.direct)).toBe(true);
  });

  it('osv-scalibr: Ubuntu codename distro, epoch in the version', () => {
    const result = read('scalibr-ubuntu-focal.spdx.json');
    expect(result.packages).toEqual([
      {
        name: 'pcre3',
        version: '2:8.39-12ubuntu0.1',
        ecosystem: 'Ubuntu',
        purl: 'pkg:deb/ubuntu/pcre3@2:8.39-12ubuntu0.1?arch=amd64&distro=focal&source=pcre3',
        locations: [{ path: 'var/lib/dpkg/status' }],
        scope: 'required',
        distro: 'Ubuntu:20.04:LTS',
      },
    ]);
  });

  it('SPDX examples: DEPENDENCY_OF into the root, test dependencies dev with what they pull in', () => {
    const result = read('spdx-examples-appbomination.spdx.json');
    expect(result.target.name).toBe('App-BOM-ination');
    expect(result.packages.map((p) => `${p.name}:${p.scope}${p.direct ? ':direct' : ''}`)).toEqual([
      'junit:junit:dev:direct',
      'org.apache.commons:commons-lang3:required:direct',
      'org.hamcrest:hamcrest-core:dev',
      'org.slf4j:slf4j-api:required:direct',
    ]);
    expect(byPurl(result.packages, 'pkg:maven/junit/junit@4.12').dependsOn).toEqual(['pkg:maven/org.hamcrest/hamcrest-core@1.3']);
    expect(result.withoutPurl.map((w) => w.name)).toEqual(['Gradle', 'Faust Proprietary File']);
  });
});

describe('readSbom: SPDX tag-value and YAML', () => {
  it('tag-value: packages, external refs, relationships; file sections and <text> blocks ignored', () => {
    const result = read('spdx-tag-value.spdx');
    expect(result).toMatchObject({ format: 'spdx', encoding: 'tag-value', specVersion: '2.2' });
    expect(result.target.name).toBe('web-frontend');
    expect(result.packages).toEqual([
      {
        name: 'lodash',
        version: '4.17.20',
        ecosystem: 'npm',
        purl: 'pkg:npm/lodash@4.17.20',
        locations: [{ path: 'spdx-tag-value.spdx', line: 25 }],
        scope: 'required',
        licenses: ['MIT'],
        direct: true,
      },
    ]);
    expect(result.withoutPurl).toEqual([{ ref: 'SPDXRef-left-pad', name: 'left-pad', version: '1.3.0' }]);
  });

  it('YAML: the JSON model; with nothing described, every package is content', () => {
    const result = read('spdx-yaml.spdx.yaml');
    expect(result).toMatchObject({ format: 'spdx', encoding: 'yaml', specVersion: '2.3', target: { name: 'rust-service' } });
    expect(result.packages.map((p) => `${p.ecosystem}|${p.name}|${p.version}`)).toEqual(['crates.io|serde|1.0.193', 'crates.io|tokio|1.35.0']);
    expect(byPurl(result.packages, 'pkg:cargo/tokio@1.35.0').dependsOn).toEqual(['pkg:cargo/serde@1.0.193']);
    expect(byPurl(result.packages, 'pkg:cargo/serde@1.0.193').licenses).toEqual(['MIT OR Apache-2.0']);
  });
});

describe('readSbom: documents that are not a supported SBOM', () => {
  it.each([
    ['bad/not-an-sbom.txt', /^bad\/not-an-sbom\.txt: not an SBOM; expected CycloneDX 1\.2–1\.7/],
    ['bad/binary.png', /binary\.png: not an SBOM/],
    ['bad/package.json', /JSON but neither CycloneDX \(no "bomFormat": "CycloneDX"\) nor SPDX/],
    ['bad/truncated.cdx.json', /truncated\.cdx\.json: not valid JSON \(.*line 6/],
    ['bad/cyclonedx-1.1.cdx.json', /CycloneDX specVersion "1\.1" is not supported \(1\.2 to 1\.7 are\)/],
    ['bad/cyclonedx-1.1.cdx.xml', /CycloneDX specVersion "1\.1" is not supported/],
    ['bad/spdx-1.2.spdx.json', /SPDX version "SPDX-1\.2" is not supported/],
    ['bad/spdx-3.spdx.jsonld', /SPDX 3 JSON-LD is not supported/],
    ['bad/sbom.spdx.rdf', /SPDX RDF\/XML is not supported/],
    ['bad/pom.xml', /XML but not a CycloneDX <bom>/],
  ])('%s → UNSUPPORTED_FORMAT', (file, message) => {
    const err = readError(file);
    expect(err.code).toBe('UNSUPPORTED_FORMAT');
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(message);
  });

  it('a CycloneDX document with a malformed part is read with an issue', () => {
    const result = read('bad/components-not-array.cdx.json');
    expect(result.packages).toEqual([]);
    expect(result.issues).toEqual([{ path: 'bad/components-not-array.cdx.json', message: 'components: not an array' }]);
  });

  it('an empty text is not an SBOM', () => {
    expect(() => readSbom('', 'empty.json')).toThrow(/empty\.json: not an SBOM/);
  });
});
