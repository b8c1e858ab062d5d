/**
 * `palisade admission manifests`: every object of the generated deployment against what an admission
 * webhook needs (kinds, webhook settings, certificates that chain and name the Service, a Pod spec that
 * passes Palisade's own Pod Security and misconfiguration checks), deploy/admission kept in sync, and
 * `admission serve` started with the generated certificate, reached with the generated CA as the only
 * trust root.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KEY_MATERIAL_PLACEHOLDER, redactKeyMaterial } from '../../src/admission/manifests/index.ts';
import { main } from '../../src/cli/main.ts';
import { checkManifests } from '../../src/misconfig/k8s/index.ts';
import { parseManifests, type Manifest } from '../../src/misconfig/manifests.ts';
import { checkPodSecurity } from '../../src/policy/podsecurity/index.ts';
import { repoRoot } from '../helpers/corpus.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- walking parsed YAML

const DIGEST_IMAGE = `ghcr.io/palisade/palisade@sha256:${'ab'.repeat(32)}`;
const work = mkdtempSync(join(tmpdir(), 'palisade-manifests-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function palisade(args: string[]) {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    const code = await main(['node', 'palisade', ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

interface Generated {
  dir: string;
  files: Record<string, string>;
  manifests: Manifest[];
  /** The one object of this kind (and name, when several share the kind). */
  one(kind: string, name?: string): Json;
}

let runs = 0;
async function generate(args: string[]): Promise<Generated> {
  const dir = join(work, `out-${++runs}`);
  const r = await palisade(['admission', 'manifests', '--output', dir, ...args]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toBe('');
  const files: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) files[name] = readFileSync(join(dir, name), 'utf8');
  const manifests = Object.entries(files).flatMap(([name, text]) => {
    const parsed = parseManifests(text, name);
    expect(parsed.issues).toEqual([]);
    return parsed.manifests;
  });
  const one = (kind: string, name?: string): Json => {
    const found = manifests.filter((m) => m.kind === kind && (name === undefined || m.name === name));
    expect(found.map((m) => m.name), `${kind} ${name ?? ''}`).toHaveLength(1);
    return found[0]!.object;
  };
  return { dir, files, manifests, one };
}

const pem = (base64: string) => Buffer.from(base64, 'base64').toString('utf8');

