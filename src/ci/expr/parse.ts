/**
 * GitHub Actions expressions (`${{ … }}`): tokenizer and recursive-descent parser producing an AST
 * whose every node carries its span in the source text, so that findings can point at the exact
 * sub-expression. Grammar and precedence follow GitHub's documentation
 * (https://docs.github.com/en/actions/reference/workflows-and-actions/expressions), lowest first:
 * `||`, `&&`, `== !=`, `< <= > >=`, `!`, then property access, indexing and calls.
 */

/** Half-open [start, end) offsets into the text the expression was parsed from. */
export interface Span {
  start: number;
  end: number;
}

export type BinaryOp = '||' | '&&' | '==' | '!=' | '<' | '<=' | '>' | '>=';

/** What follows an object in an access chain: `.name`, `[expr]`, `.*` or `[*]`. */
export type AccessKey = { kind: 'name'; name: string } | { kind: 'index'; index: Expr } | { kind: 'star' };

export type Expr =
  | { kind: 'literal'; value: string | number | boolean | null; span: Span }
  | { kind: 'ident'; name: string; span: Span }
  | { kind: 'access'; object: Expr; key: AccessKey; span: Span }
  | { kind: 'call'; name: string; args: Expr[]; span: Span }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; span: Span }
  | { kind: 'unary'; op: '!'; operand: Expr; span: Span };

export class ExprSyntaxError extends Error {
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(message);
    this.name = 'ExprSyntaxError';
    this.offset = offset;
  }
}

type TokenKind = 'number' | 'string' | 'ident' | 'punct' | 'keyword' | 'eof';

interface Token {
  kind: TokenKind;
  text: string;
  /** Decoded value for literals. */
  value?: string | number | boolean | null;
  start: number;
  end: number;
}

const PUNCTUATION = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '(', ')', '[', ']', '.', ',', '*'];
const KEYWORDS: Record<string, boolean | null> = { true: true, false: false, null: null };

function isIdentStart(c: string): boolean {
  return /[A-Za-z_]/.test(c);
}

function isIdentPart(c: string): boolean {
  return /[A-Za-z0-9_-]/.test(c);
}

function tokenize(src: string, base: number): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new ExprSyntaxError('unterminated string literal', base + start);
        if (src[i] === "'") {
          // '' is an escaped quote inside a string literal.
          if (src[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += src[i];
        i++;
      }
      tokens.push({ kind: 'string', text: src.slice(start, i), value, start: base + start, end: base + i });
      continue;
    }
    if (/[0-9]/.test(c) || (c === '-' && /[0-9.]/.test(src[i + 1] ?? '')) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^-?(0x[0-9a-fA-F]+|0o[0-7]+|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)/.exec(src.slice(i));
      if (!m) throw new ExprSyntaxError(`invalid number at '${src.slice(i, i + 10)}'`, base + start);
      const text = m[0];
      i += text.length;
      tokens.push({ kind: 'number', text, value: parseNumber(text), start: base + start, end: base + i });
      continue;
    }
    if (isIdentStart(c)) {
      while (i < src.length && isIdentPart(src[i]!)) i++;
      const text = src.slice(start, i);
      const lower = text.toLowerCase();
      if (lower in KEYWORDS) {
        tokens.push({ kind: 'keyword', text, value: KEYWORDS[lower]!, start: base + start, end: base + i });
      } else {
        tokens.push({ kind: 'ident', text, start: base + start, end: base + i });
      }
      continue;
    }
    const punct = PUNCTUATION.find((p) => src.startsWith(p, i));
    if (!punct) throw new ExprSyntaxError(`unexpected character '${c}'`, base + start);
    i += punct.length;
    tokens.push({ kind: 'punct', text: punct, start: base + start, end: base + i });
  }
  tokens.push({ kind: 'eof', text: '', start: base + src.length, end: base + src.length });
  return tokens;
}

function parseNumber(text: string): number {
  const negative = text.startsWith('-');
  const body = negative ? text.slice(1) : text;
  const n = /^0x/i.test(body) ? parseInt(body.slice(2), 16) : /^0o/i.test(body) ? parseInt(body.slice(2), 8) : Number(body);
  return negative ? -n : n;
}

