/**
 * One image, three ways in: an OCI layout, the `docker save` archive skopeo writes from it, and
 * a real Debian `docker-registry` on 127.0.0.1 that skopeo pushed it to. All three must give the
 * same SBOM (same packages, same layer attribution). The base layer is a real Debian 12 dpkg
 * database, so the test also shows the catalog of a real system.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogImage } from '../../src/image/scan.ts';
import type { CatalogReport } from '../../src/sbom/catalog/run.ts';
import { toCycloneDx } from '../../src/sbom/formats/cyclonedx.ts';
import { repoRoot } from '../helpers/corpus.ts';
import { cycloneDxValidator } from '../helpers/schemas.ts';
import { buildImage, singleImageLayout, writeFiles } from './build.ts';
import { dockerRegistryAvailable, startDockerRegistry, type RunningRegistry } from './registry/helpers/docker-registry.ts';

const fixture = (name: string) => readFileSync(join(repoRoot, 'test/fixtures/image', name));
const skopeo = spawnSync('skopeo', ['--version']).status === 0;
if (!skopeo) console.warn('[image] skipped: skopeo not found (apt-get install skopeo; .ci/run installs it)');
const available = skopeo && dockerRegistryAvailable();

const dir = mkdtempSync(join(tmpdir(), 'palisade-image-paths-'));
let registry: RunningRegistry | undefined;
const reports = new Map<string, CatalogReport>();

/** What must agree across sources: every package with the layer (diffID, created_by) that added it. */
const view = (report: CatalogReport) =>
  report.packages.map((p) => `${p.purl} ${p.locations.map((l) => `${l.path}@${l.layer?.diffId}:${l.layer?.createdBy}`).join(',')}`).sort();

describe.skipIf(!available)('image sources agree (OCI layout, docker-archive via skopeo, registry via skopeo)', () => {
  beforeAll(async () => {
    const image = await buildImage([
      {
        compression: 'gzip',
        createdBy: '/bin/sh -c #(nop) ADD file:bookworm-rootfs.tar.xz in /',
        entries: [
          { path: 'usr/lib/os-release', content: fixture('bookworm-os-release') },
          { path: 'etc/os-release', symlink: '../usr/lib/os-release' },
          { path: 'var/lib/dpkg/status', content: gunzipSync(fixture('bookworm-dpkg-status.gz')) },
        ],
      },
      {
        compression: 'gzip',
        createdBy: 'RUN npm ci --omit=dev',
        entries: [
          { path: 'app/node_modules/lodash/package.json', content: JSON.stringify({ name: 'lodash', version: '4.17.20', license: 'MIT' }) },
          { path: 'app/package-lock.json', content: readFileSync(join(repoRoot, 'examples/storefront/web/package-lock.json')) },
        ],
      },
    ]);
    const layout = writeFiles(join(dir, 'layout'), singleImageLayout(image, 'v1'));
    const archive = join(dir, 'app.tar');
    registry = await startDockerRegistry();
    const copy = (dest: string) => {
      const r = spawnSync('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:v1`, dest], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    };
    copy(`docker-archive:${archive}:example.com/storefront/app:v1`);
    copy(`docker://${registry.host}/storefront/app:v1`);
    expect(existsSync(archive)).toBe(true);
    reports.set('oci', await catalogImage(`oci:${layout}:v1`));
    reports.set('docker-archive', await catalogImage(`docker-archive:${archive}`));
    reports.set('registry', await catalogImage(`${registry.host}/storefront/app:v1`, { registry: { insecure: true } }));
  }, 120_000);

  afterAll(async () => {
    await registry?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('catalogs the real Debian 12 dpkg database with source packages and the Debian:12 release', () => {
    const report = reports.get('oci')!;
    const debs = report.packages.filter((p) => p.ecosystem === 'Debian');
    const installed = gunzipSync(fixture('bookworm-dpkg-status.gz')).toString('utf8').match(/^Status: install ok installed$/gm)!.length;
    expect(installed).toBeGreaterThan(700);
    expect(debs.length).toBe(installed);
    expect(debs.every((p) => p.distro === 'Debian:12')).toBe(true);
    const libssl = debs.find((p) => p.name === 'libssl3');
    expect(libssl?.source?.name).toBe('openssl');
    expect(report.issues).toEqual([]);
  });

  it('gives the same packages and layer attribution through all three sources', () => {
    const oci = view(reports.get('oci')!);
    expect(oci.length).toBeGreaterThan(800);
    expect(view(reports.get('docker-archive')!)).toEqual(oci);
    expect(view(reports.get('registry')!)).toEqual(oci);
  });

  it('attributes each package to the layer that added it', () => {
    const lodash = reports.get('registry')!.packages.find((p) => p.name === 'lodash' && p.version === '4.17.20')!;
    expect(lodash.locations.map((l) => l.layer?.createdBy)).toContain('RUN npm ci --omit=dev');
    const bash = reports.get('registry')!.packages.find((p) => p.name === 'bash')!;
    expect(bash.locations[0]!.layer?.createdBy).toMatch(/bookworm-rootfs/);
  });

  it('writes the image as a CycloneDX container component with its digest, oci purl and layers', () => {
    const report = reports.get('registry')!;
    const bom = toCycloneDx(report);
    expect(cycloneDxValidator()(bom)).toBe(true);
    const component = (bom.metadata as { component: Record<string, unknown> }).component;
    expect(component).toMatchObject({ type: 'container', version: report.target.metadata!.digest });
    expect(component.purl).toMatch(/^pkg:oci\/app@sha256(:|%3A)[0-9a-f]{64}\?arch=amd64&repository_url=127\.0\.0\.1(:|%3A)\d+%2Fstorefront%2Fapp&tag=v1$/);
    expect(component.properties).toContainEqual(expect.objectContaining({ name: 'palisade:image:layer:1' }));
  });
});
