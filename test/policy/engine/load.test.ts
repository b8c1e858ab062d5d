import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PalisadeError } from '../../../src/core/errors.ts';
import type { Logger } from '../../../src/core/log.ts';
import { loadPolicies, loadResources, parsePolicies, parseResources } from '../../../src/policy/engine/load.ts';
import { expandPaths } from '../../../src/policy/engine/documents.ts';

const dir = join(import.meta.dirname, '../../fixtures/policy/load');

function capture(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, warn: (m) => warnings.push(m), info() {}, debug() {}, error() {} };
}

async function loadError(path: string): Promise<PalisadeError> {
  try {
    await loadPolicies([path]);
  } catch (err) {
    if (err instanceof PalisadeError) return err;
    throw err;
  }
  throw new Error('expected a load error');
}

describe('loadPolicies', () => {
  it('reports every invalid field with file:line and field path', async () => {
    const err = await loadError(join(dir, 'invalid-rule.yaml'));
    expect(err.exitCode).toBe(2);
    const file = join(dir, 'invalid-rule.yaml');
    expect(err.message).toContain(`${file}:17: spec.rules[1]: needs one of validate, mutate, generate, verifyImages`);
    expect(err.message).toContain(`${file}:26: spec.rules[2].match.any[0].resources.kinds: must be a list of strings`);
    expect(err.message).toContain(`${file}:28: spec.rules[2].validate.failureAction: must be Enforce or Audit`);
    expect(err.message).toContain(`${file}:27: spec.rules[2].validate: has more than one of pattern, deny`);
  });

  it('reports YAML syntax errors with file:line', async () => {
    const err = await loadError(join(dir, 'not-yaml.yaml'));
    expect(err.message).toMatch(/not-yaml\.yaml:\d+: invalid YAML/);
  });

  it('loads namespaced policies, exceptions, and names foreign policy kinds', async () => {
    const set = await loadPolicies([join(dir, 'mixed.yaml')]);
    expect(set.policies).toHaveLength(1);
    const [policy] = set.policies;
    expect(policy).toMatchObject({ kind: 'Policy', name: 'ns-policy', namespace: 'team-a', annotations: { 'policies.kyverno.io/severity': 'medium' } });
    expect(policy!.source).toEqual({ path: join(dir, 'mixed.yaml'), line: 2 });
    expect(set.exceptions).toHaveLength(1);
    expect(set.exceptions[0]).toMatchObject({ name: 'allow-forbidden', namespace: 'team-a', exceptions: [{ policyName: 'team-a/ns-policy', ruleNames: ['check'] }] });
    expect(set.foreign).toEqual([{ apiVersion: 'policies.kyverno.io/v1', kind: 'ValidatingPolicy', name: 'cel-policy', source: { path: join(dir, 'mixed.yaml'), line: 40 } }]);
  });

  it("keeps a foreign policy's declared failure action: Enforce when any rule or verifyImages entry enforces", () => {
    const foreign = (rules: string) =>
      parsePolicies(`apiVersion: kyverno.io/v9\nkind: ClusterPolicy\nmetadata: {name: p}\nspec:\n  rules:\n${rules}`, 'p.yaml').foreign[0]?.failureAction;
    expect(foreign('  - name: r\n    verifyImages:\n    - {failureAction: Audit}\n    - {failureAction: Enforce}\n')).toBe('Enforce');
    expect(foreign('  - name: r\n    verifyImages:\n    - {failureAction: Audit}\n')).toBe('Audit');
    expect(foreign('  - name: r\n    generate: {}\n')).toBeUndefined();
  });

  it('warns about documents that are not policies in explicit files', () => {
    const log = capture();
    const set = parsePolicies('apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n', 'pod.yaml', log);
    expect(set.policies).toHaveLength(0);
    expect(log.warnings).toEqual(['pod.yaml:1: v1 Pod is not a policy, skipped']);
  });
});

describe('loadResources', () => {
  it('reads multi-document YAML and JSON, flattens Lists, skips non-Kubernetes documents with a warning', async () => {
    const log = capture();
    const resources = await loadResources([join(dir, 'resources')], log);
    const names = resources.map((r) => `${String(r.object.kind)}/${(r.object.metadata as { name: string }).name}`);
    expect(names).toEqual(expect.arrayContaining(['Pod/one', 'ConfigMap/cm-a', 'Secret/secret-b', 'Service/svc']));
    const pod = resources.find((r) => r.object.kind === 'Pod')!;
    expect(pod.source).toEqual({ path: join(dir, 'resources', 'resources.yaml'), line: 1 });
    const secret = resources.find((r) => r.object.kind === 'Secret')!;
    expect(secret.source?.line).toBe(21);
    expect(log.warnings).toContain(`${join(dir, 'resources', 'resources.yaml')}:11: not a Kubernetes object (no apiVersion/kind), skipped`);
  });

  it('reads YAML 1.1 scalars as Kubernetes does, with CRLF line endings', () => {
    const text = 'apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: a\r\nspec:\r\n  hostNetwork: yes\r\n  volumes:\r\n  - secret: {defaultMode: 0644}\r\n---\r\napiVersion: v1\r\nkind: Pod\r\nmetadata: {name: b, creationTimestamp: 2024-01-01T00:00:00Z}\r\n';
    const [a, b] = parseResources(text, 'crlf.yaml');
    expect(a!.object.spec).toEqual({ hostNetwork: true, volumes: [{ secret: { defaultMode: 420 } }] });
    expect(b!.object.metadata).toEqual({ name: 'b', creationTimestamp: '2024-01-01T00:00:00Z' });
    expect(b!.source).toEqual({ path: 'crlf.yaml', line: 10 });
  });

  it('reports a YAML syntax error in a manifest with file:line', () => {
    expect(() => parseResources('apiVersion: v1\nkind: Pod\nmetadata: {name: [}\n', 'bad.yaml')).toThrow(/bad\.yaml:3: invalid YAML/);
  });

  it('fails on a missing path', async () => {
    await expect(loadResources([join(dir, 'missing.yaml')])).rejects.toThrow(PalisadeError);
  });
});

describe('expandPaths', () => {
  it('lists each file once, also one named beside (or twice inside) a directory that holds it', async () => {
    const all = await expandPaths([dir]);
    expect(all.length).toBeGreaterThan(1);
    const one = all[0]!;
    expect(await expandPaths([dir, one, join(dir, '.', one.slice(dir.length + 1)), dir])).toEqual(all);
    expect(await expandPaths([one, dir])).toEqual([one, ...all.filter((f) => f !== one)]);
  });
});

