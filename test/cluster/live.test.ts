/**
 * The live path against a loopback HTTP server that answers the list endpoints like an API server:
 * bearer-token check, pagination with `continue`, 403 on some lists, 404 on one, list items
 * without apiVersion/kind; a kubeconfig with two contexts pointing at it; and an unreachable
 * server. Also the CLI end to end over the same server and over a dump.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditCluster } from '../../src/cluster/audit.ts';
import { collectLive } from '../../src/cluster/live.ts';
import { repoRoot } from '../helpers/corpus.ts';

const TOKEN = 'test-token-123';
const dir = mkdtempSync(join(tmpdir(), 'palisade-cluster-live-'));
const requests: string[] = [];
let server: Server;
let port = 0;

const FORBIDDEN = new Set(['/apis/rbac.authorization.k8s.io/v1/clusterroles', '/api/v1/secrets']);
const NOT_SERVED = new Set(['/apis/batch/v1/cronjobs']);

const pods = [
  { metadata: { name: 'web-1', namespace: 'shop' }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] }, status: { containerStatuses: [{ name: 'web', imageID: `docker.io/library/nginx@sha256:${'c'.repeat(64)}` }] } },
  { metadata: { name: 'web-2', namespace: 'shop' }, spec: { containers: [{ name: 'web', image: 'nginx:1.27', securityContext: { privileged: true } }] } },
  { metadata: { name: 'db-0', namespace: 'data' }, spec: { containers: [{ name: 'db', image: 'postgres:16' }] } },
];
const lists: Record<string, unknown[]> = {
  '/api/v1/namespaces': [{ metadata: { name: 'shop', labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } }, { metadata: { name: 'data' } }],
  '/api/v1/pods': pods,
  '/api/v1/configmaps': [{ metadata: { name: 'settings', namespace: 'shop' }, data: { password: 'hunter2-is-not-for-you' } }],
  '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings': [
    { metadata: { name: 'ops' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'User', name: 'ops@example.com' }] },
  ],
  '/apis/rbac.authorization.k8s.io/v1/rolebindings': [
    { metadata: { name: 'editors', namespace: 'shop' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'editor' }, subjects: [{ kind: 'User', name: 'dev@example.com' }] },
  ],
  '/apis/rbac.authorization.k8s.io/v1/roles': [
    { metadata: { name: 'editor', namespace: 'shop' }, rules: [{ apiGroups: [''], resources: ['pods', 'pods/exec'], verbs: ['create', 'get'] }] },
  ],
};

function kubeconfig(server: string, token = TOKEN): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: loop`,
    // client-node refuses plain HTTP unless TLS verification is explicitly off.
    `  cluster: {server: "${server}", insecure-skip-tls-verify: true}`,
    `- name: other`,
    `  cluster: {server: "http://127.0.0.1:1", insecure-skip-tls-verify: true}`,
    'users:',
    `- name: auditor`,
    `  user: {token: "${token}"}`,
    'contexts:',
    '- name: loop',
    '  context: {cluster: loop, user: auditor}',
    '- name: dead',
    '  context: {cluster: other, user: auditor}',
    'current-context: dead',
    '',
  ].join('\n');
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { kind: 'Status', status: 'Failure', message: 'Unauthorized', code: 401 });
    if (req.method !== 'GET') return send(405, { kind: 'Status', message: 'read-only test server' });
    if (FORBIDDEN.has(url.pathname)) {
      const resource = url.pathname.split('/').at(-1);
      return send(403, { kind: 'Status', status: 'Failure', message: `${resource} is forbidden: User "auditor" cannot list resource "${resource}" at the cluster scope`, reason: 'Forbidden', code: 403 });
    }
    if (NOT_SERVED.has(url.pathname)) return send(404, { kind: 'Status', status: 'Failure', message: 'the server could not find the requested resource', code: 404 });
    const items = lists[url.pathname] ?? [];
    // Pages of 2, with an opaque continue token.
    const limit = Number(url.searchParams.get('limit') ?? 500);
    const start = Number(url.searchParams.get('continue') ?? 0);
    const page = items.slice(start, start + limit);
    const next = start + limit < items.length ? String(start + limit) : '';
    send(200, { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '42', ...(next && { continue: next }) }, items: page });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  writeFileSync(join(dir, 'kubeconfig'), kubeconfig(`http://127.0.0.1:${port}`));
  writeFileSync(join(dir, 'bad-token'), kubeconfig(`http://127.0.0.1:${port}`, 'wrong'));
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

describe('collectLive', () => {
  it('lists every resource read-only, follows continue tokens, records 403 and 404', async () => {
    requests.length = 0;
    const snap = await collectLive({ kubeconfig: join(dir, 'kubeconfig'), context: 'loop', pageSize: 2 });
    expect(snap.source).toEqual({ kind: 'live', server: `http://127.0.0.1:${port}`, context: 'loop' });
    expect(requests.every((r) => r.startsWith('GET '))).toBe(true);
    expect(requests).toContain('GET /api/v1/pods?limit=2');
    expect(requests).toContain('GET /api/v1/pods?limit=2&continue=2');
    expect(snap.coverage.get('pods')).toEqual({ resource: 'pods', status: 'ok', count: 3 });
    expect(snap.coverage.get('clusterroles')).toMatchObject({ status: 'forbidden', message: expect.stringContaining('HTTP 403: clusterroles is forbidden') as unknown as string });
    expect(snap.coverage.get('secrets')?.status).toBe('forbidden');
    expect(snap.coverage.get('cronjobs')?.status).toBe('not-served');
    const pod = snap.objects.find((o) => o.name === 'web-2')!;
    expect([pod.apiVersion, pod.kind, pod.namespace, pod.path, pod.line]).toEqual(['v1', 'Pod', 'shop', 'Pod/shop/web-2', 0]);
    // ConfigMap values are not kept: names and keys only.
    expect(snap.objects.find((o) => o.kind === 'ConfigMap')!.object.data).toEqual({ password: '' });
  });

  it('reports forbidden lists as incomplete parts of the report, not as empty ones', async () => {
    const report = await auditCluster(await collectLive({ kubeconfig: join(dir, 'kubeconfig'), context: 'loop' }), { createdAt: '2025-01-01T00:00:00Z' });
    const rbac = report.areas.find((a) => a.area === 'rbac')!;
    expect(rbac.status).toBe('incomplete');
    expect(rbac.missing.map((m) => `${m.resource}:${m.status}`)).toEqual(['clusterroles:forbidden']);
    expect(report.incomplete[0]).toMatch(/^clusterroles: forbidden \(HTTP 403/);
    // The cluster-admin ClusterRole could not be read: the binding to it is not called dangling,
    // and nothing is claimed about what it grants.
    expect(report.findings.filter((f) => f.area === 'rbac').map((f) => `${f.id} ${f.subject.name}`).sort()).toEqual([
      'PAL-RBAC-005 dev@example.com',
      'PAL-RBAC-006 dev@example.com',
    ]);
    // Live objects have no file: findings carry no locations.
    expect(report.findings.every((f) => f.locations.length === 0)).toBe(true);
    expect(report.findings.some((f) => f.id === 'PAL-K8S-001' && f.subject.name === 'web-2')).toBe(true);
    expect(report.inventory.images.find((i) => i.image === 'nginx:1.27')!.digests).toEqual([`sha256:${'c'.repeat(64)}`]);
  });

  it('records an unreachable server for every list, without waiting for each', async () => {
    const snap = await collectLive({ kubeconfig: join(dir, 'kubeconfig'), timeoutMs: 2000 });
    const statuses = new Set([...snap.coverage.values()].map((c) => c.status));
    expect(statuses).toEqual(new Set(['unreachable']));
    expect(snap.coverage.get('pods')!.message).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1: ECONNREFUSED/);
  });

  it('reports rejected credentials per list', async () => {
    const snap = await collectLive({ kubeconfig: join(dir, 'bad-token'), context: 'loop' });
    expect(snap.coverage.get('pods')).toMatchObject({ status: 'forbidden', message: 'HTTP 401: Unauthorized' });
  });

  it('refuses an unknown context, an unreadable kubeconfig and unusable credentials', async () => {
    writeFileSync(join(dir, 'http-strict'), kubeconfig(`http://127.0.0.1:${port}`).replaceAll(', insecure-skip-tls-verify: true', ''));
    await expect(collectLive({ kubeconfig: join(dir, 'http-strict'), context: 'loop' })).rejects.toThrow(/cannot use the kubeconfig for http:\/\/127\.0\.0\.1:\d+ \(context loop\): HTTP protocol is not allowed/);
    await expect(collectLive({ kubeconfig: join(dir, 'kubeconfig'), context: 'nope' })).rejects.toThrow(/context "nope" is not in the kubeconfig \(contexts: loop, dead\)/);
    await expect(collectLive({ kubeconfig: join(dir, 'missing') })).rejects.toThrow(/cannot load the kubeconfig/);
  });
});

function palisade(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'src/cli/main.ts'), ...args], { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('palisade cluster (CLI)', () => {
  it('audits the live server, warns that the report is incomplete and marks it', async () => {
    const r = await palisade('cluster', 'audit', '--kubeconfig', join(dir, 'kubeconfig'), '--context', 'loop', '--format', 'json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/clusterroles: forbidden/);
    expect(r.stderr).toMatch(/the report is incomplete/);
    const report = JSON.parse(r.stdout) as { source: { kind: string }; areas: { area: string; status: string }[] };
    expect(report.source.kind).toBe('live');
    expect(report.areas.find((a) => a.area === 'rbac')!.status).toBe('incomplete');
  });

  it('exits 2 with a clear message when the API server is unreachable', async () => {
    const r = await palisade('cluster', 'audit', '--kubeconfig', join(dir, 'kubeconfig'), '--context', 'dead', '--timeout', '2');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: cannot audit: cannot reach http:\/\/127\.0\.0\.1:1: ECONNREFUSED/);
    expect(r.stdout).toBe('');
  });

  it('answers who-can from the live server', async () => {
    const r = await palisade('cluster', 'who-can', 'create', 'pods/exec', '-n', 'shop', '--kubeconfig', join(dir, 'kubeconfig'), '--context', 'loop', '--json');
    expect(r.code, r.stderr).toBe(0);
    const answer = JSON.parse(r.stdout) as { subjects: { name: string }[]; incomplete: string[] };
    expect(answer.subjects.map((s) => s.name)).toEqual(['dev@example.com']);
    expect(answer.incomplete[0]).toMatch(/^clusterroles: forbidden/);
  });

  it('audits a dump with --severity and --exit-code, and rejects bad flag combinations', async () => {
    const dump = join(repoRoot, 'test/fixtures/cluster/basic');
    const r = await palisade('cluster', 'audit', '--dump', dump, '--severity', 'CRITICAL', '--exit-code', '4', '--format', 'sarif');
    expect(r.code).toBe(4);
    const sarif = JSON.parse(r.stdout) as { runs: { results: { ruleId: string }[] }[] };
    expect([...new Set(sarif.runs[0]!.results.map((x) => x.ruleId))].sort()).toEqual(['PAL-RBAC-001', 'PAL-RBAC-002', 'PAL-RBAC-008']);
    expect((await palisade('cluster', 'audit', '--dump', dump, '--context', 'x')).code).toBe(2);
    expect((await palisade('cluster', 'audit', '--dump', dump, '--verify-signatures')).stderr).toMatch(/needs --key/);
    const stray = await palisade('cluster', 'audit', '--dump', dump, '--insecure-ignore-tlog');
    expect(stray.code).toBe(2);
    expect(stray.stderr).toMatch(/are for --verify-signatures/);
  });
});

describe('palisade cluster audit --images', () => {
  it('catalogues each image and matches it against the vulnerability database', async () => {
    // A root filesystem stands in for a registry image: the same catalogue and match path, no network.
    const db = join(dir, 'vuln.db');
    const imported = await palisade('db', 'import', join(repoRoot, 'examples/osv'), '--db', db);
    expect(imported.code, imported.stderr).toBe(0);
    const image = `rootfs:${join(repoRoot, 'examples/storefront')}`;
    writeFileSync(join(dir, 'pods.yaml'), `apiVersion: v1\nkind: Pod\nmetadata: {name: app, namespace: demo}\nspec:\n  containers:\n  - name: app\n    image: "${image}"\n`);
    const r = await palisade('cluster', 'audit', '--dump', join(dir, 'pods.yaml'), '--images', '--db', db, '--format', 'json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      inventory: { images: { image: string; byTag: boolean; packages?: number; vulnerabilities?: Record<string, number> }[]; packages?: { purl: string; images: string[] }[] };
      findings: { id: string; subject: { name: string } }[];
    };
    const scanned = report.inventory.images[0]!;
    expect(scanned.image).toBe(image);
    expect(scanned.byTag).toBe(true);
    expect(scanned.packages).toBeGreaterThan(10);
    expect(scanned.vulnerabilities!.HIGH! + scanned.vulnerabilities!.CRITICAL!).toBeGreaterThan(0);
    expect(report.inventory.packages!.find((p) => p.purl === 'pkg:npm/lodash@4.17.20')!.images).toEqual([image]);
    expect(report.findings.some((f) => f.id === 'PAL-IMG-002' && f.subject.name === image)).toBe(true);
  });
});
