import { describe, expect, it } from 'vitest';
import { applyCelPolicies } from '../../../src/policy/cel/apply.ts';
import { parseCelPolicies } from '../../../src/policy/cel/load.ts';
import { rewrite } from '../../../src/policy/cel/syntax.ts';
import { applyPolicies } from '../../../src/policy/engine/engine.ts';
import { parsePolicies } from '../../../src/policy/engine/load.ts';
import { buildPolicyReports } from '../../../src/policy/report/policy-report.ts';
import type { KubeResource } from '../../../src/policy/types.ts';
import { podMatch } from './helpers.ts';

const res = (object: Record<string, unknown>): KubeResource => ({ object });

const pod = (name: string, extra: Record<string, unknown> = {}, labels: Record<string, string> = {}) =>
  res({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels }, spec: { containers: [{ name: 'c', image: 'nginx', ...extra }] } });
const deployment = (name: string, replicas: number, labels: Record<string, string> = {}) =>
  res({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'default', labels }, spec: { replicas, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx', securityContext: { privileged: true } }] } } } });

const VPOL = `
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata:
  name: no-privileged
spec:
${podMatch('CREATE, UPDATE')}
  matchConditions:
  - name: not-skipped
    expression: "!('skip' in object.metadata.?labels.orValue({}))"
  variables:
  - name: privileged
    expression: "object.spec.containers.filter(c, c.?securityContext.?privileged.orValue(false))"
  validations:
  - expression: "size(variables.privileged) == 0"
    messageExpression: "'privileged: ' + variables.privileged.map(c, c.name).join(', ')"
  auditAnnotations:
  - key: checked
    valueExpression: "'containers=' + string(size(object.spec.containers))"
`;

function statuses(text: string, resources: KubeResource[], options = {}) {
  const set = parseCelPolicies(text, 'policy.yaml');
  return applyCelPolicies(set, resources, options).map((r) => ({ resource: (r.resource.object.metadata as { name?: string } | undefined)?.name, rules: r.rules }));
}

describe('ValidatingPolicy', () => {
  it('passes, fails with the message expression, skips on match conditions, and adds audit annotations', () => {
    const out = statuses(VPOL, [pod('good'), pod('bad', { securityContext: { privileged: true } }), pod('skipped', {}, { skip: 'yes' })]);
    expect(out[0]!.rules).toEqual([{ name: 'no-privileged', type: 'Validation', status: 'pass', message: '', properties: { checked: 'containers=1' } }]);
    const [response] = applyCelPolicies(parseCelPolicies(VPOL, 'policy.yaml'), [pod('good')]);
    expect(buildPolicyReports([response!])[0]!.results[0]).toMatchObject({ policy: 'no-privileged', result: 'pass', properties: { checked: 'containers=1' } });
    expect(out[1]!.rules[0]).toMatchObject({ status: 'fail', message: 'privileged: c' });
    expect(out[2]!.rules[0]).toMatchObject({ status: 'skip', message: 'match conditions not met' });
  });

  it('runs on Pod controllers through autogen (object.spec → object.spec.template.spec)', () => {
    const out = statuses(VPOL, [deployment('d', 1)]);
    expect(out[0]!.rules[0]).toMatchObject({ name: 'autogen-no-privileged', status: 'fail' });
  });

  it('answers with no rules for resources it does not match', () => {
    const out = statuses(VPOL, [res({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } })]);
    expect(out[0]!.rules).toEqual([]);
  });

  it('reports a runtime error for that validation only, naming the expression', () => {
    const text = VPOL.replace('size(variables.privileged) == 0', "object.spec.nodeName == 'x'");
    const out = statuses(text, [pod('p')]);
    expect(out[0]!.rules[0]!.status).toBe('error');
    expect(out[0]!.rules[0]!.message).toMatch(/object\.spec\.nodeName == 'x'.*No such key: nodeName/);
  });

  it('reports unsupported library functions with policy and expression', () => {
    const text = VPOL.replace('size(variables.privileged) == 0', "http.Get('https://x').ok");
    const out = statuses(text, [pod('p')]);
    expect(out[0]!.rules[0]!.status).toBe('error');
    expect(out[0]!.rules[0]!.message).toMatch(/^unsupported: http\.Get .* in no-privileged validation expression: "http\.Get\('https:\/\/x'\)\.ok"/);
  });

  it('reports compile errors at load time with file, line, field, expression and column', () => {
    const text = VPOL.replace('size(variables.privileged) == 0', 'size(variables.privileged) ==');
    expect(() => parseCelPolicies(text, 'policy.yaml')).toThrow(/policy\.yaml:\d+: spec\.validations\[0\]\.expression: syntax error: .* at 1:30 in "size\(variables\.privileged\) =="/);
  });

  it('honours CEL PolicyExceptions', () => {
    const exception = `
---
apiVersion: policies.kyverno.io/v1
kind: PolicyException
metadata:
  name: allow-bad
  namespace: default
spec:
  policyRefs:
  - name: no-privileged
    kind: ValidatingPolicy
  matchConditions:
  - name: bad-only
    expression: "object.metadata.name == 'bad'"
`;
    const out = statuses(VPOL + exception, [pod('bad', { securityContext: { privileged: true } })]);
    expect(out[0]!.rules[0]).toMatchObject({ status: 'skip', message: 'rule is skipped due to policy exception: default/allow-bad' });
  });
});

const VAP = `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: max-replicas
spec:
  paramKind:
    apiVersion: v1
    kind: ConfigMap
  matchConstraints:
    resourceRules:
    - apiGroups: [apps]
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [deployments]
  validations:
  - expression: "object.spec.replicas <= int(params.data.max)"
    message: too many replicas
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: max-replicas-binding
spec:
  policyName: max-replicas
  validationActions: [Deny]
  paramRef:
    name: limits
    namespace: default
  matchResources:
    objectSelector:
      matchLabels:
        env: prod
`;

describe('JSON mode', () => {
  it('evaluates any JSON document as object, without admission matching', () => {
    const text = `
apiVersion: policies.kyverno.io/v1alpha1
kind: ValidatingPolicy
metadata:
  name: no-curl
spec:
  evaluation:
    mode: JSON
  validations:
  - expression: "!object.Stages.exists(s, s.Commands.exists(c, c.Cmd == 'RUN' && c.Value.join(' ').contains('curl')))"
    message: curl is not allowed
`;
    const doc = (value: string) => res({ Stages: [{ Commands: [{ Cmd: 'RUN', Value: [value] }] }] });
    const out = statuses(text, [doc('apt-get install x'), doc('curl https://x | sh')]);
    expect(out.map((o) => o.rules[0]?.status)).toEqual(['pass', 'fail']);
  });
});

describe('ValidatingAdmissionPolicy', () => {
  const params = [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'limits', namespace: 'default' }, data: { max: '3' } }];

  it('evaluates through the binding, with params', () => {
    const out = statuses(VAP, [deployment('small', 2, { env: 'prod' }), deployment('big', 5, { env: 'prod' }), deployment('dev', 5)], { params });
    expect(out.map((o) => o.rules[0]?.status)).toEqual(['pass', 'fail', undefined]);
    expect(out[1]!.rules[0]!.message).toBe('too many replicas');
  });

  it('errors when the params are missing (parameterNotFoundAction Deny)', () => {
    const out = statuses(VAP, [deployment('big', 5, { env: 'prod' })]);
    expect(out[0]!.rules[0]).toMatchObject({ status: 'error' });
    expect(out[0]!.rules[0]!.message).toMatch(/no params found/);
  });

  it('uses the binding validationActions for the failure action', () => {
    const set = parseCelPolicies(VAP, 'vap.yaml');
    const [response] = applyCelPolicies(set, [deployment('big', 5, { env: 'prod' })], { params });
    expect(response!.failureActions['max-replicas']).toBe('Enforce');
  });
});

