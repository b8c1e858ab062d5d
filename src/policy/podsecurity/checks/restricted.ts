/**
 * The restricted checks, applied on top of the baseline ones. Some replace a baseline check at the
 * restricted level (`overrides`), as admission's registry does: restrictedVolumes replaces
 * hostPathVolumes, the restricted seccomp and capabilities checks replace their baseline forms,
 * and from v1.35 procMount_restricted replaces the relaxed baseline procMount.
 */
import {
  allValues,
  containerPhrase,
  containersOf,
  isSet,
  joinQuote,
  pluralize,
  securityContextFields,
  setters,
  sortedUnique,
  type Check,
  type Finding,
  type VersionedCheck,
} from '../check.ts';
import { asArray, asObj, dig, str, text, type PodView } from '../pod.ts';
import { allowedSeccompType, describeProcMount, describeSeccompExplicit, procMountFindings } from './baseline.ts';

/** The checks admission waives for Windows pods (spec.os.name: windows) from v1.25: Linux-only settings. */
function exceptWindows(evaluate: VersionedCheck['evaluate']): VersionedCheck['evaluate'] {
  return (pod) => (pod.windows ? [] : evaluate(pod));
}

/** From v1.35 the run-as-root checks do not apply in a user namespace, where root is not the host's root. */
function exceptUserNamespace(evaluate: VersionedCheck['evaluate']): VersionedCheck['evaluate'] {
  return (pod) => (pod.userNamespace ? [] : evaluate(pod));
}

/** Inline volume sources the restricted level allows (a volume that sets none defaults to emptyDir). */
const ALLOWED_VOLUME_SOURCES = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'image',
  'persistentVolumeClaim',
  'projected',
  'secret',
];

/** The other volume sources, in the order admission names them. */
const RESTRICTED_VOLUME_SOURCES = [
  'hostPath',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'nfs',
  'iscsi',
  'glusterfs',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'fc',
  'azureFile',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'portworxVolume',
  'scaleIO',
  'storageos',
];

/** spec.volumes[*]: only the allowed inline sources. */
export const restrictedVolumes: Check = {
  id: 'restrictedVolumes',
  level: 'restricted',
  versions: [
    {
      since: 0,
      overrides: ['hostPathVolumes'],
      evaluate: (pod) => {
        const out: Finding[] = [];
        asArray(pod.spec.volumes).forEach((item, i) => {
          const volume = asObj(item) ?? {};
          if (ALLOWED_VOLUME_SOURCES.some((source) => isSet(volume[source]))) return;
          const type = RESTRICTED_VOLUME_SOURCES.find((source) => isSet(volume[source]));
          if (type === undefined) return;
          out.push({ field: `spec.volumes[${i}].${type}`, values: [type], label: str(volume.name) });
        });
        return out;
      },
    },
  ],
  describe: (findings) => {
    const types = sortedUnique(allValues(findings));
    return {
      reason: 'restricted volume types',
      detail:
        `${pluralize('volume', 'volumes', findings.length)} ${joinQuote(findings.map((f) => f.label ?? ''))} ` +
        `${pluralize('uses', 'use', findings.length)} ` +
        `${pluralize('restricted volume type', 'restricted volume types', types.length)} ${joinQuote(types)}`,
    };
  },
};

function privilegeEscalationFindings(pod: PodView): Finding[] {
  const out: Finding[] = [];
  for (const c of pod.containers) {
    const value = c.securityContext?.allowPrivilegeEscalation;
    if (value === false) continue;
    out.push({
      field: `${c.path}.securityContext.allowPrivilegeEscalation`,
      container: c,
      values: isSet(value) ? [text(value)] : [],
    });
  }
  return out;
}

/** Containers' securityContext.allowPrivilegeEscalation: explicitly false (v1.8+; Windows pods exempt from v1.25). */
export const allowPrivilegeEscalation: Check = {
  id: 'allowPrivilegeEscalation',
  level: 'restricted',
  versions: [
    { since: 8, evaluate: privilegeEscalationFindings },
    { since: 25, evaluate: exceptWindows(privilegeEscalationFindings) },
  ],
  describe: (findings) => ({
    reason: 'allowPrivilegeEscalation != false',
    detail: `${containerPhrase(containersOf(findings))} must set securityContext.allowPrivilegeEscalation=false`,
  }),
};

/**
 * A securityContext setting that must hold at pod level or on every container (runAsNonRoot: true,
 * an allowed seccomp type): explicit bad values on the pod or a container are findings
 * (`explicit`), and so is every container that leaves it unset while the pod sets no good value
 * (`implicit`). `suffix` names the reported sub-field, `badValue` how an explicit value reads.
 */
function podOrContainers(
  pod: PodView,
  key: string,
  good: (value: unknown) => boolean,
  badValue: (value: unknown) => string,
  suffix = '',
): Finding[] {
  const [podLevel, ...containers] = securityContextFields(pod, key);
  const out: Finding[] = [];
  const podGood = podLevel !== undefined && isSet(podLevel.value) && good(podLevel.value);
  if (podLevel !== undefined && isSet(podLevel.value) && !podGood) {
    out.push({ field: podLevel.field + suffix, values: [badValue(podLevel.value)], rule: 'explicit' });
  }
  for (const { field, container, value } of containers) {
    if (isSet(value)) {
      if (!good(value)) out.push({ field: field + suffix, container, values: [badValue(value)], rule: 'explicit' });
    } else if (!podGood) {
      out.push({ field: field + suffix, container, values: [], rule: 'implicit' });
    }
  }
  return out;
}

