import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openTarArchive } from '../../src/image/sources/tar-archive.ts';
import { tarOf } from './build.ts';

const work = mkdtempSync(join(tmpdir(), 'palisade-tar-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function archiveOf(bytes: Buffer, name: string) {
  const path = join(work, name);
  writeFileSync(path, bytes);
  return openTarArchive(path, name);
}

describe('openTarArchive', () => {
  it('indexes members (long names via pax headers too) and reads them as ranges', async () => {
    const long = `${'deep/'.repeat(40)}file.txt`;
    const archive = await archiveOf(
      await tarOf([
        { path: 'a.txt', content: 'alpha' },
        { path: long, content: 'long name' },
        { path: 'dir/', dir: true },
        { path: 'dir/link', symlink: '../a.txt' },
        { path: 'hard', hardlink: 'a.txt' },
        { path: 'empty', content: '' },
      ]),
      'plain.tar',
    );
    try {
      expect([...archive.members.keys()]).toEqual(['a.txt', long, 'dir', 'dir/link', 'hard', 'empty']);
      expect((await archive.read(long, 100)).toString()).toBe('long name');
      expect((await archive.read('./dir/link', 100)).toString()).toBe('alpha');
      expect((await archive.read('hard', 100)).toString()).toBe('alpha');
      expect((await archive.readRange('a.txt', 1, 3)).toString()).toBe('lph');
      const chunks: Buffer[] = [];
      for await (const chunk of await archive.stream('empty')) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).length).toBe(0);
      expect(await archive.size('nope')).toBeUndefined();
      await expect(archive.read('nope', 10)).rejects.toThrow('plain.tar: nope is missing');
      await expect(archive.read('a.txt', 2)).rejects.toThrow(/larger than 2 bytes/);
    } finally {
      await archive.close();
      await archive.close(); // twice is fine
    }
  });

  it('rejects truncated archives and non-tar files clearly', async () => {
    const bytes = await tarOf([{ path: 'big', content: Buffer.alloc(5000, 1) }]);
    await expect(archiveOf(bytes.subarray(0, 2048), 'cut.tar')).rejects.toThrow(/cut.tar: truncated archive: member "big" at byte 0 runs past the end/);
    await expect(archiveOf(bytes.subarray(0, 300), 'tiny.tar')).rejects.toThrow(/truncated archive: a header/);
    await expect(archiveOf(Buffer.alloc(1024, 0x41), 'junk.tar')).rejects.toThrow(/junk.tar: not a tar archive, or corrupt at byte 0/);
    await expect(openTarArchive(join(work, 'missing.tar'), 'missing.tar')).rejects.toThrow(/missing.tar: cannot open/);
  });
});
