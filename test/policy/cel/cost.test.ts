import { describe, expect, it } from 'vitest';
import { CelCostError, withBudget } from '../../../src/policy/cel/cost.ts';
import { celEnvironment } from '../../../src/policy/cel/env.ts';
import { toCel } from '../../../src/policy/cel/values.ts';

const env = celEnvironment();

describe('CEL cost limits', () => {
  it('stops nested comprehensions over the per-expression budget with a clear error', () => {
    const program = env.compile('lists.range(2000).all(x, lists.range(2000).all(y, x + y >= 0))');
    expect(() => program.run({})).toThrow(CelCostError);
    expect(() => program.run({})).toThrow(/cost limit exceeded \(limit 1000000\)/);
  });

  it('charges values that double in size', () => {
    const doubling = Array.from({ length: 30 }, (_, i) => `cel.bind(v${i + 1}, v${i} + v${i}, `).join('') + 'size(v30) > 0' + ')'.repeat(30);
    const program = env.compile(`cel.bind(v0, [1, 2, 3, 4], ${doubling})`);
    expect(() => program.run({})).toThrow(CelCostError);
  });

  it('honours a smaller budget and a time budget', () => {
    const program = env.compile('object.items.all(i, i > 0)');
    const object = toCel({ items: Array.from({ length: 500 }, (_, i) => i + 1) });
    expect(program.run({ object })).toBe(true);
    expect(() => program.run({ object }, { cost: 100 })).toThrow(CelCostError);
    const slow = env.compile('lists.range(100000).all(x, [1, 2, 3].exists(y, y == x % 4))');
    expect(() => slow.run({}, { cost: 1e9, timeMs: 5 })).toThrow(/longer than 5 ms/);
  });

  it('counts evaluated nodes (the instrumentation hook is in place)', () => {
    const program = env.compile('[1, 2, 3].map(x, x * 2)');
    const { cost } = withBudget({ cost: 1_000_000, timeMs: 1000 }, () => program.run({}));
    expect(cost).toBeGreaterThan(6);
  });
});
