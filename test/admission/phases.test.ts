/**
 * Classic rules by webhook: /mutate runs mutate and verifyImages rules, /validate the others, so a
 * policy is evaluated once per admission and its warnings are shown once.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/admission/handler.ts';
import { policiesForPhase } from '../../src/admission/phases.ts';
import { parseAdmissionReview } from '../../src/admission/review.ts';
import { loadPolicies, parsePolicies } from '../../src/policy/engine/load.ts';

const MIXED = `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: mixed
spec:
  validationFailureAction: Enforce
  rules:
    - name: add-label
      match: {any: [{resources: {kinds: [ConfigMap]}}]}
      mutate: {patchStrategicMerge: {metadata: {labels: {+(team): none}}}}
    - name: check-label
      match: {any: [{resources: {kinds: [ConfigMap]}}]}
      validate: {message: team label required, pattern: {metadata: {labels: {team: "?*"}}}}
    - name: signed
      match: {any: [{resources: {kinds: [ConfigMap]}}]}
      verifyImages: [{imageReferences: ["*"], attestors: [{entries: [{keys: {publicKeys: "-----BEGIN PUBLIC KEY-----"}}]}]}]
`;

const names = (policies: readonly { name: string; rules: { name: string }[] }[]) => policies.map((p) => `${p.name}: ${p.rules.map((r) => r.name).join(',')}`);

describe('policiesForPhase', () => {
  const policies = parsePolicies(MIXED, 'mixed.yaml').policies;

  it('splits a policy mixing rule kinds by webhook, verifyImages in both', () => {
    expect(names(policiesForPhase(policies, 'mutate'))).toEqual(['mixed: add-label,signed']);
    expect(names(policiesForPhase(policies, 'validate'))).toEqual(['mixed: check-label,signed']);
  });

  it('keeps the same objects across requests (the engine caches per policy), and unsplit policies as they are', async () => {
    expect(policiesForPhase(policies, 'mutate')[0]).toBe(policiesForPhase(policies, 'mutate')[0]);
    const fixtures = (await loadPolicies([join(import.meta.dirname, '../fixtures/admission/policies.yaml')])).policies;
    const validating = policiesForPhase(fixtures, 'validate');
    expect(validating.map((p) => p.name)).toEqual(['disallow-privileged-containers', 'require-team-label']);
    expect(validating[0]).toBe(fixtures[0]);
    expect(policiesForPhase(fixtures, 'mutate').map((p) => p.name)).toEqual(['add-managed-by']);
  });
});

describe('decide by webhook', () => {
  const review = (privileged: boolean) =>
    parseAdmissionReview(
      JSON.stringify({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: 'u',
          kind: { group: '', version: 'v1', kind: 'Pod' },
          namespace: 'apps',
          operation: 'CREATE',
          object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'apps' }, spec: { containers: [{ name: 'app', image: 'nginx:1.27', securityContext: { privileged } }] } },
        },
      }),
    );

  it('patches on /mutate without judging, and judges (once) on /validate', async () => {
    const { policies } = await loadPolicies([join(import.meta.dirname, '../fixtures/admission/policies.yaml')]);
    const mutated = await decide(review(true), 'mutate', { policies });
    expect(mutated.allowed).toBe(true);
    expect(mutated.warnings).toBeUndefined();
    expect(mutated.patch).toEqual([{ op: 'add', path: '/metadata/labels', value: { 'app.kubernetes.io/managed-by': 'palisade' } }]);
    const validated = await decide(review(true), 'validate', { policies });
    expect(validated.allowed).toBe(false);
    expect(validated.message).toContain('disallow-privileged-containers');
    expect(validated.warnings?.join(' ')).toContain('require-team-label');
    expect(validated.patch).toBeUndefined();
  });
});
