import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layerRefs } from '../../src/image/layers.ts';
import { openImage } from '../../src/image/scan.ts';
import { squashImage, type SquashedImage } from '../../src/image/squash.ts';
import type { ImageSource, LayerRef } from '../../src/image/types.ts';
import { buildImage, OS_RELEASE, sampleLayers, singleImageLayout, writeFiles, type BuiltImage } from './build.ts';

let work: string;
let image: BuiltImage;
let source: ImageSource;
let layers: LayerRef[];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'palisade-squash-test-'));
  image = await buildImage(sampleLayers());
  source = await openImage(`oci:${writeFiles(join(work, 'oci'), singleImageLayout(image))}`);
  const resolved = await source.manifest();
  layers = layerRefs(resolved.manifest, resolved.config, 'test');
});
afterAll(async () => {
  await source.close();
  rmSync(work, { recursive: true, force: true });
});

async function squash(keep: (path: string) => boolean, limits = {}): Promise<SquashedImage> {
  return squashImage(source, layers, { keep, limits });
}

describe('layerRefs', () => {
  it('pairs layers with history, skipping empty_layer steps', () => {
    expect(layers.map((l) => l.createdBy)).toEqual(['/bin/sh -c #(nop) ADD file:rootfs.tar.gz in /', 'RUN npm install lodash', 'RUN pip install requests']);
    expect(layers.map((l) => l.diffId)).toEqual(image.layers.map((l) => l.diffId));
    expect(layers.map((l) => l.mediaType)).toEqual([
      'application/vnd.oci.image.layer.v1.tar+gzip',
      'application/vnd.oci.image.layer.v1.tar',
      'application/vnd.oci.image.layer.v1.tar+zstd',
    ]);
  });
});

describe('squashImage', () => {
  it('applies whiteouts and opaque directories in layer order', async () => {
    const squashed = await squash(() => true);
    try {
      const { files, issues } = await squashed.tree.list(() => true, []);
      expect(issues).toEqual([]);
      expect(files).toEqual([
        'app/node_modules/lodash/package.json',
        'etc/os-release', // a symlink to a file counts, as in a directory walk
        'opt/old/c.txt',
        'usr/bin/tool',
        'usr/bin/tool-link',
        'usr/lib/os-release',
        'usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA',
        'var/lib/dpkg/status',
      ]);
    } finally {
      await squashed.close();
    }
  });

  it('honours skip dirs and the wants predicate', async () => {
    const squashed = await squash(() => true);
    try {
      const { files } = await squashed.tree.list((p) => p.endsWith('.json') || p.endsWith('status'), ['app', 'var/lib']);
      expect(files).toEqual([]);
      expect((await squashed.tree.list((p) => p.endsWith('status'), ['app'])).files).toEqual(['var/lib/dpkg/status']);
    } finally {
      await squashed.close();
    }
  });

  it('attributes each file to the layer that last wrote it; hardlinks share content', async () => {
    const squashed = await squash(() => true);
    try {
      const tree = squashed.tree;
      expect(tree.layerOf!('usr/bin/tool')).toEqual({ digest: layers[0]!.digest, diffId: layers[0]!.diffId, createdBy: layers[0]!.createdBy });
      expect(tree.layerOf!('usr/bin/tool-link')?.digest).toBe(layers[1]!.digest);
      expect(await tree.input('usr/bin/tool-link').text()).toBe('tool binary');
      expect(await tree.size('usr/bin/tool-link')).toBe('tool binary'.length);
      expect(tree.layerOf!('opt/old/c.txt')?.createdBy).toBe('RUN npm install lodash');
      expect(tree.layerOf!('tmp/delete-me.txt')).toBeUndefined();
    } finally {
      await squashed.close();
    }
  });

  it('resolves siblings through relative, absolute and directory symlinks, inside the root', async () => {
    const squashed = await squash(() => true);
    try {
      const status = squashed.tree.input('var/lib/dpkg/status');
      expect(await status.sibling('../../../etc/os-release')).toBe(OS_RELEASE); // etc/os-release -> ../usr/lib/os-release
      expect(await status.sibling('../../../lib/os-release')).toBe(OS_RELEASE); // lib -> usr/lib
      expect(await status.sibling('../../../../../../etc/os-release')).toBe(OS_RELEASE); // `..` stops at the root
      // etc/alternatives/python -> /usr/lib/python3: absolute, so from the image root, not the host's.
      expect(await status.sibling('../../../etc/alternatives/python/dist-packages/requests-2.31.0.dist-info/METADATA')).toMatch(/^Metadata-Version/);
      expect(await status.sibling('../../../tmp/delete-me.txt')).toBeUndefined();
      expect(await status.sibling('../../../opt/old/sub/b.txt')).toBeUndefined();
    } finally {
      await squashed.close();
    }
  });

  it('reads files it did not keep by streaming their layer again', async () => {
    const squashed = await squash(() => false);
    try {
      const input = squashed.tree.input('app/node_modules/lodash/package.json');
      expect(JSON.parse(await input.text())).toMatchObject({ name: 'lodash' });
      expect((await input.head(2)).toString()).toBe('{"');
      expect(await input.sibling('../../../etc/os-release')).toBe(OS_RELEASE);
    } finally {
      await squashed.close();
    }
  });

  it('spools contents past the memory budget to a private temp file and removes it on close', async () => {
    const before = new Set(readdirSync(tmpdir()).filter((n) => n.startsWith('palisade-image-')));
    const squashed = await squash(() => true, { memoryFileBytes: 0 });
    const spools = readdirSync(tmpdir()).filter((n) => n.startsWith('palisade-image-') && !before.has(n));
    expect(spools).toHaveLength(1);
    const input = squashed.tree.input('usr/lib/os-release');
    expect(await input.text()).toBe(OS_RELEASE);
    expect((await input.head(11)).toString()).toBe('PRETTY_NAME');
    await squashed.close();
    expect(readdirSync(tmpdir()).filter((n) => spools.includes(n))).toEqual([]);
  });

  it('reports kept files over the per-file limit instead of reading them', async () => {
    const squashed = await squash(() => true, { maxFileBytes: 20 });
    try {
      const { files, issues } = await squashed.tree.list((p) => p.startsWith('usr/lib/'), []);
      expect(files).toEqual([]);
      expect(issues.map((i) => i.path)).toEqual(['usr/lib/os-release', 'usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA']);
      expect(issues[0]!.message).toMatch(/not catalogued: larger than the 20-byte per-file limit/);
    } finally {
      await squashed.close();
    }
  });

  it('ends symlink loops as not found', async () => {
    const loop = await buildImage([
      {
        compression: 'none',
        createdBy: 'loop',
        entries: [
          { path: 'a', symlink: 'b' },
          { path: 'b', symlink: '/a' },
          { path: 'x/file', content: 'data' },
        ],
      },
    ]);
    const loopSource = await openImage(`oci:${writeFiles(join(work, 'loop'), singleImageLayout(loop))}`);
    try {
      const resolved = await loopSource.manifest();
      const squashed = await squashImage(loopSource, layerRefs(resolved.manifest, resolved.config, 'loop'), { keep: () => true });
      expect((await squashed.tree.list(() => true, [])).files).toEqual(['x/file']);
      expect(await squashed.tree.input('x/file').sibling('../a/anything')).toBeUndefined();
      await squashed.close();
    } finally {
      await loopSource.close();
    }
  });
});
