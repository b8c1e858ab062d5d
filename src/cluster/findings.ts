/**
 * A cluster audit finding: what is wrong, about which object or subject, in which area, and the
 * controls of other tools (kubescape, rbac-police, CIS Kubernetes Benchmark, Falco, Trivy) that
 * look for the same thing, so a report can be read side by side with theirs.
 */
import type { Severity } from '../core/types.ts';
import type { Area } from './resources.ts';

export interface Controls {
  /** kubescape control ids: `C-0015`. */
  kubescape?: string[];
  /** rbac-police policy names: `list_secrets`. */
  rbacPolice?: string[];
  /** CIS Kubernetes Benchmark recommendations: `5.1.2`. */
  cis?: string[];
  /** Falco rule names. */
  falco?: string[];
  /** Trivy check ids (misconfiguration checks). */
  trivy?: string[];
}

export interface FindingSubject {
  /** `User`, `Group`, `ServiceAccount`, `Deployment`, `Namespace`, `Image`, `RoleBinding`… */
  kind: string;
  name: string;
  namespace?: string;
}

export interface ClusterFinding {
  /** Stable: `PAL-RBAC-004`, `PAL-NS-002`, `PAL-K8S-001` (misconfiguration checks), `falco:<rule>`. */
  id: string;
  area: Area;
  severity: Severity;
  title: string;
  subject: FindingSubject;
  /** What is wrong here, in one sentence. */
  message: string;
  /** Where the finding holds: `cluster`, or a namespace. */
  scope?: string;
  /** The grants, fields or events behind it. */
  evidence: string[];
  /** Files and lines of a dump the finding comes from (none for live objects). */
  locations: { path: string; line?: number }[];
  controls: Controls;
  remediation?: string;
  references?: string[];
  /** Findings this one builds on (a workload's token → the RBAC findings of its service account). */
  related?: string[];
}

/** `User jane`, `ServiceAccount ns/sa`, `Deployment ns/web`. */
export function describeFindingSubject(s: FindingSubject): string {
  return s.namespace !== undefined ? `${s.kind} ${s.namespace}/${s.name}` : `${s.kind} ${s.name}`;
}

/** The key that identifies what a finding is about, for scoring (one item, worst finding counts). */
export function subjectItemKey(s: FindingSubject): string {
  return `${s.kind}/${s.namespace ?? ''}/${s.name}`;
}

export const SEVERITY_ORDER: Record<Severity, number> = { CRITICAL: 4, HIGH: 3, MEDIUM: 2, LOW: 1, UNKNOWN: 0 };

export function compareClusterFindings(a: ClusterFinding, b: ClusterFinding): number {
  return (
    SEVERITY_ORDER[b.severity] - SEVERITY_ORDER[a.severity] ||
    cmp(a.id, b.id) ||
    cmp(describeFindingSubject(a.subject), describeFindingSubject(b.subject)) ||
    cmp(a.scope ?? '', b.scope ?? '')
  );
}

/** The findings in report order (compareClusterFindings), each one's sort text built once rather than per comparison. */
export function sortClusterFindings(findings: readonly ClusterFinding[]): ClusterFinding[] {
  const keyed = findings.map((f) => ({ f, rank: SEVERITY_ORDER[f.severity], subject: describeFindingSubject(f.subject) }));
  keyed.sort((a, b) => b.rank - a.rank || cmp(a.f.id, b.f.id) || cmp(a.subject, b.subject) || cmp(a.f.scope ?? '', b.f.scope ?? ''));
  return keyed.map((k) => k.f);
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
