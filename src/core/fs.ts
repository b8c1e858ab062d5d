/** Filesystem helpers with the project's guarantees (atomic writes). */
import { rename, writeFile, unlink } from 'node:fs/promises';
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
