/**
 * Cluster audit benchmark: `palisade cluster audit --dump DIR --format json` over a synthetic
 * cluster dump of 10,000 objects — 50 namespaces, pods with status (owned by ReplicaSets of
 * Deployments), DaemonSets, StatefulSets, Jobs, CronJobs, Services, NetworkPolicies, service
 * accounts, ConfigMaps, Secrets, and 2,000 RBAC bindings (1,700 RoleBindings, 300
 * ClusterRoleBindings) over 350 roles, aggregated ClusterRoles included — written as `kubectl get
 * <resource> -A -o yaml` writes it (one List file per resource), and once more as JSON.
 * The CLI runs as users run it (compiled dist/), under /usr/bin/time: wall time, CPU time (user +
 * system: what the audit costs when the machine is shared, as load average is printed beside it)
 * and peak RSS; median of PALISADE_BENCH_RUNS runs (default 3). Target (issue 12): under 3 s.
 * PALISADE_BENCH_KEEP=1 keeps the dumps.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { fmt, palisadeCli, printTable, random, saveResults } from './lib.ts';

const RUNS = Number(process.env.PALISADE_BENCH_RUNS ?? 3);
const TARGET_MS = 3000;

type Obj = Record<string, unknown>;

/** The synthetic cluster, as lists per resource: [resource, apiVersion, kind, items]. */
function syntheticCluster(seed = 12): { lists: [string, string, string, Obj[]][]; objects: number; bindings: number } {
  const rand = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const namespaces = Array.from({ length: 50 }, (_, i) => (i === 0 ? 'kube-system' : i === 1 ? 'default' : `team-${i}`));
  const images = Array.from({ length: 120 }, (_, i) => `registry.example.com/org/service-${i}:1.${i % 7}.${i % 3}`);
  const digest = (i: number) => `sha256:${(i * 2654435761 >>> 0).toString(16).padStart(8, '0').repeat(8)}`;
  const meta = (name: string, namespace?: string, extra: Obj = {}) => ({ name, ...(namespace && { namespace }), uid: `${namespace ?? 'c'}-${name}-${Math.floor(rand() * 1e9)}`, labels: { app: name }, ...extra });
  const podSpec = (sa: string, image: string, hardened: boolean): Obj => ({
    serviceAccountName: sa,
    ...(hardened && { automountServiceAccountToken: false, securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } } }),
    containers: [
      {
        name: 'app',
        image,
        ports: [{ containerPort: 8080 }],
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
        ...(hardened ? { securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true } } : rand() < 0.05 ? { securityContext: { privileged: true } } : {}),
        env: [{ name: 'LOG_LEVEL', value: 'info' }],
      },
    ],
  });

  const nsObjects = namespaces.map((n, i) => ({ metadata: meta(n, undefined, { labels: { 'kubernetes.io/metadata.name': n, ...(i % 3 === 0 && { 'pod-security.kubernetes.io/enforce': i % 2 === 0 ? 'baseline' : 'restricted' }) } }) }));
  const accounts: Obj[] = [];
  for (const n of namespaces) {
    accounts.push({ metadata: meta('default', n) });
    for (let i = 0; i < 11; i++) accounts.push({ metadata: meta(`sa-${i}`, n), ...(i % 4 === 0 && { automountServiceAccountToken: false }) });
  }
  const deployments: Obj[] = [];
  const replicasets: Obj[] = [];
  const pods: Obj[] = [];
  for (let d = 0; d < 800; d++) {
    const ns = namespaces[d % namespaces.length]!;
    const image = pick(images);
    const hardened = rand() < 0.4;
    const sa = `sa-${d % 11}`;
    const dep = { metadata: meta(`web-${d}`, ns), spec: { replicas: 5, selector: { matchLabels: { app: `web-${d}` } }, template: { metadata: { labels: { app: `web-${d}` } }, spec: podSpec(sa, image, hardened) } } };
    deployments.push(dep);
    const depUid = (dep.metadata as Obj).uid;
    const rs = { metadata: meta(`web-${d}-7d9f`, ns, { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: `web-${d}`, uid: depUid, controller: true }] }), spec: dep.spec };
    replicasets.push(rs);
    for (let p = 0; p < 6 && pods.length < 3700; p++) {
      pods.push({
        metadata: meta(`web-${d}-7d9f-${p}`, ns, { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `web-${d}-7d9f`, uid: (rs.metadata as Obj).uid, controller: true }] }),
        spec: { ...podSpec(sa, image, hardened), nodeName: `node-${p}` },
        status: { phase: 'Running', podIP: `10.0.${d % 250}.${p}`, containerStatuses: [{ name: 'app', image, imageID: `${image.split(':')[0]}@${digest(images.indexOf(image))}`, ready: true, restartCount: 0 }] },
      });
    }
  }
  const daemonsets = Array.from({ length: 20 }, (_, i) => ({ metadata: meta(`agent-${i}`, 'kube-system'), spec: { template: { spec: { ...podSpec('sa-1', pick(images), false), hostNetwork: true, volumes: [{ name: 'root', hostPath: { path: '/' } }] } } } }));
  const statefulsets = Array.from({ length: 100 }, (_, i) => ({ metadata: meta(`db-${i}`, namespaces[i % namespaces.length]), spec: { serviceName: `db-${i}`, template: { spec: podSpec('sa-2', pick(images), rand() < 0.5) } } }));
  const jobs = Array.from({ length: 100 }, (_, i) => ({ metadata: meta(`batch-${i}`, namespaces[i % namespaces.length]), spec: { template: { spec: { ...podSpec('sa-3', pick(images), false), restartPolicy: 'Never' } } } }));
  const cronjobs = Array.from({ length: 50 }, (_, i) => ({ metadata: meta(`cron-${i}`, namespaces[i % namespaces.length]), spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: { ...podSpec('sa-4', pick(images), false), restartPolicy: 'OnFailure' } } } } } }));
  const services = Array.from({ length: 800 }, (_, i) => ({ metadata: meta(`web-${i}`, namespaces[i % namespaces.length]), spec: { type: i % 40 === 0 ? 'NodePort' : 'ClusterIP', selector: { app: `web-${i}` }, ports: [{ port: 80, targetPort: 8080 }] } }));
  const netpols = Array.from({ length: 30 }, (_, i) => ({ metadata: meta(`default-deny-${i}`, namespaces[i % 25]), spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } }));
  const configmaps = Array.from({ length: 400 }, (_, i) => ({ metadata: meta(`config-${i}`, namespaces[i % namespaces.length]), data: { 'app.properties': `threads=${i}\nmode=prod\n`, LOG_FORMAT: 'json' } }));
  const secrets = Array.from({ length: 200 }, (_, i) => ({ metadata: meta(`creds-${i}`, namespaces[i % namespaces.length]), type: 'Opaque', data: { password: 'c2VjcmV0' } }));

  const verbs = [['get', 'list', 'watch'], ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'], ['*'], ['create']];
  const resources = [['pods'], ['secrets'], ['configmaps', 'services'], ['deployments'], ['pods/exec'], ['*'], ['serviceaccounts/token']];
  const groupOf = (r: string) => (r === 'deployments' ? 'apps' : r === '*' ? '*' : '');
  const roles = Array.from({ length: 200 }, (_, i) => {
    const rs = pick(resources);
    return { metadata: meta(`role-${i}`, namespaces[i % namespaces.length]), rules: [{ apiGroups: [groupOf(rs[0]!)], resources: rs, verbs: pick(verbs) }, { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }] };
  });
  const clusterRoles: Obj[] = Array.from({ length: 140 }, (_, i) => {
    const rs = pick(resources);
    return { metadata: meta(`cluster-role-${i}`, undefined, { labels: { 'rbac.example.com/aggregate-to-ops': String(i % 10 === 0) } }), rules: [{ apiGroups: [groupOf(rs[0]!)], resources: rs, verbs: pick(verbs) }] };
  });
  for (let i = 0; i < 9; i++) clusterRoles.push({ metadata: meta(`ops-aggregate-${i}`), aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'rbac.example.com/aggregate-to-ops': 'true' } }] }, rules: [] });
  clusterRoles.push({ metadata: meta('cluster-admin', undefined, { labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } }), rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { nonResourceURLs: ['*'], verbs: ['*'] }] });
  const subject = (i: number, ns: string): Obj =>
    i % 3 === 0 ? { kind: 'ServiceAccount', name: `sa-${i % 11}`, namespace: ns } : i % 3 === 1 ? { kind: 'User', name: `user-${i % 300}@example.com`, apiGroup: 'rbac.authorization.k8s.io' } : { kind: 'Group', name: `group-${i % 60}`, apiGroup: 'rbac.authorization.k8s.io' };
  const rolebindings = Array.from({ length: 1700 }, (_, i) => {
    const ns = namespaces[i % namespaces.length]!;
    const toCluster = i % 4 === 0;
    const ref = toCluster ? { kind: 'ClusterRole', name: `cluster-role-${i % 140}` } : { kind: 'Role', name: `role-${(i % 4) * 50 + (i % namespaces.length)}` };
    return { metadata: meta(`binding-${i}`, ns), roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...ref }, subjects: [subject(i, ns), subject(i + 1, ns)] };
  });
  const clusterrolebindings = Array.from({ length: 300 }, (_, i) => ({
    metadata: meta(`cluster-binding-${i}`),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: i === 0 ? 'cluster-admin' : i < 10 ? `ops-aggregate-${i - 1}` : `cluster-role-${i % 140}` },
    subjects: [subject(i, namespaces[i % namespaces.length]!)],
  }));

  const lists: [string, string, string, Obj[]][] = [
    ['namespaces', 'v1', 'Namespace', nsObjects],
    ['pods', 'v1', 'Pod', pods],
    ['deployments', 'apps/v1', 'Deployment', deployments],
    ['replicasets', 'apps/v1', 'ReplicaSet', replicasets],
    ['daemonsets', 'apps/v1', 'DaemonSet', daemonsets],
    ['statefulsets', 'apps/v1', 'StatefulSet', statefulsets],
    ['jobs', 'batch/v1', 'Job', jobs],
    ['cronjobs', 'batch/v1', 'CronJob', cronjobs],
    ['services', 'v1', 'Service', services],
    ['networkpolicies', 'networking.k8s.io/v1', 'NetworkPolicy', netpols],
    ['serviceaccounts', 'v1', 'ServiceAccount', accounts],
    ['configmaps', 'v1', 'ConfigMap', configmaps],
    ['secrets', 'v1', 'Secret', secrets],
    ['roles', 'rbac.authorization.k8s.io/v1', 'Role', roles],
    ['clusterroles', 'rbac.authorization.k8s.io/v1', 'ClusterRole', clusterRoles],
    ['rolebindings', 'rbac.authorization.k8s.io/v1', 'RoleBinding', rolebindings],
    ['clusterrolebindings', 'rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', clusterrolebindings],
  ];
  return { lists, objects: lists.reduce((n, l) => n + l[3].length, 0), bindings: rolebindings.length + clusterrolebindings.length };
}

