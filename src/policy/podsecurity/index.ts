/**
 * Pod Security Standards (baseline, restricted) per Kubernetes version, as pod-security admission
 * defines them, with Kyverno's `validate.podSecurity.exclude` semantics.
 */
export {
  checkPodSecurity,
  type PodSecurityLevel,
  type PodSecurityOptions,
  type PodSecurityResult,
  type PodSecurityViolation,
} from './evaluate.ts';
export { CONTROL_CHECKS, controlOf, type PodSecurityExclusion } from './exclude.ts';
export { LATEST_MINOR, LATEST_VERSION, resolveVersion } from './version.ts';
export type { CheckId } from './check.ts';
