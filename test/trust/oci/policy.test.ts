/** Attestation policies: Kyverno-style conditions and plain JMESPath over the predicate. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Statement } from '../../../src/trust/intoto.ts';
import { loadAttestationPolicy, parseAttestationPolicy, policyContext } from '../../../src/trust/oci/policy.ts';
import { PROVENANCE } from './helpers.ts';

const statement: Statement = {
  _type: 'https://in-toto.io/Statement/v1',
  subject: [{ name: 'r.example/app', digest: { sha256: 'ab'.repeat(32) } }],
  predicateType: 'https://slsa.dev/provenance/v1',
  predicate: PROVENANCE,
};

const holds = (policy: string) => parseAttestationPolicy(policy, 'p.yaml').evaluate(statement);

describe('attestation policies', () => {
  it('exposes the predicate at the top and under predicate, with predicateType and subject', () => {
    const context = policyContext(statement) as Record<string, unknown>;
    expect(context.runDetails).toEqual(PROVENANCE.runDetails);
    expect(context.predicate).toEqual(PROVENANCE);
    expect(context.predicateType).toBe('https://slsa.dev/provenance/v1');
  });

  it('evaluates any/all conditions with Kyverno operators and {{ }} variables', () => {
    expect(holds('all:\n- key: "{{ runDetails.builder.id }}"\n  operator: Equals\n  value: "https://github.com/actions/runner/*"\n').passed).toBe(true);
    expect(holds('any:\n- key: "{{ predicate.runDetails.builder.id }}"\n  operator: Equals\n  value: x\n- key: "{{ predicateType }}"\n  operator: AnyIn\n  value: [https://slsa.dev/provenance/v1]\n').passed).toBe(true);
    // Text around a variable is interpolated.
    expect(holds('conditions:\n  all:\n  - key: "ref={{ buildDefinition.externalParameters.workflow.ref }}"\n    operator: Equals\n    value: ref=refs/heads/main\n').passed).toBe(true);
    // A plain list means all of them.
    const failed = holds('- key: "{{ length(buildDefinition.resolvedDependencies) }}"\n  operator: GreaterThan\n  value: 3\n  message: needs more dependencies\n');
    expect(failed.passed).toBe(false);
    expect(failed.message).toContain('needs more dependencies');
    const none = holds('any:\n- key: "{{ runDetails.builder.id }}"\n  operator: NotEquals\n  value: https://github.com/actions/runner/github-hosted\n');
    expect(none.passed).toBe(false);
    expect(none.message).toContain('NotEquals');
  });

  it("has Kyverno's JMESPath functions, and a missing key fails the condition", () => {
    expect(holds('all:\n- key: "{{ regex_match(\'^https://github\\\\.com/\', runDetails.builder.id) }}"\n  operator: Equals\n  value: true\n').passed).toBe(true);
    expect(holds("expressions: [\"to_upper(split(predicateType, '/')[2]) == 'SLSA.DEV'\"]").passed).toBe(true);
    const missing = holds('all:\n- key: "{{ runDetails.builder.version }}"\n  operator: Equals\n  value: v1\n');
    expect(missing.passed).toBe(false);
    expect(missing.message).toMatch(/version/);
    expect(holds('all:\n- key: "{{ runDetails.builder.version || \'none\' }}"\n  operator: Equals\n  value: none\n').passed).toBe(true);
  });

  it('evaluates plain JMESPath booleans, which must be exactly true', () => {
    expect(holds("expressions:\n- \"runDetails.builder.id == 'https://github.com/actions/runner/github-hosted'\"\n- \"contains(keys(@), 'buildDefinition')\"\n").passed).toBe(true);
    expect(holds('"predicateType"').passed).toBe(false);
    expect(holds('["runDetails.builder.id == \'other\'"]').message).toContain('is false, not true');
  });

  it('refuses what it cannot evaluate, before any verification', async () => {
    expect(() => parseAttestationPolicy('all:\n- key: a\n  operator: Matches\n  value: b\n', 'p.yaml')).toThrow(/unknown operator Matches/);
    expect(() => parseAttestationPolicy('expressions: ["runDetails.["]', 'p.yaml')).toThrow(/invalid JMESPath/);
    expect(() => parseAttestationPolicy('foo: bar', 'p.yaml')).toThrow(/expected `any`\/`all`/);
    expect(() => parseAttestationPolicy('all: [{key: a}]', 'p.yaml')).toThrow(/key and an operator/);
    expect(() => parseAttestationPolicy('{ "all": [', 'p.json')).toThrow(/not YAML or JSON/);
    const dir = await mkdtemp(join(tmpdir(), 'palisade-policy-'));
    try {
      await writeFile(join(dir, 'policy.cue'), 'predicateType: "x"');
      await expect(loadAttestationPolicy(join(dir, 'policy.cue'))).rejects.toMatchObject({ code: 'UNSUPPORTED_FORMAT' });
      await expect(loadAttestationPolicy(join(dir, 'missing.yaml'))).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
