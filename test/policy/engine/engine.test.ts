import { describe, expect, it } from 'vitest';
import { applyPolicies, applyPoliciesToResource } from '../../../src/policy/engine/engine.ts';
import { parsePolicies, parseResources } from '../../../src/policy/engine/load.ts';
import type { Policy, PolicyResponse } from '../../../src/policy/engine/types.ts';
import { CliValues } from '../../../src/policy/cli-test/values.ts';

const policy = (yaml: string): Policy => {
  const set = parsePolicies(yaml, 'policy.yaml');
  expect(set.policies).toHaveLength(1);
  return set.policies[0]!;
};
const resource = (yaml: string) => parseResources(yaml, 'resource.yaml')[0]!;
const rules = (responses: PolicyResponse[]) => responses.flatMap((r) => r.rules.map((x) => `${x.name}:${x.status}`));

const pod = resource(`
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: prod
  labels: {app: web}
spec:
  containers:
  - name: nginx
    image: nginx:latest
  - name: sidecar
    image: registry.io/proxy:1.2
`);

const deployment = resource(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: prod}
spec:
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: api:latest
`);

const disallowLatest = policy(`
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: disallow-latest-tag
  annotations:
    policies.kyverno.io/severity: medium
spec:
  validationFailureAction: Enforce
  rules:
  - name: validate-image-tag
    match:
      any:
      - resources:
          kinds: [Pod]
    validate:
      message: "Using a mutable image tag e.g. 'latest' is not allowed in {{ request.object.metadata.name }}"
      pattern:
        spec:
          containers:
          - image: "!*:latest"
`);

describe('validate', () => {
  it('fails with Kyverno-formatted messages (variables substituted) and passes', () => {
    const [response] = applyPoliciesToResource([disallowLatest], pod).responses;
    expect(response!.rules).toEqual([
      {
        name: 'validate-image-tag',
        type: 'Validation',
        status: 'fail',
        message: "validation error: Using a mutable image tag e.g. 'latest' is not allowed in web. rule validate-image-tag failed at path /spec/containers/0/image/",
      },
    ]);
    expect(response!.failureActions).toEqual({ 'validate-image-tag': 'Enforce', 'autogen-validate-image-tag': 'Enforce', 'autogen-cronjob-validate-image-tag': 'Enforce' });
  });

  it('applies autogen rules to controllers', () => {
    const [response] = applyPoliciesToResource([disallowLatest], deployment).responses;
    expect(response!.rules.map((r) => [r.name, r.status])).toEqual([['autogen-validate-image-tag', 'fail']]);
    // As in Kyverno, the message's request.object.metadata.name moved to the pod template, which has no name.
    expect(response!.rules[0]!.message).toBe(
      "validation error: variables substitution error in rule autogen-validate-image-tag execution error: resource value 'api:latest' does not match '!*:latest' at path /spec/template/spec/containers/0/image/",
    );
  });

  it('produces no rule response when match does not select the resource', () => {
    const svc = resource('apiVersion: v1\nkind: Service\nmetadata: {name: s}\n');
    expect(applyPoliciesToResource([disallowLatest], svc).responses[0]!.rules).toEqual([]);
  });

  it('skips when preconditions are false and evaluates deny conditions', () => {
    const p = policy(`
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: deny-prod}
spec:
  rules:
  - name: no-prod-web
    match: {any: [{resources: {kinds: [Pod]}}]}
    preconditions:
      all:
      - key: "{{ request.object.metadata.labels.app || '' }}"
        operator: Equals
        value: web
    validate:
      message: "{{ request.object.metadata.name }} may not run in {{ request.namespace }}"
      deny:
        conditions:
          any:
          - key: "{{ request.namespace }}"
            operator: AnyIn
            value: [prod, staging]
`);
    const api = resource('apiVersion: v1\nkind: Pod\nmetadata: {name: api, namespace: prod, labels: {app: api}}\nspec: {containers: [{name: a, image: a:1}]}\n');
    const responses = applyPolicies([p], [pod, api]);
    expect(responses.map((r) => r.rules[0])).toEqual([
      { name: 'no-prod-web', type: 'Validation', status: 'fail', message: 'web may not run in prod' },
      { name: 'no-prod-web', type: 'Validation', status: 'skip', message: 'preconditions not met' },
    ]);
  });

  it('validates each foreach element, with element variables and Kyverno failure wording', () => {
    const p = policy(`
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: trusted-registries}
spec:
  rules:
  - name: registry
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: "image {{ element.image }} is not from registry.io"
      foreach:
      - list: request.object.spec.containers
        deny:
          conditions:
          - key: "{{ element.image }}"
            operator: NotEquals
            value: "registry.io/*"