describe('palisade admission manifests (defaults)', () => {
  let g: Generated;
  beforeAll(async () => {
    g = await generate(['--image', DIGEST_IMAGE]);
  });

  it('writes one file per concern, in the order kubectl must apply them', () => {
    const kinds = (file: string) => g.manifests.filter((m) => m.path === file).map((m) => m.kind);
    expect(Object.keys(g.files)).toEqual(['00-namespace.yaml', '10-rbac.yaml', '20-policies.yaml', '30-tls.yaml', '40-server.yaml', '50-webhooks.yaml']);
    expect(kinds('00-namespace.yaml')).toEqual(['Namespace']);
    expect(kinds('10-rbac.yaml')).toEqual(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding']);
    expect(kinds('20-policies.yaml')).toEqual(['ConfigMap']);
    expect(kinds('30-tls.yaml')).toEqual(['Secret']);
    expect(kinds('40-server.yaml')).toEqual(['Service', 'Deployment', 'PodDisruptionBudget', 'NetworkPolicy']);
    expect(kinds('50-webhooks.yaml')).toEqual(['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']);
    for (const m of g.manifests.filter((m) => !['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'].includes(m.kind))) {
      expect(m.namespace, `${m.kind} ${m.name}`).toBe('palisade-system');
    }
    // Only the owner can read the file holding the private key.
    expect(statSync(join(g.dir, '30-tls.yaml')).mode & 0o777).toBe(0o600);
  });

  it('registers both webhooks failing closed, for pods, pod controllers and ephemeral containers, outside exempt namespaces', () => {
    for (const [kind, path] of [
      ['ValidatingWebhookConfiguration', '/validate'],
      ['MutatingWebhookConfiguration', '/mutate'],
    ] as const) {
      const webhooks = g.one(kind).webhooks as Json[];
      expect(webhooks).toHaveLength(1);
      const w = webhooks[0]!;
      expect(w).toMatchObject({
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Fail',
        matchPolicy: 'Equivalent',
        timeoutSeconds: 10,
        clientConfig: { service: { name: 'palisade-admission', namespace: 'palisade-system', path, port: 443 } },
        namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'palisade-system'] }] },
        objectSelector: {},
      });
      const covered = (w.rules as Json[]).flatMap((r) => {
        expect(r.operations).toEqual(['CREATE', 'UPDATE']);
        expect(r.scope).toBe('Namespaced');
        return (r.resources as string[]).map((res) => `${(r.apiGroups as string[])[0]}/${(r.apiVersions as string[])[0]}/${res}`);
      });
      expect(covered.sort()).toEqual(
        ['/v1/pods', '/v1/pods/ephemeralcontainers', '/v1/replicationcontrollers', 'apps/v1/daemonsets', 'apps/v1/deployments', 'apps/v1/replicasets', 'apps/v1/statefulsets', 'batch/v1/cronjobs', 'batch/v1/jobs'].sort(),
      );
    }
    expect((g.one('MutatingWebhookConfiguration').webhooks as Json[])[0]!.reinvocationPolicy).toBe('IfNeeded');
  });

  it('fills caBundle with the CA that signed a serving certificate naming the Service', () => {
    const secret = g.one('Secret');
    expect(secret.type).toBe('kubernetes.io/tls');
    const caBundle = (g.one('ValidatingWebhookConfiguration').webhooks as Json[])[0]!.clientConfig.caBundle as string;
    expect((g.one('MutatingWebhookConfiguration').webhooks as Json[])[0]!.clientConfig.caBundle).toBe(caBundle);
    expect(secret.data['ca.crt']).toBe(caBundle);

    const ca = new X509Certificate(pem(caBundle));
    const serving = new X509Certificate(pem(secret.data['tls.crt']));
    expect(ca.ca).toBe(true);
    expect(serving.ca).toBe(false);
    expect(serving.checkIssued(ca)).toBe(true);
    expect(serving.verify(ca.publicKey)).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(serving.subjectAltName).toBe('DNS:palisade-admission.palisade-system.svc, DNS:palisade-admission.palisade-system.svc.cluster.local');
    expect(serving.checkHost('palisade-admission.palisade-system.svc')).toBe('palisade-admission.palisade-system.svc');
    expect(serving.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']); // serverAuth
    expect(serving.checkPrivateKey(createPrivateKey(pem(secret.data['tls.key'])))).toBe(true);
    const days = (Date.parse(serving.validTo) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(364);
    expect(days).toBeLessThanOrEqual(365);
    expect(Date.parse(serving.validFrom)).toBeLessThanOrEqual(Date.now());
    expect(serving.serialNumber).not.toBe(ca.serialNumber);
  });

  it('runs 3 spread replicas behind a PodDisruptionBudget and a Service 443 -> 8443', () => {
    const deployment = g.one('Deployment');
    const pod = deployment.spec.template;
    const podLabels = pod.metadata.labels as Record<string, string>;
    const [container] = pod.spec.containers as Json[];
    expect(deployment.spec.replicas).toBe(3);
    expect(pod.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm).toEqual({
      topologyKey: 'kubernetes.io/hostname',
      labelSelector: { matchLabels: deployment.spec.selector.matchLabels },
    });
    expect(podLabels).toMatchObject(deployment.spec.selector.matchLabels);
    expect(podLabels).toMatchObject(g.one('PodDisruptionBudget').spec.selector.matchLabels);
    expect(g.one('PodDisruptionBudget').spec.maxUnavailable).toBe(1);

    const service = g.one('Service');
    expect(podLabels).toMatchObject(service.spec.selector);
    expect(service.spec.ports).toEqual([{ name: 'https', protocol: 'TCP', port: 443, targetPort: 'https' }]);
    expect(container!.ports).toEqual([{ name: 'https', containerPort: 8443, protocol: 'TCP' }]);
    expect(container!.args).toContain('--port=8443');
    expect(container!.args).toContain('--timeout=10');

    expect(container!.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'https', scheme: 'HTTPS' });
    expect(container!.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'https', scheme: 'HTTPS' });
    expect(container!.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '384Mi' } });
    expect(container!.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(g.one('NetworkPolicy').spec.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 8443 }] }]);
  });

  it('mounts what the server arguments name', () => {
    const pod = g.one('Deployment').spec.template.spec;
    const [container] = pod.containers as Json[];
    const mounts = new Map((container!.volumeMounts as Json[]).map((m) => [m.mountPath as string, m.name as string]));
    const volumes = new Map((pod.volumes as Json[]).map((v) => [v.name as string, v]));
    const arg = (flag: string) => (container!.args as string[]).find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
    expect(volumes.get(mounts.get('/etc/palisade/tls')!)!.secret.secretName).toBe(g.one('Secret').metadata.name);
    expect(arg('--tls-cert')).toBe('/etc/palisade/tls/tls.crt');
    expect(arg('--tls-key')).toBe('/etc/palisade/tls/tls.key');
    expect(arg('--policies')).toBe('/etc/palisade/policies');
    expect(volumes.get(mounts.get('/etc/palisade/policies')!)!.configMap.name).toBe(g.one('ConfigMap').metadata.name);
    expect(arg('--key')).toBeUndefined();
    expect(container!.args).not.toContain('--insecure-ignore-tlog');
    expect(container!.args).not.toContain('--watch-cluster-policies');
    expect(container!.args.some((a: string) => a.startsWith('--policy-reports'))).toBe(false);
    expect(container!.env).toEqual([
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ]);
    // The token is mounted explicitly (projected, expiring), not by automount.
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe(g.one('ServiceAccount').metadata.name);
    expect(volumes.get(mounts.get('/var/run/secrets/kubernetes.io/serviceaccount')!)!.projected.sources[0].serviceAccountToken.path).toBe('token');
  });

  it('grants read-only access to Kyverno policies and Namespaces and create/update of PolicyReports, nothing else', () => {
    const rules = g.one('ClusterRole').rules as Json[];
    const byGroup = Object.fromEntries(rules.map((r) => [(r.apiGroups as string[]).join(','), r]));
    expect(Object.keys(byGroup).sort()).toEqual(['', 'kyverno.io', 'policies.kyverno.io', 'wgpolicyk8s.io']);
    expect(byGroup['']).toEqual({ apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] });
    expect(byGroup['kyverno.io']!.resources).toEqual(expect.arrayContaining(['clusterpolicies', 'policies']));
    for (const group of ['kyverno.io', 'policies.kyverno.io']) expect(byGroup[group]!.verbs).toEqual(['get', 'list', 'watch']);
    expect(byGroup['policies.kyverno.io']!.resources).toEqual(expect.arrayContaining(['validatingpolicies', 'imagevalidatingpolicies', 'mutatingpolicies']));
    expect(byGroup['wgpolicyk8s.io']!.resources).toEqual(['policyreports', 'clusterpolicyreports']);
    expect(byGroup['wgpolicyk8s.io']!.verbs).toEqual(['create', 'update']);
    expect(rules.flatMap((r) => [...r.resources, ...r.verbs])).not.toContain('*');
    expect(g.one('ClusterRoleBinding')).toMatchObject({
      roleRef: { kind: 'ClusterRole', name: 'palisade-admission' },
      subjects: [{ kind: 'ServiceAccount', name: 'palisade-admission', namespace: 'palisade-system' }],
    });
  });

  it("passes Palisade's own Pod Security (restricted) and misconfiguration checks", () => {
    const result = checkPodSecurity(g.one('Deployment'), 'restricted');
    expect(result.violations).toEqual([]);
    const checked = checkManifests(g.manifests);
    expect(checked.issues).toEqual([]);
    expect(checked.hits.map((h) => `${h.check.id} ${h.object.kind}: ${h.message}`)).toEqual([]);
  });

  it('ships Pod Security baseline (Enforce) and restricted (Audit) by default', () => {
    const data = g.one('ConfigMap').data as Record<string, string>;
    expect(Object.keys(data)).toEqual(['pod-security-baseline.yaml', 'pod-security-restricted.yaml']);
    expect(data['pod-security-baseline.yaml']).toContain('validationFailureAction: Enforce');
    expect(data['pod-security-restricted.yaml']).toContain('validationFailureAction: Audit');
  });
});

