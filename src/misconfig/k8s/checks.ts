/**
 * Kubernetes checks written in TypeScript, where a Kyverno policy cannot say it (or cannot say
 * where): the Pod Security Standards controls (one check per control, run through
 * checkPodSecurity so that every offending field is known), image references, credentials in
 * ConfigMaps and env literals, RBAC wildcards, and checks over the whole input set (service
 * account token automount, namespaces without a NetworkPolicy).
 *
 * Each check reports the field path of what offends; the manifest's line map turns it into a line.
 */
import type { Severity } from '../../core/types.ts';
import { checkPodSecurity, type CheckId } from '../../policy/podsecurity/index.ts';
import { podViewOf, type ContainerRef, type PodView } from '../../policy/podsecurity/pod.ts';
import type { CheckMeta, Hit } from '../check.ts';
import { credentialFormat, isLiteralSecretValue, isSecretName, redact } from '../credentials.ts';
import { imageTagAndDigest } from '../image-ref.ts';
import type { Manifest } from '../manifests.ts';
import { stringItems } from '../../core/json.ts';

/** Kinds that carry a pod (spec or template): what the workload checks look at. */
export const WORKLOAD_KINDS = new Set(['Pod', 'Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'ReplicationController', 'Job', 'CronJob']);

const PSS_DOC = 'https://kubernetes.io/docs/concepts/security/pod-security-standards/';
const SECURITY_CONTEXT_DOC = 'https://kubernetes.io/docs/tasks/configure-pod-container/security-context/';

function meta(id: string, severity: Severity, title: string, description: string, remediation: string, trivy: string[], references: string[]): CheckMeta {
  return { id, type: 'kubernetes', severity, title, description, remediation, references, trivy, implementation: 'typescript' };
}

/** The whole input set, indexed once for the checks that look across objects. */
export interface ManifestSet {
  manifests: readonly Manifest[];
  /** `namespace/name` of ServiceAccounts with `automountServiceAccountToken: false`. */
  tokenlessAccounts: Set<string>;
  /** Namespaces with a NetworkPolicy; `clusterNetworkPolicy` when a cluster-wide one exists. */
  policyNamespaces: Set<string>;
  clusterNetworkPolicy: boolean;
  /** Per namespace, its workloads in input order. */
  workloads: Map<string, Manifest[]>;
}

const NAMESPACED_POLICY_KINDS = new Set(['NetworkPolicy', 'CiliumNetworkPolicy']);
const CLUSTER_POLICY_KINDS = new Set(['CiliumClusterwideNetworkPolicy', 'GlobalNetworkPolicy', 'AdminNetworkPolicy', 'BaselineAdminNetworkPolicy']);

/** `''` stands for a manifest that leaves its namespace to apply time. */
function nsKey(namespace: string | undefined): string {
  return namespace ?? '';
}

export function indexManifests(manifests: readonly Manifest[]): ManifestSet {
  const set: ManifestSet = { manifests, tokenlessAccounts: new Set(), policyNamespaces: new Set(), clusterNetworkPolicy: false, workloads: new Map() };
  for (const m of manifests) {
    if (m.kind === 'ServiceAccount' && m.object.automountServiceAccountToken === false) set.tokenlessAccounts.add(`${nsKey(m.namespace)}/${m.name}`);
    else if (NAMESPACED_POLICY_KINDS.has(m.kind)) set.policyNamespaces.add(nsKey(m.namespace));
    else if (CLUSTER_POLICY_KINDS.has(m.kind)) set.clusterNetworkPolicy = true;
    else if (WORKLOAD_KINDS.has(m.kind)) {
      const key = nsKey(m.namespace);
      const list = set.workloads.get(key);
      if (list) list.push(m);
      else set.workloads.set(key, [m]);
    }
  }
  return set;
}

interface KubeCheck {
  meta: CheckMeta;
  /** Hits for one object; `all` is the whole input set, for checks that look across objects. */
  run(m: Manifest, all: ManifestSet): Omit<Hit, 'check'>[];
}

function objectOf(m: Manifest): Hit['object'] {
  return { kind: m.kind, name: m.name, ...(m.namespace !== undefined && { namespace: m.namespace }) };
}

function hitAt(m: Manifest, field: string, message: string, value?: string): Omit<Hit, 'check'> {
  return { path: m.path, line: m.lineOf(field), message, object: objectOf(m), field, ...(value !== undefined && { value }) };
}

/** The pod of a workload object, or undefined for other kinds (and malformed ones). */
function podOf(m: Manifest): PodView | undefined {
  if (!WORKLOAD_KINDS.has(m.kind)) return undefined;
  try {
    return podViewOf(m.object);
  } catch {
    return undefined;
  }
}

/* ─────────────────────────── Pod Security Standards ─────────────────────────── */

interface PssControl {
  meta: CheckMeta;
  level: 'baseline' | 'restricted';
  checks: CheckId[];
}

function pss(
  id: string,
  level: PssControl['level'],
  checks: CheckId[],
  severity: Severity,
  title: string,
  description: string,
  remediation: string,
  trivy: string[],
): PssControl {
  const anchor = level === 'baseline' ? '#baseline' : '#restricted';
  return { level, checks, meta: meta(id, severity, title, description, remediation, trivy, [`${PSS_DOC}${anchor}`, SECURITY_CONTEXT_DOC]) };
}

/** One check per Pod Security Standards control, at the level that defines it. */
export const PSS_CONTROLS: readonly PssControl[] = [
  pss('PAL-K8S-001', 'baseline', ['privileged'], 'HIGH', 'Privileged container',
    'A privileged container has every capability and access to all host devices: it is root on the node.',
    'Remove `securityContext.privileged: true`; grant the specific capabilities the container needs instead.', ['KSV-0017']),
  pss('PAL-K8S-002', 'baseline', ['hostNamespaces'], 'HIGH', 'Host namespaces shared',
    'hostNetwork, hostPID or hostIPC give the pod the node\'s network stack, process table or IPC: it can sniff traffic, bind node ports, see and signal host processes.',
    'Remove `hostNetwork`, `hostPID` and `hostIPC` (or set them to false).', ['KSV-0008', 'KSV-0009', 'KSV-0010']),
  pss('PAL-K8S-003', 'baseline', ['windowsHostProcess'], 'HIGH', 'Windows HostProcess container',
    'A Windows HostProcess container runs directly on the host with the privileges of a host process.',
    'Remove `windowsOptions.hostProcess: true`.', ['KSV-0103']),
  pss('PAL-K8S-004', 'baseline', ['capabilities_baseline'], 'MEDIUM', 'Capabilities beyond the baseline set added',
    'Capabilities such as SYS_ADMIN, NET_ADMIN or SYS_PTRACE give a container powers over the node kernel far beyond what applications need.',
    'Remove the added capabilities that are not in the baseline set (AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT).', ['KSV-0022', 'KSV-0005']),
  pss('PAL-K8S-005', 'baseline', ['hostPathVolumes'], 'MEDIUM', 'hostPath volume',
    'A hostPath volume exposes the node\'s filesystem to the pod: depending on the path, host credentials, the kubelet\'s files or the container runtime.',
    'Use a persistentVolumeClaim, configMap, secret, emptyDir or CSI volume instead of hostPath.', ['KSV-0023']),
  pss('PAL-K8S-006', 'baseline', ['hostPorts'], 'HIGH', 'Host port',
    'A hostPort binds the container to the node\'s address, bypassing network policies and exposing it wherever the node is reachable.',
    'Remove `hostPort`; expose the container through a Service.', ['KSV-0024']),
  pss('PAL-K8S-007', 'baseline', ['appArmorProfile'], 'MEDIUM', 'AppArmor profile overridden',
    'Setting the AppArmor profile to unconfined (or another non-default profile) removes a layer of confinement from the container.',
    'Leave the AppArmor profile unset, or use `RuntimeDefault` or a `Localhost` profile.', ['KSV-0002']),
  pss('PAL-K8S-008', 'baseline', ['seLinuxOptions'], 'MEDIUM', 'Custom SELinux options',
    'Setting a custom SELinux user or role, or a type other than the container types, can lift the container out of its SELinux confinement.',
    'Remove `seLinuxOptions.user` and `.role`; keep `.type` to container_t, container_init_t, container_kvm_t or container_engine_t.', ['KSV-0025']),
  pss('PAL-K8S-009', 'baseline', ['procMount', 'procMount_restricted'], 'MEDIUM', 'Unmasked /proc mount',
    'An Unmasked /proc mount exposes kernel interfaces the runtime normally hides from containers.',
    'Remove `procMount` or set it to `Default`.', ['KSV-0027']),
  pss('PAL-K8S-010', 'baseline', ['seccompProfile_baseline'], 'MEDIUM', 'Seccomp profile set to Unconfined',
    'An Unconfined seccomp profile lets the container make every system call, widening the kernel attack surface.',
    'Set `seccompProfile.type` to `RuntimeDefault` or `Localhost`.', ['KSV-0104']),
  pss('PAL-K8S-011', 'baseline', ['sysctls'], 'MEDIUM', 'Unsafe sysctls',
    'Sysctls outside the safe set affect the whole node, not just the pod.',
    'Remove sysctls other than the safe set (kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.ip_unprivileged_port_start, net.ipv4.tcp_syncookies, net.ipv4.ping_group_range, …).', ['KSV-0026']),
  pss('PAL-K8S-012', 'baseline', ['hostProbesAndHostLifecycle'], 'MEDIUM', 'Probe or lifecycle hook targets another host',
    'A probe or lifecycle hook with a `host` makes the kubelet connect to an arbitrary address from the node network (server-side request forgery).',
    'Remove `host` from httpGet and tcpSocket probes and lifecycle handlers.', []),
  pss('PAL-K8S-013', 'restricted', ['restrictedVolumes'], 'LOW', 'Volume type outside the restricted set',
    'The restricted profile allows only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret and image volumes; other types reach node or network storage directly.',
    'Use one of the allowed volume types (a persistentVolumeClaim for network storage).', ['KSV-0028']),
  pss('PAL-K8S-014', 'restricted', ['allowPrivilegeEscalation'], 'MEDIUM', 'Privilege escalation allowed',
    'Unless allowPrivilegeEscalation is false, a process in the container can gain more privileges than its parent (setuid binaries, file capabilities).',
    'Set `securityContext.allowPrivilegeEscalation: false` on every container.', ['KSV-0001']),
  pss('PAL-K8S-015', 'restricted', ['runAsNonRoot'], 'MEDIUM', 'Container may run as root',
    'Without runAsNonRoot the container runs as whatever user the image says, often root.',
    'Set `securityContext.runAsNonRoot: true` (pod or container level) and run the image as a non-root user.', ['KSV-0012']),
  pss('PAL-K8S-016', 'restricted', ['runAsUser'], 'MEDIUM', 'Container runs as UID 0',
    'runAsUser: 0 runs the container as root explicitly, whatever the image says.',
    'Set `runAsUser` to a non-zero UID, or remove it and set `runAsNonRoot: true`.', ['KSV-0105']),
  pss('PAL-K8S-017', 'restricted', ['seccompProfile_restricted'], 'LOW', 'Seccomp profile not set',
    'Without a seccomp profile (RuntimeDefault or Localhost), the container may run with no system-call filtering.',
    'Set `securityContext.seccompProfile.type: RuntimeDefault` at pod level.', ['KSV-0030']),
  pss('PAL-K8S-018', 'restricted', ['capabilities_restricted'], 'LOW', 'Capabilities not dropped',
    'The restricted profile requires dropping ALL capabilities and adding back at most NET_BIND_SERVICE.',
    'Set `securityContext.capabilities.drop: ["ALL"]` and add only NET_BIND_SERVICE if needed.', ['KSV-0106', 'KSV-0003']),
];

const CONTROL_BY_CHECK = new Map<CheckId, PssControl>(PSS_CONTROLS.flatMap((c) => c.checks.map((id) => [id, c] as const)));

/** Every violated control of both levels, one hit per control and object. */
function podSecurityHits(m: Manifest): Hit[] {
  if (!podOf(m)) return [];
  const hits: Hit[] = [];
  const seen = new Set<PssControl>();
  for (const level of ['baseline', 'restricted'] as const) {
    for (const v of checkPodSecurity(m.object, level).violations) {
      const control = CONTROL_BY_CHECK.get(v.check);
      // The restricted run repeats the baseline checks it does not override: keep each control's own level.
      if (!control || control.level !== level || seen.has(control)) continue;
      seen.add(control);
      const field = v.paths[0] ?? '';
      hits.push({ check: control.meta, ...hitAt(m, field, v.message, v.message) });
    }
  }
  return hits;
}

/* ─────────────────────────── images ─────────────────────────── */

const latestTag: KubeCheck = {
  meta: meta('PAL-K8S-019', 'MEDIUM', 'Image uses the latest tag or no tag',
    'An image without a tag (or with `latest`) is whatever was pushed last: nodes may run different images for the same pod, and a rollback cannot return to a known version.',
    'Reference a specific version tag, ideally with its digest (`app:1.2.3@sha256:…`).', ['KSV-0013'],
    ['https://kubernetes.io/docs/concepts/containers/images/#image-names']),
  run(m) {
    const pod = podOf(m);
    if (!pod) return [];
    return pod.containers.flatMap((c) => {
      if (c.image === '') return [];
      const { tag, digest } = imageTagAndDigest(c.image);
      if (digest !== undefined || (tag !== undefined && tag !== 'latest')) return [];
      const why = tag === 'latest' ? 'uses the latest tag' : 'has no tag (defaults to latest)';
      return [hitAt(m, `${pod.prefix}${c.path}.image`, `container "${c.name}" image ${c.image} ${why}`, `image ${c.image}`)];
    });
  },
};

/* ─────────────────────────── service account token ─────────────────────────── */

const serviceAccountToken: KubeCheck = {
  meta: meta('PAL-K8S-024', 'LOW', 'Service account token automounted',
    'Unless disabled, every pod gets a token for its service account mounted at /var/run/secrets/kubernetes.io/serviceaccount: code execution in any container then means API access with that account\'s rights.',
    'Set `automountServiceAccountToken: false` in the pod spec (or on its ServiceAccount) when the workload does not call the Kubernetes API.', ['KSV-0036'],
    ['https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting']),
  run(m, all) {
    const pod = podOf(m);
    if (!pod || pod.spec.automountServiceAccountToken === false) return [];
    const account = typeof pod.spec.serviceAccountName === 'string' && pod.spec.serviceAccountName !== '' ? pod.spec.serviceAccountName : 'default';
    // The pod-level field wins over the ServiceAccount's; only an explicit true there keeps the token.
    if (pod.spec.automountServiceAccountToken !== true && all.tokenlessAccounts.has(`${nsKey(m.namespace)}/${account}`)) return [];
    return [hitAt(m, `${pod.prefix}spec.automountServiceAccountToken`, `the pod mounts the token of service account "${account}"`)];
  },
};

/* ─────────────────────────── RBAC ─────────────────────────── */

const RBAC_DOC = 'https://kubernetes.io/docs/concepts/security/rbac-good-practices/';

function roleRules(m: Manifest): { rule: Record<string, unknown>; index: number }[] {
  if (m.kind !== 'Role' && m.kind !== 'ClusterRole') return [];
  const rules = Array.isArray(m.object.rules) ? m.object.rules : [];
  return rules.flatMap((rule: unknown, index) => (typeof rule === 'object' && rule !== null ? [{ rule: rule as Record<string, unknown>, index }] : []));
}

const wildcardVerbs: KubeCheck = {
  meta: meta('PAL-K8S-030', 'HIGH', 'Role grants every verb',
    'A wildcard verb grants every current and future verb (escalate, bind, impersonate, delete…) on the listed resources.',
    'List the verbs the subject needs (`get`, `list`, `watch`…) instead of `*`.', ['KSV-0045', 'KSV-0044'], [RBAC_DOC]),
  run(m) {
    return roleRules(m)
      .filter(({ rule }) => stringItems(rule.verbs).includes('*') && stringItems(rule.resources).length > 0)
      .map(({ rule, index }) => hitAt(m, `rules[${index}].verbs`, `rule ${index} allows every verb on ${stringItems(rule.resources).join(', ')}`, `verbs: ["*"]`));
  },
};

const wildcardResources: KubeCheck = {
  meta: meta('PAL-K8S-031', 'HIGH', 'Role grants access to every resource',
    'A wildcard resource covers every current and future resource of the API groups, Secrets and RBAC objects included.',
    'List the resources the subject needs instead of `*`.', ['KSV-0046'], [RBAC_DOC]),
  run(m) {
    return roleRules(m)
      .filter(({ rule }) => stringItems(rule.resources).includes('*'))
      .map(({ rule, index }) => hitAt(m, `rules[${index}].resources`, `rule ${index} allows ${stringItems(rule.verbs).join(', ') || 'no verbs'} on every resource`, `resources: ["*"]`));
  },
};

/* ─────────────────────────── credentials ─────────────────────────── */

const configMapSecrets: KubeCheck = {
  meta: meta('PAL-K8S-033', 'HIGH', 'Credential in a ConfigMap',
    'ConfigMaps are not meant for secrets: they are readable by anyone who can read configuration in the namespace, are not encrypted at rest by default, and end up in logs and dashboards.',
    'Move the value into a Secret (or an external secret store) and reference it with `secretKeyRef` or a secret volume.', ['KSV-0109', 'KSV-01010'],
    ['https://kubernetes.io/docs/concepts/configuration/secret/']),
  run(m) {
    if (m.kind !== 'ConfigMap' || typeof m.object.data !== 'object' || m.object.data === null) return [];
    const out: Omit<Hit, 'check'>[] = [];
    for (const [key, raw] of Object.entries(m.object.data as Record<string, unknown>)) {
      if (typeof raw !== 'string') continue;
      const reason = configValueSecret(key, raw);
      if (reason) out.push(hitAt(m, `data[${key}]`, `key "${key}" holds ${reason.what}`, `${reason.name}=${redact(reason.value)}`));
    }
    return out;
  },
};

/** A secret in a ConfigMap entry: the key itself, or a `NAME=value` / `name: value` line of a config file in it. */
function configValueSecret(key: string, value: string): { what: string; name: string; value: string } | undefined {
  const format = credentialFormat(value);
  if (format) return { what: format, name: key, value };
  if (!value.includes('\n') && isSecretName(key) && isLiteralSecretValue(value)) return { what: 'a literal secret', name: key, value };
  for (const line of value.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][\w.-]*)\s*[=:]\s*(.*?)\s*$/.exec(line);
    if (m && isSecretName(m[1]!) && isLiteralSecretValue(m[2]!)) return { what: `a literal secret (${m[1]})`, name: m[1]!, value: m[2]! };
  }
  return undefined;
}

