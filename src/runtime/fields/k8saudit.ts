/**
 * `ka.*`: the fields of Falco's k8saudit plugin (falcosecurity/plugins plugins/k8saudit, field
 * table in its README) over audit.k8s.io/v1 (and v1beta1) Event JSON. Values extract as strings:
 * a JSON string as itself, any other JSON value as its compact JSON text (`ka.response.code` is
 * "201", `ka.req.configmap.obj` the `data` object). An event without `auditID` has no `ka.*`
 * values, as in the plugin. A list that comes out empty is no value at all.
 *
 * Where the plugin's extraction disagrees with its own documentation, the documented meaning is
 * implemented: `add_capabilities`, `command` and `args` list the capabilities and words (the
 * plugin yields each container's JSON array text), `eff_run_as_user`/`eff_run_as_group` read the
 * container then pod `securityContext` (the plugin also reads `runAsUser` directly under the
 * container and `spec`, which is kept as a fallback), and `ka.sourceips` lists `sourceIPs`.
 */
import { jsonText } from './json.ts';
import { indexArg, type Extractor, type FieldClass, type FieldDef, type Scalar } from './types.ts';

/** Plugin version these fields stand in for; the default audit rules require k8saudit 0.18.0. */
export const K8SAUDIT_PLUGIN_VERSION = '0.18.0';

type Obj = Record<string, unknown>;

function get(value: unknown, ...keys: string[]): unknown {
  let cur = value;
  for (const k of keys) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Obj)[k];
    if (cur === undefined) return undefined;
  }
  return cur;
}

const asObj = (v: unknown): Obj | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const text = (v: unknown): string | undefined => (v === undefined ? undefined : jsonText(v));
const nonEmpty = (values: Scalar[]): Scalar[] | undefined => (values.length > 0 ? values : undefined);

/** Extraction that yields nothing for events that are not audit events. */
function audit(fn: (d: Obj) => ReturnType<Extractor>): Extractor {
  return (evt) => (evt.data.auditID === undefined ? undefined : fn(evt.data));
}

interface Options {
  list?: boolean;
  index?: boolean;
  key?: 'required';
}

function ka(name: string, desc: string, make: (arg: string | undefined) => (d: Obj) => ReturnType<Extractor>, options: Options = {}): FieldDef {
  const def: FieldDef = { name, type: 'string', desc, bind: (arg) => audit(make(arg)) };
  if (options.list) def.list = true;
  if (options.index) def.arg = { kind: 'index', required: false };
  if (options.key) def.arg = { kind: 'key', required: true };
  return def;
}

/** A field read from one path of the event. */
const at = (name: string, desc: string, ...path: string[]): FieldDef => ka(name, desc, () => (d) => text(get(d, ...path)));

/** A list field read from an array at one path. */
const listAt = (name: string, desc: string, ...path: string[]): FieldDef =>
  ka(
    name,
    desc,
    () => (d) => {
      const v = get(d, ...path);
      return Array.isArray(v) ? nonEmpty(v.map(jsonText)) : undefined;
    },
    { list: true },
  );

/** The elements of an array at `path`, or only the one at the index argument. */
function elements(d: Obj, path: string[], index: number | undefined): unknown[] | undefined {
  const arr = get(d, ...path);
  if (!Array.isArray(arr)) return undefined;
  if (index === undefined) return arr;
  return index < arr.length ? [arr[index]] : undefined;
}

/** One value per array element (skipping elements without it), arrays flattened when asked. */
function perElement(name: string, desc: string, path: string[], pick: (element: unknown, d: Obj) => unknown, flatten = false): FieldDef {
  return ka(
    name,
    desc,
    (arg) => {
      const index = arg === undefined ? undefined : indexArg(name, arg);
      return (d) => {
        const items = elements(d, path, index);
        if (!items) return undefined;
        const out: Scalar[] = [];
        for (const item of items) {
          const v = pick(item, d);
          if (v === undefined) continue;
          if (flatten && Array.isArray(v)) for (const x of v) out.push(jsonText(x));
          else out.push(jsonText(v));
        }
        return nonEmpty(out);
      };
    },
    { list: true, index: true },
  );
}

/** `registry/repo:tag@digest` → `registry/repo`, split exactly as the plugin splits it. */
export function imageRepository(image: string): string {
  return image.split(':')[0]!.split('@')[0]!;
}

