/**
 * CEL policy benchmark: compile once, evaluate many.
 *
 * The Pod Security Standards policies of Kyverno's library in three forms, each applied to one
 * Pod and to one Deployment (autogen) PALISADE_BENCH_ITERATIONS times (default 2000) after a
 * warm-up; median and p99 per evaluation of the whole set:
 *
 * - `ValidatingPolicy` (policies/pod-security-vpol, CEL, src/policy/cel);
 * - `ClusterPolicy` with `validate.cel` rules (policies/pod-security-cel, CEL through the engine);
 * - the classic `ClusterPolicy` equivalents (policies/pod-security, patterns and deny rules).
 *
 * The corpus has 12 PSS ValidatingPolicies (7 baseline, 5 restricted); the same 12 names are
 * taken in the other two forms. Compile time (load + compile of the set) is reported too.
 * Target: under 1 ms median for the ValidatingPolicies on a Pod.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyCelPoliciesToResource } from '../src/policy/cel/apply.ts';
import { parseCelPolicies } from '../src/policy/cel/load.ts';
import type { CelPolicySet } from '../src/policy/cel/types.ts';
import { applyPoliciesToResource } from '../src/policy/engine/engine.ts';
import { parsePolicies } from '../src/policy/engine/load.ts';
import type { Policy } from '../src/policy/engine/types.ts';
import type { KubeResource } from '../src/policy/types.ts';
import { corpus, fmt, printTable, saveResults } from './lib.ts';

const ITERATIONS = Number(process.env.PALISADE_BENCH_ITERATIONS ?? 2000);
const library = join(corpus, 'kyverno', 'policies');

/** `<dir>/<level>/<name>/<name>.yaml` for the PSS policy names of the ValidatingPolicy set. */
function policyFiles(dir: string, names: readonly string[]): string[] {
  const out: string[] = [];
  for (const level of ['baseline', 'restricted']) {
    for (const name of names) {
      const file = join(library, dir, level, name, `${name}.yaml`);
      if (existsSync(file)) out.push(file);
    }
  }
  return out;
}

function names(): string[] {
  const out: string[] = [];
  for (const level of ['baseline', 'restricted']) {
    const base = join(library, 'pod-security-vpol', level);
    if (existsSync(base)) out.push(...readdirSync(base).filter((n) => existsSync(join(base, n, `${n}.yaml`))).sort());
  }
  return out;
}

const pod: KubeResource = {
  object: {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-7d4b9c', namespace: 'shop', labels: { app: 'web', team: 'storefront' } },
    spec: {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'web',
          image: 'registry.example.com/shop/web:1.8.2',
          ports: [{ name: 'http', containerPort: 8080 }],
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
          securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } },
        },
        { name: 'proxy', image: 'envoyproxy/envoy:v1.29.1', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } },
      ],
      volumes: [{ name: 'cache', emptyDir: {} }, { name: 'config', configMap: { name: 'web' } }],
    },
  },
};

const deployment: KubeResource = {
  object: {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: pod.object.spec } },
  },
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

interface Latency {
  medianMs: number;
  p99Ms: number;
  results: number;
  statuses: string;
}

function latency(run: () => { status: string }[]): Latency {
  for (let i = 0; i < Math.min(200, ITERATIONS); i++) run();
  const wall: number[] = [];
  let last: { status: string }[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const t0 = performance.now();
    last = run();
    wall.push(performance.now() - t0);
  }
  wall.sort((a, b) => a - b);
  const counts = new Map<string, number>();
  for (const r of last) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  return { medianMs: percentile(wall, 0.5), p99Ms: percentile(wall, 0.99), results: last.length, statuses: [...counts].map(([s, n]) => `${s} ${n}`).join(', ') };
}

function timed<T>(fn: () => T): { value: T; ms: number } {
  const t0 = performance.now();
  const value = fn();
  return { value, ms: performance.now() - t0 };
}

const pss = names();
const vpolFiles = policyFiles('pod-security-vpol', pss);
const celFiles = policyFiles('pod-security-cel', pss);
const classicFiles = policyFiles('pod-security', pss);

const vpols = timed(() => {
  const set: CelPolicySet = { policies: [], bindings: [], exceptions: [] };
  for (const f of vpolFiles) set.policies.push(...parseCelPolicies(readFileSync(f, 'utf8'), f).policies);
  return set;
});
const loadClassic = (files: string[]) => timed(() => files.flatMap((f) => parsePolicies(readFileSync(f, 'utf8'), f).policies));
const celRules = loadClassic(celFiles);
const classic = loadClassic(classicFiles);
// Classic validate.cel rules compile on first use: one evaluation is part of their compile time.
const celWarm = timed(() => applyPoliciesToResource(celRules.value, pod));

const celRun = (set: CelPolicySet, r: KubeResource) => () => applyCelPoliciesToResource(set, r).responses.flatMap((x) => x.rules);
const engineRun = (policies: Policy[], r: KubeResource) => () => applyPoliciesToResource(policies, r).responses.flatMap((x) => x.rules);

const rows: [string, number, number, Latency, Latency][] = [
  ['ValidatingPolicy (CEL)', vpols.value.policies.length, vpols.ms, latency(celRun(vpols.value, pod)), latency(celRun(vpols.value, deployment))],
  ['ClusterPolicy validate.cel', celRules.value.length, celRules.ms + celWarm.ms, latency(engineRun(celRules.value, pod)), latency(engineRun(celRules.value, deployment))],
  ['ClusterPolicy classic', classic.value.length, classic.ms, latency(engineRun(classic.value, pod)), latency(engineRun(classic.value, deployment))],
];

process.stdout.write(`${pss.length} Pod Security Standards policies (${pss.join(', ')})\n`);
printTable(
  `Latency per evaluation of the whole set, ${ITERATIONS} evaluations (compile once, evaluate many)`,
  ['form', 'policies', 'compile ms', 'Pod median ms', 'Pod p99 ms', 'Pod results', 'Deployment median ms', 'Deployment p99 ms', 'target'],
  rows.map(([form, count, compileMs, p, d]) => [
    form,
    String(count),
    fmt(compileMs, 1),
    fmt(p.medianMs, 3),
    fmt(p.p99Ms, 3),
    p.statuses,
    fmt(d.medianMs, 3),
    fmt(d.p99Ms, 3),
    form.startsWith('ValidatingPolicy') ? (p.medianMs < 1 ? 'ok (< 1 ms)' : 'MISSED (< 1 ms)') : '',
  ]),
);

saveResults('cel', {
  iterations: ITERATIONS,
  policies: pss,
  forms: rows.map(([form, count, compileMs, p, d]) => ({ form, policies: count, compileMs, pod: p, deployment: d })),
});
