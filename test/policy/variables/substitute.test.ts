import { describe, expect, it } from 'vitest';
import { RuleError } from '../../../src/policy/types.ts';
import { newPolicyContext, type JsonContext } from '../../../src/policy/variables/context.ts';
import { hasVariables, resourceExpression, substituteAll, substituteAllInPreconditions } from '../../../src/policy/variables/substitute.ts';

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop', labels: { app: 'web', note: '<b>' } },
  spec: { replicas: 3, paused: false, template: { spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] } } },
};

function context(extra: Record<string, unknown> = {}): JsonContext {
  const ctx = newPolicyContext({ object: deployment });
  for (const [k, v] of Object.entries(extra)) ctx.addEntry(k, v);
  return ctx;
}

function substitutionError(run: () => unknown): RuleError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(RuleError);
    return e as RuleError;
  }
  throw new Error('expected a RuleError');
}

describe('substituteAll', () => {
  it('replaces a field that is exactly one variable with the typed result', () => {
    const out = substituteAll(context(), {
      n: '{{ request.object.spec.replicas }}',
      b: '{{request.object.spec.paused}}',
      o: '{{ request.object.metadata.labels }}',
      a: '{{ request.object.spec.template.spec.containers[].name }}',
      z: '{{ request.object.metadata.annotations || null }}',
    });
    expect(out).toEqual({ n: 3, b: false, o: { app: 'web', note: '<b>' }, a: ['app'], z: null });
  });

  it('splices results into longer strings, objects as Go JSON', () => {
    const out = substituteAll(context(), [
      'name-{{ request.object.metadata.name }}-{{request.namespace}}',
      'replicas={{ request.object.spec.replicas }} paused={{ request.object.spec.paused }}',
      'labels={{ request.object.metadata.labels }}',
      'none={{ request.object.metadata.annotations || null }}',
      'names={{ request.object.spec.template.spec.containers[].name }}',
    ]);
    expect(out).toEqual([
      'name-web-shop',
      'replicas=3 paused=false',
      'labels={"app":"web","note":"\\u003cb\\u003e"}',
      'none=null',
      'names=["app"]',
    ]);
  });

  it('substitutes object keys and leaves other values alone', () => {
    const doc = { '{{ request.object.metadata.name }}-key': { list: [1, true, null, '{{ request.namespace }}'] }, plain: 'text' };
    expect(substituteAll(context(), doc)).toEqual({ 'web-key': { list: [1, true, null, 'shop'] }, plain: 'text' });
  });

  it('does not change its input', () => {
    const doc = { a: '{{ request.namespace }}' };
    substituteAll(context(), doc);
    expect(doc).toEqual({ a: '{{ request.namespace }}' });
  });

  it('resolves nested variables inner first', () => {
    const ctx = context({ key: 'app', which: 'labels' });
    expect(substituteAll(ctx, '{{ request.object.metadata.labels.{{ key }} }}')).toBe('web');
    expect(substituteAll(ctx, 'x-{{ request.object.metadata.{{ which }}.{{ key }} }}')).toBe('x-web');
  });

  it('allows JMESPath object literals inside a variable', () => {
    expect(substituteAll(context(), "{{ {n: request.object.metadata.name} }}")).toEqual({ n: 'web' });
  });

  it('substitutes variables produced by variables, except shallow ones', () => {
    const ctx = context({ indirect: '{{ request.namespace }}' });
    expect(substituteAll(ctx, 'ns={{ indirect }}')).toBe('ns=shop');
    // A whole-field variable is taken as it is.
    expect(substituteAll(ctx, '{{ indirect }}')).toBe('{{ request.namespace }}');
    expect(substituteAll(ctx, 'ns={{- indirect }}')).toBe('ns={{ request.namespace }}');
  });

  it('leaves escaped variables literal and drops the backslash', () => {
    expect(substituteAll(context(), '\\{{ request.namespace }} is {{ request.namespace }}')).toBe('{{ request.namespace }} is shop');
    expect(substituteAll(context(), { k: '\\{{ anything at all }}' })).toEqual({ k: '{{ anything at all }}' });
  });

  it('reads request.oldObject for request.object in a DELETE request', () => {
    const ctx = newPolicyContext({ object: deployment, operation: 'DELETE' });
    expect(substituteAll(ctx, '{{ request.object.metadata.name }}')).toBe('web');
  });

  it('fails on a missing key with Kyverno’s wording', () => {
    const ctx = newPolicyContext({ object: { kind: 'ConfigMap', metadata: { name: 'c' } } });
    const doc = { validate: { message: 'app is {{ request.object.metadata.labels.app }}' } };
    const e = substitutionError(() => substituteAll(ctx, doc, { rule: 'check-app' }));
    expect(e.code).toBe('VARIABLE');
    expect(e.message).toBe(
      'variable substitution failed for rule check-app: failed to resolve request.object.metadata.labels.app at path /validate/message: JMESPath query failed: Unknown key "labels" in path',
    );
    // Without a rule name the prefix is left out.
    expect(substitutionError(() => substituteAll(ctx, doc)).message).toMatch(/^failed to resolve request\.object\.metadata\.labels\.app at path \/validate\/message:/);
  });

  it('reads an optional field through || and a present null as null', () => {
    const ctx = newPolicyContext({ object: { kind: 'ConfigMap', metadata: { name: 'c', labels: null } } });
    expect(substituteAll(ctx, "{{ request.object.metadata.annotations.team || '' }}")).toBe('');
    expect(substituteAll(ctx, 'x={{ request.object.metadata.labels }}')).toBe('x=null');
    expect(substituteAll(ctx, '{{ request.object.metadata.labels.app }}')).toBeNull();
  });

  it('reports JMESPath errors as JMESPATH', () => {
    const e = substitutionError(() => substituteAll(context(), { key: '{{ divide(`1`, `0`) }}' }, { rule: 'r' }));
    expect(e.code).toBe('JMESPATH');
    expect(e.message).toContain("failed to resolve divide(`1`, `0`) at path /key: JMESPath query failed: JMESPath function 'divide': Zero divisor passed");
    expect(substitutionError(() => substituteAll(context(), '{{ request.[ }}')).code).toBe('JMESPATH');
  });

  it('stops on self-reproducing variables', () => {
    const ctx = context({ loop: 'x{{ loop }}' });
    expect(substitutionError(() => substituteAll(ctx, 'a-{{ loop }}')).message).toContain('does not terminate');
  });
});

