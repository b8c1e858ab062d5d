import { describe, expect, it } from 'vitest';
import { computeRules } from '../../../src/policy/engine/autogen.ts';
import type { Rule } from '../../../src/policy/engine/types.ts';

const podRule: Rule = {
  name: 'require-image-tag',
  match: { any: [{ resources: { kinds: ['Pod'] } }] },
  validate: {
    message: 'Image of {{ request.object.metadata.name }} needs a tag',
    failureAction: 'Enforce',
    pattern: { spec: { containers: [{ image: '*:*' }] } },
  },
};

const policy = (rules: Rule[], annotations: Record<string, string> = {}) => ({ annotations, spec: { rules } });

describe('computeRules (autogen)', () => {
  it('adds controller and CronJob rules with patterns under the pod template', () => {
    const rules = computeRules(policy([podRule]));
    expect(rules.map((r) => r.name)).toEqual(['require-image-tag', 'autogen-require-image-tag', 'autogen-cronjob-require-image-tag']);
    const [, controllers, cronjob] = rules;
    expect(controllers!.match.any![0]!.resources!.kinds).toEqual(['DaemonSet', 'Deployment', 'Job', 'ReplicaSet', 'ReplicationController', 'StatefulSet']);
    expect(controllers!.validate).toEqual({
      message: 'Image of {{ request.object.spec.template.metadata.name }} needs a tag',
      failureAction: 'Enforce',
      pattern: { spec: { template: { spec: { containers: [{ image: '*:*' }] } } } },
    });
    expect(cronjob!.match.any![0]!.resources!.kinds).toEqual(['CronJob']);
    expect(cronjob!.validate!.pattern).toEqual({ spec: { jobTemplate: { spec: { template: { spec: { containers: [{ image: '*:*' }] } } } } } });
    expect(cronjob!.validate!.message).toBe('Image of {{ request.object.spec.jobTemplate.spec.template.metadata.name }} needs a tag');
  });

  it('rewrites request.object references in deny conditions and foreach lists', () => {
    const rule: Rule = {
      name: 'r',
      match: { any: [{ resources: { kinds: ['Pod'] } }] },
      validate: {
        foreach: [{ list: 'request.object.spec.containers', deny: { conditions: [{ key: '{{ element.image }}', operator: 'Equals', value: 'x' }] } }],
      },
    };
    const [, controllers, cronjob] = computeRules(policy([rule]));
    expect(controllers!.validate!.foreach![0]!.list).toBe('request.object.spec.template.spec.containers');
    expect(cronjob!.validate!.foreach![0]!.list).toBe('request.object.spec.jobTemplate.spec.template.spec.containers');
  });

  it('honours the autogen-controllers annotation', () => {
    expect(computeRules(policy([podRule], { 'pod-policies.kyverno.io/autogen-controllers': 'none' })).map((r) => r.name)).toEqual(['require-image-tag']);
    const rules = computeRules(policy([podRule], { 'pod-policies.kyverno.io/autogen-controllers': 'Deployment,StatefulSet' }));
    expect(rules.map((r) => r.name)).toEqual(['require-image-tag', 'autogen-require-image-tag']);
    expect(rules[1]!.match.any![0]!.resources!.kinds).toEqual(['Deployment', 'StatefulSet']);
    const cron = computeRules(policy([podRule], { 'pod-policies.kyverno.io/autogen-controllers': 'CronJob' }));
    expect(cron.map((r) => r.name)).toEqual(['require-image-tag', 'autogen-cronjob-require-image-tag']);
  });

  it('is off for the whole policy when a rule selects by name, selector or annotations, or mixes kinds', () => {
    const byName: Rule = { ...podRule, name: 'named', match: { any: [{ resources: { kinds: ['Pod'], names: ['web'] } }] } };
    expect(computeRules(policy([podRule, byName])).map((r) => r.name)).toEqual(['require-image-tag', 'named']);
    const mixed: Rule = { ...podRule, name: 'mixed', match: { any: [{ resources: { kinds: ['Pod', 'Service'] } }] } };
    expect(computeRules(policy([mixed])).map((r) => r.name)).toEqual(['mixed']);
    const jsonPatch: Rule = { name: 'jp', match: { any: [{ resources: { kinds: ['Pod'] } }] }, mutate: { patchesJson6902: '[]' } };
    expect(computeRules(policy([podRule, jsonPatch])).map((r) => r.name)).toEqual(['require-image-tag', 'jp']);
  });

  it('keeps non-pod rules and wraps strategic merge patches', () => {
    const svc: Rule = { name: 'svc', match: { any: [{ resources: { kinds: ['Service'] } }] }, validate: { pattern: { spec: {} } } };
    const label: Rule = { name: 'label', match: { resources: { kinds: ['Pod'] } }, mutate: { patchStrategicMerge: { metadata: { labels: { a: 'b' } } } } };
    const rules = computeRules(policy([svc, label]));
    expect(rules.map((r) => r.name)).toEqual(['svc', 'label', 'autogen-label', 'autogen-cronjob-label']);
    expect(rules[2]!.match.resources!.kinds).toEqual(['DaemonSet', 'Deployment', 'Job', 'ReplicaSet', 'ReplicationController', 'StatefulSet']);
    expect(rules[2]!.mutate).toEqual({ patchStrategicMerge: { spec: { template: { metadata: { labels: { a: 'b' } } } } } });
  });

  it('truncates generated names to 63 characters', () => {
    const long: Rule = { ...podRule, name: 'x'.repeat(60) };
    const names = computeRules(policy([long])).map((r) => r.name);
    expect(names[1]).toHaveLength(63);
    expect(names[2]).toBe(`autogen-cronjob-${'x'.repeat(47)}`);
  });
});