`);
    const [response] = applyPolicies([p], [pod]);
    expect(response!.rules[0]).toMatchObject({ status: 'fail', message: 'validation failure: image nginx:latest is not from registry.io' });
    const ok = resource('apiVersion: v1\nkind: Pod\nmetadata: {name: ok}\nspec: {containers: [{name: a, image: registry.io/a:1}]}\n');
    expect(applyPolicies([p], [ok])[0]!.rules[0]).toMatchObject({ status: 'pass' });
    const none = resource('apiVersion: v1\nkind: Pod\nmetadata: {name: none}\nspec: {}\n');
    expect(applyPolicies([p], [none])[0]!.rules[0]).toMatchObject({ status: 'skip', message: 'rule skipped' });
  });

  it('reports anyPattern failures per pattern', () => {
    const p = policy(`
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: any}
spec:
  rules:
  - name: run-as
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: run as non-root
      anyPattern:
      - spec: {securityContext: {runAsNonRoot: true}}
      - spec: {containers: [{securityContext: {runAsNonRoot: true}}]}
`);
    expect(applyPolicies([p], [pod])[0]!.rules[0]!.message).toBe(
      'validation error: run as non-root. rule run-as[0] failed at path /spec/securityContext/ rule run-as[1] failed at path /spec/containers/0/securityContext/',
    );
  });

  it('evaluates podSecurity with Kyverno wording', () => {
    const p = policy(`
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: psa}
spec:
  rules:
  - name: restricted
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      podSecurity: {level: restricted, version: latest}
`);
    const [response] = applyPolicies([p], [pod]);
    expect(response!.rules[0]!.status).toBe('fail');
    expect(response!.rules[0]!.message).toMatch(/^Validation rule 'restricted' failed\. It violates PodSecurity "restricted:latest": \(.*allowPrivilegeEscalation != false/);
  });

  it('turns a JMESPath error in one rule into an error result and still runs the others', () => {
    const p = policy(`
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: two-rules}
spec:
  rules:
  - name: broken
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      deny:
        conditions:
        - key: "{{ request.object.metadata.labels.missing }}"
          operator: Equals
          value: x
  - name: fine
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      pattern: {metadata: {labels: {app: "?*"}}}
`);
    const [response] = applyPolicies([p], [pod]);
    expect(response!.rules.map((r) => [r.name, r.status])).toEqual([
      ['broken', 'error'],
      ['fine', 'pass'],
    ]);
    expect(response!.rules[0]!.message).toMatch(/missing/);
  });

  it('reports unsupported features as errors naming the policy and rule, never as a pass', () => {
    const p = policy(`
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: needs-cluster}
spec:
  rules:
  - name: lookup
    match: {any: [{resources: {kinds: [Pod]}}]}
    context:
    - name: ns
      apiCall: {urlPath: "/api/v1/namespaces/{{ request.namespace }}"}
    validate:
      deny:
        conditions:
        - key: "{{ ns.metadata.labels.env || '' }}"
          operator: Equals
          value: prod
  - name: manifests
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      manifests:
        attestors: []
`);
    const [response] = applyPolicies([p], [pod]);
    expect(response!.rules).toEqual([
      { name: 'lookup', type: 'Validation', status: 'error', message: 'unsupported: context apiCall "ns" without values in needs-cluster/lookup' },
      { name: 'manifests', type: 'Validation', status: 'error', message: 'unsupported: validate.manifests in needs-cluster/manifests' },
    ]);
    // With the value supplied (as a values file does), the rule runs.
    const values = new CliValues({ policies: [{ name: 'needs-cluster', rules: [{ name: 'lookup', values: { ns: { metadata: { labels: { env: 'prod' } } } } }] }] });
    expect(applyPolicies([p], [pod], { values })[0]!.rules[0]!.status).toBe('fail');
  });

  it('skips validate.cel rules whose celPreconditions do not hold', () => {
    const p = policy(`
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: cel-pre}
spec:
  rules:
  - name: labelled-only
    match: {any: [{resources: {kinds: [Pod]}}]}
    celPreconditions:
    - name: has-app-web
      expression: "has(object.metadata.labels) && object.metadata.labels.app == 'web'"
    validate:
      cel:
        expressions:
        - expression: "object.spec.containers.all(c, !c.image.endsWith(':latest'))"
          message: no latest