function effective(key: 'runAsUser' | 'runAsGroup') {
  return (container: unknown, d: Obj): unknown => {
    const spec = get(d, 'requestObject', 'spec');
    return get(container, 'securityContext', key) ?? get(container, key) ?? get(spec, 'securityContext', key) ?? get(spec, key) ?? '0';
  };
}

/** Host ports of a container's ports (the container port when no host port is given). */
function hostPorts(container: unknown): unknown {
  const ports = get(container, 'ports');
  if (!Array.isArray(ports)) return undefined;
  return ports.map((p) => get(p, 'hostPort') ?? get(p, 'containerPort')).filter((p) => p !== undefined);
}

/** The per-container fields, for `containers`, `initContainers` and `ephemeralContainers`. */
function containerFields(list: 'containers' | 'initContainers' | 'ephemeralContainers', label: string): FieldDef[] {
  const path = ['requestObject', 'spec', list];
  const f = (suffix: string, what: string, pick: (c: unknown, d: Obj) => unknown, flatten = false) =>
    perElement(`ka.req.pod.${list}.${suffix}`, `When the request object refers to a pod, ${what} of all ${label}`, path, pick, flatten);
  return [
    f('image', 'the images', (c) => get(c, 'image')),
    f('image.repository', 'the image repositories', (c) => {
      const image = get(c, 'image');
      return typeof image === 'string' ? imageRepository(image) : undefined;
    }),
    f('name', 'the names', (c) => get(c, 'name')),
    f('command', 'the command words', (c) => get(c, 'command'), true),
    f('args', 'the arguments', (c) => get(c, 'args'), true),
    f('privileged', 'the privileged flags', (c) => get(c, 'securityContext', 'privileged')),
    f('allow_privilege_escalation', 'the allowPrivilegeEscalation flags', (c) => get(c, 'securityContext', 'allowPrivilegeEscalation')),
    f('read_only_fs', 'the readOnlyRootFilesystem flags', (c) => get(c, 'securityContext', 'readOnlyRootFilesystem')),
    f('run_as_user', 'the runAsUser uids', (c) => get(c, 'securityContext', 'runAsUser')),
    f('eff_run_as_user', 'the effective uids (container, then pod security context, 0 if unset)', effective('runAsUser')),
    f('run_as_group', 'the runAsGroup gids', (c) => get(c, 'securityContext', 'runAsGroup')),
    f('eff_run_as_group', 'the effective gids (container, then pod security context, 0 if unset)', effective('runAsGroup')),
    f('proc_mount', 'the procMount types', (c) => get(c, 'securityContext', 'procMount')),
    f('add_capabilities', 'the added capabilities', (c) => get(c, 'securityContext', 'capabilities', 'add'), true),
    f('host_port', 'the host ports', hostPorts, true),
  ];
}

function subjectsOfKind(name: string, kind: string, render: (s: Obj) => unknown): FieldDef {
  return ka(
    name,
    `When the request object is a role binding, the names of its ${kind} subjects`,
    () => (d) => {
      const subjects = get(d, 'requestObject', 'subjects');
      if (!Array.isArray(subjects)) return undefined;
      const out: Scalar[] = [];
      for (const s of subjects) {
        const o = asObj(s);
        if (o && o.kind === kind) {
          const v = render(o);
          if (v !== undefined) out.push(jsonText(v));
        }
      }
      return nonEmpty(out);
    },
    { list: true },
  );
}

function uriParam(arg: string | undefined) {
  const key = arg ?? '';
  return (d: Obj) => {
    const uri = get(d, 'requestURI');
    if (typeof uri !== 'string') return undefined;
    const q = uri.indexOf('?');
    if (q < 0) return undefined;
    try {
      return new URLSearchParams(uri.slice(q + 1)).get(key) ?? undefined;
    } catch {
      return undefined;
    }
  };
}

/** Prefix (`/etc*`) or exact match of any hostPath volume: "true" or "false". */
function volumeHostpath(arg: string | undefined) {
  const key = arg ?? '';
  const prefix = key.endsWith('*') ? key.slice(0, -1) : undefined;
  return (d: Obj) => {
    const volumes = get(d, 'requestObject', 'spec', 'volumes');
    if (!Array.isArray(volumes)) return undefined;
    const hit = volumes.some((v) => {
      const p = get(v, 'hostPath', 'path');
      return typeof p === 'string' && (prefix !== undefined ? p.startsWith(prefix) : p === key);
    });
    return hit ? 'true' : 'false';
  };
}

function roleRules(name: string, key: string): FieldDef {
  return perElement(name, `When the request object is a role, the ${key} of its rules`, ['requestObject', 'rules'], (r) => get(r, key), true);
}

