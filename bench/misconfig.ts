/**
 * Misconfiguration scanning benchmark: throughput over a generated directory of 10,000
 * Kubernetes objects (100 multi-document files: Deployments, StatefulSets, CronJobs, Pods,
 * Services, ConfigMaps, Roles and RoleBindings, about half of them misconfigured in some way,
 * drawn with a fixed seed) plus 50 Dockerfiles.
 * 1. In process: scanMisconfig of the directory (read, parse, every built-in check including the
 *    Kyverno policies through the engine), median of PALISADE_BENCH_RUNS passes (default 3), with
 *    the parse and check phases timed apart on the last pass.
 * 2. End to end: `palisade scan --scanners misconfig DIR -f json` through the compiled CLI, wall
 *    time, CPU time and peak RSS (median of the same number of runs).
 * CPU time is reported beside wall time, with the load average: on a shared machine wall time
 * measures the other processes too.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { checkManifests } from '../src/misconfig/k8s/index.ts';
import { parseManifests, type Manifest } from '../src/misconfig/manifests.ts';
import { scanMisconfig } from '../src/misconfig/scan.ts';
import { fmt, measure, medianOf, palisadeCli, printTable, random, saveResults, type Measurement } from './lib.ts';

const RUNS = Number(process.env.PALISADE_BENCH_RUNS ?? 3);
const OBJECTS = 10_000;
const FILES = 100;
const DOCKERFILES = 50;

type Json = Record<string, unknown>;

function generate(dir: string): void {
  const rand = random(42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const perFile = OBJECTS / FILES;
  for (let f = 0; f < FILES; f++) {
    const namespace = `team-${f % 20}`;
    const docs: Json[] = [];
    for (let i = 0; i < perFile; i++) docs.push(object(f * perFile + i, namespace, rand, pick));
    writeFileSync(join(dir, `app-${String(f).padStart(3, '0')}.yaml`), docs.map((d) => toYaml(d)).join('---\n'));
  }
  mkdirSync(join(dir, 'images'));
  for (let d = 0; d < DOCKERFILES; d++) {
    const insecure = rand() < 0.5;
    writeFileSync(
      join(dir, 'images', `svc-${d}.Dockerfile`),
      [
        '# syntax=docker/dockerfile:1',
        `FROM ${insecure ? 'node:latest' : 'node:20.11-slim'} AS build`,
        'WORKDIR /src',
        'COPY . .',
        `RUN apt-get update && apt-get install -y ${insecure ? 'curl git' : '--no-install-recommends curl=7.88.1 && rm -rf /var/lib/apt/lists/*'}`,
        'RUN npm ci && npm run build',
        'FROM gcr.io/distroless/nodejs20-debian12:nonroot',
        'COPY --from=build /src/dist /app',
        insecure ? 'ENV API_TOKEN=s3cr3t-v4lue' : 'ENV NODE_ENV=production',
        'HEALTHCHECK CMD ["/nodejs/bin/node", "/app/health.js"]',
        'CMD ["/app/server.js"]',
        '',
      ].join('\n'),
    );
  }
}

function object(n: number, namespace: string, rand: () => number, pick: <T>(items: readonly T[]) => T): Json {
  const name = `obj-${n}`;
  const metadata = { name, namespace, labels: { app: name } };
  const bad = rand() < 0.5;
  const kind = pick(['Deployment', 'Deployment', 'Deployment', 'StatefulSet', 'CronJob', 'Pod', 'Service', 'Service', 'ConfigMap', 'ConfigMap', 'Role', 'RoleBinding']);
  const pod = podSpec(n, bad, rand);
  switch (kind) {
    case 'Deployment':
    case 'StatefulSet':
      return { apiVersion: 'apps/v1', kind, metadata, spec: { replicas: 2, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: pod } } };
    case 'CronJob':
      return { apiVersion: 'batch/v1', kind, metadata, spec: { schedule: '@hourly', jobTemplate: { spec: { template: { spec: { ...pod, restartPolicy: 'OnFailure' } } } } } };
    case 'Pod':
      return { apiVersion: 'v1', kind, metadata, spec: pod };
    case 'Service':
      return { apiVersion: 'v1', kind, metadata, spec: { type: bad ? 'NodePort' : 'ClusterIP', selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] } };
    case 'ConfigMap':
      return { apiVersion: 'v1', kind, metadata, data: { LOG_LEVEL: 'info', 'app.properties': `server.port=8080\ndb.password=${bad ? 'hunter2' : '${DB_PASSWORD}'}\n` } };
    case 'Role':
      return { apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata, rules: [{ apiGroups: [''], resources: bad ? ['*'] : ['configmaps'], verbs: bad ? ['*'] : ['get', 'list'] }] };
    default:
      return {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind,
        metadata,
        subjects: [{ kind: 'ServiceAccount', name, namespace }],
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: bad ? 'cluster-admin' : 'view' },
      };
  }
}

function podSpec(n: number, bad: boolean, rand: () => number): Json {
  const container: Json = {
    name: 'app',
    image: bad ? `registry.example.com/app-${n}:latest` : `registry.example.com/app-${n}:1.${n % 10}.0@sha256:${'0f1e2d3c'.repeat(8)}`,
    ports: [{ containerPort: 8080 }],
    env: [{ name: 'LOG_LEVEL', value: 'info' }, ...(bad && rand() < 0.3 ? [{ name: 'DB_PASSWORD', value: 'changeme' }] : [])],
    resources: bad ? {} : { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
    securityContext: bad
      ? { privileged: rand() < 0.2, allowPrivilegeEscalation: true }
      : { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
    ...(bad ? {} : { livenessProbe: { httpGet: { path: '/healthz', port: 8080 } }, readinessProbe: { httpGet: { path: '/ready', port: 8080 } } }),
  };
  return {
    ...(bad ? { hostNetwork: rand() < 0.1 } : { automountServiceAccountToken: false }),
    containers: [container, ...(rand() < 0.3 ? [{ ...container, name: 'sidecar' }] : [])],
    ...(bad && rand() < 0.1 ? { volumes: [{ name: 'sock', hostPath: { path: '/var/run/docker.sock' } }] } : {}),
  };
}

interface Pass {
  ms: number;
  cpuMs: number;
  objects: number;
  findings: number;
  files: number;
}

async function pass(dir: string): Promise<Pass> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await scanMisconfig(dir);
  const cpu = process.cpuUsage(c0);
  return { ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, objects: r.misconfig!.objects, findings: r.findings.length, files: r.misconfig!.files.length };
}

const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Parse and check phases apart (files already in the page cache). */
function phases(dir: string): { parseMs: number; parseCpuMs: number; checkMs: number; checkCpuMs: number } {
  const texts = Array.from({ length: FILES }, (_, f) => {
    const path = `app-${String(f).padStart(3, '0')}.yaml`;
    return { path, text: readFileSync(join(dir, path), 'utf8') };
  });
  const t0 = performance.now();
  const c0 = cpuNow();
  const manifests: Manifest[] = texts.flatMap(({ path, text }) => parseManifests(text, path).manifests);
  const t1 = performance.now();
  const c1 = cpuNow();
  checkManifests(manifests);
  return { parseMs: t1 - t0, parseCpuMs: c1 - c0, checkMs: performance.now() - t1, checkCpuMs: cpuNow() - c1 };
}

