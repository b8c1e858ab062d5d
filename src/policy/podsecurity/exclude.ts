/**
 * Kyverno's `validate.podSecurity.exclude` (and PolicyException `podSecurity`): exemptions by
 * control, as the Pod Security Standards name controls. An exclusion drops the findings it covers;
 * a check whose findings are all dropped no longer fails.
 *
 * An exclusion covers a finding when its control includes the finding's check and
 * - with `images`: the finding belongs to a container whose image matches one of the wildcards
 *   (`*`, `?`); without `images`: the finding is pod-level (pod spec or metadata). Controls with
 *   fields at both levels need one exclusion of each kind to be exempted entirely, as in Kyverno;
 * - with `restrictedField`: the finding's field with indexes written `[*]` equals it
 *   (`spec.containers[*].securityContext.capabilities.add`, `spec.volumes[*].hostPath`);
 * - with `values`: every offending value of the finding matches one of them (wildcards allowed;
 *   booleans and numbers written as text: "true", "8080"). A finding about a missing field has no
 *   offending value and is covered whatever `values` says, as in Kyverno.
 *
 * The offending values, per control: the boolean (`true`) for host namespaces, privileged and
 * HostProcess; the port for host ports; the host path for hostPath volumes; the added
 * capabilities; the sysctl name; the type for seccomp, AppArmor and SELinux (the user or role for
 * those two SELinux fields); the procMount type; the annotation value for the legacy seccomp and
 * AppArmor annotations; the source name (`nfs`) for volume types; the host for probes and hooks;
 * the value set for runAsNonRoot, runAsUser and allowPrivilegeEscalation.
 */
import type { CheckId, Finding } from './check.ts';
import { wildcardMatch } from '../pattern/wildcard.ts';
import { RuleError } from '../types.ts';

export interface PodSecurityExclusion {
  controlName: string;
  images?: string[];
  restrictedField?: string;
  values?: string[];
}

/** Control names as Kyverno spells them, with the admission checks behind each. */
export const CONTROL_CHECKS: Readonly<Record<string, readonly CheckId[]>> = {
  HostProcess: ['windowsHostProcess'],
  'Host Namespaces': ['hostNamespaces'],
  'Privileged Containers': ['privileged'],
  Capabilities: ['capabilities_baseline', 'capabilities_restricted'],
  'HostPath Volumes': ['hostPathVolumes'],
  'Host Ports': ['hostPorts'],
  'Host Probes / Lifecycle Hooks': ['hostProbesAndHostLifecycle'],
  AppArmor: ['appArmorProfile'],
  SELinux: ['seLinuxOptions'],
  '/proc Mount Type': ['procMount', 'procMount_restricted'],
  Seccomp: ['seccompProfile_baseline', 'seccompProfile_restricted'],
  Sysctls: ['sysctls'],
  'Volume Types': ['restrictedVolumes'],
  'Privilege Escalation': ['allowPrivilegeEscalation'],
  'Running as Non-root': ['runAsNonRoot'],
  'Running as Non-root user': ['runAsUser'],
};

const CONTROL_OF = new Map<CheckId, string>(
  Object.entries(CONTROL_CHECKS).flatMap(([control, ids]) => ids.map((id) => [id, control] as const)),
);

/** The control a check implements, by its Kyverno name. */
export function controlOf(id: CheckId): string {
  return CONTROL_OF.get(id) ?? id;
}

export interface CompiledExclusion {
  checks: ReadonlySet<CheckId>;
  /** Kyverno's wildcards (pattern/wildcard.ts): `*` any run of characters, `?` one character. */
  images: string[] | undefined;
  restrictedField: string | undefined;
  values: string[] | undefined;
}

/** Validates and prepares exclusions; an unknown control name is a rule error, as Kyverno rejects the policy. */
export function compileExclusions(list: readonly PodSecurityExclusion[] | undefined): CompiledExclusion[] {
  return (list ?? []).map((exclusion) => {
    const checks = CONTROL_CHECKS[exclusion.controlName];
    if (checks === undefined) {
      throw new RuleError(
        'INVALID',
        `pod security: unknown control "${exclusion.controlName}" in exclude (known: ${Object.keys(CONTROL_CHECKS).join(', ')})`,
      );
    }
    return {
      checks: new Set(checks),
      images: nonEmpty(exclusion.images)?.map(String),
      restrictedField: exclusion.restrictedField || undefined,
      values: nonEmpty(exclusion.values)?.map(String),
    };
  });
}

export function isExempt(exclusions: readonly CompiledExclusion[], check: CheckId, finding: Finding): boolean {
  return exclusions.some((e) => covers(e, check, finding));
}

function covers(e: CompiledExclusion, check: CheckId, finding: Finding): boolean {
  if (!e.checks.has(check)) return false;
  if (e.images) {
    const image = finding.container?.image;
    if (image === undefined || !e.images.some((pattern) => wildcardMatch(pattern, image))) return false;
  } else if (finding.container !== undefined) {
    return false;
  }
  if (e.restrictedField !== undefined && e.restrictedField !== finding.field.replace(/\[\d+\]/g, '[*]')) return false;
  const values = e.values;
  return values === undefined || finding.values.every((v) => values.some((pattern) => wildcardMatch(pattern, v)));
}

function nonEmpty(list: string[] | undefined): string[] | undefined {
  return list && list.length > 0 ? list : undefined;
}
