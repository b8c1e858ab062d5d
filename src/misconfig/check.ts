/**
 * The contract of a built-in misconfiguration check: a stable id (`PAL-K8S-001`, `PAL-DF-001`),
 * a severity, the words shown to users, and where it comes from (a Kyverno policy run by the
 * policy engine, or TypeScript where a policy cannot express it). Checks produce hits; `toFinding`
 * turns a hit into the common Finding every renderer consumes.
 */
import type { Finding, MisconfigDetails, Severity } from '../core/types.ts';

export interface CheckMeta {
  id: string;
  type: MisconfigDetails['type'];
  severity: Severity;
  title: string;
  description: string;
  remediation: string;
  references: string[];
  /** Trivy's ids for the same check (`KSV-0017`, `DS-0002`); the short forms are derived. */
  trivy: string[];
  implementation: 'policy' | 'typescript';
}

export interface Hit {
  check: CheckMeta;
  path: string;
  line: number;
  message: string;
  object: MisconfigDetails['object'];
  /** The offending value, as evidence shows it (`privileged=true`, `image nginx:latest`). */
  value?: string;
  field?: string;
}

/** Trivy checks without the legacy short id (its newest Kubernetes checks). */
const NO_SHORT_ALIAS = new Set(['KSV-0109', 'KSV-01010']);

/** `KSV-0017` → [`KSV-0017`, `AVD-KSV-0017`, `KSV017`], as Trivy lists a check's aliases. */
export function trivyAliases(ids: readonly string[]): string[] {
  return ids.flatMap((id) => {
    const m = /^([A-Z]+)-0(\d{3})$/.exec(id);
    return [id, `AVD-${id}`, ...(m && !NO_SHORT_ALIAS.has(id) ? [`${m[1]}${m[2]}`] : [])];
  });
}

export function toFinding(hit: Hit, target: string): Finding {
  const { check } = hit;
  const object = hit.object.namespace ? `${hit.object.kind} ${hit.object.namespace}/${hit.object.name}` : `${hit.object.kind} ${hit.object.name}`;
  return {
    kind: 'misconfig',
    id: check.id,
    severity: check.severity,
    title: check.title,
    target,
    location: { path: hit.path, line: hit.line },
    evidence: hit.value !== undefined ? `${object.trim()}: ${hit.value}` : object.trim(),
    remediation: check.remediation,
    references: check.references,
    misconfig: {
      type: check.type,
      aliases: trivyAliases(check.trivy),
      description: check.description,
      message: hit.message,
      object: hit.object,
      ...(hit.field !== undefined && { field: hit.field }),
    },
  };
}
