/**
 * Runtime detection throughput and latency through Falco's full default k8s audit ruleset
 * (../shared/corpus/falco plugins/k8saudit/rules/k8s_audit_rules.yaml, 48 rules), on one core:
 * - replay: audit JSON lines → parse → evaluate (first match wins) → format alerts (JSON), events/s
 *   and per-event p50/p99 latency;
 * Throughput is given per second of the process's CPU time (one core, robust to other load on the
 * machine) and per second of wall time.
 * - evaluate only: already-parsed events through the engine;
 * - server: 400-event EventList batches (the apiserver's default batch size) posted over loopback
 *   HTTP to `palisade runtime serve`'s receiver, events/s and p99 receive-to-alert latency.
 * Two streams: `corpus`, every audit event of the corpus in turn (Falco's regression traces,
 * audit2rbac's demo log, Panther's labelled EKS/GKE samples: creations, RBAC changes, execs, secret
 * reads; most raise an alert), and `cluster mix`, 90% of the read-only traffic by system users
 * that dominates a real cluster's audit log (get/list/watch by kubelets, controllers, service
 * accounts; generated) and 10% corpus events. Runs in process on the sources.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import {
  alertJson,
  AuditWebhookServer,
  eventsFromText,
  loadRules,
  makeAlert,
  newCounters,
  RuntimeEngine,
  type RuntimeEvent,
} from '../src/runtime/index.ts';
import { corpus, fmt, printTable, saveResults } from './lib.ts';

const RUNS = Number(process.env.PALISADE_BENCH_RUNS ?? 5);
const STREAM_EVENTS = Number(process.env.PALISADE_BENCH_RUNTIME_EVENTS ?? 100_000);
const falco = join(corpus, 'falco');

function auditPool(): string[] {
  const lines: string[] = [];
  const traces = join(falco, 'legacy-regression-tests/test/trace_files/k8s_audit');
  const texts = [
    ...readdirSync(traces).map((f) => readFileSync(join(traces, f), 'utf8')),
    readFileSync(join(falco, 'audit-logs/audit2rbac/testdata/demo.log'), 'utf8'),
  ];
  for (const text of texts) {
    for (const evt of eventsFromText(text, newCounters(), { source: 'k8s_audit' })) lines.push(JSON.stringify(evt.data));
  }
  let n = 0;
  for (const line of readFileSync(join(falco, 'audit-logs/panther-analysis/test-events.jsonl'), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const log = (JSON.parse(line) as { log?: Record<string, unknown> }).log;
    if (!log || log.kind !== 'Event') continue;
    lines.push(JSON.stringify({ auditID: `panther-${n++}`, stage: 'ResponseComplete', stageTimestamp: '2024-05-01T10:00:00.000000Z', ...log }));
  }
  return lines;
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const rulesText = readFileSync(join(falco, 'plugins/k8saudit/rules/k8s_audit_rules.yaml'), 'utf8');
const loadStart = performance.now();
const loaded = loadRules([{ name: 'k8s_audit_rules.yaml', text: rulesText }]);
const loadMs = performance.now() - loadStart;
if (!loaded.ok || !loaded.ruleset) throw new Error(`default audit rules do not load: ${loaded.errors.map((e) => e.message).join('; ')}`);
const pool = auditPool();

/** A read-only request by a system user, as kubelets, controllers and operators send all day. */
function backgroundEvent(i: number): string {
  const verbs = ['get', 'list', 'watch', 'get', 'get'];
  const resources = ['pods', 'configmaps', 'nodes', 'endpoints', 'leases', 'services', 'secrets'];
  const users = ['system:node:node-3', 'system:kube-controller-manager', 'system:serviceaccount:kube-system:coredns', 'system:kube-scheduler', 'system:apiserver'];
  const verb = verbs[i % verbs.length]!;
  const resource = resources[i % resources.length]!;
  const ns = i % 3 === 0 ? 'kube-system' : 'default';
  return JSON.stringify({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `bg-${i}`,
    stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/${ns}/${resource}${verb === 'get' ? `/obj-${i % 97}` : verb === 'watch' ? '?watch=true' : ''}`,
    verb,
    user: { username: users[i % users.length], groups: ['system:authenticated'] },
    sourceIPs: ['10.0.0.3'],
    userAgent: 'kubelet/v1.30.0 (linux/amd64) kubernetes/abc1234',
    objectRef: { resource, namespace: ns, ...(verb === 'get' ? { name: `obj-${i % 97}` } : {}), apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 200 },
    requestReceivedTimestamp: '2024-05-01T10:00:00.000000Z',
    stageTimestamp: '2024-05-01T10:00:00.001000Z',
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC: allowed by ClusterRoleBinding "system:node"' },
  });
}

const STREAMS: Record<string, string[]> = {
  corpus: Array.from({ length: STREAM_EVENTS }, (_, i) => pool[i % pool.length]!),
  'cluster mix': Array.from({ length: STREAM_EVENTS }, (_, i) => (i % 10 === 9 ? pool[Math.floor(i / 10) % pool.length]! : backgroundEvent(i))),
};

interface Pass {
  seconds: number;
  /** CPU time of the process (all threads, GC included): throughput on one core, whatever else runs. */
  cpuSeconds: number;
  alerts: number;
  latencies: Float64Array;
}

/** JSON text → events → rules → alert JSON, timing every event. */
function replayPass(stream: string[]): Pass {
  const engine = new RuntimeEngine(loaded.ruleset!);
  const counters = newCounters();
  const latencies = new Float64Array(stream.length);
  let alerts = 0;
  let bytes = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < stream.length; i++) {
    const start = performance.now();
    for (const evt of eventsFromText(stream[i]!, counters, { source: 'k8s_audit' }, i)) {
      for (const rule of engine.evaluate(evt)) {
        bytes += alertJson(makeAlert(rule, evt)).length;
        alerts++;
      }
    }
    latencies[i] = performance.now() - start;
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpuSeconds = cpuSince(c0);
  if (bytes === 0) throw new Error('no alert raised');
  return { seconds, cpuSeconds, alerts, latencies: latencies.sort() };
}

/** Parsed events through the engine only. */
function evaluatePass(events: RuntimeEvent[]): Pass {
  const engine = new RuntimeEngine(loaded.ruleset!);
  let alerts = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (const evt of events) {
    evt.cacheOwner = 0;
    alerts += engine.evaluate(evt).length;
  }
  return { seconds: (performance.now() - t0) / 1000, cpuSeconds: cpuSince(c0), alerts, latencies: new Float64Array(0) };
}

function post(port: number, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/k8s-audit', method: 'POST', headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function serverPass(stream: string[]): Promise<{ seconds: number; cpuSeconds: number; events: number; alerts: number; p50: number; p99: number; alertP99: number; refused: number }> {
  const engine = new RuntimeEngine(loaded.ruleset!);
  let alerts = 0;
  const server = new AuditWebhookServer({ engine, onAlert: (a) => (alerts += alertJson(a).length > 0 ? 1 : 0), host: '127.0.0.1', port: 0 });
  const { port } = await server.listen();
  const batches: string[] = [];
  for (let i = 0; i < stream.length; i += 400) batches.push(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[${stream.slice(i, i + 400).join(',')}]}`);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let refused = 0;
  // A few batches in flight at once, as an apiserver with several webhook workers would send them.
  for (let i = 0; i < batches.length; i += 4) {
    const codes = await Promise.all(batches.slice(i, i + 4).map((b) => post(port, b)));
    refused += codes.filter((c) => c !== 200).length;
  }
  await server.idle();
  const seconds = (performance.now() - t0) / 1000;
  const result = {
    seconds,
    cpuSeconds: cpuSince(c0),
    events: server.stats.read.events,
    alerts,
    p50: server.eventLatency.quantile(0.5),
    p99: server.eventLatency.quantile(0.99),
    alertP99: server.alertLatency.quantile(0.99),
    refused,
  };
  await server.close();
  return result;
}

function median<T extends { cpuSeconds: number }>(runs: T[]): T {
  return runs.sort((a, b) => a.cpuSeconds - b.cpuSeconds)[Math.floor(runs.length / 2)]!;
}

const rules = loaded.ruleset.sources.get('k8s_audit')!.rules.length;
const eps = (n: number, s: number) => n / s;
const rows: string[][] = [];
const results: Record<string, unknown> = {};
for (const [name, stream] of Object.entries(STREAMS)) {
  replayPass(stream); // warm-up
  const replay = median(Array.from({ length: RUNS }, () => replayPass(stream)));
  const parsed = stream.flatMap((line, i) => eventsFromText(line, newCounters(), { source: 'k8s_audit' }, i));
  evaluatePass(parsed);
  const evaluate = median(Array.from({ length: RUNS }, () => evaluatePass(parsed)));
  await serverPass(stream);
  const servers: Awaited<ReturnType<typeof serverPass>>[] = [];
  for (let i = 0; i < RUNS; i++) servers.push(await serverPass(stream));
  const serve = median(servers);
  rows.push(
    [`${name}: replay, JSON line → alert JSON`, fmt(eps(stream.length, replay.cpuSeconds)), fmt(eps(stream.length, replay.seconds)), fmt(quantile(replay.latencies, 0.5) * 1000, 1), fmt(quantile(replay.latencies, 0.99) * 1000, 1), String(replay.alerts)],
    [`${name}: evaluate only (parsed events)`, fmt(eps(parsed.length, evaluate.cpuSeconds)), fmt(eps(parsed.length, evaluate.seconds)), '', '', String(evaluate.alerts)],
    [`${name}: server, 400-event batches over HTTP${serve.refused ? ` (${serve.refused} refused)` : ''}`, fmt(eps(serve.events, serve.cpuSeconds)), fmt(eps(serve.events, serve.seconds)), fmt(serve.p50 * 1000, 1), fmt(serve.p99 * 1000, 1), String(serve.alerts)],
  );
  results[name] = {
    replay: { eventsPerCpuSecond: eps(stream.length, replay.cpuSeconds), eventsPerSecond: eps(stream.length, replay.seconds), p50Us: quantile(replay.latencies, 0.5) * 1000, p99Us: quantile(replay.latencies, 0.99) * 1000, alerts: replay.alerts },
    evaluateOnly: { eventsPerCpuSecond: eps(parsed.length, evaluate.cpuSeconds), eventsPerSecond: eps(parsed.length, evaluate.seconds), alerts: evaluate.alerts },
    server: { eventsPerCpuSecond: eps(serve.events, serve.cpuSeconds), eventsPerSecond: eps(serve.events, serve.seconds), p50Ms: serve.p50, p99Ms: serve.p99, alertP99Ms: serve.alertP99, alerts: serve.alerts, refusedBatches: serve.refused },
  };
}

printTable(
  `Runtime: ${STREAM_EVENTS} audit events per stream through the default k8s audit rules (${rules} rules, loaded in ${fmt(loadMs)} ms), median of ${RUNS} (by CPU time); server latencies from receipt of the batch; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
  ['case', 'events/CPU-s', 'events/s (wall)', 'p50 µs/event', 'p99 µs/event', 'alerts'],
  rows,
);
saveResults('runtime', { loadAverage: loadavg(), rules, poolEvents: pool.length, streamEvents: STREAM_EVENTS, runs: RUNS, loadRulesMs: loadMs, streams: results });
