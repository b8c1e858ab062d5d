/**
 * `ka.*` and `json.*`/`jevt.*` extraction on audit events: values as the k8saudit and json plugins
 * render them (strings, JSON text for non-strings, lists), arguments (index, key, JSON pointer),
 * and no value where the event has none.
 */
import { describe, expect, it } from 'vitest';
import { defaultRegistry, makeEvent, type FieldValue } from '../../../src/runtime/index.ts';
import { imageRepository } from '../../../src/runtime/fields/k8saudit.ts';

const event = makeEvent(
  'k8s_audit',
  {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    auditID: 'a1',
    stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/default/pods/web/exec?command=sh&command=-c&tty=true',
    verb: 'create',
    user: { username: 'alice', groups: ['dev', 'system:authenticated'] },
    impersonatedUser: { username: 'bob' },
    sourceIPs: ['10.0.0.1', '10.0.0.2'],
    userAgent: 'kubectl/v1.30',
    objectRef: { resource: 'pods', namespace: 'default', name: 'web', subresource: 'exec' },
    responseStatus: { code: 201 },
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC', cluster_name: 'prod' },
    requestObject: {
      spec: {
        hostNetwork: true,
        securityContext: { runAsUser: 1000, supplementalGroups: [5, 6] },
        containers: [
          { name: 'app', image: 'registry.example/app:1.2@sha256:abc', command: ['sh', '-c'], securityContext: { privileged: true, capabilities: { add: ['NET_ADMIN', 'SYS_TIME'] } }, ports: [{ containerPort: 80 }, { hostPort: 8080, containerPort: 81 }] },
          { name: 'side', image: 'busybox', securityContext: { runAsUser: 0 } },
        ],
        initContainers: [{ name: 'init', image: 'alpine:3', securityContext: { privileged: false } }],
        volumes: [{ name: 'etc', hostPath: { path: '/etc' } }, { name: 'cfg', configMap: { name: 'cfg' } }],
      },
      subjects: [
        { kind: 'User', name: 'mallory' },
        { kind: 'ServiceAccount', name: 'sa', namespace: 'ns1' },
        { kind: 'Group', name: 'admins' },
      ],
      roleRef: { name: 'cluster-admin' },
      rules: [{ apiGroups: [''], resources: ['pods', 'pods/exec'], verbs: ['get', 'create'] }, { resources: ['secrets'], verbs: ['*'] }],
      data: { password: 'x' },
    },
    responseObject: { metadata: { name: 'web-abc' } },
    stageTimestamp: '2024-05-01T10:00:00.5Z',
  },
  { sec: 1714557600, nsec: 500000000 },
  7,
);

function get(name: string, arg?: string, evt = event): FieldValue | undefined {
  const resolved = defaultRegistry.lookup('k8s_audit', name, arg);
  if (!resolved) throw new Error(`unknown field ${name}`);
  return resolved.def.bind(resolved.arg)(evt);
}