function firstContainer(pick: (c: unknown) => unknown) {
  return (d: Obj) => {
    const containers = get(d, 'requestObject', 'spec', 'containers');
    if (!Array.isArray(containers) || containers.length === 0) return undefined;
    return text(pick(containers[0]));
  };
}

const annotation = (name: string, desc: string, key: string) => ka(name, desc, () => (d) => text(get(d, 'annotations', key)));

export const k8sAuditFields: FieldClass = {
  name: 'k8saudit',
  sources: ['k8s_audit'],
  plugin: { name: 'k8saudit', version: K8SAUDIT_PLUGIN_VERSION },
  fields: [
    at('ka.auditid', 'The unique id of the audit event', 'auditID'),
    at('ka.stage', 'Stage of the request (e.g. RequestReceived, ResponseComplete, etc.)', 'stage'),
    annotation('ka.auth.decision', 'The authorization decision', 'authorization.k8s.io/decision'),
    annotation('ka.auth.reason', 'The authorization reason', 'authorization.k8s.io/reason'),
    annotation('ka.auth.openshift.decision', 'The authentication decision of the openshift apiserver extension', 'authentication.openshift.io/decision'),
    annotation('ka.auth.openshift.username', 'The user name performing the openshift authentication operation', 'authentication.openshift.io/username'),
    annotation('ka.validations.admission.policy.failure', 'The validation failure reason from a Validation Admission Policy', 'validation.policy.admission.k8s.io/validation_failure'),
    annotation('ka.security.pod.violations', 'The violation reason for pod security policy', 'pod-security.kubernetes.io/audit-violations'),
    at('ka.user.name', 'The user name performing the request', 'user', 'username'),
    listAt('ka.user.groups', 'The groups to which the user belongs', 'user', 'groups'),
    at('ka.impuser.name', 'The impersonated user name', 'impersonatedUser', 'username'),
    at('ka.verb', 'The action being performed', 'verb'),
    at('ka.uri', 'The request URI as sent from client to server', 'requestURI'),
    ka('ka.uri.param', 'The value of a given query parameter in the uri (e.g. when uri=/foo?key=val, ka.uri.param[key] is val)', uriParam, { key: 'required' }),
    at('ka.target.name', 'The target object name', 'objectRef', 'name'),
    at('ka.target.namespace', 'The target object namespace', 'objectRef', 'namespace'),
    at('ka.target.resource', 'The target object resource', 'objectRef', 'resource'),
    at('ka.target.subresource', 'The target object subresource', 'objectRef', 'subresource'),
    ka('ka.target.pod.name', 'The target pod name', () => (d) =>
      get(d, 'objectRef', 'resource') === 'pods' ? text(get(d, 'objectRef', 'name') ?? get(d, 'responseObject', 'metadata', 'name')) : undefined,
    ),
    listAt('ka.req.binding.subjects', 'When the request object refers to a cluster role binding, the subject (e.g. account/users) being linked by the binding', 'requestObject', 'subjects'),
    subjectsOfKind('ka.req.binding.subjects.user_names', 'User', (s) => s.name),
    subjectsOfKind('ka.req.binding.subjects.serviceaccount_names', 'ServiceAccount', (s) => s.name),
    subjectsOfKind('ka.req.binding.subjects.serviceaccount_ns_names', 'ServiceAccount', (s) => (s.name === undefined ? undefined : `${jsonText(s.namespace ?? '')}:${jsonText(s.name)}`)),
    subjectsOfKind('ka.req.binding.subjects.group_names', 'Group', (s) => s.name),
    at('ka.req.binding.role', 'When the request object refers to a cluster role binding, the role being linked by the binding', 'requestObject', 'roleRef', 'name'),
    ka('ka.req.binding.subject.has_name', 'Deprecated, always returns "N/A". Only provided for backwards compatibility', () => () => 'N/A', { key: 'required' }),
    at('ka.req.configmap.name', 'If the request object refers to a configmap, the configmap name', 'objectRef', 'name'),
    at('ka.req.configmap.obj', 'If the request object refers to a configmap, the entire configmap object', 'requestObject', 'data'),
    ...containerFields('containers', 'containers'),
    ...containerFields('initContainers', 'init containers'),
    ...containerFields('ephemeralContainers', 'ephemeral containers'),
    ka('ka.req.container.image', 'Deprecated by ka.req.pod.containers.image. Returns the image of the first container only', () => firstContainer((c) => get(c, 'image'))),
    ka('ka.req.container.image.repository', 'Deprecated by ka.req.pod.containers.image.repository. Returns the repository of the first container only', () =>
      firstContainer((c) => {
        const image = get(c, 'image');
        return typeof image === 'string' ? imageRepository(image) : undefined;
      }),
    ),
    ka('ka.req.container.privileged', 'Deprecated by ka.req.pod.containers.privileged. Returns true if any container has privileged=true', () => (d) => {
      const containers = get(d, 'requestObject', 'spec', 'containers');
      if (!Array.isArray(containers)) return undefined;
      return containers.some((c) => get(c, 'securityContext', 'privileged') === true) ? 'true' : 'false';
    }),
    at('ka.req.pod.host_ipc', 'When the request object refers to a pod, the value of the hostIPC flag.', 'requestObject', 'spec', 'hostIPC'),
    at('ka.req.pod.host_network', 'When the request object refers to a pod, the value of the hostNetwork flag.', 'requestObject', 'spec', 'hostNetwork'),
    at('ka.req.container.host_network', 'Deprecated alias for ka.req.pod.host_network', 'requestObject', 'spec', 'hostNetwork'),
    at('ka.req.pod.host_pid', 'When the request object refers to a pod, the value of the hostPID flag.', 'requestObject', 'spec', 'hostPID'),
    at('ka.req.pod.run_as_user', 'When the request object refers to a pod, the runAsUser uid specified in the security context for the pod', 'requestObject', 'spec', 'securityContext', 'runAsUser'),
    at('ka.req.pod.run_as_group', 'When the request object refers to a pod, the runAsGroup gid specified in the security context for the pod', 'requestObject', 'spec', 'securityContext', 'runAsGroup'),
    at('ka.req.pod.fs_group', 'When the request object refers to a pod, the fsGroup gid specified by the security context.', 'requestObject', 'spec', 'securityContext', 'fsGroup'),
    listAt('ka.req.pod.supplemental_groups', 'When the request object refers to a pod, the supplementalGroup gids specified by the security context.', 'requestObject', 'spec', 'securityContext', 'supplementalGroups'),
    perElement('ka.req.pod.volumes.hostpath', 'When the request object refers to a pod, all hostPath paths specified for all volumes', ['requestObject', 'spec', 'volumes'], (v) => get(v, 'hostPath', 'path')),
    perElement('ka.req.pod.volumes.flexvolume_driver', 'When the request object refers to a pod, all flexvolume drivers specified for all volumes', ['requestObject', 'spec', 'volumes'], (v) => get(v, 'flexVolume', 'driver')),
    perElement('ka.req.pod.volumes.volume_type', 'When the request object refers to a pod, all volume types for all volumes', ['requestObject', 'spec', 'volumes'], (v) => {
      const o = asObj(v);
      return o ? Object.keys(o).filter((k) => k !== 'name') : undefined;
    }, true),
    ka('ka.req.volume.hostpath', 'Deprecated by ka.req.pod.volumes.hostpath. "true" if the (host) path prefix (ending in *) or path is used by any volume', volumeHostpath, { key: 'required' }),
    listAt('ka.req.role.rules', 'When the request object refers to a role/cluster role, the rules associated with the role', 'requestObject', 'rules'),
    roleRules('ka.req.role.rules.apiGroups', 'apiGroups'),
    roleRules('ka.req.role.rules.nonResourceURLs', 'nonResourceURLs'),
    roleRules('ka.req.role.rules.verbs', 'verbs'),
    roleRules('ka.req.role.rules.resources', 'resources'),
    at('ka.req.service.type', 'When the request object refers to a service, the service type', 'requestObject', 'spec', 'type'),
    perElement('ka.req.service.ports', "When the request object refers to a service, the service's ports", ['requestObject', 'spec', 'ports'], (p) => p),
    at('ka.resp.name', 'The response object name', 'responseObject', 'metadata', 'name'),
    at('ka.response.code', 'The response code', 'responseStatus', 'code'),
    at('ka.response.reason', 'The response reason (usually present only for failures)', 'responseStatus', 'reason'),
    at('ka.useragent', 'The useragent of the client who made the request to the apiserver', 'userAgent'),
    perElement('ka.sourceips', 'The IP addresses of the client who made the request to the apiserver', ['sourceIPs'], (ip) => ip),
    annotation('ka.cluster.name', 'The name of the k8s cluster', 'cluster_name'),
  ],
};
