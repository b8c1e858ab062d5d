import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogImage } from '../../src/image/scan.ts';
import { buildImage, manifestDescriptor, ociLayoutFiles, sampleLayers, singleImageLayout, writeFiles } from './build.ts';

describe('OCI layouts holding signatures', () => {
  it('scans the one image of a layout that also stores its cosign signatures and referrers', async () => {
    const image = await buildImage(sampleLayers());
    const files = singleImageLayout(image, 'v1');
    const index = JSON.parse(files.get('index.json')!.toString()) as { manifests: object[] };
    const hex = image.manifestDigest.slice('sha256:'.length);
    index.manifests.push(
      manifestDescriptor(image, { annotations: { 'org.opencontainers.image.ref.name': `sha256-${hex}.sig` } }),
      manifestDescriptor(image, { annotations: { 'org.opencontainers.image.ref.name': `sha256-${hex}` } }),
      manifestDescriptor(image, { artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' }),
    );
    const layout = writeFiles(mkdtempSync(join(tmpdir(), 'palisade-layout-sig-')), new Map([...files, ...ociLayoutFiles(index, new Map())]));
    const report = await catalogImage(`oci:${layout}`);
    expect(report.target.metadata?.digest).toBe(image.manifestDigest);
    expect(report.packages.map((p) => p.name)).toContain('lodash');
  });
});