/** The compiled CLI end to end; a build failure (someone else's type error) is reported, not thrown. */
function cliRun(dir: string): Measurement {
  let cli: string;
  try {
    cli = palisadeCli();
  } catch (err) {
    return { wallMs: NaN, cpuMs: NaN, peakRssMb: NaN, ok: false, stderr: err instanceof Error ? err.message : String(err) };
  }
  const out = join(tmpdir(), `palisade-bench-misconfig-${process.pid}.json`);
  try {
    return medianOf(RUNS, () => measure(process.execPath, [cli, 'scan', '--scanners', 'misconfig', dir, '-f', 'json', '-o', out, '-q']));
  } finally {
    rmSync(out, { force: true });
  }
}

const dir = mkdtempSync(join(tmpdir(), 'palisade-bench-misconfig-'));
try {
  generate(dir);
  await pass(dir); // warm-up: policy loading, JIT
  const passes: Pass[] = [];
  for (let i = 0; i < RUNS; i++) passes.push(await pass(dir));
  passes.sort((a, b) => a.ms - b.ms);
  const median = passes[Math.floor(passes.length / 2)]!;
  const split = phases(dir);

  const e2e = cliRun(dir);
  const loadAverage = loadavg()[0]!;
  const rate = (ms: number | undefined) => fmt(median.objects / ((ms ?? NaN) / 1000));
  printTable(
    `Misconfiguration scanning: ${median.objects} objects in ${FILES} files + ${DOCKERFILES} Dockerfiles (median of ${RUNS}; load average ${fmt(loadAverage, 1)})`,
    ['phase', 'wall', 'objects/s', 'CPU', 'objects/CPU s', 'findings', 'peak RSS'],
    [
      ['in process: scanMisconfig', `${fmt(median.ms)} ms`, rate(median.ms), `${fmt(median.cpuMs)} ms`, rate(median.cpuMs), String(median.findings), ''],
      ['  parse (YAML + line maps)', `${fmt(split.parseMs)} ms`, rate(split.parseMs), `${fmt(split.parseCpuMs)} ms`, rate(split.parseCpuMs), '', ''],
      ['  checks (TypeScript + policies)', `${fmt(split.checkMs)} ms`, rate(split.checkMs), `${fmt(split.checkCpuMs)} ms`, rate(split.checkCpuMs), '', ''],
      [
        'CLI: palisade scan --scanners misconfig',
        e2e.ok ? `${fmt(e2e.wallMs)} ms` : `failed: ${e2e.stderr.trim().split('\n')[0]}`,
        e2e.ok ? rate(e2e.wallMs) : '',
        e2e.ok ? `${fmt(e2e.cpuMs ?? NaN)} ms` : '',
        e2e.ok ? rate(e2e.cpuMs) : '',
        '',
        `${fmt(e2e.peakRssMb)} MB`,
      ],
    ],
  );
  saveResults('misconfig', {
    objects: median.objects,
    files: median.files,
    findings: median.findings,
    loadAverage,
    inProcess: {
      medianMs: median.ms,
      cpuMs: median.cpuMs,
      objectsPerSecond: median.objects / (median.ms / 1000),
      objectsPerCpuSecond: median.objects / (median.cpuMs / 1000),
      passesMs: passes.map((p) => p.ms),
      ...split,
    },
    cli: { ok: e2e.ok, wallMs: e2e.wallMs, cpuMs: e2e.cpuMs, peakRssMb: e2e.peakRssMb },
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
