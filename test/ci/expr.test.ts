import { describe, expect, it } from 'vitest';
import { allContexts, dataflowContexts, evaluate, isConstant, truthy } from '../../src/ci/expr/analyze.ts';
import { ExprSyntaxError, extractExpressions, parseExpression, trimmedBareSpan } from '../../src/ci/expr/parse.ts';

const paths = (refs: { path: string[] | undefined }[]) => refs.map((r) => r.path?.join('.') ?? '<computed>');

describe('parseExpression', () => {
  it('gives every node its span in the source', () => {
    const src = "github.event.issue.title == 'x' && !contains(github.ref, 'main')";
    const e = parseExpression(src);
    expect(e.kind).toBe('binary');
    if (e.kind !== 'binary') return;
    expect(e.op).toBe('&&');
    expect(src.slice(e.left.span.start, e.left.span.end)).toBe("github.event.issue.title == 'x'");
    expect(src.slice(e.right.span.start, e.right.span.end)).toBe("!contains(github.ref, 'main')");
  });

  it('applies GitHub precedence: || below && below == below < below !', () => {
    const e = parseExpression('a || b && c == d < e');
    expect(e.kind === 'binary' && e.op).toBe('||');
    if (e.kind !== 'binary' || e.right.kind !== 'binary') throw new Error('shape');
    expect(e.right.op).toBe('&&');
  });

  it('reads literals: strings with doubled quotes, hex, exponent and negative numbers, case-insensitive keywords', () => {
    expect(evaluate(parseExpression("'it''s'"))).toBe("it's");
    expect(evaluate(parseExpression('0xff'))).toBe(255);
    expect(evaluate(parseExpression('-1.5e2'))).toBe(-150);
    expect(evaluate(parseExpression('TRUE'))).toBe(true);
    expect(evaluate(parseExpression('null'))).toBe(null);
  });

  it('keeps the base offset so spans point into the enclosing text', () => {
    const e = parseExpression('github.actor', 10);
    expect(e.span).toEqual({ start: 10, end: 22 });
  });

  it('rejects malformed expressions with an offset', () => {
    expect(() => parseExpression("github.event.issue.title == 'x")).toThrow(ExprSyntaxError);
    expect(() => parseExpression('a &&')).toThrow(/ends too early/);
    expect(() => parseExpression('foo(')).toThrow(ExprSyntaxError);
    expect(() => parseExpression('a b')).toThrow(/unexpected 'b'/);
    try {
      parseExpression('a ? b');
    } catch (err) {
      expect((err as ExprSyntaxError).offset).toBe(2);
    }
  });
});

describe('contexts', () => {
  it('normalises index access, case and numeric indices into one pattern', () => {
    expect(paths(allContexts(parseExpression("github['EVENT'].commits[0].Message")))).toEqual(['github.event.commits.*.message']);
    expect(paths(allContexts(parseExpression('github.event.pages.*.page_name')))).toEqual(['github.event.pages.*.page_name']);
  });

  it('marks call-led and computed chains as patternless and still reads their arguments', () => {
    expect(paths(allContexts(parseExpression('fromJSON(steps.a.outputs.b).c')))).toEqual(['<computed>', 'steps.a.outputs.b']);
    expect(paths(allContexts(parseExpression('inputs[inputs.key]')))).toEqual(['<computed>', 'inputs.key']);
  });

  it('follows only the values that can reach the result', () => {
    expect(paths(dataflowContexts(parseExpression('a.b && c.d || e.f')))).toEqual(['c.d', 'e.f']);
    expect(paths(dataflowContexts(parseExpression("contains(github.event.issue.title, 'x')")))).toEqual([]);
    expect(paths(dataflowContexts(parseExpression("format('{0}', github.head_ref)")))).toEqual(['github.head_ref']);
    expect(paths(dataflowContexts(parseExpression('toJSON(github.event)')))).toEqual(['github.event']);
    expect(paths(dataflowContexts(parseExpression("github.event_name == 'push'")))).toEqual([]);
  });
});

describe('constant evaluation', () => {
  it('folds pure functions and operators with GitHub coercions', () => {
    expect(evaluate(parseExpression("format('{0}-{{x}}-{1}', 'a', 1)"))).toBe('a-{x}-1');
    expect(evaluate(parseExpression("startsWith('Refs/Tags/v1', 'refs/tags/')"))).toBe(true);
    expect(evaluate(parseExpression("'ABC' == 'abc'"))).toBe(true);
    expect(evaluate(parseExpression("1 == '1'"))).toBe(true);
    expect(evaluate(parseExpression("'' || 'fallback'"))).toBe('fallback');
    expect(evaluate(parseExpression("contains(fromJSON('[\"a\",\"b\"]'), 'b')"))).toBe(true);
  });

  it('treats anything that reads a context as non-constant', () => {
    expect(isConstant(parseExpression("format('{0}', github.sha)"))).toBe(false);
    expect(isConstant(parseExpression('1 > 2 || true'))).toBe(true);
    expect(isConstant(parseExpression("fromJSON('[1]')"))).toBe(false);
  });

  it('implements GitHub truthiness', () => {
    expect([false, 0, '', null, NaN].map(truthy)).toEqual([false, false, false, false, false]);
    expect(['0', 'false', [], {}].map((v) => truthy(v as never))).toEqual([true, true, true, true]);
  });
});

describe('extractExpressions', () => {
  it('finds fences, ignores }} inside string literals and stops at an unterminated fence', () => {
    const text = "a ${{ format('}}', x) }} b ${{c}} ${{ d";
    const found = extractExpressions(text);
    expect(found.map((f) => text.slice(f.start, f.end))).toEqual(["${{ format('}}', x) }}", '${{c}}']);
    expect(text.slice(trimmedBareSpan(found[0]!).start, trimmedBareSpan(found[0]!).end)).toBe("format('}}', x)");
  });
});