function runAsNonRootFindings(pod: PodView): Finding[] {
  return podOrContainers(pod, 'runAsNonRoot', (value) => value === true, text);
}

/** runAsNonRoot: true on the pod or on every container, never false (v1.35+: not checked with hostUsers: false). */
export const runAsNonRoot: Check = {
  id: 'runAsNonRoot',
  level: 'restricted',
  versions: [
    { since: 0, evaluate: runAsNonRootFindings },
    { since: 35, evaluate: exceptUserNamespace(runAsNonRootFindings) },
  ],
  describe: (findings) => {
    const explicit = findings.filter((f) => f.rule === 'explicit');
    return {
      reason: 'runAsNonRoot != true',
      detail:
        explicit.length > 0
          ? `${setters(explicit)} must not set securityContext.runAsNonRoot=false`
          : `pod or ${containerPhrase(containersOf(findings))} must set securityContext.runAsNonRoot=true`,
    };
  },
};

function runAsUserFindings(pod: PodView): Finding[] {
  return securityContextFields(pod, 'runAsUser')
    .filter((f) => f.value === 0)
    .map(({ field, container }) => ({ field, container, values: ['0'] }));
}

/** runAsUser of the pod and the containers: not 0 (v1.23+; v1.35+: not checked with hostUsers: false). */
export const runAsUser: Check = {
  id: 'runAsUser',
  level: 'restricted',
  versions: [
    { since: 23, evaluate: runAsUserFindings },
    { since: 35, evaluate: exceptUserNamespace(runAsUserFindings) },
  ],
  describe: (findings) => ({ reason: 'runAsUser=0', detail: `${setters(findings)} must not set runAsUser=0` }),
};

function seccompRestrictedFindings(pod: PodView): Finding[] {
  const type = (profile: unknown) => dig(profile, 'type');
  return podOrContainers(pod, 'seccompProfile', (profile) => allowedSeccompType(type(profile)), (profile) => str(type(profile)), '.type');
}

/**
 * seccompProfile.type RuntimeDefault or Localhost on the pod or on every container (v1.19+;
 * Windows pods exempt from v1.25, where the API forbids the field).
 */
export const seccompProfileRestricted: Check = {
  id: 'seccompProfile_restricted',
  level: 'restricted',
  versions: [
    { since: 19, overrides: ['seccompProfile_baseline'], evaluate: seccompRestrictedFindings },
    { since: 25, overrides: ['seccompProfile_baseline'], evaluate: exceptWindows(seccompRestrictedFindings) },
  ],
  describe: (findings) => {
    const explicit = findings.filter((f) => f.rule === 'explicit');
    return {
      reason: 'seccompProfile',
      detail:
        explicit.length > 0
          ? describeSeccompExplicit(explicit)
          : `pod or ${containerPhrase(containersOf(findings))} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
    };
  },
};

function capabilitiesRestrictedFindings(pod: PodView): Finding[] {
  const out: Finding[] = [];
  for (const c of pod.containers) {
    const capabilities = asObj(c.securityContext?.capabilities);
    const field = `${c.path}.securityContext.capabilities`;
    if (!asArray(capabilities?.drop).includes('ALL')) {
      out.push({ field: `${field}.drop`, container: c, values: [], rule: 'drop' });
    }
    const added = asArray(capabilities?.add).map(text).filter((cap) => cap !== 'NET_BIND_SERVICE');
    if (added.length > 0) out.push({ field: `${field}.add`, container: c, values: added, rule: 'add' });
  }
  return out;
}

/** Containers drop ALL capabilities and add none but NET_BIND_SERVICE (v1.22+; Windows pods exempt from v1.25). */
export const capabilitiesRestricted: Check = {
  id: 'capabilities_restricted',
  level: 'restricted',
  versions: [
    { since: 22, overrides: ['capabilities_baseline'], evaluate: capabilitiesRestrictedFindings },
    { since: 25, overrides: ['capabilities_baseline'], evaluate: exceptWindows(capabilitiesRestrictedFindings) },
  ],
  describe: (findings) => {
    const drop = findings.filter((f) => f.rule === 'drop');
    const add = findings.filter((f) => f.rule === 'add');
    const details: string[] = [];
    if (drop.length > 0) {
      details.push(`${containerPhrase(containersOf(drop))} must set securityContext.capabilities.drop=["ALL"]`);
    }
    if (add.length > 0) {
      details.push(
        `${containerPhrase(containersOf(add))} must not include ${joinQuote(sortedUnique(allValues(add)))} ` +
          'in securityContext.capabilities.add',
      );
    }
    return { reason: 'unrestricted capabilities', detail: details.join('; ') };
  },
};

/** v1.35+: procMount undefined or Default even in a user namespace, where the baseline check relaxed. */
export const procMountRestricted: Check = {
  id: 'procMount_restricted',
  level: 'restricted',
  versions: [{ since: 35, overrides: ['procMount'], evaluate: procMountFindings }],
  describe: describeProcMount,
};
