/** Filesystem helpers with the project's guarantees (atomic writes). */
import { readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import type { InputIssue } from './types.ts';
import { errorMessage } from './errors.ts';
import { dirname, basename, join } from 'node:path';

/**
 * Write via a temp file in the same directory and rename, so readers never see half a file.
 * `mode` applies from creation (a private key is never readable by others, not even briefly).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options?: { mode?: number }): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await writeFile(tmp, data, options?.mode === undefined ? undefined : { mode: options.mode });
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}

const PARALLEL_READS = 16;

/**
 * Reads many text files a few at a time, keeping their order. A file larger than `maxBytes` or
 * unreadable becomes an issue (named by its `path`) and is left out; the rest are returned.
 */
export async function readTextFiles(
  files: readonly { path: string; absolute: string }[],
  maxBytes: number,
  issues: InputIssue[],
): Promise<{ path: string; text: string }[]> {
  const out: ({ path: string; text: string } | undefined)[] = new Array(files.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < files.length) {
      const i = next++;
      const f = files[i]!;
      try {
        const size = (await stat(f.absolute)).size;
        if (size > maxBytes) {
          issues.push({ path: f.path, message: `skipped: ${size} bytes is larger than the ${maxBytes}-byte limit` });
          continue;
        }
        out[i] = { path: f.path, text: await readFile(f.absolute, 'utf8') };
      } catch (err) {
        issues.push({ path: f.path, message: `cannot read: ${errorMessage(err)}` });
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(PARALLEL_READS, files.length) }, worker));
  return out.filter((t): t is { path: string; text: string } => t !== undefined);
}
