import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAdmissionPolicies } from '../../src/admission/policy-set.ts';
import { directorySink, PolicyReportWriter, streamSink } from '../../src/admission/reports.ts';
import { startAdmissionServer, type AdmissionServer } from '../../src/admission/server.ts';
import type { PolicyReport } from '../../src/policy/report/policy-report.ts';
import { decode, eventually, hasOpenssl, pod, post, review, selfSignedCertificate } from './https.ts';

const CEL = join(import.meta.dirname, '../fixtures/admission-cel');
const CLASSIC = join(import.meta.dirname, '../fixtures/admission');

describe.skipIf(!hasOpenssl)('PolicyReports from admission results', () => {
  let dir: string;
  let server: AdmissionServer;
  let reports: PolicyReportWriter;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'palisade-reports-'));
    const set = await loadAdmissionPolicies([CEL, CLASSIC]);
    reports = new PolicyReportWriter({ sink: directorySink(dir), intervalMs: 50, now: () => new Date('2026-11-26T12:00:00Z') });
    server = await startAdmissionServer({ policies: set.classic, cel: set, reports, ...selfSignedCertificate(), port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const merged = (): PolicyReport => parse(readFileSync(join(dir, 'clusterpolicyreport-merged.yaml'), 'utf8')) as PolicyReport;
  const resultsFor = (name: string) => merged().results.filter((r) => r.resources[0]?.name === name);

  it('writes the results of admitted requests within the interval, atomically, as a ClusterPolicyReport', async () => {
    expect(decode(await post(server.port, '/validate', review('r1', pod('audited', { labels: { team: 'a' } })))).response.allowed).toBe(true);
    await eventually(() => existsSync(join(dir, 'clusterpolicyreport-merged.yaml')), 5000, 'the report file');
    const report = merged();
    expect(report).toMatchObject({ apiVersion: 'wgpolicyk8s.io/v1alpha2', kind: 'ClusterPolicyReport', metadata: { name: 'merged' } });
    const results = resultsFor('audited');
    expect(results).toContainEqual(expect.objectContaining({ policy: 'audit-owner-annotation', rule: 'audit-owner-annotation', result: 'fail', properties: { containers: '1' }, source: 'palisade' }));
    expect(results).toContainEqual(expect.objectContaining({ policy: 'no-privileged', result: 'pass' }));
    expect(results).toContainEqual(expect.objectContaining({ policy: 'disallow-privileged-containers', rule: 'privileged-containers', result: 'pass' }));
    expect(results[0]?.resources[0]).toEqual({ apiVersion: 'v1', kind: 'Pod', name: 'audited', namespace: 'apps' });
    expect(report.summary.fail).toBeGreaterThan(0);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('does not report denied requests or dryRun requests, and keeps only the latest result per rule', async () => {
    expect(decode(await post(server.port, '/validate', review('r2', pod('denied', { privileged: true })))).response.allowed).toBe(false);
    expect(decode(await post(server.port, '/validate', review('r3', pod('dry-run'), { dryRun: true }))).response.allowed).toBe(true);
    // The same Pod again, now compliant: its audit result flips to pass.
    expect(decode(await post(server.port, '/validate', review('r4', pod('audited', { labels: { team: 'a' }, annotations: { owner: 'me' } }), { operation: 'UPDATE', oldObject: pod('audited') }))).response.allowed).toBe(true);
    // CONNECT (kubectl exec) and status updates store no object to report on.
    const exec = review('r5', { apiVersion: 'v1', kind: 'PodExecOptions', command: ['sh'] }, { operation: 'CONNECT', kind: { group: '', version: 'v1', kind: 'PodExecOptions' }, resource: { group: '', version: 'v1', resource: 'pods' }, subResource: 'exec', name: 'exec-target' });
    expect(decode(await post(server.port, '/validate', exec)).response.allowed).toBe(true);
    const status = pod('status-only', { labels: { team: 'a' } });
    expect(decode(await post(server.port, '/validate', review('r6', status, { operation: 'UPDATE', oldObject: status, subResource: 'status' }))).response.allowed).toBe(true);
    await reports.flush();
    expect(resultsFor('denied')).toEqual([]);
    expect(resultsFor('dry-run')).toEqual([]);
    expect(merged().results.filter((r) => r.resources[0]?.kind === 'PodExecOptions' || r.resources[0]?.name === 'status-only')).toEqual([]);
    const audit = resultsFor('audited').filter((r) => r.policy === 'audit-owner-annotation');
    expect(audit).toHaveLength(1);
    expect(audit[0]?.result).toBe('pass');
  });

  it('drops a resource from the reports when it is deleted (not on a dryRun delete)', async () => {
    await post(server.port, '/validate', review('r7', null, { operation: 'DELETE', oldObject: pod('audited'), dryRun: true }));
    await reports.flush();
    expect(resultsFor('audited').length).toBeGreaterThan(0);
    await post(server.port, '/validate', review('r8', null, { operation: 'DELETE', oldObject: pod('audited') }));
    await reports.flush();
    expect(resultsFor('audited')).toEqual([]);
  });

  it('writes a YAML stream to stdout with target -, and bounds the results kept', async () => {
    let out = '';
    const stdout = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
    const writer = new PolicyReportWriter({ sink: streamSink(stdout), maxResults: 4 });
    const set = await loadAdmissionPolicies([CEL]);
    const local = await startAdmissionServer({ policies: [], cel: set, reports: writer, ...selfSignedCertificate(), port: 0, host: '127.0.0.1' });
    try {
      for (const name of ['a', 'b', 'c']) await post(local.port, '/validate', review(name, pod(name, { annotations: { owner: 'x' } })));
    } finally {
      await local.close();
    }
    await writer.close();
    const docs = parseAllDocuments(out).map((d) => d.toJSON() as PolicyReport);
    expect(docs).toHaveLength(1);
    expect(docs[0]?.kind).toBe('ClusterPolicyReport');
    // Three results per Pod (no-privileged, warn-latest-tag, audit-owner-annotation): only the last Pod's fit in 4.
    expect(new Set(docs[0]?.results.map((r) => r.resources[0]?.name))).toEqual(new Set(['c']));
  });
});
