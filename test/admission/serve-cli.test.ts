import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { Agent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { decode, eventually, hasOpenssl, pod, post, review, selfSignedCertificate } from './https.ts';

const ROOT = join(import.meta.dirname, '../..');
const POLICIES = join(import.meta.dirname, '../fixtures/admission-cel');

/** `palisade admission serve` as a child process, with its JSON log lines parsed as they come. */
function serve(args: string[]): { child: ChildProcess; logs: Record<string, unknown>[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'admission', 'serve', ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  const logs: Record<string, unknown>[] = [];
  let pending = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, logs, exited };
}

describe.skipIf(!hasOpenssl)('palisade admission serve as a process', () => {
  let dir: string;
  let registry: Server;
  let registryHits = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'palisade-shutdown-'));
    const { cert, key } = selfSignedCertificate();
    writeFileSync(join(dir, 'tls.crt'), cert);
    writeFileSync(join(dir, 'tls.key'), key);
    writeFileSync(join(dir, 'cosign.pub'), generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }));
    // A registry that answers slowly, so a verification is in flight when SIGTERM arrives.
    registry = createServer((req, res) => {
      registryHits++;
      setTimeout(() => {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
      }, 700);
    });
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
  });

  afterAll(() => {
    registry?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reloads an edited policy file, keeps the last good set on a broken edit, and says so in JSON logs', async () => {
    const policies = join(dir, 'policies');
    mkdirSync(policies, { recursive: true });
    const policy = (prefix: string) =>
      `apiVersion: policies.kyverno.io/v1\nkind: ValidatingPolicy\nmetadata: {name: registries}\nspec:\n  validationActions: [Deny]\n  matchConstraints:\n    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]\n  validations:\n  - expression: "object.spec.containers.all(c, c.image.startsWith('${prefix}'))"\n    message: "images must come from ${prefix}"\n`;
    writeFileSync(join(policies, 'registries.yaml'), policy('registry.example.com/'));
    const { child, logs, exited } = serve(['--policies', policies, '--tls-cert', join(dir, 'tls.crt'), '--tls-key', join(dir, 'tls.key'), '--port', '0', '--host', '127.0.0.1']);
    try {
      await eventually(() => logs.some((l) => l.msg === 'admission webhook listening'), 20_000, 'the webhook to listen');
      const port = Number(new URL(String(logs.find((l) => l.msg === 'admission webhook listening')?.address)).port);
      const allowed = async (image: string) => decode(await post(port, '/validate', review(`r-${image}`, pod('p', { image })))).response.allowed;
      expect(await allowed('ghcr.io/app:1')).toBe(false);
      writeFileSync(join(policies, 'registries.yaml'), policy('ghcr.io/'));
      await eventually(() => logs.some((l) => l.msg === 'policies reloaded'), 10_000, 'the reload');
      expect(await allowed('ghcr.io/app:1')).toBe(true);
      writeFileSync(join(policies, 'registries.yaml'), policy('ghcr.io/').replace('c.image.startsWith', 'c.image.startsWith(('));
      await eventually(() => logs.some((l) => l.level === 'error' && l.msg === 'policy reload failed; keeping the last good policy set'), 10_000, 'the refused reload');
      expect(String(logs.find((l) => l.level === 'error')?.error)).toMatch(/registries\.yaml:\d+: spec\.validations\[0\]\.expression/);
      expect(await allowed('ghcr.io/app:1')).toBe(true);
      expect(await allowed('registry.example.com/app:1')).toBe(false);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('on SIGTERM stops accepting, finishes the in-flight request, and exits 0', async () => {
    const { child, logs, exited } = serve([
      '--policies', POLICIES,
      '--tls-cert', join(dir, 'tls.crt'),
      '--tls-key', join(dir, 'tls.key'),
      '--port', '0',
      '--host', '127.0.0.1',
      '--key', join(dir, 'cosign.pub'),
      '--insecure-registry',
      '--timeout', '5',
      '--no-watch',
    ]);
    const agent = new Agent({ keepAlive: true });
    try {
      await eventually(() => logs.some((l) => l.msg === 'admission webhook listening'), 20_000, 'the webhook to listen');
      const port = Number(new URL(String(logs.find((l) => l.msg === 'admission webhook listening')?.address)).port);
      const image = `127.0.0.1:${(registry.address() as AddressInfo).port}/app:1`;
      // Through a keep-alive connection, as the API server calls: it must not hold the exit.
      const inFlight = post(port, '/validate', review('in-flight', pod('p', { image, annotations: { owner: 'a' } })), 'POST', agent);
      await eventually(() => registryHits > 0, 10_000, 'the verification to reach the registry');
      child.kill('SIGTERM');
      await eventually(() => logs.some((l) => l.msg === 'shutting down: finishing in-flight requests'), 5000, 'the shutdown log');
      await expect(post(port, '/healthz', '', 'GET')).rejects.toThrow(/ECONNREFUSED|socket hang up|ECONNRESET/);
      const doc = decode(await inFlight);
      expect(doc.response.uid).toBe('in-flight');
      expect(doc.response.allowed).toBe(false);
      expect(doc.response.status?.message).toContain('policy palisade-require-signed-images rule verify-signature');
      expect(await exited).toBe(0);
      expect(logs.at(-1)).toMatchObject({ level: 'info', msg: 'admission webhook stopped' });
    } finally {
      agent.destroy();
      child.kill('SIGKILL');
    }
  });
});

/** `palisade …` in this process: exit code and what it wrote. */
async function palisade(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    return { code: await main(['node', 'palisade', ...args]), stderr };
  } finally {
    err.mockRestore();
  }
}

describe('palisade admission serve: Kubernetes connection flags', () => {
  const base = ['admission', 'serve', '--policies', POLICIES, '--tls-cert', 'tls.crt', '--tls-key', 'tls.key', '--log-format', 'text'];

  it.each([
    ['--kubeconfig', '/nonexistent/kubeconfig'],
    ['--context', 'production'],
  ])('rejects %s when nothing reads the Kubernetes API (exit 2, naming the flag), instead of ignoring it', async (flag, value) => {
    const { code, stderr } = await palisade([...base, flag, value]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${flag} needs --watch-cluster-policies or --policy-reports cluster`);
  });

  it('rejects --insecure-ignore-tlog without --key (exit 2), instead of ignoring it', async () => {
    const { code, stderr } = await palisade([...base, '--insecure-ignore-tlog']);
    expect(code).toBe(2);
    expect(stderr).toContain('--insecure-ignore-tlog is for the signatures --key requires');
  });

  it('uses --kubeconfig for --policy-reports cluster', async () => {
    const { code, stderr } = await palisade([...base, '--policy-reports', 'cluster', '--kubeconfig', '/nonexistent/kubeconfig']);
    expect(code).toBe(2);
    expect(stderr).not.toContain('needs --watch-cluster-policies');
    expect(stderr).toContain('/nonexistent/kubeconfig');
  });
});
