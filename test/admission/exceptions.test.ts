import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAdmissionPolicies } from '../../src/admission/policy-set.ts';
import { startAdmissionServer, type AdmissionServer } from '../../src/admission/server.ts';
import { PolicyReloader } from '../../src/admission/reload.ts';
import { jsonLog } from '../../src/admission/log.ts';
import { decode, hasOpenssl, pod, post, review, selfSignedCertificate } from './https.ts';

const FIXTURES = ['admission', 'admission-cel', 'admission-exceptions'].map((d) => join(import.meta.dirname, '../fixtures', d));

describe.skipIf(!hasOpenssl)('PolicyExceptions from the --policies files', () => {
  let server: AdmissionServer;

  beforeAll(async () => {
    const reloader = new PolicyReloader({ paths: FIXTURES, load: (paths) => loadAdmissionPolicies(paths), log: jsonLog(process.stderr, 'error') });
    const set = await reloader.load();
    expect(set.exceptions.map((e) => e.name)).toEqual(['allow-debug-pods']);
    server = await startAdmissionServer({ policies: [], policySource: reloader, ...selfSignedCertificate(), port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('skip the classic and CEL rules they name for the resources they match, and only those', async () => {
    const debug = decode(await post(server.port, '/validate', review('e1', pod('debug-1', { privileged: true, labels: { team: 'a' }, annotations: { owner: 'x' } }))));
    expect(debug.response).toMatchObject({ uid: 'e1', allowed: true });
    const other = decode(await post(server.port, '/validate', review('e2', pod('web-1', { privileged: true, labels: { team: 'a' }, annotations: { owner: 'x' } }))));
    expect(other.response.allowed).toBe(false);
    expect(other.response.status?.message).toContain('policy disallow-privileged-containers rule privileged-containers');
    expect(other.response.status?.message).toContain('policy no-privileged: privileged containers are not allowed');
  });
});
