import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dbCommand } from '../../src/cli/db.ts';
import { writeZip } from '../helpers/zip-writer.ts';
import { realDir, realEntries, tempDir } from '../vuln/db/helpers.ts';

let dir: string;
let db: string;
let stdout: string;
beforeEach(() => {
  dir = tempDir();
  db = join(dir, 'vuln.db');
  stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const run = (...args: string[]) => dbCommand(() => ({ quiet: true })).parseAsync(args, { from: 'user' });

describe('palisade db', () => {
  it('imports, then shows the status as JSON and as a table', async () => {
    await run('import', realDir, '--db', db);
    await run('status', '--db', db, '--format', 'json');
    const status = JSON.parse(stdout) as { advisories: number; byEcosystem: Record<string, number> };
    expect(status.advisories).toBe(11);
    expect(status.byEcosystem.npm).toBe(3);
    stdout = '';
    await run('status', '--db', db);
    expect(stdout).toMatch(/^database {5}.*vuln\.db$/m);
    expect(stdout).toMatch(/^advisories {3}11$/m);
    expect(stdout).toMatch(/^crates\.io +2 +imported$/m);
  });

  it('uses PALISADE_DB when --db is not given', async () => {
    vi.stubEnv('PALISADE_DB', db);
    try {
      await run('import', join(realDir, 'npm'));
      await run('status', '-f', 'json');
    } finally {
      vi.unstubAllEnvs();
    }
    expect(JSON.parse(stdout).path).toBe(db);
  });

  it('fails with DB_MISSING for status without a database', async () => {
    await expect(run('status', '--db', db)).rejects.toMatchObject({ code: 'DB_MISSING' });
  });

  it('updates the listed ecosystems from --source', async () => {
    const zip = writeZip(realEntries().filter(([n]) => n.startsWith('Go/')).map(([n, text]) => ({ name: n.slice(3), data: text })));
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(200, { 'content-length': zip.length }).end(zip);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await run('update', '--ecosystems', 'Go', '--source', `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, '--db', db);
    } finally {
      server.close();
    }
    expect(seen).toEqual(['/Go/all.zip']);
    await run('status', '--db', db, '--format', 'json');
    expect(JSON.parse(stdout).byEcosystem).toEqual({ Go: 2 });
  });
});
