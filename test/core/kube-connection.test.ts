/**
 * The one Kubernetes connection of the cluster audit (collectLive) and the admission webhook
 * (kubeConnection): both reject an unknown context by name, and each keeps its own message for a
 * kubeconfig without a server. And the requests over it, against a loopback server: the API's
 * Status message, a body that is not JSON, a server that does not answer.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeConnection } from '../../src/admission/kube.ts';
import { collectLive } from '../../src/cluster/live.ts';
import { PalisadeError } from '../../src/core/errors.ts';
import { connectKube, kubeJson, KubeHttpError, KubeNotJsonError } from '../../src/core/kube-connection.ts';

const dir = mkdtempSync(join(tmpdir(), 'palisade-kube-connection-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KUBECONFIG = join(dir, 'kubeconfig');
writeFileSync(
  KUBECONFIG,
  [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: loop',
    '  cluster: {server: "https://127.0.0.1:6443//", insecure-skip-tls-verify: true}',
    'users:',
    '- name: auditor',
    '  user: {token: "t0ken"}',
    'contexts:',
    '- name: loop',
    '  context: {cluster: loop, user: auditor}',
    '- name: serverless',
    '  context: {cluster: missing, user: auditor}',
    'current-context: loop',
    '',
  ].join('\n'),
);

async function rejection(promise: Promise<unknown>): Promise<PalisadeError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PalisadeError);
  return err as PalisadeError;
}

describe('connectKube', () => {
  it('gives the server without trailing slashes, the context, and request options carrying the credentials', async () => {
    const connection = await connectKube({ kubeconfig: KUBECONFIG, noServer: 'none' });
    expect(connection.server).toBe('https://127.0.0.1:6443');
    expect(connection.context).toBe('loop');
    const options = await connection.options();
    expect((options.headers as Record<string, string>).Authorization).toBe('Bearer t0ken');
  });

  it('rejects an unknown context by name, for the audit and for the webhook alike', async () => {
    for (const connect of [() => collectLive({ kubeconfig: KUBECONFIG, context: 'nope' }), () => kubeConnection(KUBECONFIG, 'nope')]) {
      const err = await rejection(connect());
      expect(err.code).toBe('USAGE');
      expect(err.message).toBe('context "nope" is not in the kubeconfig (contexts: loop, serverless)');
    }
  });

  it("says each caller's own words when the context has no server", async () => {
    const audit = await rejection(collectLive({ kubeconfig: KUBECONFIG, context: 'serverless' }));
    expect(audit.code).toBe('USAGE');
    expect(audit.message).toMatch(/^no cluster to audit: .*\(pass --kubeconfig, --context or --dump\)$/);
    const webhook = await rejection(kubeConnection(KUBECONFIG, 'serverless'));
    expect(webhook.code).toBe('USAGE');
    expect(webhook.message).toMatch(/^no Kubernetes API server: not in a cluster/);
  });

  // client-node makes up a context for http://localhost:8080 when it finds no configuration at all.
  it.skipIf(existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token'))("says the caller's own words when there is no configuration at all", async () => {
    const saved = { HOME: process.env.HOME, KUBECONFIG: process.env.KUBECONFIG };
    const home = join(dir, 'empty-home');
    mkdirSync(home, { recursive: true });
    process.env.HOME = home;
    delete process.env.KUBECONFIG;
    try {
      const err = await rejection(connectKube({ noServer: 'no cluster: pass --kubeconfig' }));
      expect(err.code).toBe('USAGE');
      expect(err.message).toBe('no cluster: pass --kubeconfig');
      // A kubeconfig that names that server itself is used as written.
      const local = join(dir, 'localhost');
      writeFileSync(local, 'apiVersion: v1\nclusters: [{name: cluster, cluster: {server: "http://localhost:8080", insecure-skip-tls-verify: true}}]\nusers: [{name: user, user: {}}]\ncontexts: [{name: loaded-context, context: {cluster: cluster, user: user}}]\ncurrent-context: loaded-context\n');
      expect((await connectKube({ kubeconfig: local, noServer: 'none' })).server).toBe('http://localhost:8080');
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('names a kubeconfig that cannot be read', async () => {
    const err = await rejection(kubeConnection(join(dir, 'missing')));
    expect(err.code).toBe('INPUT_UNREADABLE');
    expect(err.message).toContain(`cannot load the kubeconfig ${join(dir, 'missing')}`);
  });
});

describe('kubeJson', () => {
  let server: Server;
  let config = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/api/v1/pods') {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ kind: 'PodList', items: [], auth: req.headers.authorization }));
      } else if (req.url === '/api/v1/secrets') {
        res.writeHead(403, { 'Content-Type': 'application/json' }).end(JSON.stringify({ kind: 'Status', message: 'secrets is forbidden: User "t" cannot list resource "secrets"' }));
      } else if (req.url === '/api/v1/nodes') {
        res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>proxy login</html>');
      } else if (req.url === '/api/v1/configmaps') {
        // An error status whose body breaks off: the connection drops mid-answer.
        res.writeHead(500, { 'Content-Type': 'application/json', 'Content-Length': '1000' });
        res.write('{"kind": "Status", "mess', () => res.socket?.destroy());
      } else if (req.url === '/api/v1/services') {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '1000' });
        res.write('{"kind": "ServiceList", "ite', () => res.socket?.destroy());
      }
      // Anything else: no answer.
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    config = join(dir, 'loopback');
    writeFileSync(
      config,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: loop',
        // client-node refuses plain HTTP unless TLS verification is explicitly off.
        `  cluster: {server: "http://127.0.0.1:${(server.address() as AddressInfo).port}", insecure-skip-tls-verify: true}`,
        'users:',
        '- name: u',
        '  user: {token: "t0ken"}',
        'contexts:',
        '- name: loop',
        '  context: {cluster: loop, user: u}',
        'current-context: loop',
        '',
      ].join('\n'),
    );
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('sends the credentials and parses the answer', async () => {
    const connection = await connectKube({ kubeconfig: config, noServer: 'none' });
    expect(await kubeJson(connection, '/api/v1/pods', { timeoutMs: 5000 })).toEqual({ kind: 'PodList', items: [], auth: 'Bearer t0ken' });
  });

  it("rejects a status other than 2xx with the API's message, and a body that is not JSON", async () => {
    const connection = await connectKube({ kubeconfig: config, noServer: 'none' });
    const forbidden = await kubeJson(connection, '/api/v1/secrets', { timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(forbidden).toBeInstanceOf(KubeHttpError);
    expect(forbidden).toMatchObject({ status: 403, apiMessage: 'secrets is forbidden: User "t" cannot list resource "secrets"' });
    expect((forbidden as Error).message).toBe('GET /api/v1/secrets: HTTP 403: secrets is forbidden: User "t" cannot list resource "secrets"');
    const html = await kubeJson(connection, '/api/v1/nodes', { timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(html).toBeInstanceOf(KubeNotJsonError);
    expect((html as Error).message).toBe('/api/v1/nodes: the response is not JSON');
  });

  it('rejects an answer whose body breaks off, error status or not (no hang)', async () => {
    const connection = await connectKube({ kubeconfig: config, noServer: 'none' });
    const broken = await kubeJson(connection, '/api/v1/configmaps', { timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(broken).toBeInstanceOf(Error);
    expect((broken as Error).message).toMatch(/^GET \/api\/v1\/configmaps: HTTP 500: /);
    expect(await kubeJson(connection, '/api/v1/services', { timeoutMs: 5000 }).catch((e: unknown) => e)).toBeInstanceOf(Error);
  });

  it('gives up on a server that does not answer, with code ETIMEDOUT', async () => {
    const connection = await connectKube({ kubeconfig: config, noServer: 'none' });
    const silent = await kubeJson(connection, '/api/v1/silent', { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(silent).toMatchObject({ code: 'ETIMEDOUT', message: 'no answer within 200 ms' });
  });
});
