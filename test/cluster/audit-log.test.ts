/**
 * Audit-log review over audit2rbac's demo.log (copied as a fixture, Apache-2.0) and a log written for
 * the tests: per-subject activity, impersonation, request counting across stages, and findings.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reviewAuditLog } from '../../src/cluster/audit-log.ts';
import { repoRoot } from '../helpers/corpus.ts';

const dir = join(repoRoot, 'test/fixtures/cluster/audit');

describe('reviewAuditLog', () => {
  it('summarises demo.log per impersonated subject', async () => {
    const { review, findings } = await reviewAuditLog(join(dir, 'demo.log'));
    expect(review.events).toBe(37);
    expect(review.requests).toBe(37);
    expect(review.firstEvent).toBe('2017-09-11T19:55:05Z');
    const subjects = Object.fromEntries(review.subjects.map((s) => [s.user, `${s.requests}/${s.denied}/${s.impersonatedBy.join(',')}`]));
    expect(subjects).toEqual({
      alice: '3/3/system:admin',
      bob: '29/4/system:admin',
      'system:serviceaccount:ns1:sa1': '5/4/system:admin',
    });
    // Denied secret listing is no read; nothing else in the log is worth a finding.
    expect(review.subjects.find((s) => s.user === 'alice')!.secretReads).toEqual([]);
    expect(findings).toEqual([]);
  });

  it('finds exec, secret reads by people, RBAC changes and anonymous access, and runs the Falco rules', async () => {
    const { review, findings } = await reviewAuditLog(join(dir, 'incident.log'));
    expect(review.read.malformed).toBe(1);
    expect(review.events).toBe(9);
    expect(review.requests).toBe(8); // the exec's ResponseStarted and ResponseComplete are one request
    const alice = review.subjects.find((s) => s.user === 'alice@example.com')!;
    expect(alice.exec).toEqual([{ pod: 'payments/ledger-0', subresource: 'exec', count: 1 }]);
    expect(alice.secretReads).toEqual([{ secret: 'payments/ledger-db', verb: 'get', count: 1 }]);
    expect(alice.rbacChanges).toEqual([{ verb: 'create', object: 'clusterrolebindings alice-admin', count: 1 }]);
    expect(review.subjects.find((s) => s.user === 'bob@example.com')!.impersonatedBy).toEqual(['admin']);
    expect(review.subjects.find((s) => s.user === 'system:anonymous')!.anonymous).toBe(true);
    const got = findings.map((f) => `${f.id} ${f.severity} ${f.subject.kind}:${f.subject.namespace ? `${f.subject.namespace}/` : ''}${f.subject.name}`).sort();
    expect(got).toEqual(
      [
        'PAL-AUDIT-001 HIGH User:system:anonymous',
        'PAL-AUDIT-002 MEDIUM User:alice@example.com',
        'PAL-AUDIT-003 LOW User:alice@example.com',
        'PAL-AUDIT-004 MEDIUM User:alice@example.com',
        'falco:Anonymous Request Allowed MEDIUM User:system:anonymous',
        'falco:Attach/Exec Pod LOW User:alice@example.com',
        'falco:K8s Secret Get Successfully HIGH ServiceAccount:kube-system/helper',
        'falco:K8s Secret Get Successfully HIGH User:alice@example.com',
        'falco:K8s Secret Get Unsuccessfully Tried MEDIUM User:system:anonymous',
      ].sort(),
    );
    expect(findings.find((f) => f.id === 'PAL-AUDIT-001')!.evidence).toEqual(['list /api/v1/namespaces/default/pods ×1']);
    expect(review.alerts.map((a) => a.rule)).toContain('Attach/Exec Pod');
  });

  it('fails clearly on a missing log', async () => {
    await expect(reviewAuditLog(join(dir, 'absent.log'))).rejects.toThrow(/cannot read the audit log/);
  });
});
