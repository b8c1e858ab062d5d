import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import type { Package } from '../../src/core/types.ts';
import type { Cataloger } from '../../src/sbom/catalog/cataloger.ts';
import { ALL_CATALOGERS } from '../../src/sbom/catalog/index.ts';
import { catalogImage } from '../../src/image/scan.ts';
import { MEDIA_TYPES } from '../../src/image/types.ts';
import {
  buildImage,
  dockerArchive,
  multiPlatformLayout,
  OS_RELEASE,
  sampleLayers,
  singleImageLayout,
  tarOf,
  tarOfFiles,
  writeFiles,
  type BuiltImage,
} from './build.ts';

/** Stands in for the dpkg cataloger: reads the status file and the OS release through sibling(). */
const dpkgLike: Cataloger = {
  name: 'test/dpkg',
  ecosystem: 'Debian',
  wants: (path) => path === 'var/lib/dpkg/status',
  async catalog(input) {
    const text = await input.text();
    const release = await input.sibling('../../../etc/os-release');
    const versionId = /VERSION_ID="?([^"\n]+)/.exec(release ?? '')?.[1] ?? 'unknown';
    const name = /Package: (.*)/.exec(text)![1]!;
    const version = /Version: (.*)/.exec(text)![1]!;
    return {
      packages: [
        { name, version, ecosystem: 'Debian', purl: `pkg:deb/debian/${name}@${version}`, locations: [{ path: input.path }], scope: 'required', distro: `Debian:${versionId}` },
      ],
    };
  },
};
const catalogers = [...ALL_CATALOGERS, dpkgLike];

