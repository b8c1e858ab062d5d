/**
 * checkPodSecurity: evaluates a Pod, or the pod template of a workload, against a Pod Security
 * Standards level at a policy version, as pod-security admission does, then applies Kyverno-style
 * exclusions. Each violation is one failed check, worded as admission words it
 * (`privileged (container "x" must not set securityContext.privileged=true)`), with the JSON paths
 * of the offending fields relative to the object.
 */
import type { CheckId, Finding, Level } from './check.ts';
import { compileExclusions, controlOf, isExempt, type PodSecurityExclusion } from './exclude.ts';
import { podViewOf, type Obj } from './pod.ts';
import { activeChecks } from './registry.ts';
import { resolveVersion } from './version.ts';
import { RuleError } from '../types.ts';

export type PodSecurityLevel = Level | 'privileged';

export interface PodSecurityOptions {
  /** Kyverno `validate.podSecurity.exclude` entries. */
  exclude?: readonly PodSecurityExclusion[];
}

export interface PodSecurityViolation {
  /** Admission's check id: `privileged`, `capabilities_restricted`, `seccompProfile_baseline`… */
  check: CheckId;
  /** The control, as Kyverno names it in exclusions: `Privileged Containers`, `Capabilities`, `Seccomp`… */
  control: string;
  /** `reason (detail)`, as admission words forbidden reasons. */
  message: string;
  /** JSON paths of the offending (or missing required) fields, relative to the object. */
  paths: string[];
}

export interface PodSecurityResult {
  allowed: boolean;
  violations: PodSecurityViolation[];
  /** The policy version the rules came from (`latest` and future versions resolve to the newest known). */
  version: string;
}

const LEVELS: readonly PodSecurityLevel[] = ['privileged', 'baseline', 'restricted'];

export function checkPodSecurity(
  object: Record<string, unknown>,
  level: PodSecurityLevel,
  version = 'latest',
  options: PodSecurityOptions = {},
): PodSecurityResult {
  if (!LEVELS.includes(level)) {
    throw new RuleError('INVALID', `pod security: unknown level "${String(level)}" (expected privileged, baseline or restricted)`);
  }
  const minor = resolveVersion(version);
  const exclusions = compileExclusions(options.exclude);
  const pod = podViewOf(object as Obj);
  const violations: PodSecurityViolation[] = [];
  for (const { check, variant } of activeChecks(level, minor)) {
    let findings: Finding[] = variant.evaluate(pod);
    if (exclusions.length > 0) findings = findings.filter((f) => !isExempt(exclusions, check.id, f));
    if (findings.length === 0) continue;
    const { reason, detail } = check.describe(findings);
    violations.push({
      check: check.id,
      control: controlOf(check.id),
      message: `${reason} (${detail})`,
      paths: [...new Set(findings.map((f) => pod.prefix + f.field))],
    });
  }
  return { allowed: violations.length === 0, violations, version: `v1.${minor}` };
}