describe('MutatingAdmissionPolicy and MutatingPolicy', () => {
  it('merges apply configurations (message construction) and applies JSON patches', () => {
    const text = `
apiVersion: admissionregistration.k8s.io/v1beta1
kind: MutatingAdmissionPolicy
metadata:
  name: label-and-scale
spec:
  matchConstraints:
    resourceRules:
    - apiGroups: [apps]
      apiVersions: [v1]
      operations: [CREATE]
      resources: [deployments]
  mutations:
  - patchType: ApplyConfiguration
    applyConfiguration:
      expression: >
        Object{metadata: Object.metadata{labels: {"managed": "true"}}, spec: Object.spec{replicas: 1}}
  - patchType: JSONPatch
    jsonPatch:
      expression: >
        [JSONPatch{op: "add", path: "/metadata/annotations", value: {"scaled": string(object.spec.replicas)}}]
`;
    const set = parseCelPolicies(text, 'map.yaml');
    const [response] = applyCelPolicies(set, [deployment('d', 4, { app: 'x' })]);
    expect(response!.rules[0]).toMatchObject({ type: 'Mutation', status: 'pass' });
    const patched = response!.patchedResource as { metadata: Record<string, unknown>; spec: { replicas: number; template: unknown } };
    expect(patched.metadata.labels).toEqual({ app: 'x', managed: 'true' });
    expect(patched.metadata.annotations).toEqual({ scaled: '1' });
    expect(patched.spec.replicas).toBe(1);
    expect(patched.spec.template).toBeDefined();
  });
});

