/**
 * Admission webhook under load: `palisade admission serve` (the compiled CLI) over HTTPS on 127.0.0.1
 * with 20 Kyverno policies from the corpus (Pod Security baseline enforced, restricted and best
 * practices audited) plus the `--key` signature gate over images signed with `palisade sign` in
 * Debian's docker-registry (served from the verification cache once warm), driven by an open-model
 * load generator: requests leave at a fixed rate whether or not earlier ones were answered, and each
 * latency runs from the moment the request was due, so a slow server cannot hide its queueing
 * (no coordinated omission). The mix: Pods, Deployments and CronJobs; CREATE, UPDATE and DELETE;
 * allowed, warned and denied; each admission sent to /mutate and then /validate, as the API server
 * calls the two webhooks that `palisade admission manifests` registers; every answer is checked (uid echoed, decision
 * as expected). Reports p50/p95/p99 latency, achieved throughput, errors and the server's CPU time at
 * 200, 500 and 1,000 requests/s. Part of `npm run bench admission`; results in
 * bench/results/admission.json. PALISADE_BENCH_SECONDS sets the phase length (default 10);
 * PALISADE_BENCH_CPU_PROF=DIR writes the server's V8 CPU profile there.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateWebhookTls } from '../src/admission/manifests/index.ts';
import { RegistryClient } from '../src/image/registry/index.ts';
import { dockerRegistryAvailable, startDockerRegistry, type RunningRegistry } from '../test/image/registry/helpers/docker-registry.ts';
import { buildImage, pushImage } from '../test/image/registry/helpers/images.ts';
import { corpus, fmt, palisadeCli, printTable, saveResults } from './lib.ts';

type Json = Record<string, unknown>;

const RATES = [200, 500, 1000];
const PHASE_SECONDS = Number(process.env.PALISADE_BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 3;
const WARMUP_RATE = 200;
const REQUEST_TIMEOUT_MS = 10_000;
const SERVICE = 'palisade-admission.bench.svc';

/** The 20 policies, as corpus paths under kyverno/policies; baseline ones are switched to Enforce. */
const POLICIES = {
  enforce: [
    'pod-security/baseline/disallow-capabilities',
    'pod-security/baseline/disallow-host-namespaces',
    'pod-security/baseline/disallow-host-ports',
    'pod-security/baseline/disallow-privileged-containers',
    'pod-security/baseline/disallow-proc-mount',
    'pod-security/baseline/disallow-selinux',
    'pod-security/baseline/restrict-apparmor-profiles',
    'pod-security/baseline/restrict-sysctls',
    'pod-security/subrule/podsecurity-subrule-baseline',
  ],
  audit: [
    'pod-security/restricted/disallow-capabilities-strict',
    'pod-security/restricted/require-run-as-non-root-user',
    'pod-security/restricted/require-run-as-nonroot',
    'pod-security/restricted/restrict-seccomp-strict',
    'pod-security/restricted/restrict-volume-types',
    'best-practices/require-drop-all',
    'best-practices/require-labels',
    'best-practices/require-pod-requests-limits',
    'best-practices/require-probes',
    'best-practices/require-ro-rootfs',
    'best-practices/restrict-image-registries',
  ],
};

/* ───────────────────────── setup ───────────────────────── */

const work = mkdtempSync(join(tmpdir(), 'palisade-bench-admission-'));
const cli = palisadeCli();

function policyFiles(dir: string): string[] {
  mkdirSync(dir);
  const names: string[] = [];
  for (const [action, paths] of Object.entries(POLICIES)) {
    for (const path of paths) {
      const name = path.split('/').at(-1)!;
      let text = readFileSync(join(corpus, 'kyverno/policies', path, `${name}.yaml`), 'utf8');
      if (action === 'enforce') text = text.replace(/validationFailureAction: \w+/g, 'validationFailureAction: Enforce');
      writeFileSync(join(dir, `${name}.yaml`), text);
      names.push(name);
    }
  }
  return names;
}

