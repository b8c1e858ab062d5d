/**
 * The baseline checks: what pod-security admission forbids from the baseline level up. Each
 * check's comment names the fields it reads and the versions where its rule changed; the
 * wording of `describe` follows admission's forbidden reasons so that messages read the same.
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
} from '../check.ts';
import { asArray, asObj, dig, str, text, type PodView } from '../pod.ts';

/** spec.securityContext.windowsOptions.hostProcess and the containers' own: undefined or false. */
export const windowsHostProcess: Check = {
  id: 'windowsHostProcess',
  level: 'baseline',
  versions: [
    {
      since: 0,
      evaluate: (pod) =>
        securityContextFields(pod, 'windowsOptions', 'hostProcess')
          .filter((f) => f.value === true)
          .map(({ field, container }) => ({ field, container, values: ['true'] })),
    },
  ],
  describe: (findings) => ({
    reason: 'hostProcess',
    detail: `${setters(findings)} must not set securityContext.windowsOptions.hostProcess=true`,
  }),
};

/** spec.hostNetwork, spec.hostPID, spec.hostIPC: undefined or false. */
export const hostNamespaces: Check = {
  id: 'hostNamespaces',
  level: 'baseline',
  versions: [
    {
      since: 0,
      evaluate: (pod) =>
        ['hostNetwork', 'hostPID', 'hostIPC']
          .filter((key) => pod.spec[key] === true)
          .map((key) => ({ field: `spec.${key}`, values: ['true'], label: `${key}=true` })),
    },
  ],
  describe: (findings) => ({ reason: 'host namespaces', detail: findings.map((f) => f.label).join(', ') }),
};

/** Containers' securityContext.privileged: undefined or false. */
export const privileged: Check = {
  id: 'privileged',
  level: 'baseline',
  versions: [
    {
      since: 0,
      evaluate: (pod) =>
        pod.containers
          .filter((c) => c.securityContext?.privileged === true)
          .map((c) => ({ field: `${c.path}.securityContext.privileged`, container: c, values: ['true'] })),
    },
  ],
  describe: (findings) => ({
    reason: 'privileged',
    detail: `${containerPhrase(containersOf(findings))} must not set securityContext.privileged=true`,
  }),
};

/** The capabilities a container may add without leaving the runtime's default set (NET_RAW is not among them). */
const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

/** Containers' securityContext.capabilities.add: a subset of BASELINE_CAPABILITIES (names as written, no CAP_ prefix). */
export const capabilitiesBaseline: Check = {
  id: 'capabilities_baseline',
  level: 'baseline',
  versions: [
    {
      since: 0,
      evaluate: (pod) => {
        const out: Finding[] = [];
        for (const c of pod.containers) {
          const added = asArray(dig(c.securityContext, 'capabilities', 'add')).map(text);
          const forbidden = added.filter((cap) => !BASELINE_CAPABILITIES.has(cap));
          if (forbidden.length > 0) {
            out.push({ field: `${c.path}.securityContext.capabilities.add`, container: c, values: forbidden });
          }
        }
        return out;
      },
    },
  ],
  describe: (findings) => ({
    reason: 'non-default capabilities',
    detail:
      `${containerPhrase(containersOf(findings))} must not include ` +
      `${joinQuote(sortedUnique(allValues(findings)))} in securityContext.capabilities.add`,
  }),
};

/** spec.volumes[*].hostPath: unset. */
export const hostPathVolumes: Check = {
  id: 'hostPathVolumes',
  level: 'baseline',
  versions: [
    {
      since: 0,
      evaluate: (pod) => {
        const out: Finding[] = [];
        asArray(pod.spec.volumes).forEach((volume, i) => {
          const hostPath = dig(volume, 'hostPath');
          if (!isSet(hostPath)) return;
          out.push({
            field: `spec.volumes[${i}].hostPath`,
            values: [str(dig(hostPath, 'path'))],
            label: str(dig(volume, 'name')),
          });
        });
        return out;
      },
    },
  ],
  describe: (findings) => ({
    reason: 'hostPath volumes',
    detail: `${pluralize('volume', 'volumes', findings.length)} ${joinQuote(findings.map((f) => f.label ?? ''))}`,
  }),
};

