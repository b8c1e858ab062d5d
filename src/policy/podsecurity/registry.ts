/**
 * Every check, in admission's order (its check files sorted by name), and the set that applies at
 * a level and version: per check the newest variant not newer than the version, at the restricted
 * level minus the baseline checks a restricted variant overrides.
 */
import type { Check, CheckId, Level, VersionedCheck } from './check.ts';
import {
  appArmorProfile,
  capabilitiesBaseline,
  hostNamespaces,
  hostPathVolumes,
  hostPorts,
  hostProbesAndHostLifecycle,
  privileged,
  procMount,
  seccompProfileBaseline,
  seLinuxOptions,
  sysctls,
  windowsHostProcess,
} from './checks/baseline.ts';
import {
  allowPrivilegeEscalation,
  capabilitiesRestricted,
  procMountRestricted,
  restrictedVolumes,
  runAsNonRoot,
  runAsUser,
  seccompProfileRestricted,
} from './checks/restricted.ts';

export const CHECKS: readonly Check[] = [
  allowPrivilegeEscalation,
  appArmorProfile,
  capabilitiesBaseline,
  capabilitiesRestricted,
  hostNamespaces,
  hostPathVolumes,
  hostPorts,
  hostProbesAndHostLifecycle,
  privileged,
  procMount,
  procMountRestricted,
  restrictedVolumes,
  runAsNonRoot,
  runAsUser,
  seLinuxOptions,
  seccompProfileBaseline,
  seccompProfileRestricted,
  sysctls,
  windowsHostProcess,
];

export interface ActiveCheck {
  check: Check;
  variant: VersionedCheck;
}

const cache = new Map<string, ActiveCheck[]>();

/** The checks to run for a level at a Kubernetes 1.x minor version (privileged: none). */
export function activeChecks(level: Level | 'privileged', minor: number): readonly ActiveCheck[] {
  if (level === 'privileged') return [];
  const key = `${level}/${minor}`;
  let active = cache.get(key);
  if (active === undefined) {
    active = [];
    for (const check of CHECKS) {
      if (level === 'baseline' && check.level !== 'baseline') continue;
      const variant = variantAt(check, minor);
      if (variant) active.push({ check, variant });
    }
    const overridden = new Set<CheckId>(active.flatMap((a) => a.variant.overrides ?? []));
    active = active.filter((a) => !overridden.has(a.check.id));
    cache.set(key, active);
  }
  return active;
}

function variantAt(check: Check, minor: number): VersionedCheck | undefined {
  let found: VersionedCheck | undefined;
  for (const v of check.versions) if (v.since <= minor) found = v;
  return found;
}
