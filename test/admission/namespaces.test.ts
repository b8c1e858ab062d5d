/**
 * namespaceSelector in the webhook: the built-in `kubernetes.io/metadata.name` label without API
 * access, and real labels from Namespaces listed and watched through a loopback API server.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeConnection } from '../../src/admission/kube.ts';
import { jsonLog } from '../../src/admission/log.ts';
import { NamespaceWatcher } from '../../src/admission/namespaces.ts';
import { loadAdmissionPolicies, type AdmissionPolicySet } from '../../src/admission/policy-set.ts';
import { startAdmissionServer, type AdmissionServer } from '../../src/admission/server.ts';
import { decode, eventually, hasOpenssl, pod, post, review, selfSignedCertificate, closeLoopback, loopbackKubeconfig } from './https.ts';

const POLICIES = join(import.meta.dirname, '../fixtures/admission-namespaces');

const latest = (namespace: string) => review(`l-${namespace}`, pod('p', { namespace, image: 'nginx:latest' }));
const hostNetwork = (namespace: string, uid: string) => review(uid, { ...pod('h', { namespace }), spec: { hostNetwork: true, containers: [{ name: 'app', image: 'nginx:1.27' }] } });

describe.skipIf(!hasOpenssl)('namespace labels for namespaceSelector', () => {
  const tls = hasOpenssl ? selfSignedCertificate() : { cert: '', key: '' };
  let set: AdmissionPolicySet;

  beforeAll(async () => {
    set = await loadAdmissionPolicies([POLICIES]);
  });

  it('match the built-in name label without API access', async () => {
    const server = await startAdmissionServer({ policies: set.classic, cel: set, ...tls, port: 0, host: '127.0.0.1' });
    try {
      const prod = decode(await post(server.port, '/validate', latest('prod'))).response;
      expect(prod.allowed).toBe(false);
      expect(prod.status?.message).toBe('policy prod-by-name-no-latest: no latest tags in prod');
      expect(decode(await post(server.port, '/validate', latest('dev'))).response.allowed).toBe(true);
      // A label only the cluster knows cannot match: the policy does not apply (documented limit).
      expect(decode(await post(server.port, '/validate', hostNetwork('shop', 'h0'))).response.allowed).toBe(true);
    } finally {
      await server.close();
    }
  });

  describe('with Namespaces watched through the API', () => {
    let api: Server;
    let dir: string;
    let watch: ServerResponse | undefined;
    let watcher: NamespaceWatcher;
    let server: AdmissionServer;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'palisade-namespaces-'));
      api = createServer((req, res) => {
        const url = new URL(req.url ?? '/', 'http://x');
        if (url.pathname !== '/api/v1/namespaces') {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        if (url.searchParams.get('watch') === '1') {
          res.flushHeaders();
          watch = res;
          return;
        }
        res.end(JSON.stringify({ kind: 'NamespaceList', metadata: { resourceVersion: '5' }, items: [{ metadata: { name: 'shop', resourceVersion: '4', labels: { security: 'restricted' } } }, { metadata: { name: 'lab', resourceVersion: '3' } }] }));
      });
      const kubeconfig = await loopbackKubeconfig(api, dir);
      watcher = new NamespaceWatcher({ connection: await kubeConnection(kubeconfig), log: jsonLog(process.stderr, 'error') });
      await watcher.start();
      server = await startAdmissionServer({ policies: set.classic, cel: set, namespaceLabels: watcher.labels, ...tls, port: 0, host: '127.0.0.1' });
    });

    afterAll(() => closeLoopback({ watcher, server, api, dir }));

    it('match the labels the cluster gives the namespace, and follow relabelling', async () => {
      const shop = decode(await post(server.port, '/validate', hostNetwork('shop', 'h1'))).response;
      expect(shop.allowed).toBe(false);
      expect(shop.status?.message).toContain('policy restricted-namespaces-no-host-network rule no-host-network');
      expect(decode(await post(server.port, '/validate', hostNetwork('lab', 'h2'))).response.allowed).toBe(true);
      // The built-in name label is still there next to the cluster's labels.
      expect(decode(await post(server.port, '/validate', latest('prod'))).response.allowed).toBe(false);
      await eventually(() => watch !== undefined, 5000, 'the namespace watch');
      watch!.write(JSON.stringify({ type: 'MODIFIED', object: { metadata: { name: 'lab', resourceVersion: '6', labels: { security: 'restricted' } } } }) + '\n');
      await eventually(async () => decode(await post(server.port, '/validate', hostNetwork('lab', 'h3'))).response.allowed === false, 5000, 'the relabelled namespace');
    });
  });
});
