/**
 * PolicyReports written as API objects, against a loopback HTTP server standing in for the API
 * server: PUT answered 404 until the object exists (then POST creates it), per-replica names and
 * labels, a namespaced report emptied rather than deleted, a failing write logged and retried at
 * the next flush.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeConnection } from '../../src/admission/kube.ts';
import { jsonLog } from '../../src/admission/log.ts';
import { loadAdmissionPolicies } from '../../src/admission/policy-set.ts';
import { apiReportSink } from '../../src/admission/report-api.ts';
import { PolicyReportWriter } from '../../src/admission/reports.ts';
import { startAdmissionServer, type AdmissionServer } from '../../src/admission/server.ts';
import type { PolicyReport } from '../../src/policy/report/policy-report.ts';
import { closeLoopback, hasOpenssl, loopbackKubeconfig, pod, post, review, selfSignedCertificate } from './https.ts';

const TOKEN = 'reports-token';
const FIXTURES = ['admission', 'admission-cel'].map((d) => join(import.meta.dirname, '../fixtures', d));
const NAMESPACED_POLICY = `apiVersion: kyverno.io/v1
kind: Policy
metadata:
  name: team-label
  namespace: apps
spec:
  validationFailureAction: Audit
  rules:
    - name: team
      match: {any: [{resources: {kinds: [Pod]}}]}
      validate: {message: "label team is required", pattern: {metadata: {labels: {team: "?*"}}}}
`;

describe.skipIf(!hasOpenssl)('PolicyReports as Kubernetes API objects', () => {
  const stored = new Map<string, Record<string, unknown>>();
  const calls: string[] = [];
  let failPuts = 0;
  let api: Server;
  let dir: string;
  let server: AdmissionServer;
  let writer: PolicyReportWriter;
  const logs: Record<string, unknown>[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'palisade-report-api-'));
    writeFileSync(join(dir, 'namespaced.yaml'), NAMESPACED_POLICY);
    api = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '';
        calls.push(`${req.method} ${path}`);
        const send = (code: number, body: unknown) => {
          res.writeHead(code, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { kind: 'Status', code: 401, message: 'Unauthorized' });
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        const name = (body.metadata as { name: string }).name;
        if (req.method === 'PUT') {
          if (failPuts > 0) {
            failPuts--;
            return send(500, { kind: 'Status', code: 500, message: 'etcdserver: request timed out' });
          }
          if (!stored.has(path)) return send(404, { kind: 'Status', code: 404, message: `not found: ${name}` });
          stored.set(path, body);
          return send(200, body);
        }
        if (req.method === 'POST') {
          stored.set(`${path}/${name}`, body);
          return send(201, body);
        }
        send(405, { kind: 'Status', code: 405, message: 'method not allowed' });
      });
    });
    const kubeconfig = await loopbackKubeconfig(api, dir, TOKEN);
    const log = jsonLog({ write: (line: string) => (logs.push(JSON.parse(line) as Record<string, unknown>), true) } as unknown as NodeJS.WritableStream);
    writer = new PolicyReportWriter({ sink: apiReportSink({ connection: await kubeConnection(kubeconfig), replica: 'palisade-admission-7d9f-x2k4' }), intervalMs: 60_000, log });
    const set = await loadAdmissionPolicies([...FIXTURES, join(dir, 'namespaced.yaml')]);
    server = await startAdmissionServer({ policies: set.classic, cel: set, reports: writer, ...selfSignedCertificate(), port: 0, host: '127.0.0.1' });
  });

  afterAll(() => closeLoopback({ server, api, dir }));

  const CLUSTER = '/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports/merged-palisade-admission-7d9f-x2k4';
  const NAMESPACED = '/apis/wgpolicyk8s.io/v1alpha2/namespaces/apps/policyreports/team-label-palisade-admission-7d9f-x2k4';

  it('creates per-replica reports with POST after a 404 PUT, labelled for cleanup', async () => {
    await post(server.port, '/validate', review('a1', pod('web', { annotations: { owner: 'x' } })));
    await writer.flush();
    expect(calls).toEqual([`PUT ${CLUSTER}`, `POST ${CLUSTER.slice(0, CLUSTER.lastIndexOf('/'))}`, `PUT ${NAMESPACED}`, `POST ${NAMESPACED.slice(0, NAMESPACED.lastIndexOf('/'))}`]);
    const cluster = stored.get(CLUSTER) as unknown as PolicyReport & { metadata: { labels: Record<string, string> } };
    expect(cluster).toMatchObject({ apiVersion: 'wgpolicyk8s.io/v1alpha2', kind: 'ClusterPolicyReport', metadata: { name: 'merged-palisade-admission-7d9f-x2k4', labels: { 'app.kubernetes.io/managed-by': 'palisade-admission', 'palisade.dev/replica': 'palisade-admission-7d9f-x2k4' } } });
    expect(cluster.results.map((r) => r.policy)).toContain('no-privileged');
    const namespaced = stored.get(NAMESPACED) as unknown as PolicyReport;
    expect(namespaced).toMatchObject({ kind: 'PolicyReport', metadata: { namespace: 'apps', name: 'team-label-palisade-admission-7d9f-x2k4' }, summary: { fail: 1 } });
    expect(namespaced.results[0]).toMatchObject({ policy: 'apps/team-label', rule: 'team', result: 'fail', resources: [{ kind: 'Pod', name: 'web', namespace: 'apps' }] });
  });

  it('updates in place, empties a report whose results are gone, and retries a failed write', async () => {
    calls.length = 0;
    await post(server.port, '/validate', review('a2', null, { operation: 'DELETE', oldObject: pod('web') }));
    failPuts = 1;
    await writer.flush();
    expect(logs.find((l) => l.msg === 'cannot write policy reports; retrying after the interval')?.error).toMatch(/1 of 2 reports not written: PUT .*: HTTP 500: etcdserver: request timed out/);
    expect(calls).toEqual([`PUT ${CLUSTER}`, `PUT ${NAMESPACED}`]);
    expect((stored.get(NAMESPACED) as unknown as PolicyReport).results).toEqual([]);
    // The failure leaves the writer with something to write: the next flush writes again.
    calls.length = 0;
    await writer.flush();
    expect(calls).toEqual([`PUT ${CLUSTER}`]);
    calls.length = 0;
    await post(server.port, '/validate', review('a3', pod('api', { labels: { team: 'a' }, annotations: { owner: 'x' } })));
    await writer.flush();
    expect(calls).toEqual([`PUT ${CLUSTER}`, `PUT ${NAMESPACED}`]);
    expect((stored.get(CLUSTER) as unknown as PolicyReport).results.every((r) => r.resources[0]?.name === 'api')).toBe(true);
  });
});