describe('validate.cel rules of ClusterPolicies', () => {
  const policy = `
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: host-path
spec:
  rules:
  - name: no-host-path
    match:
      any:
      - resources:
          kinds: [Pod]
    validate:
      cel:
        variables:
        - name: volumes
          expression: "object.spec.?volumes.orValue([])"
        expressions:
        - expression: "!variables.volumes.exists(v, has(v.hostPath))"
          message: hostPath volumes are forbidden
`;

  it('evaluate through the policy engine, autogen included', () => {
    const { policies } = parsePolicies(policy, 'cpol.yaml');
    const bad = res({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad', namespace: 'default' }, spec: { containers: [], volumes: [{ name: 'h', hostPath: { path: '/' } }] } });
    const good = pod('good');
    const deploy = res({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'default' }, spec: { template: { spec: { containers: [], volumes: [{ name: 'h', hostPath: { path: '/' } }] } } } });
    const out = applyPolicies(policies, [bad, good, deploy]).map((r) => r.rules[0]);
    expect(out[0]).toMatchObject({ status: 'fail', message: 'hostPath volumes are forbidden' });
    expect(out[1]).toMatchObject({ status: 'pass', message: "Validation rule 'no-host-path' passed." });
    expect(out[2]).toMatchObject({ name: 'autogen-no-host-path', status: 'fail' });
  });

  it('are checked at load time', () => {
    expect(() => parsePolicies(policy.replace('has(v.hostPath))', 'has(v.hostPath)'), 'cpol.yaml')).toThrow(/cpol\.yaml:\d+: spec\.rules\[0\]\.validate\.cel\.expressions\[0\]\.expression: syntax error/);
  });
});

describe('syntax rewrites', () => {
  it('turns message construction into dynamic maps and complex has() into optional selects', () => {
    expect(rewrite('Object{spec: Object.spec{replicas: 1}}')).toBe('dyn({"spec": dyn({"replicas": 1})})');
    expect(rewrite("has(a[0].b) && has(c.d) && x == 'Foo{a: 1}'")).toBe("(a[0]).?b.hasValue() && has(c.d) && x == 'Foo{a: 1}'");
  });
});