describe('palisade admission manifests flags', () => {
  it('applies --name, --namespace, --replicas, --timeout, --failure-policy and --cert-validity-days everywhere', async () => {
    const g = await generate(['--name', 'gate', '--namespace', 'security', '--replicas', '5', '--timeout', '4', '--failure-policy', 'Ignore', '--cert-validity-days', '30']);
    const deployment = g.one('Deployment');
    expect(deployment.metadata).toMatchObject({ name: 'gate', namespace: 'security' });
    expect(deployment.spec.replicas).toBe(5);
    expect(deployment.spec.template.spec.containers[0].args).toContain('--timeout=4');
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
      const w = (g.one(kind).webhooks as Json[])[0]!;
      expect(w).toMatchObject({ failurePolicy: 'Ignore', timeoutSeconds: 4, clientConfig: { service: { name: 'gate', namespace: 'security' } } });
      expect(w.namespaceSelector.matchExpressions[0].values).toEqual(['kube-system', 'security']);
    }
    const serving = new X509Certificate(pem(g.one('Secret').data['tls.crt']));
    expect(serving.subjectAltName).toBe('DNS:gate.security.svc, DNS:gate.security.svc.cluster.local');
    expect((Date.parse(serving.validTo) - Date.now()) / 86_400_000).toBeCloseTo(30, 0);
    expect(g.one('Namespace').metadata.name).toBe('security');
  });

  it('ships --policies files and --key public keys, wired to the server arguments', async () => {
    const keyFile = join(work, 'cosign.pub');
    writeFileSync(keyFile, generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }));
    const policies = join(repoRoot, 'test/fixtures/admission/policies.yaml');
    const g = await generate(['--policies', policies, '--key', keyFile, '--insecure-ignore-tlog', '--watch-cluster-policies', '--policy-reports']);
    expect(g.one('ConfigMap', 'palisade-admission-policies').data).toEqual({ 'policies.yaml': readFileSync(policies, 'utf8') });
    expect(g.one('ConfigMap', 'palisade-admission-keys').data).toEqual({ 'cosign.pub': readFileSync(keyFile, 'utf8') });
    const pod = g.one('Deployment').spec.template.spec;
    expect(pod.containers[0].args).toContain('--key=/etc/palisade/keys/cosign.pub');
    expect(pod.containers[0].args).toContain('--insecure-ignore-tlog');
    expect(pod.containers[0].args).toContain('--watch-cluster-policies');
    expect(pod.containers[0].args).toContain('--policy-reports=cluster');
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'keys', mountPath: '/etc/palisade/keys', readOnly: true });
    expect(pod.volumes).toContainEqual(expect.objectContaining({ name: 'keys', configMap: expect.objectContaining({ name: 'palisade-admission-keys' }) }));
  });

  it('keeps the previous CA in caBundle (--previous-ca), so the old and the new serving certificate both verify during a rotation', async () => {
    const first = await generate([]);
    const oldCa = pem(first.one('Secret').data['ca.crt']);
    const oldServing = new X509Certificate(pem(first.one('Secret').data['tls.crt']));
    const caFile = join(work, 'old-ca.crt');
    writeFileSync(caFile, oldCa);
    const second = await generate(['--previous-ca', caFile]);
    const newCa = pem(second.one('Secret').data['ca.crt']);
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
      expect(pem((second.one(kind).webhooks as Json[])[0]!.clientConfig.caBundle)).toBe(newCa + oldCa);
    }
    const newServing = new X509Certificate(pem(second.one('Secret').data['tls.crt']));
    expect(newServing.verify(new X509Certificate(newCa).publicKey)).toBe(true);
    expect(oldServing.verify(new X509Certificate(oldCa).publicKey)).toBe(true);
    expect(newServing.verify(new X509Certificate(oldCa).publicKey)).toBe(false);

    const leaf = join(work, 'leaf.crt');
    writeFileSync(leaf, pem(first.one('Secret').data['tls.crt']));
    const notCa = await palisade(['admission', 'manifests', '--previous-ca', leaf]);
    expect(notCa.code).toBe(2);
    expect(notCa.stderr).toMatch(/leaf\.crt: PEM block 1 \(CN=palisade-admission\.palisade-system\.svc\) is not a CA certificate/);
  });

  it('prints every file as one YAML stream without --output', async () => {
    const r = await palisade(['admission', 'manifests']);
    expect(r.code).toBe(0);
    const parsed = parseManifests(r.stdout, 'stdout');
    expect(parsed.issues).toEqual([]);
    expect(parsed.manifests.map((m) => m.kind)).toEqual([
      'Namespace',
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'ConfigMap',
      'Secret',
      'Service',
      'Deployment',
      'PodDisruptionBudget',
      'NetworkPolicy',
      'ValidatingWebhookConfiguration',
      'MutatingWebhookConfiguration',
    ]);
  });

  it.each([
    [['--timeout', '31'], /--timeout must be an integer from 1 to 30/],
    [['--replicas', '0'], /--replicas must be an integer/],
    [['--cert-validity-days', '1.5'], /--cert-validity-days must be an integer/],
    [['--name', 'Palisade_Webhook'], /--name must be a DNS label/],
    [['--namespace', '-x'], /--namespace must be a DNS label/],
    [['--failure-policy', 'Open'], /Allowed choices are Fail, Ignore/],
    [['--key', 'package.json'], /package\.json: not a usable public key/],
    [['--insecure-ignore-tlog'], /--insecure-ignore-tlog is for the signatures --key requires/],
    // A flag mistake is reported before any file is read.
    [['--insecure-ignore-tlog', '--policies', 'package.json'], /--insecure-ignore-tlog is for the signatures --key requires/],
    [['--policies', 'package.json'], /package\.json: holds no Kyverno policy/],
    [['--previous-ca', 'package.json'], /package\.json: no PEM certificate found/],
  ])('rejects %j with a usage error', async (args, message) => {
    const r = await palisade(['admission', 'manifests', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('names the file and line of a broken policy', async () => {
    const bad = join(work, 'bad-policy.yaml');
    writeFileSync(bad, 'apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata:\n  name: broken\nspec:\n  rules: 3\n');
    const r = await palisade(['admission', 'manifests', '--policies', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}:6: spec.rules`);
  });
});

describe('deploy/admission', () => {
  const deployDir = join(repoRoot, 'deploy/admission');

  it('is what the command produces with its defaults, except for the key material (npm run deploy:admission)', async () => {
    const g = await generate([]);
    const committed = readdirSync(deployDir).filter((n) => n.endsWith('.yaml')).sort();
    expect(committed).toEqual(Object.keys(g.files));
    for (const name of committed) {
      const expected = redactKeyMaterial(g.files[name]!);
      expect(readFileSync(join(deployDir, name), 'utf8'), `${name} is out of date: run npm run deploy:admission`).toBe(expected);
    }
    // The placeholder really replaced the key material (and nothing else).
    expect(readFileSync(join(deployDir, '30-tls.yaml'), 'utf8')).not.toMatch(/LS0tLS1CRUdJTi/);
    expect(readFileSync(join(deployDir, '30-tls.yaml'), 'utf8').split(KEY_MATERIAL_PLACEHOLDER)).toHaveLength(4);
    expect(readFileSync(join(deployDir, '50-webhooks.yaml'), 'utf8').split(KEY_MATERIAL_PLACEHOLDER)).toHaveLength(3);
  });
});

describe('admission serve with the generated certificate', () => {
  const serviceName = 'palisade-admission.palisade-system.svc';
  let child: ChildProcess | undefined;
  let port = 0;
  let ca = '';
  let stderr = '';

  beforeAll(async () => {
    const g = await generate([]);
    const secret = g.one('Secret');
    ca = pem(secret.data['ca.crt']);
    const dir = join(work, 'serve');
    mkdirSync(join(dir, 'policies'), { recursive: true });
    writeFileSync(join(dir, 'tls.crt'), pem(secret.data['tls.crt']));
    writeFileSync(join(dir, 'tls.key'), pem(secret.data['tls.key']));
    for (const [name, text] of Object.entries(g.one('ConfigMap').data as Record<string, string>)) writeFileSync(join(dir, 'policies', name), text);
    const args = ['admission', 'serve', `--policies=${join(dir, 'policies')}`, `--tls-cert=${join(dir, 'tls.crt')}`, `--tls-key=${join(dir, 'tls.key')}`, '--host=127.0.0.1', '--port=0'];
    child = spawn(process.execPath, [join(repoRoot, 'src/cli/main.ts'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`admission serve did not start: ${stderr}`)), 30_000);
      child!.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const m = /https:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child!.once('exit', (code) => reject(new Error(`admission serve exited with ${code}: ${stderr}`)));
    });
  }, 40_000);

  afterAll(() => {
    child?.kill('SIGTERM');
  });

  function call(path: string, options: { servername?: string; ca?: string; body?: string } = {}): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path,
          method: options.body === undefined ? 'GET' : 'POST',
          servername: options.servername ?? serviceName,
          // The only trust root: Node's bundled CAs are not consulted when `ca` is given.
          ...(options.ca !== undefined && { ca: [options.ca] }),
          headers: { 'content-type': 'application/json' },
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      req.on('error', reject);
      req.end(options.body);
    });
  }

  function review(uid: string, privileged: boolean): string {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: uid, namespace: 'apps' }, spec: { containers: [{ name: 'app', image: 'nginx:1.27', securityContext: { privileged } }] } };
    return JSON.stringify({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: { uid, kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' }, namespace: 'apps', operation: 'CREATE', object: pod, oldObject: null },
    });
  }

  it('is trusted through the generated CA for the Service name, and decides with the shipped policies', async () => {
    expect(await call('/healthz', { ca })).toEqual({ status: 200, body: 'ok\n' });
    const denied = JSON.parse((await call('/validate', { ca, body: review('privileged', true) })).body);
    expect(denied.response).toMatchObject({ uid: 'privileged', allowed: false });
    expect(denied.response.status.message).toMatch(/pod-security-baseline/);
    const allowed = JSON.parse((await call('/validate', { ca, body: review('plain', false) })).body);
    expect(allowed.response).toMatchObject({ uid: 'plain', allowed: true });
    // Restricted is audited: the request passes with warnings.
    expect(allowed.response.warnings.join(' ')).toMatch(/pod-security-restricted/);
  });

  it('is not trusted under another name, nor without the generated CA', async () => {
    await expect(call('/healthz', { ca, servername: 'palisade-admission.other.svc' })).rejects.toThrow(/does not match certificate's altnames|ERR_TLS_CERT_ALTNAME_INVALID/);
    await expect(call('/healthz')).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
  });
});