interface Run {
  ok: boolean;
  wallMs: number;
  cpuMs: number;
  peakRssMb: number;
  stderr: string;
}

function timed(args: string[]): Run {
  const r = spawnSync('/usr/bin/time', ['-f', '__TIME__ %e %U %S %M', process.execPath, ...args], { encoding: 'utf8', timeout: 600_000 });
  const m = /__TIME__ ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr ?? '');
  return {
    ok: r.status === 0,
    wallMs: m ? Number(m[1]) * 1000 : NaN,
    cpuMs: m ? (Number(m[2]) + Number(m[3])) * 1000 : NaN,
    peakRssMb: m ? Number(m[4]) / 1024 : NaN,
    stderr: (r.stderr ?? '').slice(-2000),
  };
}

function median(runs: number, run: () => Run): Run {
  const results: Run[] = [];
  for (let i = 0; i < runs; i++) {
    const r = run();
    if (!r.ok) return r;
    results.push(r);
  }
  return results.sort((a, b) => a.wallMs - b.wallMs)[Math.floor(results.length / 2)]!;
}

/** One `kubectl get <resource> -A -o yaml|json` file per resource. */
function writeDump(dir: string, format: 'yaml' | 'json', lists: [string, string, string, Obj[]][]): void {
  mkdirSync(dir, { recursive: true });
  for (const [resource, apiVersion, kind, items] of lists) {
    const list = { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: items.map((o) => ({ apiVersion, kind, ...o })) };
    // As kubectl writes YAML: no anchors for repeated values, list items at their key's indentation, no line folding.
    writeFileSync(join(dir, `${resource}.${format}`), format === 'json' ? JSON.stringify(list, null, 4) : stringify(list, { lineWidth: 0, aliasDuplicateObjects: false, indentSeq: false }));
  }
}

