import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAdmissionPolicies, type AdmissionPolicySet } from '../../src/admission/policy-set.ts';
import { startAdmissionServer, type AdmissionServer } from '../../src/admission/server.ts';
import { decode, hasOpenssl, pod, post, review, selfSignedCertificate } from './https.ts';

/** A classic policy under an apiVersion the engine does not know: its rules cannot be evaluated. */
const UNKNOWN_VERSION_ENFORCE = `apiVersion: kyverno.io/v1beta1
kind: ClusterPolicy
metadata:
  name: old-disallow-latest
spec:
  validationFailureAction: Enforce
  rules:
  - name: no-latest
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: no latest tag
      pattern: {spec: {containers: [{image: "!*:latest"}]}}
`;

/** A namespaced CEL kind under a version the CEL loader does not read, only auditing. */
const UNKNOWN_VERSION_AUDIT = `apiVersion: policies.kyverno.io/v2
kind: NamespacedValidatingPolicy
metadata:
  name: team-labels
  namespace: team-a
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  validations:
  - expression: "has(object.metadata.labels)"
`;

/** No failure action: generation decides nothing at admission. */
const GENERATING = `apiVersion: policies.kyverno.io/v1
kind: GeneratingPolicy
metadata:
  name: default-network-policy
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [namespaces]}]
  generate:
  - expression: "generator.Apply(object.metadata.name, [])"
`;

describe.skipIf(!hasOpenssl)('policies the webhook cannot evaluate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-unevaluated-'));
  const tls = hasOpenssl ? selfSignedCertificate() : { cert: '', key: '' };
  const servers: AdmissionServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A server over the policies of `files`, served as the CLI serves them (a policy source). */
  async function serve(files: Record<string, string>): Promise<{ set: AdmissionPolicySet; server: AdmissionServer }> {
    const sub = mkdtempSync(join(dir, 'case-'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(sub, name), text);
    const set = await loadAdmissionPolicies([sub]);
    const server = await startAdmissionServer({ policies: [], policySource: { current: () => set }, ...tls, port: 0, host: '127.0.0.1' });
    servers.push(server);
    return { set, server };
  }

  let enforcing: { set: AdmissionPolicySet; server: AdmissionServer };
  beforeAll(async () => {
    enforcing = await serve({ 'old.yaml': UNKNOWN_VERSION_ENFORCE, 'generating.yaml': GENERATING });
  });

  it('lists each at start-up, saying what a declared failure action does to requests', () => {
    expect(enforcing.set.skipped).toEqual([
      expect.stringMatching(/generating\.yaml:1: GeneratingPolicy default-network-policy$/),
      expect.stringMatching(/old\.yaml:1: ClusterPolicy old-disallow-latest \(Enforce: requests it could apply to are denied as unsupported\)$/),
    ]);
  });

  it('denies under Enforce on /validate, naming the policy, its kind and where it was read, instead of admitting as if it passed', async () => {
    const doc = decode(await post(enforcing.server.port, '/validate', review('u1', pod('web', { image: 'nginx:1.27' }))));
    expect(doc.response.allowed).toBe(false);
    expect(doc.response.status?.message).toMatch(/^policy old-disallow-latest: unsupported: kyverno\.io\/v1beta1 ClusterPolicy, not evaluated by the webhook \(\/\S+\/old\.yaml:1\)$/);
    expect(enforcing.server.metrics.decisions.get({ policy: 'old-disallow-latest', rule: 'ClusterPolicy', result: 'deny' })).toBe(1);
    // /mutate runs no validations: the decision is /validate's, once per admission.
    expect(decode(await post(enforcing.server.port, '/mutate', review('u2', pod('web', { image: 'nginx:1.27' })))).response.allowed).toBe(true);
  });

  it('warns under Audit, within the namespace of a namespaced kind only; a policy declaring no failure action changes nothing', async () => {
    const { server } = await serve({ 'team.yaml': UNKNOWN_VERSION_AUDIT, 'generating.yaml': GENERATING });
    const inTeam = decode(await post(server.port, '/validate', review('a1', pod('web', { namespace: 'team-a' }))));
    expect(inTeam.response.allowed).toBe(true);
    expect(inTeam.response.warnings).toEqual([expect.stringMatching(/^policy team-labels: unsupported: policies\.kyverno\.io\/v2 NamespacedValidatingPolicy, not evaluated by the webhook/)]);
    const elsewhere = decode(await post(server.port, '/validate', review('a2', pod('web', { namespace: 'team-b' }))));
    expect(elsewhere.response).toEqual({ uid: 'a2', allowed: true });
  });
});
