import { describe, expect, it } from 'vitest';
import { goJson } from '../../src/secrets/report.ts';

describe("gitleaks' JSON (Go's encoding/json)", () => {
  it('escapes as Go 1.22 and later do: \\b and \\f short, HTML characters and lone surrogates rewritten', () => {
    expect(goJson({ s: 'a\bb\fc\nd\te<f>g&h\u2028' }, 1)).toBe('{\n "s": "a\\bb\\fc\\nd\\te\\u003cf\\u003eg\\u0026h\\u2028"\n}');
    // A lone surrogate is invalid UTF-8 to Go (U+FFFD); a pair is a character; an escaped backslash before "ud800" is text.
    expect(goJson(['x\ud800y', '😀', '\\ud800'], '\t')).toBe('[\n\t"x\\ufffdy",\n\t"😀",\n\t"\\\\ud800"\n]');
  });
});