const work = mkdtempSync(join(tmpdir(), 'palisade-bench-cluster-'));
try {
  const { lists, objects, bindings } = syntheticCluster();
  const cli = palisadeCli();
  const rows: string[][] = [];
  const results: Record<string, unknown>[] = [];
  for (const format of ['yaml', 'json'] as const) {
    const dir = join(work, format);
    writeDump(dir, format, lists);
    const load = loadavg()[0]!;
    const m = median(RUNS, () => timed([cli, 'cluster', 'audit', '--dump', dir, '--format', 'json', '--output', join(work, `report-${format}.json`), '--quiet']));
    if (!m.ok) throw new Error(`cluster audit (${format}) failed:\n${m.stderr}`);
    rows.push([format, String(objects), String(bindings), fmt(m.wallMs), fmt(m.cpuMs), fmt(m.peakRssMb), fmt(load, 1), m.wallMs < TARGET_MS ? 'yes' : 'NO']);
    results.push({ format, objects, bindings, wallMs: m.wallMs, cpuMs: m.cpuMs, peakRssMb: m.peakRssMb, loadAverage: load, underTarget: m.wallMs < TARGET_MS });
  }
  printTable(`cluster audit of a synthetic dump (median of ${RUNS}; target < ${TARGET_MS} ms wall)`, ['FORMAT', 'OBJECTS', 'BINDINGS', 'WALL MS', 'CPU MS', 'PEAK RSS MB', 'LOAD AVG', 'UNDER TARGET'], rows);
  saveResults('cluster', { targetMs: TARGET_MS, runs: RUNS, cpus: (await import('node:os')).cpus().length, results });
} finally {
  if (process.env.PALISADE_BENCH_KEEP) process.stdout.write(`kept ${work}\n`);
  else rmSync(work, { recursive: true, force: true });
}