const envSecrets: KubeCheck = {
  meta: meta('PAL-K8S-034', 'HIGH', 'Credential in a container env literal',
    'An env value written in the manifest is stored in the object, visible to anyone who can read the workload, and committed with the manifest.',
    'Reference a Secret with `valueFrom.secretKeyRef` (or `envFrom.secretRef`) instead of a literal `value`.', [],
    ['https://kubernetes.io/docs/tasks/inject-data-application/distribute-credentials-secure/#define-container-environment-variables-using-secret-data']),
  run(m) {
    const pod = podOf(m);
    if (!pod) return [];
    return pod.containers.flatMap((c) => envHits(m, pod, c));
  },
};

function envHits(m: Manifest, pod: PodView, c: ContainerRef): Omit<Hit, 'check'>[] {
  const env = Array.isArray(c.raw.env) ? c.raw.env : [];
  return env.flatMap((e: unknown, j) => {
    if (typeof e !== 'object' || e === null) return [];
    const { name, value } = e as { name?: unknown; value?: unknown };
    if (typeof name !== 'string' || typeof value !== 'string') return [];
    const format = credentialFormat(value);
    if (!format && !(isSecretName(name) && isLiteralSecretValue(value))) return [];
    return [hitAt(m, `${pod.prefix}${c.path}.env[${j}].value`, `container "${c.name}" env ${name} holds ${format ?? 'a literal secret'}`, `${name}=${redact(value)}`)];
  });
}