/** Containers' ports[*].hostPort: undefined or 0 (the standard's optional "known list" is not part of admission). */
export const hostPorts: Check = {
  id: 'hostPorts',
  level: 'baseline',
  versions: [
    {
      since: 0,
      evaluate: (pod) => {
        const out: Finding[] = [];
        for (const c of pod.containers) {
          asArray(c.raw.ports).forEach((port, j) => {
            const hostPort = dig(port, 'hostPort');
            if (!isSet(hostPort) || hostPort === 0) return;
            out.push({ field: `${c.path}.ports[${j}].hostPort`, container: c, values: [text(hostPort)] });
          });
        }
        return out;
      },
    },
  ],
  describe: (findings) => {
    const containers = containersOf(findings);
    const ports = sortedUnique(allValues(findings));
    return {
      reason: 'hostPort',
      detail:
        `${containerPhrase(containers)} ${pluralize('uses', 'use', containers.length)} ` +
        `${pluralize('hostPort', 'hostPorts', ports.length)} ${ports.join(', ')}`,
    };
  },
};

/** Where a container can name a host for the kubelet to contact: its probes and lifecycle hooks, each via httpGet or tcpSocket. */
const HOST_HANDLERS: readonly string[][] = [
  ['livenessProbe'],
  ['readinessProbe'],
  ['startupProbe'],
  ['lifecycle', 'postStart'],
  ['lifecycle', 'preStop'],
].flatMap((at) => [
  [...at, 'httpGet'],
  [...at, 'tcpSocket'],
]);

/**
 * v1.34+: the host of containers' liveness/readiness/startup probes and postStart/preStop hooks
 * (httpGet and tcpSocket): empty or undefined, so that a pod cannot make the kubelet reach other hosts.
 */
export const hostProbesAndHostLifecycle: Check = {
  id: 'hostProbesAndHostLifecycle',
  level: 'baseline',
  versions: [
    {
      since: 34,
      evaluate: (pod) => {
        const out: Finding[] = [];
        for (const c of pod.containers) {
          for (const handler of HOST_HANDLERS) {
            const host = str(dig(c.raw, ...handler, 'host'));
            if (host !== '') out.push({ field: `${c.path}.${handler.join('.')}.host`, container: c, values: [host] });
          }
        }
        return out;
      },
    },
  ],
  describe: (findings) => {
    // Admission lists these containers by name, sorted, rather than in visiting order.
    const names = sortedUnique(containersOf(findings).map((c) => c.name));
    const hosts = sortedUnique(allValues(findings));
    return {
      reason: 'probe or lifecycle host',
      detail:
        `${pluralize('container', 'containers', names.length)} ${joinQuote(names)} ` +
        `${pluralize('uses', 'use', names.length)} ` +
        `${pluralize('probe or lifecycle host', 'probe or lifecycle hosts', hosts.length)} ${joinQuote(hosts)}`,
    };
  },
};

const APPARMOR_ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

function allowedAppArmorAnnotation(value: string): boolean {
  return value === '' || value === 'runtime/default' || value.startsWith('localhost/');
}

/**
 * The legacy annotations `container.apparmor.security.beta.kubernetes.io/*` (empty, runtime/default
 * or localhost/*) and, since the appArmorProfile field exists, spec.securityContext.appArmorProfile.type
 * and the containers' (RuntimeDefault or Localhost). Admission amended its single 1.0 variant with
 * the field, so the field is checked at every version.
 */
