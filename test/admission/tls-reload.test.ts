import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLog } from '../../src/admission/log.ts';
import { startAdmissionServer, type AdmissionServer } from '../../src/admission/server.ts';
import { TlsReloader } from '../../src/admission/tls-reload.ts';
import { eventually, hasOpenssl, selfSignedCertificate } from './https.ts';

/** The SHA-256 fingerprint of the certificate a new connection is served. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerX509Certificate()?.fingerprint256 ?? '');
      socket.end();
    });
    socket.on('error', reject);
  });
}

describe.skipIf(!hasOpenssl)('serving certificate rotation', () => {
  const first = hasOpenssl ? selfSignedCertificate() : { cert: '', key: '' };
  const second = hasOpenssl ? selfSignedCertificate() : { cert: '', key: '' };
  const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;
  const logs: Record<string, unknown>[] = [];
  let dir: string;
  let server: AdmissionServer;
  let reloader: TlsReloader;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'palisade-tls-reload-'));
    writeFileSync(join(dir, 'tls.crt'), first.cert);
    writeFileSync(join(dir, 'tls.key'), first.key);
    server = await startAdmissionServer({ policies: [], ...first, port: 0, host: '127.0.0.1' });
    const log = jsonLog({ write: (line: string) => (logs.push(JSON.parse(line) as Record<string, unknown>), true) } as unknown as NodeJS.WritableStream);
    reloader = new TlsReloader({ server: server.server, certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), current: first, log, debounceMs: 30 });
    await reloader.watch();
  });

  afterAll(async () => {
    reloader?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves a rotated pair to new connections without a restart', async () => {
    expect(await servedFingerprint(server.port)).toBe(fingerprint(first.cert));
    writeFileSync(join(dir, 'tls.crt'), second.cert);
    writeFileSync(join(dir, 'tls.key'), second.key);
    await eventually(async () => (await servedFingerprint(server.port)) === fingerprint(second.cert), 5000, 'the rotated certificate');
    expect(logs.some((l) => l.msg === 'serving certificate reloaded')).toBe(true);
  });

  it('keeps the current pair when the new key does not match the certificate, and logs why', async () => {
    writeFileSync(join(dir, 'tls.crt'), first.cert);
    await eventually(() => logs.some((l) => l.msg === 'serving certificate not reloaded; keeping the current one'), 5000, 'the refusal');
    expect(await servedFingerprint(server.port)).toBe(fingerprint(second.cert));
    expect(String(logs.find((l) => l.level === 'error')?.error)).toMatch(/key values mismatch|KEY_VALUES_MISMATCH/i);
  });
});
