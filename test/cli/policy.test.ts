import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml, parseAllDocuments, stringify as stringifyYaml } from 'yaml';
import { policyCommand } from '../../src/cli/policy.ts';
import { ExitRequest } from '../../src/cli/context.ts';
import { PalisadeError } from '../../src/core/errors.ts';

const dir = join(import.meta.dirname, '../fixtures/policy/cli');
let stdout: string;

beforeEach(() => {
  stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

const run = (...args: string[]) => policyCommand(() => ({ quiet: true })).parseAsync(args, { from: 'user' });

async function exitCode(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 0;
  } catch (err) {
    if (err instanceof ExitRequest) return err.code;
    if (err instanceof PalisadeError) return err.exitCode;
    throw err;
  }
}

describe('palisade policy apply', () => {
  it('prints mutations, failures and counts, and exits 1 on a failure', async () => {
    const code = await exitCode(run('apply', join(dir, 'policies.yaml'), '-r', join(dir, 'resources.yaml')));
    expect(code).toBe(1);
    expect(stdout).toContain('mutate policy add-owner applied to default/Pod/labelled:');
    expect(stdout).toContain('policy require-team-label -> resource default/Pod/unlabelled failed:\n1. check-team: validation error: label `team` is required. rule check-team failed at path /metadata/labels/');
    expect(stdout).toMatch(/pass: 3, fail: 1, warn: 0, error: 0, skip: 0\n$/);
  });

  it('--audit-warn turns Audit failures into warnings, and --warn-exit-code sets the exit code', async () => {
    expect(await exitCode(run('apply', join(dir, 'policies.yaml'), '-r', join(dir, 'resources.yaml'), '--audit-warn'))).toBe(0);
    expect(stdout).toMatch(/pass: 3, fail: 0, warn: 1, error: 0, skip: 0/);
    expect(await exitCode(run('apply', join(dir, 'policies.yaml'), '-r', join(dir, 'resources.yaml'), '--audit-warn', '--warn-exit-code', '3'))).toBe(3);
  });

  it('writes a ClusterPolicyReport with severity and category', async () => {
    await exitCode(run('apply', join(dir, 'policies.yaml'), '-r', join(dir, 'resources.yaml'), '--policy-report'));
    const [report] = parseAllDocuments(stdout).map((d) => d.toJS() as Record<string, unknown>);
    expect(report).toMatchObject({ apiVersion: 'wgpolicyk8s.io/v1alpha2', kind: 'ClusterPolicyReport', metadata: { name: 'merged' }, summary: { pass: 1, fail: 1, warn: 0, error: 0, skip: 0 } });
    const results = report!.results as Record<string, unknown>[];
    expect(results[1]).toMatchObject({
      policy: 'require-team-label',
      rule: 'check-team',
      result: 'fail',
      severity: 'high',
      category: 'Best Practices',
      scored: true,
      resources: [{ apiVersion: 'v1', kind: 'Pod', name: 'unlabelled', namespace: 'default' }],
    });
  });

  it('prints results as JSON and YAML', async () => {
    await exitCode(run('apply', join(dir, 'policies.yaml'), '-r', join(dir, 'resources.yaml'), '--format', 'json'));
    const doc = JSON.parse(stdout) as { summary: Record<string, number>; results: { rule: string; result: string }[]; patchedResources: unknown[] };
    expect(doc.summary).toEqual({ pass: 3, fail: 1, warn: 0, error: 0, skip: 0 });
    expect(doc.patchedResources).toHaveLength(2);
    stdout = '';
    await exitCode(run('apply', join(dir, 'policies.yaml'), '-r', join(dir, 'resources.yaml'), '--format', 'yaml'));
    expect((parseYaml(stdout) as { summary: unknown }).summary).toEqual(doc.summary);
  });

  it('hints at --registry when verifyImages rules or ImageValidatingPolicies could not verify offline, and only then', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'palisade-policy-hint-'));
    let stderr = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    });
    try {
      const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const verifyImages = [{ imageReferences: ['*'], attestors: [{ entries: [{ keys: { publicKeys: pem } }] }] }];
      const policy = { apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: 'signed' }, spec: { rules: [{ name: 'verify', match: { any: [{ resources: { kinds: ['Pod'] } }] }, verifyImages }] } };
      await writeFile(join(tmp, 'policy.yaml'), stringifyYaml(policy));
      await writeFile(join(tmp, 'pod.yaml'), stringifyYaml({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } }));
      const loud = (...args: string[]) => policyCommand(() => ({})).parseAsync(args, { from: 'user' });
      const hint = 'image verification (verifyImages rules, ImageValidatingPolicies) needs registry access: pass --registry';
      expect(await exitCode(loud('apply', join(tmp, 'policy.yaml'), '-r', join(tmp, 'pod.yaml')))).toBe(1);
      expect(stderr).toContain(hint);
      stderr = '';
      const ivpol = {
        apiVersion: 'policies.kyverno.io/v1',
        kind: 'ImageValidatingPolicy',
        metadata: { name: 'signed-images' },
        spec: {
          validationActions: ['Deny'],
          matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }] },
          matchImageReferences: [{ glob: '*' }],
          attestors: [{ name: 'ci', cosign: { key: { data: pem } } }],
          validations: [{ expression: 'images.containers.all(i, verifyImageSignatures(i, [attestors.ci]) > 0)', message: 'must be signed' }],
        },
      };
      await writeFile(join(tmp, 'ivpol.yaml'), stringifyYaml(ivpol));
      // Pinned, so that the policy's digest check passes offline and its signature check needs the registry.
      await writeFile(join(tmp, 'pinned.yaml'), stringifyYaml({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: `nginx@sha256:${'a'.repeat(64)}` }] } }));
      expect(await exitCode(loud('apply', join(tmp, 'ivpol.yaml'), '-r', join(tmp, 'pinned.yaml')))).toBe(1);
      expect(stdout).toContain('needs registry access');
      expect(stderr).toContain(hint);
      stderr = '';
      // policy test: the same hint when a test's verifyImages rule could not verify offline.
      const results = [{ policy: 'signed', rule: 'verify', resources: ['p'], kind: 'Pod', result: 'pass' }];
      await writeFile(join(tmp, 'kyverno-test.yaml'), stringifyYaml({ apiVersion: 'cli.kyverno.io/v1alpha1', kind: 'Test', metadata: { name: 't' }, policies: ['policy.yaml'], resources: ['pod.yaml'], results }));
      expect(await exitCode(loud('test', tmp))).toBe(1);
      expect(stderr).toContain(hint);
      stderr = '';
      await exitCode(loud('apply', join(dir, 'policies.yaml'), '-r', join(dir, 'resources.yaml')));
      expect(stderr).not.toContain('--registry');
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it('rejects an invalid policy with exit 2 naming file:line', async () => {
    const err = await run('apply', join(dir, '../load/invalid-rule.yaml'), '-r', join(dir, 'resources.yaml')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PalisadeError);
    expect((err as PalisadeError).exitCode).toBe(2);
    expect((err as PalisadeError).message).toContain('invalid-rule.yaml:17: spec.rules[1]');
  });
});