let work: string;
let image: BuiltImage;
let ociDir: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'palisade-image-test-'));
  image = await buildImage(sampleLayers());
  ociDir = writeFiles(join(work, 'oci'), singleImageLayout(image, 'v1'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** What must agree across image formats: identity and the diffID/history of the introducing layer. */
function summary(packages: Package[]) {
  return packages.map((p) => ({
    purl: p.purl,
    distro: p.distro,
    paths: p.locations.map((l) => l.path),
    diffIds: p.locations.map((l) => l.layer?.diffId),
    createdBy: p.locations.map((l) => l.layer?.createdBy),
  }));
}

describe('catalogImage', () => {
  it('catalogs an OCI layout and attributes each package to the layer that installed it', async () => {
    const report = await catalogImage(`oci:${ociDir}:v1`, { catalogers });
    expect(report.issues).toEqual([]);
    expect(report.target).toMatchObject({
      kind: 'image',
      name: `oci:${ociDir}:v1`,
      metadata: { digest: image.manifestDigest, imageId: image.configDigest, os: 'linux', architecture: 'amd64', platform: 'linux/amd64' },
    });
    expect(JSON.parse(report.target.metadata!.layers!)).toHaveLength(3);

    const lodash = report.packages.find((p) => p.name === 'lodash')!;
    expect(lodash).toMatchObject({ version: '4.17.21', ecosystem: 'npm' });
    expect(lodash.locations).toEqual([
      {
        path: 'app/node_modules/lodash/package.json',
        layer: { digest: image.layers[1]!.digest, diffId: image.layers[1]!.diffId, createdBy: 'RUN npm install lodash' },
      },
    ]);
    const requests = report.packages.find((p) => p.name === 'requests')!;
    expect(requests.locations[0]!.layer).toEqual({ digest: image.layers[2]!.digest, diffId: image.layers[2]!.diffId, createdBy: 'RUN pip install requests' });
    // os-release is a relative symlink in the image; the OS package sees its content.
    const base = report.packages.find((p) => p.name === 'base-files')!;
    expect(base).toMatchObject({ version: '12.4', distro: 'Debian:12' });
    expect(base.locations[0]!.layer?.createdBy).toBe('/bin/sh -c #(nop) ADD file:rootfs.tar.gz in /');
  });

  it('gives the same packages from an OCI archive and docker-archives (legacy, Docker 25+, gzip)', async () => {
    const expected = summary((await catalogImage(`oci:${ociDir}:v1`, { catalogers })).packages);
    const ociArchive = join(work, 'image.oci.tar');
    writeFileSync(ociArchive, await tarOfFiles(singleImageLayout(image, 'v1')));
    const legacy = join(work, 'legacy.tar');
    writeFileSync(legacy, await dockerArchive(image, { legacy: true }));
    const modern = join(work, 'modern.tar');
    writeFileSync(modern, await dockerArchive(image, { legacy: false }));
    const gzipped = join(work, 'legacy.tar.gz');
    writeFileSync(gzipped, gzipSync(await dockerArchive(image, { legacy: true })));
    const compressedLayers = join(work, 'compressed-layers.tar');
    writeFileSync(compressedLayers, await dockerArchive(image, { legacy: true, keepCompression: true }));

    for (const ref of [
      `oci-archive:${ociArchive}`,
      `oci-archive:${ociArchive}:v1`,
      `docker-archive:${legacy}`,
      `docker-archive:${legacy}:example.com/test/app:1.0`,
      `docker-archive:${modern}`,
      `docker-archive:${gzipped}`,
      `docker-archive:${compressedLayers}`,
    ]) {
      const report = await catalogImage(ref, { catalogers });
      expect(report.issues, ref).toEqual([]);
      expect(summary(report.packages), ref).toEqual(expected);
      expect(report.target.metadata?.imageId, ref).toBe(image.configDigest);
    }
  });

  it('reports the legacy docker-archive digest as the image ID and layer digests as diffIDs', async () => {
    const legacy = join(work, 'legacy-digests.tar');
    writeFileSync(legacy, await dockerArchive(image, { legacy: true }));
    const report = await catalogImage(`docker-archive:${legacy}`, { catalogers });
    expect(report.target.metadata?.digest).toBe(image.configDigest);
    const lodash = report.packages.find((p) => p.name === 'lodash')!;
    expect(lodash.locations[0]!.layer?.digest).toBe(image.layers[1]!.diffId);
  });

  it('names the images in a docker-archive when the selector matches none', async () => {
    const legacy = join(work, 'selector.tar');
    writeFileSync(legacy, await dockerArchive(image, { legacy: true, repoTags: ['alpine:3.20'] }));
    await expect(catalogImage(`docker-archive:${legacy}:alpine`, { catalogers })).rejects.toThrow(/no image tagged alpine .*tags: alpine:3.20/);
    const report = await catalogImage(`docker-archive:${legacy}:docker.io/library/alpine:3.20`, { catalogers });
    expect(report.packages.some((p) => p.name === 'lodash')).toBe(true);
  });

  it('selects a tag of an OCI layout and lists the tags when it is missing', async () => {
    await expect(catalogImage(`oci:${ociDir}:v2`, { catalogers })).rejects.toThrow(/no image tagged "v2"; tags in the layout: v1/);
    const untagged = await catalogImage(`oci:${ociDir}`, { catalogers });
    expect(untagged.packages.length).toBeGreaterThan(0);
  });

  it('picks the platform from a nested multi-platform index and lists platforms when none matches', async () => {
    const arm = await buildImage(
      [
        {
          compression: 'gzip',
          createdBy: 'ADD arm rootfs',
          entries: [{ path: 'app/node_modules/arm-only/package.json', content: JSON.stringify({ name: 'arm-only', version: '1.0.0' }) }],
        },
      ],
      { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    );
    const dir = writeFiles(join(work, 'multi'), multiPlatformLayout([image, arm]));
    const names = (r: { packages: Package[] }) => r.packages.map((p) => p.name);

    const byDefault = await catalogImage(`oci:${dir}`, { catalogers });
    expect(names(byDefault)).toContain('lodash');
    expect(byDefault.target.metadata?.digest).toBe(image.manifestDigest);
    for (const platform of ['linux/arm64', 'linux/arm64/v8', 'linux/aarch64']) {
      const report = await catalogImage(`oci:${dir}:latest`, { catalogers, platform });
      expect(names(report), platform).toEqual(['arm-only']);
      expect(report.target.metadata?.platform).toBe('linux/arm64/v8');
    }
    await expect(catalogImage(`oci:${dir}`, { catalogers, platform: 'linux/s390x' })).rejects.toThrow(
      /no image for platform linux\/s390x; available: linux\/amd64, linux\/arm64 \(choose one with --platform\)/,
    );
    await expect(catalogImage(`oci:${dir}`, { catalogers, platform: 'linux' })).rejects.toThrow(/invalid platform "linux"/);
  });

  it('refuses an explicit platform that a single-platform image does not have', async () => {
    await expect(catalogImage(`oci:${ociDir}`, { catalogers, platform: 'linux/arm64' })).rejects.toThrow(/the image is linux\/amd64, not linux\/arm64/);
  });

  it('catalogs an unpacked root filesystem, resolving absolute symlinks inside it', async () => {
    const root = join(work, 'rootfs');
    mkdirSync(join(root, 'usr/lib'), { recursive: true });
    mkdirSync(join(root, 'etc'), { recursive: true });
    mkdirSync(join(root, 'var/lib/dpkg'), { recursive: true });
    // VERSION_ID 77: the host's own /usr/lib/os-release must not be what is read.
    writeFileSync(join(root, 'usr/lib/os-release'), OS_RELEASE.replace('VERSION_ID="12"', 'VERSION_ID="77"'));
    symlinkSync('/usr/lib/os-release', join(root, 'etc/os-release'));
    writeFileSync(join(root, 'var/lib/dpkg/status'), 'Package: base-files\nVersion: 77.1\n');
    const report = await catalogImage(`rootfs:${root}`, { catalogers: [dpkgLike] });
    expect(report.target).toEqual({ kind: 'rootfs', name: `rootfs:${root}` });
    expect(report.packages.map((p) => [p.name, p.distro])).toEqual([['base-files', 'Debian:77']]);
  });
});

describe('bad images', () => {
  it('names the layer whose blob does not match its digest', async () => {
    const files = singleImageLayout(image);
    const path = `blobs/sha256/${image.layers[1]!.digest.slice(7)}`;
    const tampered = Buffer.from(files.get(path)!);
    // Layer 2 is stored uncompressed: change one letter of a file's content, the tar stays valid.
    tampered[tampered.indexOf('"lodash"') + 1] = 0x4c;
    files.set(path, tampered);
    const dir = writeFiles(join(work, 'tampered'), files);
    await expect(catalogImage(`oci:${dir}`, { catalogers })).rejects.toThrow(
      new RegExp(`layer 2 \\(${image.layers[1]!.digest}\\): blob digest mismatch`),
    );
  });

  it('names the layer whose content does not match the config diffID', async () => {
    const bad = await buildImage(sampleLayers(), { corruptDiffId: 2 });
    const dir = writeFiles(join(work, 'bad-diffid'), singleImageLayout(bad));
    await expect(catalogImage(`oci:${dir}`, { catalogers })).rejects.toThrow(/layer 3 \(sha256:[0-9a-f]+\): diffID mismatch/);
  });

  it('reports a truncated layer blob, a truncated archive and a missing blob clearly', async () => {
    const files = singleImageLayout(image);
    const path = `blobs/sha256/${image.layers[0]!.digest.slice(7)}`;
    files.set(path, files.get(path)!.subarray(0, 100));
    const dir = writeFiles(join(work, 'truncated-layer'), files);
    await expect(catalogImage(`oci:${dir}`, { catalogers })).rejects.toThrow(/layer 1 \(sha256:[0-9a-f]+\): cannot read the layer \(truncated or corrupt\?\)/);

    const archive = await dockerArchive(image, { legacy: true });
    const cut = join(work, 'cut.tar');
    writeFileSync(cut, archive.subarray(0, archive.length - 3000));
    await expect(catalogImage(`docker-archive:${cut}`, { catalogers })).rejects.toThrow(/truncated archive/);
    const cutGzip = join(work, 'cut.tar.gz');
    const gz = gzipSync(archive);
    writeFileSync(cutGzip, gz.subarray(0, gz.length - 200));
    await expect(catalogImage(`docker-archive:${cutGzip}`, { catalogers })).rejects.toThrow(/cannot decompress the archive/);

    const missing = singleImageLayout(image);
    missing.delete(`blobs/sha256/${image.layers[2]!.digest.slice(7)}`);
    const missingDir = writeFiles(join(work, 'missing-blob'), missing);
    await expect(catalogImage(`oci:${missingDir}`, { catalogers })).rejects.toThrow(/blobs\/sha256\/[0-9a-f]+ is missing/);
  });

  it('refuses unknown layer media types and non-layouts', async () => {
    const files = singleImageLayout(image);
    const manifest = JSON.parse(image.manifest.toString()) as { layers: { mediaType: string }[] };
    manifest.layers[0]!.mediaType = 'application/vnd.example.weird';
    const bytes = Buffer.from(JSON.stringify(manifest));
    const { digestOf } = await import('./build.ts');
    files.set(`blobs/sha256/${digestOf(bytes).slice(7)}`, bytes);
    files.set('index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MEDIA_TYPES.ociManifest, digest: digestOf(bytes), size: bytes.length }] })));
    const dir = writeFiles(join(work, 'weird'), files);
    await expect(catalogImage(`oci:${dir}`, { catalogers })).rejects.toThrow(/layer 1 .*unknown layer media type "application\/vnd.example.weird"/);
    await expect(catalogImage(`oci:${work}`, { catalogers })).rejects.toThrow(/not an OCI image layout/);
    await expect(catalogImage(`oci:${join(work, 'nope')}`, { catalogers })).rejects.toThrow(/does not exist/);
  });

  it('skips entries that climb out of the image root, with a warning naming the layer', async () => {
    const evil = await buildImage([
      {
        compression: 'gzip',
        createdBy: 'ADD evil',
        entries: [
          { path: '../../escape/package.json', content: '{}' },
          { path: 'app/node_modules/ok/package.json', content: JSON.stringify({ name: 'ok', version: '1.0.0' }) },
        ],
      },
    ]);
    const dir = writeFiles(join(work, 'evil'), singleImageLayout(evil));
    const report = await catalogImage(`oci:${dir}`, { catalogers });
    expect(report.packages.map((p) => p.name)).toEqual(['ok']);
    expect(report.issues).toEqual([
      { path: `layer 1 (${evil.layers[0]!.digest})`, message: expect.stringMatching(/skipped entry "\.\.\/\.\.\/escape\/package.json": its path leaves the image root/) },
    ]);
  });

  it('keeps the tar writer honest: a layer tar lists its entries in order', async () => {
    const bytes = await tarOf([{ path: 'a', content: 'x' }]);
    expect(bytes.length % 512).toBe(0);
  });
});

const skopeo = spawnSync('skopeo', ['--version'], { encoding: 'utf8' });
describe.skipIf(skopeo.status !== 0)('with skopeo', () => {
  it('reads what skopeo writes: oci → docker-archive and oci-archive give the same packages', async () => {
    // Docker archives cannot hold zstd layers: this image has gzip and plain ones only.
    const layers = sampleLayers().map((l) => ({ ...l, compression: l.compression === 'zstd' ? ('gzip' as const) : l.compression }));
    const source = writeFiles(join(work, 'skopeo-source'), singleImageLayout(await buildImage(layers), 'v1'));
    const expected = summary((await catalogImage(`oci:${source}:v1`, { catalogers })).packages);
    const dockerOut = join(work, 'skopeo-docker.tar');
    const ociOut = join(work, 'skopeo-oci.tar');
    for (const dest of [`docker-archive:${dockerOut}:example.com/app:v1`, `oci-archive:${ociOut}:v1`]) {
      const copy = spawnSync('skopeo', ['copy', '--quiet', `oci:${source}:v1`, dest], { encoding: 'utf8' });
      expect(copy.stderr).toBe('');
      expect(copy.status).toBe(0);
    }
    for (const ref of [`docker-archive:${dockerOut}`, `oci-archive:${ociOut}:v1`]) {
      const report = await catalogImage(ref, { catalogers });
      expect(report.issues, ref).toEqual([]);
      expect(summary(report.packages), ref).toEqual(expected);
    }
  });
});
if (skopeo.status !== 0) console.warn('skopeo not installed: skipping the skopeo round-trip test (apt-get install skopeo)');
