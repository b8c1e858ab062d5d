/**
 * Policy engine benchmark.
 * 1. Latency: 50 policies from Kyverno's library (pod-security baseline/restricted, best practices,
 *    other validate policies, plus a `validate.podSecurity` restricted policy) applied to one Pod
 *    and to one Deployment (where the autogen rules run): median and p99 per evaluation of all 50,
 *    over PALISADE_BENCH_ITERATIONS evaluations (default 2000) after a warm-up. Target: < 1 ms median.
 * 2. Throughput: a generated directory of 10,000 objects (100 files of Pods, Deployments,
 *    Services and ConfigMaps, half of them violating something): load + evaluate in process
 *    (objects/s), and `palisade policy apply` end to end through the compiled CLI (wall, RSS).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { applyPolicies, applyPoliciesToResource } from '../src/policy/engine/engine.ts';
import { loadResources, parsePolicies, withDefaultNamespace } from '../src/policy/engine/load.ts';
import type { Policy } from '../src/policy/engine/types.ts';
import type { KubeResource } from '../src/policy/types.ts';
import { corpus, fmt, measure, palisadeCli, printTable, saveResults } from './lib.ts';

const ITERATIONS = Number(process.env.PALISADE_BENCH_ITERATIONS ?? 2000);
const POLICY_COUNT = 50;
const OBJECTS = 10_000;
const FILES = 100;
const library = join(corpus, 'kyverno', 'policies');
/** Library categories in the order policies are taken from. */
const CATEGORIES = ['pod-security/baseline', 'pod-security/restricted', 'best-practices', 'psp-migration', 'other', 'openshift', 'istio', 'linkerd', 'nginx-ingress', 'tekton', 'flux', 'argo'];

const PSS_RESTRICTED = `
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: podsecurity-restricted
spec:
  validationFailureAction: Enforce
  rules:
  - name: restricted
    match:
      any:
      - resources:
          kinds: [Pod]
    validate:
      podSecurity:
        level: restricted
        version: latest
`;

/** Whether a policy evaluates offline: validate rules only, no cluster/registry context, no CEL. */
function benchable(p: Policy): boolean {
  return p.spec.rules.every(
    (r) =>
      r.validate &&
      r.validate.cel === undefined &&
      r.validate.manifests === undefined &&
      r.validate.assert === undefined &&
      !r.celPreconditions?.length &&
      !JSON.stringify(r).match(/"(apiCall|configMap|imageRegistry|globalReference)"/),
  );
}

function selectPolicies(): { policies: Policy[]; sources: string[] } {
  const policies = parsePolicies(PSS_RESTRICTED, 'podsecurity-restricted.yaml').policies;
  const sources = ['(inline) podsecurity-restricted'];
  for (const category of CATEGORIES) {
    const base = join(library, category);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base).sort()) {
      if (policies.length >= POLICY_COUNT) return { policies, sources };
      const file = join(base, name, `${name}.yaml`);
      if (!existsSync(file)) continue;
      let parsed: Policy[];
      try {
        parsed = parsePolicies(readFileSync(file, 'utf8'), file).policies;
      } catch {
        continue;
      }
      if (parsed.length !== 1 || !benchable(parsed[0]!)) continue;
      policies.push(parsed[0]!);
      sources.push(`${category}/${name}`);
    }
  }
  return { policies, sources };
}

const pod: KubeResource = {
  object: {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-7d4b9c', namespace: 'shop', labels: { app: 'web', 'app.kubernetes.io/name': 'web', team: 'storefront' }, annotations: { 'prometheus.io/scrape': 'true' } },
    spec: {
      serviceAccountName: 'web',
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'web',
          image: 'registry.example.com/shop/web:1.8.2',
          ports: [{ name: 'http', containerPort: 8080 }],
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
          livenessProbe: { httpGet: { path: '/healthz', port: 8080 } },
          readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
        },
        { name: 'proxy', image: 'envoyproxy/envoy:v1.29.1', resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } } },
      ],
      volumes: [{ name: 'cache', emptyDir: {} }],
    },
  },
};

const deployment: KubeResource = {
  object: {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: (pod.object.metadata as { labels: object }).labels }, spec: pod.object.spec },
    },
  },
};

interface Latency {
  medianMs: number;
  p99Ms: number;
  /** Process CPU time per evaluation: what the evaluation costs when other processes compete for the CPU. */
  cpuMedianMs: number;
  cpuP99Ms: number;
  rules: number;
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

function latency(policies: Policy[], resource: KubeResource): Latency {
  const warmup = Math.min(200, ITERATIONS);
  for (let i = 0; i < warmup; i++) applyPoliciesToResource(policies, resource);
  const wall: number[] = [];
  const cpu: number[] = [];
  let rules = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const c0 = cpuMs();
    const t0 = performance.now();
    const { responses } = applyPoliciesToResource(policies, resource);
    wall.push(performance.now() - t0);
    cpu.push(cpuMs() - c0);
    rules = responses.reduce((n, r) => n + r.rules.length, 0);
  }
  wall.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return { medianMs: percentile(wall, 0.5), p99Ms: percentile(wall, 0.99), cpuMedianMs: percentile(cpu, 0.5), cpuP99Ms: percentile(cpu, 0.99), rules };
}