/* ─────────────────────────── network policies ─────────────────────────── */

const missingNetworkPolicy: KubeCheck = {
  meta: meta('PAL-K8S-035', 'MEDIUM', 'Namespace without a NetworkPolicy',
    'Without a NetworkPolicy every pod accepts traffic from every other pod in the cluster: one compromised workload can reach all the others.',
    'Add a default-deny NetworkPolicy to the namespace, then allow the flows each workload needs.', [],
    ['https://kubernetes.io/docs/concepts/services-networking/network-policies/']),
  run(m, all) {
    // One finding per namespace, on its first workload in the input set.
    const ns = m.namespace;
    const workloads = all.workloads.get(nsKey(ns));
    if (!workloads || workloads[0] !== m || all.clusterNetworkPolicy || all.policyNamespaces.has(nsKey(ns))) return [];
    const count = workloads.length;
    const where = ns === undefined ? 'workloads without a namespace' : `namespace "${ns}"`;
    const hit = hitAt(m, 'metadata.namespace', `${where} has ${count} workload${count === 1 ? '' : 's'} and no NetworkPolicy in the scanned manifests`);
    return [{ ...hit, object: { kind: 'Namespace', name: ns ?? '(none)' } }];
  },
};

export const KUBE_CHECKS: readonly KubeCheck[] = [latestTag, serviceAccountToken, wildcardVerbs, wildcardResources, configMapSecrets, envSecrets, missingNetworkPolicy];

/** Every TypeScript check's hits on one object of the set. */
export function checkManifest(m: Manifest, all: ManifestSet): Hit[] {
  return [...podSecurityHits(m), ...KUBE_CHECKS.flatMap((c) => c.run(m, all).map((h) => ({ ...h, check: c.meta })))];
}

/** Metadata of the TypeScript checks, PSS controls first. */
export function typescriptChecks(): CheckMeta[] {
  return [...PSS_CONTROLS.map((c) => c.meta), ...KUBE_CHECKS.map((c) => c.meta)];
}