export const appArmorProfile: Check = {
  id: 'appArmorProfile',
  level: 'baseline',
  versions: [
    {
      since: 0,
      evaluate: (pod) => {
        const out: Finding[] = securityContextFields(pod, 'appArmorProfile')
          .filter((f) => isSet(f.value))
          .map((f) => ({ ...f, type: str(dig(f.value, 'type')) }))
          .filter((f) => f.type !== 'RuntimeDefault' && f.type !== 'Localhost')
          .map(({ field, container, type }) => ({ field: `${field}.type`, container, values: [type], rule: 'field' }));
        for (const key of Object.keys(pod.annotations).sort()) {
          if (!key.startsWith(APPARMOR_ANNOTATION_PREFIX)) continue;
          const value = text(pod.annotations[key] ?? '');
          if (allowedAppArmorAnnotation(value)) continue;
          out.push({
            field: `metadata.annotations[${key}]`,
            values: [value],
            rule: 'annotation',
            label: `${key}=${JSON.stringify(value)}`,
          });
        }
        return out;
      },
    },
  ],
  describe: (findings) => {
    const fields = findings.filter((f) => f.rule === 'field');
    const annotations = findings.filter((f) => f.rule === 'annotation');
    const badValues = [...sortedUnique(allValues(fields)), ...annotations.map((f) => f.label ?? '')];
    const who: string[] = [];
    if (fields.length > 0) who.push(setters(fields));
    if (annotations.length > 0) who.push(pluralize('annotation', 'annotations', annotations.length));
    return {
      reason: pluralize('forbidden AppArmor profile', 'forbidden AppArmor profiles', badValues.length),
      detail: `${who.join(' and ')} must not set AppArmor profile type to ${joinQuote(badValues)}`,
    };
  },
};

const SELINUX_TYPES_1_0 = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t']);
const SELINUX_TYPES_1_31 = new Set([...SELINUX_TYPES_1_0, 'container_engine_t']);

function seLinuxFindings(pod: PodView, allowedTypes: ReadonlySet<string>): Finding[] {
  const out: Finding[] = [];
  for (const { field, container, value } of securityContextFields(pod, 'seLinuxOptions')) {
    const options = asObj(value);
    if (options === undefined) continue;
    const type = str(options.type);
    if (!allowedTypes.has(type)) out.push({ field: `${field}.type`, container, values: [type], rule: 'type' });
    for (const rule of ['user', 'role']) {
      const set = str(options[rule]);
      if (set !== '') out.push({ field: `${field}.${rule}`, container, values: [set], rule });
    }
  }
  return out;
}

/**
 * seLinuxOptions of the pod and the containers: type empty, container_t, container_init_t or
 * container_kvm_t (v1.31+ also container_engine_t); user and role unset.
 */
export const seLinuxOptions: Check = {
  id: 'seLinuxOptions',
  level: 'baseline',
  versions: [
    { since: 0, evaluate: (pod) => seLinuxFindings(pod, SELINUX_TYPES_1_0) },
    { since: 31, evaluate: (pod) => seLinuxFindings(pod, SELINUX_TYPES_1_31) },
  ],
  describe: (findings) => {
    const types = sortedUnique(allValues(findings.filter((f) => f.rule === 'type')));
    const data: string[] = [];
    if (types.length > 0) data.push(`${pluralize('type', 'types', types.length)} ${joinQuote(types)}`);
    if (findings.some((f) => f.rule === 'user')) data.push('user may not be set');
    if (findings.some((f) => f.rule === 'role')) data.push('role may not be set');
    return {
      reason: 'seLinuxOptions',
      detail: `${setters(findings)} set forbidden securityContext.seLinuxOptions: ${data.join('; ')}`,
    };
  },
};

/** Containers' securityContext.procMount: undefined or Default. Shared with the restricted procMount check. */
export function procMountFindings(pod: PodView): Finding[] {
  const out: Finding[] = [];
  for (const c of pod.containers) {
    const procMount = c.securityContext?.procMount;
    if (isSet(procMount) && procMount !== 'Default') {
      out.push({ field: `${c.path}.securityContext.procMount`, container: c, values: [text(procMount)] });
    }
  }
  return out;
}

export function describeProcMount(findings: Finding[]): { reason: string; detail: string } {
  return {
    reason: 'procMount',
    detail:
      `${containerPhrase(containersOf(findings))} must not set securityContext.procMount to ` +
      `${joinQuote(sortedUnique(allValues(findings)))}`,
  };
}

/** Containers' securityContext.procMount: undefined or Default; v1.35+ anything in a user namespace (hostUsers: false). */
export const procMount: Check = {
  id: 'procMount',
  level: 'baseline',
  versions: [
    { since: 0, evaluate: procMountFindings },
    { since: 35, evaluate: (pod) => (pod.userNamespace ? [] : procMountFindings(pod)) },
  ],
  describe: describeProcMount,
};

const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER_ANNOTATION_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';

function allowedSeccompAnnotation(value: string): boolean {
  return value === 'runtime/default' || value === 'docker/default' || value.startsWith('localhost/');
}

