import { describe, expect, it } from 'vitest';
import { applyPolicies } from '../../../src/policy/engine/engine.ts';
import { parsePolicies, parseResources } from '../../../src/policy/engine/load.ts';
import { buildPolicyReports, reportStatus } from '../../../src/policy/report/policy-report.ts';

const set = parsePolicies(
  `
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: require-app-label
  annotations:
    policies.kyverno.io/severity: low
    policies.kyverno.io/category: Labels
spec:
  rules:
  - name: app
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      failureAction: Audit
      pattern: {metadata: {labels: {app: "?*"}}}
  - name: team
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      failureAction: Enforce
      pattern: {metadata: {labels: {team: "?*"}}}
---
apiVersion: kyverno.io/v1
kind: Policy
metadata:
  name: unscored
  namespace: shop
  annotations:
    policies.kyverno.io/scored: "false"
spec:
  rules:
  - name: no-latest
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      pattern: {spec: {containers: [{image: "!*:latest"}]}}
`,
  'policies.yaml',
);
const resources = parseResources(
  `
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, uid: "1234"}
spec: {containers: [{name: c, image: nginx:latest}]}
`,
  'pod.yaml',
);
const responses = applyPolicies(set.policies, resources);
const now = () => new Date('2025-01-02T03:04:05Z');

describe('policy reports', () => {
  it('maps rule statuses as Kyverno does: unscored failures and --audit-warn Audit failures are warnings', () => {
    const [labels, unscored] = responses;
    expect(labels!.rules.map((r) => reportStatus(labels!, r))).toEqual(['fail', 'fail']);
    expect(labels!.rules.map((r) => reportStatus(labels!, r, true))).toEqual(['warn', 'fail']);
    expect(reportStatus(unscored!, unscored!.rules[0]!)).toBe('warn');
  });

  it('builds a merged ClusterPolicyReport and a PolicyReport per namespaced policy', () => {
    const reports = buildPolicyReports(responses, { now });
    expect(reports.map((r) => [r.kind, r.metadata])).toEqual([
      ['ClusterPolicyReport', { name: 'merged' }],
      ['PolicyReport', { name: 'unscored', namespace: 'shop' }],
    ]);
    expect(reports[0]!.summary).toEqual({ pass: 0, fail: 2, warn: 0, error: 0, skip: 0 });
    expect(reports[0]!.results[0]).toEqual({
      policy: 'require-app-label',
      rule: 'app',
      result: 'fail',
      message: 'validation error: rule app failed at path /metadata/labels/',
      resources: [{ apiVersion: 'v1', kind: 'Pod', name: 'web', namespace: 'shop', uid: '1234' }],
      scored: true,
      severity: 'low',
      category: 'Labels',
      source: 'palisade',
      timestamp: { seconds: 1735787045, nanos: 0 },
    });
    expect(reports[1]!.results[0]).toMatchObject({ policy: 'shop/unscored', rule: 'no-latest', result: 'warn', scored: false });
    expect(reports[1]!.summary.warn).toBe(1);
  });
});