class Parser {
  private pos = 0;
  private readonly tokens: Token[];

  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }

  parse(): Expr {
    const expr = this.parseOr();
    const next = this.peek();
    if (next.kind !== 'eof') throw new ExprSyntaxError(`unexpected '${next.text}'`, next.start);
    return expr;
  }

  private peek(): Token {
    return this.tokens[this.pos]!;
  }

  private next(): Token {
    return this.tokens[this.pos++]!;
  }

  private isPunct(text: string): boolean {
    const t = this.peek();
    return t.kind === 'punct' && t.text === text;
  }

  private expect(text: string): Token {
    const t = this.next();
    if (t.kind !== 'punct' || t.text !== text) {
      throw new ExprSyntaxError(t.kind === 'eof' ? `expected '${text}' before the end` : `expected '${text}', found '${t.text}'`, t.start);
    }
    return t;
  }

  private binaryLevel(ops: BinaryOp[], operand: () => Expr): Expr {
    let left = operand();
    for (;;) {
      const t = this.peek();
      const op = ops.find((o) => t.kind === 'punct' && t.text === o);
      if (!op) return left;
      this.next();
      const right = operand();
      left = { kind: 'binary', op, left, right, span: { start: left.span.start, end: right.span.end } };
    }
  }

  private parseOr(): Expr {
    return this.binaryLevel(['||'], () => this.parseAnd());
  }

  private parseAnd(): Expr {
    return this.binaryLevel(['&&'], () => this.parseEquality());
  }

  private parseEquality(): Expr {
    return this.binaryLevel(['==', '!='], () => this.parseComparison());
  }

  private parseComparison(): Expr {
    return this.binaryLevel(['<=', '>=', '<', '>'], () => this.parseUnary());
  }

  private parseUnary(): Expr {
    if (this.isPunct('!')) {
      const bang = this.next();
      const operand = this.parseUnary();
      return { kind: 'unary', op: '!', operand, span: { start: bang.start, end: operand.span.end } };
    }
    return this.parsePostfix();
  }

  private parsePostfix(): Expr {
    const { expr: primary, start } = this.parsePrimary();
    let expr = primary;
    for (;;) {
      if (this.isPunct('.')) {
        this.next();
        const t = this.next();
        if (t.kind === 'punct' && t.text === '*') {
          expr = { kind: 'access', object: expr, key: { kind: 'star' }, span: { start, end: t.end } };
        } else if (t.kind === 'ident' || t.kind === 'keyword') {
          expr = { kind: 'access', object: expr, key: { kind: 'name', name: t.text }, span: { start, end: t.end } };
        } else {
          throw new ExprSyntaxError(`expected a property name after '.', found '${t.text}'`, t.start);
        }
      } else if (this.isPunct('[')) {
        this.next();
        if (this.isPunct('*')) {
          this.next();
          const close = this.expect(']');
          expr = { kind: 'access', object: expr, key: { kind: 'star' }, span: { start, end: close.end } };
        } else {
          const index = this.parseOr();
          const close = this.expect(']');
          expr = { kind: 'access', object: expr, key: { kind: 'index', index }, span: { start, end: close.end } };
        }
      } else {
        return expr;
      }
    }
  }

  /** The primary expression, and where its text starts (the `(` of a parenthesized one). */
  private parsePrimary(): { expr: Expr; start: number } {
    const t = this.next();
    switch (t.kind) {
      case 'string':
      case 'number':
      case 'keyword':
        return { expr: { kind: 'literal', value: t.value!, span: { start: t.start, end: t.end } }, start: t.start };
      case 'ident': {
        if (this.isPunct('(')) {
          this.next();
          const args: Expr[] = [];
          if (!this.isPunct(')')) {
            for (;;) {
              args.push(this.parseOr());
              if (!this.isPunct(',')) break;
              this.next();
            }
          }
          const close = this.expect(')');
          return { expr: { kind: 'call', name: t.text, args, span: { start: t.start, end: close.end } }, start: t.start };
        }
        return { expr: { kind: 'ident', name: t.text, span: { start: t.start, end: t.end } }, start: t.start };
      }
      case 'punct':
        if (t.text === '(') {
          const inner = this.parseOr();
          this.expect(')');
          return { expr: inner, start: t.start };
        }
        throw new ExprSyntaxError(`unexpected '${t.text}'`, t.start);
      case 'eof':
        throw new ExprSyntaxError('expression is empty or ends too early', t.start);
    }
  }
}

/**
 * Parses a bare expression (the text between `${{` and `}}`). Spans are offsets into `src`
 * plus `base`, so callers can parse a slice of a larger text and keep its coordinates.
 */
export function parseExpression(src: string, base = 0): Expr {
  return new Parser(tokenize(src, base)).parse();
}

/** One `${{ … }}` occurrence in a text. */
export interface FencedExpression {
  /** Offset of `${{`. */
  start: number;
  /** Offset just past `}}`. */
  end: number;
  /** The text between the fences, untrimmed. */
  bare: string;
  /** Offset of the first character of `bare`. */
  bareStart: number;
}

/**
 * Finds every `${{ … }}` in `text`. The closing `}}` is searched outside string literals, so
 * `${{ format('{{0}}', x) }}` is one expression. An unterminated `${{` ends the scan.
 */
export function extractExpressions(text: string): FencedExpression[] {
  const found: FencedExpression[] = [];
  let from = 0;
  for (;;) {
    const start = text.indexOf('${{', from);
    if (start < 0) return found;
    let i = start + 3;
    let inString = false;
    let end = -1;
    while (i < text.length) {
      const c = text[i];
      if (inString) {
        if (c === "'") {
          if (text[i + 1] === "'") i++;
          else inString = false;
        }
      } else if (c === "'") {
        inString = true;
      } else if (c === '}' && text[i + 1] === '}') {
        end = i + 2;
        break;
      }
      i++;
    }
    if (end < 0) return found;
    found.push({ start, end, bare: text.slice(start + 3, end - 2), bareStart: start + 3 });
    from = end;
  }
}

/** The span of the trimmed bare text: where a finding about the whole expression should point. */
export function trimmedBareSpan(e: FencedExpression): Span {
  const lead = e.bare.length - e.bare.trimStart().length;
  const trail = e.bare.length - e.bare.trimEnd().length;
  return { start: e.bareStart + lead, end: e.end - 2 - trail };
}
