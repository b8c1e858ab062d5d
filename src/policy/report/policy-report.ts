/**
 * PolicyReport / ClusterPolicyReport (wgpolicyk8s.io/v1alpha2) from engine responses, shaped as the
 * kyverno CLI writes them (`kyverno apply --policy-report`): one report per policy, cluster
 * policies merged into a ClusterPolicyReport named `merged`, namespaced policies in a PolicyReport
 * in their namespace. Only validation (and image verification) results are reported.
 *
 * Result mapping (Kyverno's ComputePolicyReportResult): a `fail` becomes `warn` when the policy is
 * not scored (`policies.kyverno.io/scored: "false"`), or when `--audit-warn` is set and the rule's
 * failure action is Audit.
 */
import type { RuleStatus } from '../types.ts';
import {
  ANNOTATION_CATEGORY,
  ANNOTATION_SCORED,
  ANNOTATION_SEVERITY,
  policyKey,
  type PolicyResponse,
  type RuleResponse,
} from '../engine/types.ts';

export const REPORT_API_VERSION = 'wgpolicyk8s.io/v1alpha2';
/** Written into each result's `source`, as Kyverno writes `kyverno`. */
export const REPORT_SOURCE = 'palisade';

const SEVERITIES = new Set(['critical', 'high', 'medium', 'low', 'info']);

export interface ObjectReference {
  apiVersion?: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
}

export interface PolicyReportResult {
  policy: string;
  rule: string;
  result: RuleStatus;
  message: string;
  resources: ObjectReference[];
  scored: boolean;
  severity?: string;
  category?: string;
  source: string;
  timestamp: { seconds: number; nanos: number };
  properties?: Record<string, string>;
}

export interface ReportSummary {
  pass: number;
  fail: number;
  warn: number;
  error: number;
  skip: number;
}

export interface PolicyReport {
  apiVersion: typeof REPORT_API_VERSION;
  kind: 'PolicyReport' | 'ClusterPolicyReport';
  metadata: { name: string; namespace?: string };
  results: PolicyReportResult[];
  summary: ReportSummary;
}

export interface ReportOptions {
  /** Report Audit-mode failures as `warn` (kyverno `--audit-warn`). */
  auditWarn?: boolean;
  /** Clock for timestamps (tests). */
  now?: () => Date;
}

/** The report status of one rule response, as Kyverno computes it. */
export function reportStatus(response: PolicyResponse, rule: RuleResponse, auditWarn = false): RuleStatus {
  if (rule.status !== 'fail') return rule.status;
  if (response.policy.annotations[ANNOTATION_SCORED] === 'false') return 'warn';
  if (auditWarn && response.failureActions[rule.name] !== 'Enforce') return 'warn';
  return 'fail';
}

export function toReportResult(response: PolicyResponse, rule: RuleResponse, options: ReportOptions = {}): PolicyReportResult {
  const annotations = response.policy.annotations;
  const object = response.resource.object;
  const meta = (object.metadata ?? {}) as { name?: string; namespace?: string; uid?: string };
  const severity = annotations[ANNOTATION_SEVERITY];
  const category = annotations[ANNOTATION_CATEGORY];
  const now = (options.now ?? (() => new Date()))();
  return {
    policy: policyKey(response.policy),
    rule: rule.name,
    result: reportStatus(response, rule, options.auditWarn),
    message: rule.message,
    resources: [
      {
        apiVersion: String(object.apiVersion ?? ''),
        kind: String(object.kind ?? ''),
        name: meta.name ?? '',
        ...(meta.namespace && { namespace: meta.namespace }),
        ...(meta.uid && { uid: meta.uid }),
      },
    ],
    scored: annotations[ANNOTATION_SCORED] !== 'false',
    ...(severity && SEVERITIES.has(severity) && { severity }),
    ...(category && { category }),
    source: REPORT_SOURCE,
    timestamp: { seconds: Math.floor(now.getTime() / 1000), nanos: 0 },
    ...(rule.properties && { properties: rule.properties }),
  };
}

export function summarize(results: readonly PolicyReportResult[]): ReportSummary {
  const summary: ReportSummary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  for (const r of results) summary[r.result]++;
  return summary;
}

/**
 * Builds the reports for a set of engine responses: the merged ClusterPolicyReport first (always
 * present, possibly empty), then one PolicyReport per namespaced policy.
 */
export function buildPolicyReports(responses: readonly PolicyResponse[], options: ReportOptions = {}): PolicyReport[] {
  const clustered: PolicyReportResult[] = [];
  const namespaced = new Map<string, { namespace: string; name: string; results: PolicyReportResult[] }>();
  for (const response of responses) {
    for (const rule of response.rules) {
      if (rule.type !== 'Validation' && rule.type !== 'ImageVerify') continue;
      const result = toReportResult(response, rule, options);
      const ns = response.policy.namespace;
      if (!ns) {
        clustered.push(result);
        continue;
      }
      const key = `${ns}/${response.policy.name}`;
      let entry = namespaced.get(key);
      if (!entry) namespaced.set(key, (entry = { namespace: ns, name: response.policy.name, results: [] }));
      entry.results.push(result);
    }
  }
  const reports: PolicyReport[] = [
    { apiVersion: REPORT_API_VERSION, kind: 'ClusterPolicyReport', metadata: { name: 'merged' }, results: clustered, summary: summarize(clustered) },
  ];
  for (const entry of namespaced.values()) {
    reports.push({
      apiVersion: REPORT_API_VERSION,
      kind: 'PolicyReport',
      metadata: { name: entry.name, namespace: entry.namespace },
      results: entry.results,
      summary: summarize(entry.results),
    });
  }
  return reports;
}
