import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sbomCommand } from '../../src/cli/sbom.ts';
import { buildImage, multiPlatformLayout, sampleLayers, writeFiles } from './build.ts';

let work: string;
let layout: string;
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'palisade-image-cli-'));
  const amd = await buildImage(sampleLayers());
  const arm = await buildImage(
    [{ compression: 'gzip', createdBy: 'ADD arm', entries: [{ path: 'app/node_modules/arm-only/package.json', content: '{"name":"arm-only","version":"2.0.0"}' }] }],
    { platform: { os: 'linux', architecture: 'arm64' } },
  );
  layout = writeFiles(join(work, 'oci'), multiPlatformLayout([amd, arm], 'v1'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const sbom = (...args: string[]) => sbomCommand(() => ({ quiet: true })).parseAsync(args, { from: 'user' });

describe('palisade sbom <image>', () => {
  it('writes an SBOM of an image reference, honouring --platform', async () => {
    const out = join(work, 'default.json');
    await sbom(`oci:${layout}:v1`, '-f', 'json', '-o', out);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as { target: { kind: string }; packages: { name: string }[] };
    expect(doc.target.kind).toBe('image');
    expect(doc.packages.map((p) => p.name)).toContain('lodash');

    const arm = join(work, 'arm.json');
    await sbom(`oci:${layout}:v1`, '--platform', 'linux/arm64', '-f', 'cyclonedx-json', '-o', arm);
    const bom = JSON.parse(readFileSync(arm, 'utf8')) as { metadata: { component: { type: string } }; components: { name: string }[] };
    expect(bom.metadata.component.type).toBe('container');
    expect(bom.components.map((c) => c.name)).toEqual(['arm-only']);
  });

  it('fails with a usable message for a platform the image lacks', async () => {
    await expect(sbom(`oci:${layout}`, '--platform', 'linux/ppc64le')).rejects.toThrow(/no image for platform linux\/ppc64le; available: linux\/amd64, linux\/arm64/);
  });
});