/** 10,000 objects in 100 files: a mix of kinds, every other one violating a common rule. */
function generateManifests(dir: string): void {
  for (let f = 0; f < FILES; f++) {
    const docs: unknown[] = [];
    for (let i = 0; i < OBJECTS / FILES; i++) {
      const n = f * (OBJECTS / FILES) + i;
      const bad = n % 2 === 1;
      const meta = { name: `obj-${n}`, namespace: `team-${n % 20}`, labels: bad ? { tier: 'x' } : { app: `app-${n}`, 'app.kubernetes.io/name': `app-${n}` } };
      const spec = structuredClone(pod.object.spec) as { containers: { image: string; securityContext?: unknown }[] };
      if (bad) {
        spec.containers[0]!.image = 'nginx:latest';
        spec.containers[0]!.securityContext = { privileged: true };
      }
      switch (n % 4) {
        case 0:
          docs.push({ apiVersion: 'v1', kind: 'Pod', metadata: meta, spec });
          break;
        case 1:
          docs.push({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta, spec: { replicas: 2, selector: { matchLabels: meta.labels }, template: { metadata: { labels: meta.labels }, spec } } });
          break;
        case 2:
          docs.push({ apiVersion: 'v1', kind: 'Service', metadata: meta, spec: { type: bad ? 'NodePort' : 'ClusterIP', ports: [{ port: 80, targetPort: 8080 }], selector: meta.labels } });
          break;
        default:
          docs.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta, data: { 'config.yaml': `key: ${n}` } });
      }
    }
    writeFileSync(join(dir, `manifests-${String(f).padStart(3, '0')}.yaml`), docs.map((d) => toYaml(d)).join('---\n'));
  }
}

const { policies, sources } = selectPolicies();
const ruleCount = policies.reduce((n, p) => n + p.spec.rules.length, 0);
process.stdout.write(`${policies.length} policies (${ruleCount} rules, ${policies.reduce((n, p) => n + p.rules.length, 0)} with autogen) from ${library}\n`);

const podLatency = latency(policies, pod);
const deploymentLatency = latency(policies, deployment);
const loadAverage = loadavg()[0]!;
printTable(
  `Latency: ${policies.length} policies per evaluation, ${ITERATIONS} evaluations (load average ${fmt(loadAverage, 1)})`,
  ['resource', 'rule results', 'median ms', 'p99 ms', 'CPU median ms', 'CPU p99 ms', 'target'],
  [
    ['Pod', String(podLatency.rules), fmt(podLatency.medianMs, 3), fmt(podLatency.p99Ms, 3), fmt(podLatency.cpuMedianMs, 3), fmt(podLatency.cpuP99Ms, 3), '< 1 ms median'],
    ['Deployment', String(deploymentLatency.rules), fmt(deploymentLatency.medianMs, 3), fmt(deploymentLatency.p99Ms, 3), fmt(deploymentLatency.cpuMedianMs, 3), fmt(deploymentLatency.cpuP99Ms, 3), '< 1 ms median'],
  ],
);

const work = mkdtempSync(join(tmpdir(), 'palisade-bench-policy-'));
try {
  const manifests = join(work, 'manifests');
  rmSync(manifests, { recursive: true, force: true });
  (await import('node:fs')).mkdirSync(manifests);
  generateManifests(manifests);
  const policyFile = join(work, 'policies.yaml');
  writeFileSync(policyFile, [PSS_RESTRICTED, ...sources.slice(1).map((s) => readFileSync(join(library, s, `${s.split('/').pop()}.yaml`), 'utf8'))].join('\n---\n'));

  const t0 = performance.now();
  const resources = withDefaultNamespace(await loadResources([manifests]));
  const loadMs = performance.now() - t0;
  const t1 = performance.now();
  const c1 = cpuMs();
  const responses = applyPolicies(policies, resources);
  const evalMs = performance.now() - t1;
  const evalCpuMs = cpuMs() - c1;
  const results = responses.reduce((n, r) => n + r.rules.length, 0);
  let cli: ReturnType<typeof measure>;
  try {
    cli = measure(process.execPath, [palisadeCli(), 'policy', 'apply', policyFile, '-r', manifests, '--format', 'json', '-o', join(work, 'out.json'), '-q'], { timeoutMs: 600_000 });
  } catch (err) {
    process.stdout.write(`CLI run skipped: ${(err as Error).message.split('\n').slice(0, 2).join(' ')}\n`);
    cli = { wallMs: NaN, cpuMs: NaN, peakRssMb: NaN, ok: false, stderr: '' };
  }
  printTable(`Throughput: ${resources.length} objects in ${FILES} files (load average ${fmt(loadavg()[0]!, 1)})`, ['step', 'ms', 'objects/s', 'peak RSS MB'], [
    ['load (parse YAML)', fmt(loadMs), fmt((resources.length / loadMs) * 1000), ''],
    [`evaluate (${results} rule results)`, fmt(evalMs), fmt((resources.length / evalMs) * 1000), ''],
    ['evaluate, CPU time', fmt(evalCpuMs), fmt((resources.length / evalCpuMs) * 1000), ''],
    ['palisade policy apply (CLI, end to end)', fmt(cli.wallMs), fmt((resources.length / cli.wallMs) * 1000), fmt(cli.peakRssMb)],
    ['palisade policy apply, CPU time', fmt(cli.cpuMs ?? NaN), fmt((resources.length / (cli.cpuMs ?? NaN)) * 1000), ''],
  ]);
  // The generated manifests violate policies on purpose: exit code 1 is the expected outcome.
  if (!cli.ok && !/exited with non-zero status 1/.test(cli.stderr) && cli.stderr.trim() !== '') process.stdout.write(`CLI stderr: ${cli.stderr}\n`);
  saveResults('policy', {
    policies: policies.length,
    sources,
    iterations: ITERATIONS,
    loadAverage,
    latency: { pod: podLatency, deployment: deploymentLatency },
    throughput: { objects: resources.length, files: FILES, loadMs, evalMs, evalCpuMs, ruleResults: results, cliWallMs: cli.wallMs, cliCpuMs: cli.cpuMs, cliPeakRssMb: cli.peakRssMb },
  });
} finally {
  rmSync(work, { recursive: true, force: true });
}