describe('palisade policy test', () => {
  it('runs kyverno-test.yaml files and prints the summary', async () => {
    expect(await exitCode(run('test', join(dir, 'suite')))).toBe(0);
    expect(stdout).toContain('Loading test team-labels');
    expect(stdout).toMatch(/1 +require-team-label +check-team +labelled +Pass +Ok/);
    expect(stdout).toMatch(/4 +add-owner +owner +labelled +Pass +Ok/);
    expect(stdout).toContain('Test Summary: 4 tests passed and 0 tests failed');
  });

  it('exits 1 when a result differs or a resource is not found (legacy test file form)', async () => {
    expect(await exitCode(run('test', join(dir, 'failing')))).toBe(1);
    expect(stdout).toMatch(/require-team-label +check-team +unlabelled +Fail +Want pass, got fail/);
    expect(stdout).toMatch(/require-team-label +check-team +missing-pod +Fail +Not found/);
    expect(stdout).toContain('Test Summary: 0 tests passed and 2 tests failed');
    expect(stdout).toContain('Aggregated Failed Test Cases');
  });

  it('filters results with --test-case-selector and prints JSON', async () => {
    expect(await exitCode(run('test', dir, '--test-case-selector', 'policy=add-*', '--format', 'json'))).toBe(0);
    const doc = JSON.parse(stdout) as { summary: { passed: number; failed: number }; tests: { results: { policy: string }[] }[] };
    expect(doc.summary).toEqual({ passed: 1, failed: 0 });
    expect(doc.tests.flatMap((t) => t.results.map((r) => r.policy))).toEqual(['add-owner']);
  });

  it('exits 2 for a missing directory', async () => {
    expect(await exitCode(run('test', join(dir, 'missing')))).toBe(2);
  });
});
