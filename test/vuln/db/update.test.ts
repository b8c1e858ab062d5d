/**
 * `db update` against a loopback HTTP server (node:http on 127.0.0.1, random port) serving
 * OSV-style `<ECOSYSTEM>/all.zip` archives built from the real fixtures.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PalisadeError } from '../../../src/core/errors.ts';
import { openVulnDb } from '../../../src/vuln/db/store.ts';
import { retryAfter, updateDb, type UpdateOptions, type UpdateProgress } from '../../../src/vuln/db/update.ts';
import { writeZip } from '../../helpers/zip-writer.ts';
import { realEntries, recordingLogger, sha256, strayFiles, tempDir } from './helpers.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** all.zip per ecosystem, from the fixture folders (`npm/…`, `PyPI/…`). */
function ecosystemZip(ecosystem: string): Buffer {
  return writeZip(
    realEntries()
      .filter(([name]) => name.startsWith(`${ecosystem}/`))
      .map(([name, text]) => ({ name: name.slice(ecosystem.length + 1), data: text })),
  );
}

let dir: string;
let db: string;
let server: Server;
let source: string;
let handler: Handler;
let requests: { url: string; headers: IncomingMessage['headers'] }[];

beforeEach(async () => {
  dir = tempDir();
  db = join(dir, 'vuln.db');
  requests = [];
  handler = serveZips({});
  server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', headers: req.headers });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  source = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** Serves `/<eco>/all.zip` with an ETag and Last-Modified, answering 304 to a matching If-None-Match. */
function serveZips(etags: Record<string, string>, zips: Record<string, Buffer> = {}): Handler {
  return (req, res) => {
    const m = /^\/([^/]+)\/all\.zip$/.exec(req.url ?? '');
    const ecosystem = m ? decodeURIComponent(m[1]!) : '';
    const body = zips[ecosystem] ?? (['npm', 'PyPI', 'Go', 'crates.io'].includes(ecosystem) ? ecosystemZip(ecosystem) : undefined);
    if (!body) {
      res.writeHead(404).end('not found');
      return;
    }
    const etag = etags[ecosystem] ?? `"${ecosystem}-v1"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/zip', 'content-length': body.length, etag, 'last-modified': 'Mon, 01 Jan 2024 00:00:00 GMT' });
    res.end(body);
  };
}

const fast: UpdateOptions['retry'] = { attempts: 3, baseDelayMs: 10, maxDelayMs: 2000 };

describe('updateDb', () => {
  it('downloads each ecosystem, imports it and remembers ETag and Last-Modified', async () => {
    const progress: UpdateProgress[] = [];
    const report = await updateDb(db, { ecosystems: ['npm', 'PyPI'], source, progress: (p) => progress.push(p) });
    expect(report.ecosystems.map((e) => [e.ecosystem, e.status])).toEqual([
      ['npm', 'updated'],
      ['PyPI', 'updated'],
    ]);
    expect(report.ecosystems[0]!.url).toBe(`${source}/npm/all.zip`);
    expect(report.import).toMatchObject({ imported: 4, withdrawn: 1, malformed: 0 });
    const lastNpm = progress.filter((p) => p.ecosystem === 'npm').pop()!;
    expect(lastNpm.received).toBe(ecosystemZip('npm').length);
    expect(lastNpm.total).toBe(lastNpm.received);

    const store = openVulnDb(db);
    expect(store.advisoriesFor('npm', 'axios').map((r) => r.id)).toEqual(['GHSA-8hc4-vh64-cxmj']);
    const feeds = store.status().feeds;
    expect(feeds.map((f) => [f.ecosystem, f.etag, f.lastModified])).toEqual([
      ['PyPI', '"PyPI-v1"', 'Mon, 01 Jan 2024 00:00:00 GMT'],
      ['npm', '"npm-v1"', 'Mon, 01 Jan 2024 00:00:00 GMT'],
    ]);
    store.close();
    expect(strayFiles(dir, ['vuln.db'])).toEqual([]);
  });

  it('sends conditional requests and treats 304 as unchanged', async () => {
    await updateDb(db, { ecosystems: ['npm'], source });
    requests = [];
    const report = await updateDb(db, { ecosystems: ['npm'], source });
    expect(requests[0]!.headers['if-none-match']).toBe('"npm-v1"');
    expect(requests[0]!.headers['if-modified-since']).toBe('Mon, 01 Jan 2024 00:00:00 GMT');
    expect(report.ecosystems).toEqual([{ ecosystem: 'npm', url: `${source}/npm/all.zip`, status: 'unchanged', bytes: 0 }]);
    expect(report.import.imported).toBe(0);
    const store = openVulnDb(db);
    expect(store.status().advisories).toBe(3);
    store.close();
  });

  it('imports a changed export (new ETag) with the newest-modified rule', async () => {
    await updateDb(db, { ecosystems: ['npm'], source });
    const axios = realEntries().find(([n]) => n === 'npm/GHSA-8hc4-vh64-cxmj.json')![1];
    const newer = JSON.stringify({ ...JSON.parse(axios), modified: '2030-01-01T00:00:00Z', summary: 'synthetic newer copy' });
    handler = serveZips({ npm: '"npm-v2"' }, { npm: writeZip([{ name: 'GHSA-8hc4-vh64-cxmj.json', data: newer }]) });
    const report = await updateDb(db, { ecosystems: ['npm'], source });
    expect(report.import).toMatchObject({ updated: 1, imported: 0 });
    const store = openVulnDb(db);
    expect(store.advisoriesFor('npm', 'Axios')[0]!.summary).toBe('synthetic newer copy');
    expect(store.status().feeds[0]!.etag).toBe('"npm-v2"');
    store.close();
  });

  it('waits as long as Retry-After asks on 503, then succeeds', async () => {
    let calls = 0;
    const ok = serveZips({});
    handler = (req, res) => {
      if (++calls === 1) res.writeHead(503, { 'retry-after': '1' }).end('busy');
      else ok(req, res);
    };
    const log = recordingLogger();
    const started = Date.now();
    const report = await updateDb(db, { ecosystems: ['crates.io'], source, log, retry: { ...fast, baseDelayMs: 5 } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(calls).toBe(2);
    expect(report.import.imported).toBe(2);
    expect(log.warnings[0]).toMatch(/crates\.io: .* answered 503 .*retrying in 1\.0 s \(attempt 2 of 3\)/);
  });

  it('retries 429 with backoff and gives up after the configured attempts', async () => {
    handler = (_req, res) => res.writeHead(429).end();
    const err = await updateDb(db, { ecosystems: ['npm'], source, retry: fast }).catch((e: unknown) => e);
    expect(requests).toHaveLength(3);
    expect((err as PalisadeError).code).toBe('NETWORK');
    expect((err as Error).message).toMatch(/database update failed for npm .* answered 429 .*after 3 attempts/);
  });

  it('leaves the previous database intact when one ecosystem fails, and says which', async () => {
    await updateDb(db, { ecosystems: ['npm'], source });
    const before = sha256(db);
    const ok = serveZips({}, { npm: ecosystemZip('Go') });
    handler = (req, res) => (req.url?.startsWith('/PyPI/') ? res.writeHead(500).end('boom') : ok(req, res));
    const err = await updateDb(db, { ecosystems: ['npm', 'Go', 'PyPI'], source, retry: fast }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PalisadeError);
    expect((err as Error).message).toMatch(/failed for PyPI .*500.*Nothing was changed on disk/);
    expect(sha256(db)).toBe(before);
    expect(strayFiles(dir, ['vuln.db'])).toEqual([]);
  });

  it('does not retry a 404 and points at the list of ecosystem names', async () => {
    const err = await updateDb(db, { ecosystems: ['NoSuchEcosystem'], source, retry: fast }).catch((e: unknown) => e);
    expect(requests).toHaveLength(1);
    expect((err as Error).message).toMatch(/answered 404 .*is "NoSuchEcosystem" an OSV ecosystem name\?.*\/ecosystems\.txt/);
  });

  it('times out when the server sends nothing, and when the body stalls', async () => {
    handler = () => {}; // never answers
    let err = await updateDb(db, { ecosystems: ['npm'], source, timeoutMs: 150, retry: { attempts: 2, baseDelayMs: 10 } }).catch((e: unknown) => e);
    expect((err as PalisadeError).code).toBe('NETWORK');
    expect((err as Error).message).toMatch(/failed for npm .*timed out: no data for 0\.15 s \(after 2 attempts\)/);
    expect(requests).toHaveLength(2);

    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': 1000 });
      res.write(Buffer.alloc(10)); // then nothing more
    };
    err = await updateDb(db, { ecosystems: ['npm'], source, timeoutMs: 150, retry: { attempts: 1 } }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/timed out/);
    expect(strayFiles(dir, [])).toEqual([]);
  });

  it('fails fast with an offline message when the host cannot be reached', async () => {
    const closed = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    server = createServer();
    const started = Date.now();
    const err = await updateDb(db, { ecosystems: ['npm'], source: closed, retry: { attempts: 4, baseDelayMs: 5000 } }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(4000);
    expect((err as PalisadeError).code).toBe('NETWORK');
    expect((err as Error).message).toMatch(/cannot reach 127\.0\.0\.1:\d+ .*ECONNREFUSED.*Check the network connection.*`palisade db import <dir\|zip>`/);
  });

  it('rejects a download that is not a ZIP archive, leaving the database as it was', async () => {
    await updateDb(db, { ecosystems: ['npm'], source });
    const before = sha256(db);
    handler = serveZips({ npm: '"npm-v2"' }, { npm: Buffer.from('<html>captive portal</html>') });
    const err = await updateDb(db, { ecosystems: ['npm'], source }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/failed for npm .*not a usable OSV archive/);
    expect(sha256(db)).toBe(before);
  });

  it('encodes ecosystem names with spaces in the URL', async () => {
    handler = serveZips({}, { 'Red Hat': ecosystemZip('npm') });
    await updateDb(db, { ecosystems: ['Red Hat'], source });
    expect(requests[0]!.url).toBe('/Red%20Hat/all.zip');
  });
});

describe('retryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    expect(retryAfter('3')).toBe(3000);
    expect(retryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(retryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:29:00 GMT'))).toBe(0);
    expect(retryAfter('soon')).toBeUndefined();
    expect(retryAfter(null)).toBeUndefined();
  });
});
