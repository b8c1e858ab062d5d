/**
 * Helpers for webhook tests over real HTTPS on 127.0.0.1: a throwaway self-signed serving
 * certificate (openssl CLI), POST/GET with the response body, and AdmissionReview builders.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { request, type Agent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

/** A self-signed EC certificate for 127.0.0.1. */
export function selfSignedCertificate(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-tls-'));
  try {
    const made = spawnSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt')],
      { encoding: 'utf8' },
    );
    if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`);
    return { cert: readFileSync(join(dir, 'tls.crt'), 'utf8'), key: readFileSync(join(dir, 'tls.key'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Reply {
  status: number;
  body: string;
}

/** One request; a fresh connection unless `agent` (e.g. keep-alive) is given. */
export function post(port: number, path: string, body: string | Buffer, method = 'POST', agent: Agent | false = false): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method, rejectUnauthorized: false, agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export const get = (port: number, path: string) => post(port, path, '', 'GET');

export interface ResponseDoc {
  apiVersion: string;
  kind: string;
  response: {
    uid: string;
    allowed: boolean;
    status?: { code?: number; message?: string };
    warnings?: string[];
    patch?: string;
    patchType?: string;
    auditAnnotations?: Record<string, string>;
  };
}

type Json = Record<string, unknown>;

export function pod(name: string, opts: { namespace?: string; privileged?: boolean; labels?: Record<string, string>; annotations?: Record<string, string>; image?: string } = {}): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: opts.namespace ?? 'apps', ...(opts.labels && { labels: opts.labels }), ...(opts.annotations && { annotations: opts.annotations }) },
    spec: { containers: [{ name: 'app', image: opts.image ?? 'nginx:1.27', ...(opts.privileged !== undefined && { securityContext: { privileged: opts.privileged } }) }] },
  };
}

const GROUPS: Record<string, string> = { Deployment: 'apps', StatefulSet: 'apps', DaemonSet: 'apps', ReplicaSet: 'apps', Job: 'batch', CronJob: 'batch' };

/** Plural resource of a built-in kind (enough for the kinds the tests send). */
export function resourceOf(kind: string): string {
  return kind.toLowerCase() + 's';
}

/**
 * An AdmissionReview as the API server sends it for `object` (CREATE unless `extra` says
 * otherwise); `extra` overrides any request field (operation, oldObject, subResource, dryRun…).
 */
export function review(uid: string, object: Json | null, extra: Json = {}): string {
  const target = object ?? (extra.oldObject as Json | undefined) ?? {};
  const kind = String(target.kind ?? 'Pod');
  const group = GROUPS[kind] ?? '';
  const namespace = String((target.metadata as Json | undefined)?.namespace ?? 'apps');
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group, version: 'v1', kind },
      resource: { group, version: 'v1', resource: resourceOf(kind) },
      name: String((target.metadata as Json | undefined)?.name ?? ''),
      namespace,
      operation: 'CREATE',
      userInfo: { username: 'alice', groups: ['system:authenticated'] },
      object,
      oldObject: null,
      dryRun: false,
      ...extra,
    },
  });
}

export function decode(reply: Reply): ResponseDoc {
  if (reply.status !== 200) throw new Error(`HTTP ${reply.status}: ${reply.body}`);
  return JSON.parse(reply.body) as ResponseDoc;
}

export function patchOf(doc: ResponseDoc): unknown {
  return doc.response.patch === undefined ? undefined : JSON.parse(Buffer.from(doc.response.patch, 'base64').toString('utf8'));
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Starts `api` (a fake Kubernetes API server) on loopback and writes a kubeconfig for it into
 * `dir` (bearer `token`, TLS verification off); returns the kubeconfig's path.
 */
export async function loopbackKubeconfig(api: Server, dir: string, token = 't'): Promise<string> {
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: loop, cluster: {server: "http://127.0.0.1:${(api.address() as AddressInfo).port}", insecure-skip-tls-verify: true}}]`,
      `users: [{name: webhook, user: {token: ${token}}}]`,
      'contexts: [{name: loop, context: {cluster: loop, user: webhook}}]',
      'current-context: loop',
      '',
    ].join('\n'),
  );
  return kubeconfig;
}

/** Tears down a loopback-API fixture: the watcher, the webhook, the fake API server and `dir`. */
export async function closeLoopback(fixture: { watcher?: { close(): void }; server?: { close(): Promise<void> }; api?: Server; dir: string }): Promise<void> {
  fixture.watcher?.close();
  await fixture.server?.close();
  fixture.api?.closeAllConnections();
  fixture.api?.close();
  rmSync(fixture.dir, { recursive: true, force: true });
}
