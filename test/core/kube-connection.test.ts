/**
 * The one Kubernetes connection of the cluster audit (collectLive) and the admission webhook
 * (kubeConnection): both reject an unknown context by name, and each keeps its own message for a
 * kubeconfig without a server.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kubeConnection } from '../../src/admission/kube.ts';
import { collectLive } from '../../src/cluster/live.ts';
import { PalisadeError } from '../../src/core/errors.ts';
import { connectKube } from '../../src/core/kube-connection.ts';

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

  it('names a kubeconfig that cannot be read', async () => {
    const err = await rejection(kubeConnection(join(dir, 'missing')));
    expect(err.code).toBe('INPUT_UNREADABLE');
    expect(err.message).toContain(`cannot load the kubeconfig ${join(dir, 'missing')}`);
  });
});