`);
    const other = resource('apiVersion: v1\nkind: Pod\nmetadata: {name: other}\nspec: {containers: [{name: a, image: a:latest}]}\n');
    expect(applyPolicies([p], [pod, other]).map((r) => r.rules[0])).toEqual([
      { name: 'labelled-only', type: 'Validation', status: 'fail', message: 'no latest' },
      { name: 'labelled-only', type: 'Validation', status: 'skip', message: 'cel preconditions not met' },
    ]);
  });

  it('only applies a namespaced Policy to its own namespace', () => {
    const p = policy(`
apiVersion: kyverno.io/v1
kind: Policy
metadata: {name: local, namespace: dev}
spec:
  rules:
  - name: r
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate: {pattern: {metadata: {name: "?*"}}}
`);
    expect(applyPolicies([p], [pod])[0]!.rules).toEqual([]);
  });

  it('skips a rule for a matching PolicyException', () => {
    const set = parsePolicies(
      `
apiVersion: kyverno.io/v2
kind: PolicyException
metadata: {name: allow-web, namespace: prod}
spec:
  exceptions:
  - policyName: disallow-latest-tag
    ruleNames: [validate-image-tag]
  match:
    any:
    - resources: {kinds: [Pod], names: [web]}
`,
      'ex.yaml',
    );
    const [response] = applyPolicies([disallowLatest], [pod], { exceptions: set.exceptions });
    expect(response!.rules[0]).toMatchObject({ status: 'skip', message: 'rule is skipped due to policy exception prod/allow-web', exceptions: ['prod/allow-web'] });
  });

  it('matches on the operation given in values, with the old object for UPDATE', () => {
    const p = policy(`
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: on-update}
spec:
  rules:
  - name: r
    match: {any: [{resources: {kinds: [Pod], operations: [UPDATE]}}]}
    validate:
      deny:
        conditions:
        - key: "{{ request.oldObject.metadata.name }}"
          operator: Equals
          value: web
`);
    expect(applyPolicies([p], [pod])[0]!.rules).toEqual([]);
    const values = new CliValues({ globalValues: { 'request.operation': 'UPDATE' } });
    expect(applyPolicies([p], [pod], { values })[0]!.rules[0]!.status).toBe('fail');
  });
});

describe('mutate', () => {
  const addLabels = policy(`
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: add-labels}
spec:
  rules:
  - name: team
    match: {any: [{resources: {kinds: [Pod]}}]}
    mutate:
      patchStrategicMerge:
        metadata:
          labels:
            +(team): "{{ request.namespace }}"
  - name: pull-policy
    match: {any: [{resources: {kinds: [Pod]}}]}
    mutate:
      foreach:
      - list: request.object.spec.containers
        patchStrategicMerge:
          spec:
            containers:
            - name: "{{ element.name }}"
              imagePullPolicy: Always
  - name: annotate
    match: {any: [{resources: {kinds: [Pod]}}]}
    mutate:
      patchesJson6902: |-
        - op: add
          path: /metadata/annotations
          value: {checked: "{{ request.object.metadata.labels.team }}"}
`);

  it('applies patches in order, later rules seeing earlier results', () => {
    const { responses, patched } = applyPoliciesToResource([addLabels], pod);
    expect(rules(responses)).toEqual(['team:pass', 'pull-policy:pass', 'annotate:pass']);
    expect(responses[0]!.rules[0]!.message).toBe('mutated Pod/web in namespace prod');
    expect(patched).toMatchObject({
      metadata: { labels: { app: 'web', team: 'prod' }, annotations: { checked: 'prod' } },
      spec: { containers: [{ name: 'nginx', imagePullPolicy: 'Always' }, { name: 'sidecar', imagePullPolicy: 'Always' }] },
    });
    expect(pod.object.metadata).toEqual({ name: 'web', namespace: 'prod', labels: { app: 'web' } });
  });

  it('skips when the patch changes nothing', () => {
    const labelled = resource('apiVersion: v1\nkind: Pod\nmetadata: {name: x, namespace: prod, labels: {team: a}, annotations: {checked: a}}\nspec: {containers: [{name: c, image: c, imagePullPolicy: Always}]}\n');
    expect(rules(applyPoliciesToResource([addLabels], labelled).responses)).toEqual(['team:skip', 'pull-policy:skip', 'annotate:skip']);
  });

  it('validates the mutated resource', () => {
    const requireTeam = policy(`
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: require-team}
spec:
  rules:
  - name: team
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate: {pattern: {metadata: {labels: {team: "?*"}}}}
`);
    const { responses } = applyPoliciesToResource([requireTeam, addLabels], pod);
    expect(responses.map((r) => `${r.policy.name}:${r.rules.map((x) => x.status).join(',')}`)).toEqual(['add-labels:pass,pass,pass', 'require-team:pass']);
  });
});
