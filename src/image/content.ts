/**
 * Where the layered filesystem keeps the contents of the files catalogers will read. Small files
 * stay in memory; larger ones, and everything once the memory budget is spent, go to one private
 * spool file in the temp directory, so memory stays bounded whatever the image holds (Go binaries,
 * jars). Files nobody asked for are not stored at all: their content is re-read from the layer if
 * it is ever needed (`lazy`). Past the per-file or spool limits a file is `skipped` and the caller
 * reports it, so a result is never silently incomplete.
 */
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ContentLimits {
  /** Larger files are not read at all (reported as skipped). */
  maxFileBytes: number;
  /** Files up to this size are held in memory … */
  memoryFileBytes: number;
  /** … while the memory held stays under this; the rest is spooled to disk. */
  memoryTotalBytes: number;
  /** Total size of the spool file. */
  spoolTotalBytes: number;
}

export const DEFAULT_LIMITS: ContentLimits = {
  maxFileBytes: 256 * 1024 * 1024,
  memoryFileBytes: 256 * 1024,
  memoryTotalBytes: 64 * 1024 * 1024,
  spoolTotalBytes: 4 * 1024 * 1024 * 1024,
};

export type Content =
  | { kind: 'memory'; data: Buffer }
  | { kind: 'spool'; offset: number; length: number }
  /** Not stored: re-read entry `member` of layer `layer` on demand. */
  | { kind: 'lazy'; layer: number; member: string; size: number }
  | { kind: 'skipped'; reason: string };

export class ContentStore {
  private readonly limits: ContentLimits;
  private memoryUsed = 0;
  private spoolUsed = 0;
  private spool?: Promise<{ dir: string; handle: FileHandle }>;
  private closed = false;

  constructor(limits: ContentLimits) {
    this.limits = limits;
  }

  /**
   * Stores a file's data, reading `data` to the end unless the file is skipped (then it is not
   * read). Several layers may store at once: space is reserved from `size` before any await.
   */
  async store(size: number, data: AsyncIterable<Buffer>): Promise<Content> {
    if (this.closed) throw new Error('content store is closed');
    if (size > this.limits.maxFileBytes) {
      return { kind: 'skipped', reason: `larger than the ${mib(this.limits.maxFileBytes)} per-file limit for image files` };
    }
    if (size <= this.limits.memoryFileBytes && this.memoryUsed + size <= this.limits.memoryTotalBytes) {
      this.memoryUsed += size;
      const chunks: Buffer[] = [];
      for await (const chunk of data) chunks.push(chunk);
      return { kind: 'memory', data: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) };
    }
    if (this.spoolUsed + size > this.limits.spoolTotalBytes) {
      return { kind: 'skipped', reason: `not read: the ${mib(this.limits.spoolTotalBytes)} budget for image file contents is spent` };
    }
    const offset = this.spoolUsed;
    this.spoolUsed += size;
    const { handle } = await (this.spool ??= this.createSpool());
    let position = offset;
    for await (const chunk of data) {
      // A tar entry carries exactly `size` bytes; never write into the next file's space.
      const length = Math.min(chunk.length, offset + size - position);
      if (length > 0) await handle.write(chunk, 0, length, position);
      position += length;
    }
    return { kind: 'spool', offset, length: position - offset };
  }

  /** Content held here (memory or spool); `lazy` and `skipped` content is the caller's business. */
  async read(content: Content, maxBytes = Infinity): Promise<Buffer> {
    if (content.kind === 'memory') return content.data.subarray(0, Math.min(maxBytes, content.data.length));
    if (content.kind !== 'spool' || !this.spool) throw new Error(`content of kind ${content.kind} is not stored`);
    const { handle } = await this.spool;
    const length = Math.min(maxBytes, content.length);
    const buffer = Buffer.alloc(length);
    if (length > 0) await handle.read(buffer, 0, length, content.offset);
    return buffer;
  }

  async close(): Promise<void> {
    this.closed = true;
    const spool = await this.spool?.catch(() => undefined);
    this.spool = undefined;
    if (!spool) return;
    await spool.handle.close().catch(() => {});
    await rm(spool.dir, { recursive: true, force: true });
  }

  private async createSpool(): Promise<{ dir: string; handle: FileHandle }> {
    const dir = await mkdtemp(join(tmpdir(), 'palisade-image-'));
    return { dir, handle: await open(join(dir, 'spool'), 'w+', 0o600) };
  }
}

function mib(bytes: number): string {
  return bytes < 1024 * 1024 ? `${bytes}-byte` : `${Math.round(bytes / (1024 * 1024))} MiB`;
}
