/**
 * kyverno-test.yaml parsing: what a Test must hold (policies, results with a policy and a valid
 * result, paths as strings, well-formed mocks) is checked once, with an error naming the file,
 * line and field; what is optional stays optional.
 */
import { describe, expect, it } from 'vitest';
import { PalisadeError } from '../../../src/core/errors.ts';
import { parseTestFile } from '../../../src/policy/cli-test/test-file.ts';

const HEAD = 'apiVersion: cli.kyverno.io/v1alpha1\nkind: Test\nmetadata: {name: t}\n';
const parse = (body: string) => parseTestFile(HEAD + body, '/suite/kyverno-test.yaml', '/suite');

function parseError(body: string): string {
  try {
    parse(body);
  } catch (err) {
    expect(err).toBeInstanceOf(PalisadeError);
    expect((err as PalisadeError).code).toBe('PARSE_ERROR');
    return (err as Error).message;
  }
  throw new Error('parsed without an error');
}

describe('parseTestFile', () => {
  it('reads policies, resources, results and mocks; rule, resources and mocks may be absent', () => {
    const test = parse(`policies: [policy.yaml]
resources: resources.yaml
results:
- {policy: p, rule: r, resources: [a, b], result: pass}
- {policy: vpol, isValidatingPolicy: true, result: fail}
globalContextEntries:
- {name: gce, data: {a: 1}}
`);
    expect(test).toMatchObject({ policies: ['policy.yaml'], resources: ['resources.yaml'], mocks: { globalContextEntries: [{ name: 'gce', data: { a: 1 } }], apiCallResponses: [] } });
    expect(test?.results.map((r) => [r.policy, r.rule, r.resources, r.result, r.foreignKinds])).toEqual([
      ['p', 'r', ['a', 'b'], 'pass', []],
      ['vpol', '', [], 'fail', ['isValidatingPolicy']],
    ]);
    expect(parseTestFile('kind: ClusterPolicy\napiVersion: kyverno.io/v1\n', 'kyverno-test.yaml', '.')).toBeUndefined();
  });

  it.each([
    ['a test without policies', 'results: []\n', '/suite/kyverno-test.yaml:1: policies: required'],
    ['a test without results', 'policies: [p.yaml]\n', '/suite/kyverno-test.yaml:1: results: required'],
    ['a result that is not a mapping', 'policies: [p.yaml]\nresults:\n- pass\n', '/suite/kyverno-test.yaml:6: results[0]: must be a mapping'],
    ['a result without a policy', 'policies: [p.yaml]\nresults:\n- {rule: r, resources: [a], result: pass}\n', '/suite/kyverno-test.yaml:6: results[0].policy: required'],
    ['a result with an unknown status', 'policies: [p.yaml]\nresults:\n- policy: p\n  result: passed\n', '/suite/kyverno-test.yaml:7: results[0].result: must be pass, fail, skip, warn or error'],
    ['a resource path that is not a string', 'policies: [p.yaml]\nresources: [{name: x}]\nresults: []\n', '/suite/kyverno-test.yaml:5: resources[0]: must be a file path'],
    ['result resources that are not a list', 'policies: [p.yaml]\nresults:\n- {policy: p, resources: {a: 1}, result: pass}\n', '/suite/kyverno-test.yaml:6: results[0].resources: must be a list of file paths'],
    ['a globalContextEntry without a name', 'policies: [p.yaml]\nresults: []\nglobalContextEntries:\n- {data: 1}\n', '/suite/kyverno-test.yaml:7: globalContextEntries[0].name: required'],
    ['apiCallResponses that are not a list', 'policies: [p.yaml]\nresults: []\napiCallResponses: {url: x}\n', '/suite/kyverno-test.yaml:6: apiCallResponses: must be a list'],
  ])('rejects %s, naming file, line and field', (_case, body, message) => {
    expect(parseError(body)).toContain(message);
  });
});
