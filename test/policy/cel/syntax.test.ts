import { describe, expect, it } from 'vitest';
import { rewrite } from '../../../src/policy/cel/syntax.ts';

describe('rewrite', () => {
  it('rewrites has() of a selection on a complex operand', () => {
    expect(rewrite('has(a[0].b)')).toBe('(a[0]).?b.hasValue()');
  });

  it('leaves a has() argument that is not a selection for the parser to report', () => {
    expect(rewrite('has(f(x) + y)')).toBe('has(f(x) + y)');
  });
});