describe('{{@}}', () => {
  it('is the resource value at the position of the field', () => {
    const rule = { validate: { pattern: { metadata: { name: '{{@}}', labels: { '=(app)': 'x-{{ @ }}' } } } } };
    expect(substituteAll(context(), rule)).toEqual({ validate: { pattern: { metadata: { name: 'web', labels: { '=(app)': 'x-web' } } } } });
  });

  it('skips to the pattern inside foreach', () => {
    const rule = { validate: { foreach: [{ list: 'x', pattern: { metadata: { name: '{{@}}' } } }] } };
    expect(substituteAll(context(), rule)).toEqual({ validate: { foreach: [{ list: 'x', pattern: { metadata: { name: 'web' } } }] } });
  });

  it('reads target when the context has one (mutate existing)', () => {
    const ctx = context({ target: { metadata: { name: 'other' } } });
    expect(substituteAll(ctx, { mutate: { patchStrategicMerge: { metadata: { name: '{{@}}' } } } })).toEqual({
      mutate: { patchStrategicMerge: { metadata: { name: 'other' } } },
    });
  });

  it('uses the caller’s resolver when given', () => {
    const seen: string[][] = [];
    const out = substituteAll(context(), { spec: { containers: [{ image: '{{@}}' }] } }, {
      resolveAt: (path) => {
        seen.push([...path]);
        return 'resolved';
      },
    });
    expect(out).toEqual({ spec: { containers: [{ image: 'resolved' }] } });
    expect(seen).toEqual([['spec', 'containers', '0', 'image']]);
  });
});

describe('$() references', () => {
  it('resolves paths relative to the field', () => {
    const doc = { spec: { '(limit)': 'x', value: '$(./../limit)', abs: '$(/spec/limit)' } };
    expect(substituteAll(context(), doc)).toEqual({ spec: { '(limit)': 'x', value: 'x', abs: 'x' } });
  });

  it('keeps a comparison operator in front of the value', () => {
    const doc = { spec: { max: 'abc', limit: 5, a: '$(<=./../max)', b: '$(>./../limit)' } };
    expect(substituteAll(context(), doc)).toEqual({ spec: { max: 'abc', limit: 5, a: '<=abc', b: '>5.000000' } });
  });

  it('fails on references that do not resolve to a string', () => {
    expect(substitutionError(() => substituteAll(context(), { spec: { a: '$(./../missing)' } })).message).toContain('got nil resolved variable $(./../missing) at path /spec/a');
    expect(substitutionError(() => substituteAll(context(), { spec: { n: 1, a: '$(./../n)' } })).message).toContain('NotResolvedReferenceErr');
  });

  it('leaves escaped references literal and can be turned off', () => {
    expect(substituteAll(context(), { spec: { n: 'v', a: '\\$(./../n)' } })).toEqual({ spec: { n: 'v', a: '$(./../n)' } });
    expect(substituteAll(context(), { a: '$(./b)' }, { references: false })).toEqual({ a: '$(./b)' });
  });
});

describe('substituteAllInPreconditions', () => {
  it('substitutes like substituteAll', () => {
    const conditions = { any: [{ key: '{{ request.object.spec.replicas }}', operator: 'GreaterThan', value: 1 }] };
    expect(substituteAllInPreconditions(context(), conditions)).toEqual({ any: [{ key: 3, operator: 'GreaterThan', value: 1 }] });
  });

  it('fails on a missing variable as current Kyverno does', () => {
    const conditions = { all: [{ key: '{{ request.object.metadata.annotations.owner }}', operator: 'Equals', value: 'x' }] };
    const e = substitutionError(() => substituteAllInPreconditions(context(), conditions, { rule: 'r' }));
    expect(e.code).toBe('VARIABLE');
    expect(e.message).toContain('at path /all/0/key');
    expect(substituteAllInPreconditions(context(), { key: "{{ request.object.metadata.annotations.owner || '' }}" })).toEqual({ key: '' });
  });
});

describe('helpers', () => {
  it.each([
    ['{{ a }}', true],
    ['x {{a}} y', true],
    ['\\{{ a }}', false],
    ['{ a }', false],
    ['{{ {a: b} }}', true],
  ])('hasVariables(%j) is %s', (value, expected) => {
    expect(hasVariables(value)).toBe(expected);
  });

  it('builds JMESPath for resource paths', () => {
    expect(resourceExpression('request.object', ['spec', 'containers', '0', '=(image)', 'a-b', '(x)'])).toBe('request.object.spec.containers[0].image."a-b".x');
  });
});