describe('ka.* fields', () => {
  it.each([
    ['ka.auditid', undefined, 'a1'],
    ['ka.stage', undefined, 'ResponseComplete'],
    ['ka.auth.decision', undefined, 'allow'],
    ['ka.auth.reason', undefined, 'RBAC'],
    ['ka.user.name', undefined, 'alice'],
    ['ka.user.groups', undefined, ['dev', 'system:authenticated']],
    ['ka.impuser.name', undefined, 'bob'],
    ['ka.verb', undefined, 'create'],
    ['ka.uri.param', 'command', 'sh'],
    ['ka.uri.param', 'tty', 'true'],
    ['ka.uri.param', 'missing', undefined],
    ['ka.target.name', undefined, 'web'],
    ['ka.target.namespace', undefined, 'default'],
    ['ka.target.resource', undefined, 'pods'],
    ['ka.target.subresource', undefined, 'exec'],
    ['ka.target.pod.name', undefined, 'web'],
    ['ka.req.binding.role', undefined, 'cluster-admin'],
    ['ka.req.binding.subjects.user_names', undefined, ['mallory']],
    ['ka.req.binding.subjects.serviceaccount_names', undefined, ['sa']],
    ['ka.req.binding.subjects.serviceaccount_ns_names', undefined, ['ns1:sa']],
    ['ka.req.binding.subjects.group_names', undefined, ['admins']],
    ['ka.req.configmap.obj', undefined, '{"password":"x"}'],
    ['ka.req.pod.containers.image', undefined, ['registry.example/app:1.2@sha256:abc', 'busybox']],
    ['ka.req.pod.containers.image', '1', ['busybox']],
    ['ka.req.pod.containers.image', '5', undefined],
    ['ka.req.pod.containers.image.repository', undefined, ['registry.example/app', 'busybox']],
    ['ka.req.pod.containers.name', undefined, ['app', 'side']],
    ['ka.req.pod.containers.command', undefined, ['sh', '-c']],
    ['ka.req.pod.containers.privileged', undefined, ['true']],
    ['ka.req.pod.containers.run_as_user', undefined, ['0']],
    ['ka.req.pod.containers.eff_run_as_user', undefined, ['1000', '0']],
    ['ka.req.pod.containers.eff_run_as_group', undefined, ['0', '0']],
    ['ka.req.pod.containers.add_capabilities', undefined, ['NET_ADMIN', 'SYS_TIME']],
    ['ka.req.pod.containers.host_port', undefined, ['80', '8080']],
    ['ka.req.pod.initContainers.privileged', undefined, ['false']],
    ['ka.req.pod.initContainers.image', undefined, ['alpine:3']],
    ['ka.req.pod.ephemeralContainers.image', undefined, undefined],
    ['ka.req.container.image', undefined, 'registry.example/app:1.2@sha256:abc'],
    ['ka.req.container.image.repository', undefined, 'registry.example/app'],
    ['ka.req.container.privileged', undefined, 'true'],
    ['ka.req.pod.host_network', undefined, 'true'],
    ['ka.req.pod.host_pid', undefined, undefined],
    ['ka.req.pod.run_as_user', undefined, '1000'],
    ['ka.req.pod.supplemental_groups', undefined, ['5', '6']],
    ['ka.req.pod.volumes.hostpath', undefined, ['/etc']],
    ['ka.req.pod.volumes.volume_type', undefined, ['hostPath', 'configMap']],
    ['ka.req.volume.hostpath', '/et*', 'true'],
    ['ka.req.volume.hostpath', '/var', 'false'],
    ['ka.req.role.rules.resources', undefined, ['pods', 'pods/exec', 'secrets']],
    ['ka.req.role.rules.verbs', '1', ['*']],
    ['ka.req.role.rules.apiGroups', undefined, ['']],
    ['ka.resp.name', undefined, 'web-abc'],
    ['ka.response.code', undefined, '201'],
    ['ka.response.reason', undefined, undefined],
    ['ka.useragent', undefined, 'kubectl/v1.30'],
    ['ka.sourceips', undefined, ['10.0.0.1', '10.0.0.2']],
    ['ka.sourceips', '0', ['10.0.0.1']],
    ['ka.cluster.name', undefined, 'prod'],
  ])('%s[%s]', (name, arg, expected) => {
    expect(get(name, arg)).toEqual(expected);
  });

  it('render JSON values that are not strings as JSON text', () => {
    expect(get('ka.req.role.rules')).toEqual(['{"apiGroups":[""],"resources":["pods","pods/exec"],"verbs":["get","create"]}', '{"resources":["secrets"],"verbs":["*"]}']);
    expect(get('ka.req.binding.subjects')).toHaveLength(3);
  });

  it('have no value on events without auditID (not audit events)', () => {
    const other = makeEvent('k8s_audit', { verb: 'create', user: { username: 'alice' } }, { sec: 0, nsec: 0 });
    expect(get('ka.verb', undefined, other)).toBeUndefined();
    expect(get('ka.user.name', undefined, other)).toBeUndefined();
    expect(get('jevt.value', '/verb', other)).toBe('create');
  });

  it('split image repositories as the plugin does', () => {
    expect(imageRepository('nginx')).toBe('nginx');
    expect(imageRepository('docker.io/library/nginx:1.25')).toBe('docker.io/library/nginx');
    expect(imageRepository('nginx@sha256:abc')).toBe('nginx');
  });
});

describe('json.* fields', () => {
  it.each([
    ['jevt.value', '/stage', 'ResponseComplete'],
    ['json.value', '/annotations/authorization.k8s.io~1decision', 'allow'],
    ['jevt.value', '/requestObject/spec/hostNetwork', 'true'],
    ['jevt.value', '/requestObject/spec/volumes/0/hostPath', '{"path":"/etc"}'],
    ['jevt.value', '/requestObject/spec/tls', undefined],
    ['jevt.value', '/a~1~0b', undefined],
    ['jevt.rawtime', undefined, '1714557600500000000'],
    ['json.rawtime', undefined, '1714557600500000000'],
  ])('%s[%s]', (name, arg, expected) => {
    expect(get(name, arg)).toEqual(expected);
  });

  it('json.obj is the event JSON', () => {
    expect(JSON.parse(get('jevt.obj') as string).auditID).toBe('a1');
  });

  it('refuse pointers that are not JSON pointers', () => {
    expect(() => defaultRegistry.lookup('k8s_audit', 'jevt.value', 'stage')!.def.bind('stage')).toThrow("'stage' is not a JSON pointer");
  });
});

describe('evt.* on audit events', () => {
  it.each([
    ['evt.num', 7],
    ['evt.time', '10:00:00.500000000'],
    ['evt.time.iso8601', '2024-05-01T10:00:00.500000000Z'],
    ['evt.datetime', '2024-05-01 10:00:00.500000000'],
    ['evt.source', 'k8s_audit'],
    ['evt.pluginname', 'k8saudit'],
    ['evt.rawtime.s', 1714557600],
  ])('%s', (name, expected) => {
    expect(get(name)).toEqual(expected);
  });
});
