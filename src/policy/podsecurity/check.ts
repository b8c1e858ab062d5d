/**
 * The shape of a Pod Security Standards check, after pod-security admission's policy registry: an
 * id, a level, and one variant per Kubernetes minor version where the rule changed.
 *
 * A variant returns findings — one per offending field, with the values that offend — rather than
 * a verdict, so that Kyverno-style exclusions can drop single findings; `describe` then words the
 * remaining findings the way admission words its forbidden reasons ("reason (detail)").
 */
import { dig, type ContainerRef, type PodView } from './pod.ts';

export type Level = 'baseline' | 'restricted';

export type CheckId =
  | 'allowPrivilegeEscalation'
  | 'appArmorProfile'
  | 'capabilities_baseline'
  | 'capabilities_restricted'
  | 'hostNamespaces'
  | 'hostPathVolumes'
  | 'hostPorts'
  | 'hostProbesAndHostLifecycle'
  | 'privileged'
  | 'procMount'
  | 'procMount_restricted'
  | 'restrictedVolumes'
  | 'runAsNonRoot'
  | 'runAsUser'
  | 'seLinuxOptions'
  | 'seccompProfile_baseline'
  | 'seccompProfile_restricted'
  | 'sysctls'
  | 'windowsHostProcess';

export interface Finding {
  /** Path of the offending (or missing) field inside the pod: `spec.containers[0].securityContext.privileged`. */
  field: string;
  /** The container the field belongs to; absent for pod-level and metadata fields. */
  container?: ContainerRef;
  /** The offending values as text (`true`, `NET_RAW`, `/var/run`); empty when a required field is missing. */
  values: string[];
  /** Which rule of the check the finding breaks, when a check words several differently. */
  rule?: string;
  /** What the message calls the offending item when it is not a container: a volume, a sysctl, an annotation. */
  label?: string;
}

export interface VersionedCheck {
  /** The Kubernetes 1.x minor version from which this variant applies. */
  since: number;
  evaluate: (pod: PodView) => Finding[];
  /** Baseline checks this restricted variant replaces at the restricted level. */
  overrides?: CheckId[];
}

export interface Check {
  id: CheckId;
  level: Level;
  /** Ascending by `since`. */
  versions: VersionedCheck[];
  describe: (findings: Finding[]) => { reason: string; detail: string };
}

export function pluralize(singular: string, plural: string, count: number): string {
  return count === 1 ? singular : plural;
}

export function joinQuote(items: readonly string[]): string {
  return items.length === 0 ? '' : `"${items.join('", "')}"`;
}

export function sortedUnique(items: Iterable<string>): string[] {
  return [...new Set(items)].sort();
}

/** The containers behind some findings, once each, in visiting order. */
export function containersOf(findings: readonly Finding[]): ContainerRef[] {
  const seen = new Set<ContainerRef>();
  for (const f of findings) if (f.container) seen.add(f.container);
  return [...seen];
}

/** `container "a"` / `containers "a", "b"`. */
export function containerPhrase(containers: readonly ContainerRef[]): string {
  return `${pluralize('container', 'containers', containers.length)} ${joinQuote(containers.map((c) => c.name))}`;
}

/** Who set the offending fields, as admission lists them: `pod and containers "a", "b"`. */
export function setters(findings: readonly Finding[]): string {
  const parts: string[] = [];
  if (findings.some((f) => f.container === undefined)) parts.push('pod');
  const containers = containersOf(findings);
  if (containers.length > 0) parts.push(containerPhrase(containers));
  return parts.join(' and ');
}

export function allValues(findings: readonly Finding[]): string[] {
  return findings.flatMap((f) => f.values);
}

/** A securityContext field of the pod (first, `container` unset) and of every container, with its path and value. */
export function securityContextFields(
  pod: PodView,
  ...keys: string[]
): { field: string; container?: ContainerRef; value: unknown }[] {
  const suffix = keys.join('.');
  const out: { field: string; container?: ContainerRef; value: unknown }[] = [
    { field: `spec.securityContext.${suffix}`, value: dig(pod.securityContext, ...keys) },
  ];
  for (const c of pod.containers) {
    out.push({ field: `${c.path}.securityContext.${suffix}`, container: c, value: dig(c.securityContext, ...keys) });
  }
  return out;
}

/** Set in the Go sense: present and not null. */
export function isSet(value: unknown): boolean {
  return value !== undefined && value !== null;
}
