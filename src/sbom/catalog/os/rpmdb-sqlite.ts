/**
 * rpm's SQLite package database, `rpmdb.sqlite` (rpm ≥ 4.16: RHEL/UBI 9, Fedora 33+, newer
 * SUSE): table `Packages(hnum, blob)`, one header blob per installed package. node:sqlite opens
 * files only, so the bytes (which may come from an image layer) are written to a private
 * temporary directory first, which also takes the `-wal`/`-shm` files SQLite creates for a
 * database in WAL mode, and is removed afterwards.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { ParseError, errorMessage } from '../../../core/errors.ts';
import type { BlobRead } from './rpmdb-bdb.ts';

export function isSqlite(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 16)).toString('latin1') === 'SQLite format 3\0';
}

export async function readRpmSqlite(bytes: Uint8Array): Promise<BlobRead> {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-rpmdb-'));
  try {
    const file = join(dir, 'rpmdb.sqlite');
    await writeFile(file, bytes);
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(file, { readOnly: true });
      const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'Packages'").get();
      if (!hasTable) throw new ParseError('SQLite database without a Packages table is not an rpm database');
      const rows = db.prepare('SELECT blob FROM Packages ORDER BY hnum').all();
      const blobs: Uint8Array[] = [];
      const problems: string[] = [];
      for (const [i, row] of rows.entries()) {
        const blob = row.blob;
        if (blob instanceof Uint8Array) blobs.push(blob);
        else problems.push(`row ${i + 1} of Packages has no blob`);
      }
      return { blobs, problems };
    } catch (err) {
      if (err instanceof ParseError) throw err;
      throw new ParseError(`cannot read the rpm SQLite database: ${errorMessage(err)}`);
    } finally {
      db?.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