export function allowedSeccompType(type: unknown): boolean {
  return type === 'RuntimeDefault' || type === 'Localhost';
}

/** Before v1.19 seccomp was set by annotations: the pod's, and one per container (by container name). */
function seccompAnnotationFindings(pod: PodView): Finding[] {
  const out: Finding[] = [];
  const inspect = (key: string, container?: Finding['container']) => {
    if (!Object.hasOwn(pod.annotations, key)) return;
    const value = text(pod.annotations[key] ?? '');
    if (allowedSeccompAnnotation(value)) return;
    out.push({
      field: `metadata.annotations[${key}]`,
      container,
      values: [value],
      rule: 'annotation',
      label: `${key}=${JSON.stringify(value)}`,
    });
  };
  inspect(SECCOMP_POD_ANNOTATION);
  for (const c of pod.containers) inspect(SECCOMP_CONTAINER_ANNOTATION_PREFIX + c.name, c);
  return out;
}

/** From v1.19: seccompProfile.type of the pod and the containers, when set, is RuntimeDefault or Localhost. */
function seccompFieldFindings(pod: PodView): Finding[] {
  return securityContextFields(pod, 'seccompProfile')
    .filter((f) => isSet(f.value) && !allowedSeccompType(dig(f.value, 'type')))
    .map(({ field, container, value }) => ({ field: `${field}.type`, container, values: [str(dig(value, 'type'))] }));
}

export function describeSeccompExplicit(findings: Finding[]): string {
  return `${setters(findings)} must not set securityContext.seccompProfile.type to ${joinQuote(sortedUnique(allValues(findings)))}`;
}

/** Seccomp must not be Unconfined: annotations up to v1.18, the seccompProfile field from v1.19. */
export const seccompProfileBaseline: Check = {
  id: 'seccompProfile_baseline',
  level: 'baseline',
  versions: [
    { since: 0, evaluate: seccompAnnotationFindings },
    { since: 19, evaluate: seccompFieldFindings },
  ],
  describe: (findings) => {
    if (findings.some((f) => f.rule === 'annotation')) {
      const labels = sortedUnique(findings.map((f) => f.label ?? ''));
      return {
        reason: 'seccompProfile',
        detail: `forbidden ${pluralize('annotation', 'annotations', labels.length)} ${labels.join(', ')}`,
      };
    }
    return { reason: 'seccompProfile', detail: describeSeccompExplicit(findings) };
  },
};

/** The sysctls admission deems safe (namespaced, isolated from other pods), by the version that added them. */
const SAFE_SYSCTLS: readonly { since: number; names: readonly string[] }[] = [
  {
    since: 0,
    names: [
      'kernel.shm_rmid_forced',
      'net.ipv4.ip_local_port_range',
      'net.ipv4.tcp_syncookies',
      'net.ipv4.ping_group_range',
      'net.ipv4.ip_unprivileged_port_start',
    ],
  },
  { since: 27, names: ['net.ipv4.ip_local_reserved_ports'] },
  {
    since: 29,
    names: ['net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes'],
  },
  { since: 32, names: ['net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem'] },
  { since: 37, names: ['net.ipv4.tcp_slow_start_after_idle', 'net.ipv4.tcp_notsent_lowat'] },
];

function sysctlsAt(since: number): Check['versions'][number] {
  const safe = new Set(SAFE_SYSCTLS.filter((s) => s.since <= since).flatMap((s) => s.names));
  return {
    since,
    evaluate: (pod) => {
      const out: Finding[] = [];
      asArray(pod.securityContext?.sysctls).forEach((sysctl, i) => {
        const name = str(dig(sysctl, 'name'));
        if (!safe.has(name)) out.push({ field: `spec.securityContext.sysctls[${i}].name`, values: [name], label: name });
      });
      return out;
    },
  };
}

/** spec.securityContext.sysctls[*].name: within the safe set of the version. */
export const sysctls: Check = {
  id: 'sysctls',
  level: 'baseline',
  versions: SAFE_SYSCTLS.map((s) => sysctlsAt(s.since)),
  describe: (findings) => ({ reason: 'forbidden sysctls', detail: findings.map((f) => f.label ?? '').join(', ') }),
};