function palisade(args: string[], env: NodeJS.ProcessEnv = {}): string {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, cwd: work });
  if (result.status !== 0) throw new Error(`palisade ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return result.stderr;
}

interface SignedImages {
  registry: RunningRegistry;
  publicKey: string;
  images: Record<'web' | 'api' | 'worker' | 'sidecar', string>;
}

/** Four images pushed to docker-registry and signed with `palisade sign` (a v3 bundle each). */
async function signedImages(): Promise<SignedImages> {
  const registry = await startDockerRegistry();
  const client = new RegistryClient({ registry: registry.host, insecure: true, credentials: {} });
  const env = { PALISADE_PASSWORD: 'bench' };
  palisade(['key', 'generate', '--output-prefix', join(work, 'cosign')], env);
  const images = {} as SignedImages['images'];
  for (const name of ['web', 'api', 'worker', 'sidecar'] as const) {
    const image = await buildImage({ layers: [{ [`app/${name}`]: `${name}\n` }] });
    await pushImage(client, `bench/${name}`, image, 'v1');
    images[name] = `${registry.host}/bench/${name}:v1`;
    palisade(['sign', images[name], '--key', join(work, 'cosign.key'), '--insecure'], env);
  }
  return { registry, publicKey: join(work, 'cosign.pub'), images };
}

interface Server {
  child: ChildProcess;
  port: number;
  stderr: () => string;
  stop(): Promise<void>;
}

async function startServer(args: string[], nodeArgs: string[]): Promise<Server> {
  const child = spawn(process.execPath, [...nodeArgs, cli, 'admission', 'serve', '--host=127.0.0.1', '--port=0', ...args], { stdio: ['ignore', 'ignore', 'pipe'], cwd: work });
  let stderr = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`admission serve did not start: ${stderr}`)), 60_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const m = /https:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`admission serve exited with ${code}: ${stderr}`)));
  });
  return {
    child,
    port,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM'); // graceful: the CPU profile is written on exit
      await exited;
    },
  };
}

/** utime + stime of a process, in seconds (Linux /proc). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  return (Number(fields[11]) + Number(fields[12])) / ticks;
}

function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/* ───────────────────────── the request mix ───────────────────────── */

interface Template {
  name: string;
  weight: number;
  path: '/validate' | '/mutate' | '/healthz';
  /** The decision expected; undefined for /healthz, which answers `ok`. */
  allowed?: boolean;
  /** The AdmissionReview with uid `__UID__`, serialised once (empty for /healthz). */
  body: string;
}

/** The transport floor: HTTPS keep-alive round trips to /healthz, no parsing and no policies. */
const HEALTHZ: Template = { name: 'GET /healthz', weight: 1, path: '/healthz', body: '' };

function container(name: string, image: string, extra: Json = {}): Json {
  return {
    name,
    image,
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
    livenessProbe: { httpGet: { path: '/healthz', port: 8080 } },
    readinessProbe: { httpGet: { path: '/readyz', port: 8080 } },
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: 10001, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
    ...extra,
  };
}

function podSpec(containers: Json[], extra: Json = {}): Json {
  return { securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }, containers, ...extra };
}

function pod(name: string, spec: Json, labels: Record<string, string> = { 'app.kubernetes.io/name': name }): Json {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'shop', labels }, spec };
}

function deployment(name: string, spec: Json, replicas = 3): Json {
  const labels = { 'app.kubernetes.io/name': name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'shop', labels, generation: 1 },
    spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec } },
  };
}

function cronJob(name: string, spec: Json): Json {
  const labels = { 'app.kubernetes.io/name': name };
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: 'shop', labels },
    spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { metadata: { labels }, spec: { ...spec, restartPolicy: 'OnFailure' } } } } },
  };
}

function review(operation: 'CREATE' | 'UPDATE' | 'DELETE', object: Json | null, oldObject: Json | null = null, namespace = 'shop'): string {
  const subject = (object ?? oldObject)!;
  const [group, version] = String(subject.apiVersion).includes('/') ? String(subject.apiVersion).split('/') : ['', String(subject.apiVersion)];
  const kind = String(subject.kind);
  const metadata = subject.metadata as Json;
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: '__UID__',
      kind: { group, version, kind },
      resource: { group, version, resource: `${kind.toLowerCase()}s` },
      requestKind: { group, version, kind },
      requestResource: { group, version, resource: `${kind.toLowerCase()}s` },
      name: metadata.name,
      namespace,
      operation,
      userInfo: { username: 'system:serviceaccount:argocd:argocd-application-controller', uid: '5f0c8e0e-3c1a-4d1e-9b53-0a8f0c2a7d11', groups: ['system:serviceaccounts', 'system:serviceaccounts:argocd', 'system:authenticated'] },
      object,
      oldObject,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: operation === 'DELETE' ? 'DeleteOptions' : operation === 'UPDATE' ? 'UpdateOptions' : 'CreateOptions' },
    },
  });
}

interface Admission {
  name: string;
  weight: number;
  /** The decision of /validate. */
  allowed: boolean;
  body: string;
}

function admissions(images: Record<'web' | 'api' | 'worker' | 'sidecar', string>): Admission[] {
  const web = podSpec([container('web', images.web), container('proxy', images.sidecar)]);
  const api = podSpec([container('api', images.api)]);
  const worker = podSpec([container('worker', images.worker)]);
  // Baseline-compliant, restricted-failing: what most clusters run; allowed with warnings.
  const plain = { containers: [{ name: 'api', image: images.api }] };
  const privileged = podSpec([container('web', images.web, { securityContext: { privileged: true } })]);
  const hostNetwork = podSpec([container('api', images.api)], { hostNetwork: true });
  const hostPid = podSpec([container('worker', images.worker)], { hostPID: true });
  const webPod = pod('web-7d9f8-x2k4q', web);
  const relabelled = pod('web-7d9f8-x2k4q', web, { 'app.kubernetes.io/name': 'web-7d9f8-x2k4q', release: 'canary' });
  const t = (name: string, weight: number, allowed: boolean, body: string): Admission => ({ name, weight, allowed, body });
  return [
    t('Pod CREATE compliant', 24, true, review('CREATE', webPod)),
    t('Pod CREATE restricted warnings', 14, true, review('CREATE', pod('api-5c6b7-lm2np', plain))),
    t('Pod CREATE privileged', 7, false, review('CREATE', pod('debug-shell', privileged))),
    t('Pod CREATE hostNetwork', 3, false, review('CREATE', pod('net-probe', hostNetwork))),
    t('Pod UPDATE labels', 8, true, review('UPDATE', relabelled, webPod)),
    t('Pod DELETE', 5, true, review('DELETE', null, webPod)),
    t('Deployment CREATE compliant', 12, true, review('CREATE', deployment('api', api))),
    t('Deployment UPDATE image', 6, true, review('UPDATE', deployment('web', web), deployment('web', podSpec([container('web', images.api), container('proxy', images.sidecar)])))),
    t('Deployment CREATE privileged', 4, false, review('CREATE', deployment('node-agent', privileged))),
    t('Deployment DELETE', 2, true, review('DELETE', null, deployment('api', api))),
    t('CronJob CREATE compliant', 5, true, review('CREATE', cronJob('report', worker))),
    t('CronJob CREATE hostPID', 2, false, review('CREATE', cronJob('node-dump', hostPid))),
    t('Pod CREATE in kube-system (exempt)', 2, true, review('CREATE', pod('kube-proxy-abcde', privileged), null, 'kube-system')),
  ];
}

/**
 * The requests of each admission, as the API server sends them with both webhook configurations of
 * `palisade admission manifests`: /mutate, then /validate. These policies have no mutate rules and
 * every image is signed, so /mutate admits everything; /validate decides.
 */
function webhookCalls(admission: Admission): Template[] {
  return [
    { name: `${admission.name} (mutate)`, weight: admission.weight, path: '/mutate', allowed: true, body: admission.body },
    { name: admission.name, weight: admission.weight, path: '/validate', allowed: admission.allowed, body: admission.body },
  ];
}

/** A deterministic interleaving of the templates by weight (smooth weighted round robin). */
function schedule<T extends { weight: number }>(list: readonly T[], length: number): T[] {
  const current = list.map(() => 0);
  const total = list.reduce((sum, x) => sum + x.weight, 0);
  const out: T[] = [];
  for (let i = 0; i < length; i++) {
    let best = 0;
    list.forEach((x, j) => {
      current[j]! += x.weight;
      if (current[j]! > current[best]!) best = j;
    });
    current[best]! -= total;
    out.push(list[best]!);
  }
  return out;
}

/* ───────────────────────── load generator ───────────────────────── */

interface Outcome {
  latencyMs: number;
  error?: string;
}

function send(agent: Agent, port: number, template: Template, uid: string, dueAt: number): Promise<Outcome> {
  const body = template.body.replace('__UID__', uid);
  const method = body === '' ? 'GET' : 'POST';
  return new Promise((resolve) => {
    let settled = false;
    const done = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve({ latencyMs: performance.now() - dueAt, ...(error && { error }) });
    };
    const req = request(
      { host: '127.0.0.1', port, path: template.path, method, agent, servername: SERVICE, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => done(`response: ${err.message}`));
        res.on('end', () => {
          if (res.statusCode !== 200) return done(`HTTP ${res.statusCode}`);
          if (template.allowed === undefined) return done(Buffer.concat(chunks).toString('utf8') === 'ok\n' ? undefined : 'unexpected /healthz answer');
          // Plain string checks: parsing every answer would cost the generator, which shares the CPU with the server.
          const text = Buffer.concat(chunks).toString('utf8');
          if (!text.includes(`"uid":"${uid}"`)) return done('uid not echoed');
          if (!text.includes(`"allowed":${template.allowed}`)) return done(`${template.name}: allowed is not ${template.allowed}`);
          done();
        });
      },
    );
    // The API server gives up timeoutSeconds after it sent the request (queueing included) and then
    // applies failurePolicy: such an answer counts as an error, whatever it would have said.
    const deadline = setTimeout(() => {
      done(`over the ${REQUEST_TIMEOUT_MS / 1000} s webhook timeout`);
      req.destroy();
    }, Math.max(1, Math.round(dueAt + REQUEST_TIMEOUT_MS - performance.now())));
    req.on('error', (err) => done(`request: ${err.message}`));
    req.end(body);
  });
}

async function serverMetrics(agent: Agent, port: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/metrics', agent, servername: SERVICE }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    })
      .on('error', reject)
      .end();
  });
}

/** The server's own latency histogram (palisade_admission_request_duration_seconds), summed over paths. */
async function serverHistogram(agent: Agent, port: number): Promise<{ buckets: Map<string, number>; sum: number; count: number }> {
  const buckets = new Map<string, number>();
  let sum = 0;
  let count = 0;
  for (const line of (await serverMetrics(agent, port)).split('\n')) {
    const m = /^palisade_admission_request_duration_seconds(_bucket|_sum|_count)\{([^}]*)\} ([\d.e+-]+)$/.exec(line);
    if (!m) continue;
    const value = Number(m[3]);
    if (m[1] === '_sum') sum += value;
    else if (m[1] === '_count') count += value;
    else {
      const le = /le="([^"]+)"/.exec(m[2]!)?.[1] ?? '';
      buckets.set(le, (buckets.get(le) ?? 0) + value);
    }
  }
  return { buckets, sum, count };
}

/** Signature cache lookups by result (hit, miss, coalesced) and registry errors so far. */
async function signatureCache(agent: Agent, port: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const line of (await serverMetrics(agent, port)).split('\n')) {
    const m = /^palisade_admission_(signature_cache_total\{result="(\w+)"\}|registry_errors_total) (\d+)$/.exec(line);
    if (m) counts[m[2] ?? 'registryErrors'] = Number(m[3]);
  }
  return counts;
}

interface PhaseResult {
  rate: number;
  seconds: number;
  sent: number;
  ok: number;
  errors: Record<string, number>;
  achievedPerSecond: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number; mean: number };
  /** Largest delay between a request's due time and its departure: the generator keeping up. */
  generatorLagMaxMs: number;
  /** From the server's histogram: mean time from request to response inside the server, and the share answered within 5 and 10 ms. */
  serverSide?: { meanMs: number; within5ms: number; within10ms: number };
  serverCpuSeconds: number;
  /** Server CPU time per request answered. */
  serverCpuMsPerRequest: number;
  serverCpuPercentOfOneCore: number;
  generatorCpuSeconds: number;
  serverRssMb: number;
  loadAverage: { before: number; after: number };
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

let uidCounter = 0;

async function phase(server: Server, agent: Agent, mix: readonly Template[], rate: number, seconds: number): Promise<PhaseResult> {
  const histogram0 = await serverHistogram(agent, server.port);
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const pending: Promise<Outcome>[] = [];
  const load = loadavg()[0]!;
  const cpu0 = cpuSeconds(server.child.pid!);
  const gen0 = process.cpuUsage();
  const start = performance.now() + 20;
  let next = 0;
  let lag = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (next < total && start + next * interval <= now) {
        const due = start + next * interval;
        lag = Math.max(lag, now - due);
        pending.push(send(agent, server.port, mix[next % mix.length]!, `r${++uidCounter}`, due));
        next++;
      }
      if (next < total) setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
      else resolve();
    };
    tick();
  });
  const outcomes = await Promise.all(pending);
  const end = performance.now();
  const cpu = cpuSeconds(server.child.pid!) - cpu0;
  const gen = process.cpuUsage(gen0);
  const histogram = await serverHistogram(agent, server.port);
  const served = histogram.count - histogram0.count;
  const share = (le: string) => ((histogram.buckets.get(le) ?? 0) - (histogram0.buckets.get(le) ?? 0)) / served;
  const latencies = outcomes.filter((o) => !o.error).map((o) => o.latencyMs).sort((a, b) => a - b);
  const errors: Record<string, number> = {};
  for (const o of outcomes) if (o.error) errors[o.error] = (errors[o.error] ?? 0) + 1;
  return {
    rate,
    seconds,
    sent: total,
    ok: latencies.length,
    errors,
    achievedPerSecond: latencies.length / ((end - start) / 1000),
    latencyMs: {
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
      max: latencies.at(-1) ?? NaN,
      mean: latencies.reduce((s, x) => s + x, 0) / Math.max(1, latencies.length),
    },
    generatorLagMaxMs: lag,
    ...(served > 0 && { serverSide: { meanMs: ((histogram.sum - histogram0.sum) / served) * 1000, within5ms: share('0.005'), within10ms: share('0.01') } }),
    serverCpuSeconds: cpu,
    serverCpuMsPerRequest: (cpu * 1000) / total,
    serverCpuPercentOfOneCore: (cpu / ((end - start) / 1000)) * 100,
    generatorCpuSeconds: (gen.user + gen.system) / 1e6,
    serverRssMb: rssMb(server.child.pid!),
    loadAverage: { before: load, after: loadavg()[0]! },
  };
}

/* ───────────────────────── run ───────────────────────── */

let signed: SignedImages | undefined;
let server: Server | undefined;
try {
  const policyDir = join(work, 'policies');
  const policies = policyFiles(policyDir);
  if (dockerRegistryAvailable()) signed = await signedImages();
  else process.stdout.write('\nadmission: docker-registry not installed: running without the image signature gate\n');
  const images = signed?.images ?? { web: 'registry.example/shop/web:v1', api: 'registry.example/shop/api:v1', worker: 'registry.example/shop/worker:v1', sidecar: 'registry.example/shop/sidecar:v1' };

  const tls = await generateWebhookTls({ dnsNames: [SERVICE], caName: 'bench-ca', validityDays: 1 });
  writeFileSync(join(work, 'tls.crt'), tls.cert);
  writeFileSync(join(work, 'tls.key'), tls.key);
  const profileDir = process.env.PALISADE_BENCH_CPU_PROF;
  server = await startServer(
    [
      `--policies=${policyDir}`,
      `--tls-cert=${join(work, 'tls.crt')}`,
      `--tls-key=${join(work, 'tls.key')}`,
      '--timeout=10',
      // `palisade sign` signs offline, with no transparency-log entry: the gate must be told to accept that.
      ...(signed ? [`--key=${signed.publicKey}`, '--insecure-ignore-tlog', '--insecure-registry', '--cache-ttl=3600'] : []),
    ],
    profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  );

  const kinds = admissions(images);
  const list = kinds.flatMap(webhookCalls);
  const mix = schedule(kinds, kinds.reduce((s, x) => s + x.weight, 0)).flatMap(webhookCalls);
  // Keep-alive, as the API server keeps its connections to webhooks; the CA is the only trust root.
  const agent = new Agent({ keepAlive: true, maxSockets: 256, ca: [tls.caCert] });

  // Every template once, in order: decisions as expected (and the verification cache filled).
  const check = await Promise.all(list.map((x) => send(agent, server!.port, x, `check-${x.name}`, performance.now())));
  const wrong = check.flatMap((o, i) => (o.error ? [`${list[i]!.name}: ${o.error}`] : []));
  if (wrong.length > 0) throw new Error(`unexpected answers before the load:\n  ${wrong.join('\n  ')}\n${server.stderr()}`);
  const warmup = await phase(server, agent, mix, WARMUP_RATE, WARMUP_SECONDS);
  const cacheBefore = await signatureCache(agent, server.port);
  const results: PhaseResult[] = [];
  for (const rate of RATES) results.push(await phase(server, agent, mix, rate, PHASE_SECONDS));
  const cacheAfter = await signatureCache(agent, server.port);
  // Warm means warm: the load phases must not have gone back to the registry.
  const cacheDuringLoad = Object.fromEntries(Object.entries(cacheAfter).map(([k, v]) => [k, v - (cacheBefore[k] ?? 0)]));
  const floor = await phase(server, agent, [HEALTHZ], 500, PHASE_SECONDS);
  agent.destroy();

  const errorCount = (r: PhaseResult) => Object.values(r.errors).reduce((s, n) => s + n, 0);
  printTable(
    `admission serve, ${policies.length} policies${signed ? ' + signature gate (docker-registry, warm cache)' : ''}, open-model load over HTTPS keep-alive, ${PHASE_SECONDS} s per rate, ${cpus().length} CPUs`,
    ['case', 'req/s', 'achieved', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors', 'in server: mean ms', '≤10 ms', 'server CPU ms/req', 'CPU % of a core', 'generator lag ms', 'load avg'],
    [...results.map((r) => ['admission mix', r] as const), ['floor: GET /healthz', floor] as const].map(([name, r]) => [
      name,
      String(r.rate),
      fmt(r.achievedPerSecond),
      fmt(r.latencyMs.p50, 2),
      fmt(r.latencyMs.p95, 2),
      fmt(r.latencyMs.p99, 2),
      fmt(r.latencyMs.max, 1),
      String(errorCount(r)),
      r.serverSide ? fmt(r.serverSide.meanMs, 2) : '-',
      r.serverSide ? `${fmt(r.serverSide.within10ms * 100, 1)}%` : '-',
      fmt(r.serverCpuMsPerRequest, 2),
      fmt(r.serverCpuPercentOfOneCore),
      fmt(r.generatorLagMaxMs, 1),
      `${fmt(r.loadAverage.before, 1)}→${fmt(r.loadAverage.after, 1)}`,
    ]),
  );
  if (signed) process.stdout.write(`signature cache during the load phases: ${JSON.stringify(cacheDuringLoad)}\n`);
  for (const r of results) if (errorCount(r) > 0) process.stdout.write(`errors at ${r.rate} req/s: ${JSON.stringify(r.errors)}\n`);
  const target = results.find((r) => r.rate === 500);
  const met = target !== undefined && target.latencyMs.p99 < 10 && errorCount(target) === 0;
  process.stdout.write(`target (p99 < 10 ms at 500 req/s, zero errors): ${met ? 'met' : 'MISSED'}\n`);
  saveResults('admission', {
    phaseSeconds: PHASE_SECONDS,
    cpus: cpus().length,
    policies,
    signatureGate: signed
      ? { registry: 'docker-registry on 127.0.0.1', images: Object.values(signed.images), signedWith: 'palisade sign (v3 bundle)', cacheDuringLoad }
      : 'skipped: docker-registry not installed',
    mix: list.map((x) => ({ name: x.name, path: x.path, weight: x.weight, allowed: x.allowed })),
    target: { p99Ms: 10, rate: 500, met },
    warmup,
    results,
    floor,
  });
} finally {
  await server?.stop();
  await signed?.registry.stop();
  rmSync(work, { recursive: true, force: true });
}
