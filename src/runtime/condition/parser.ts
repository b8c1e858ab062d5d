/**
 * Parser for Falco conditions: text → AST. It knows no fields, macros or lists; it only checks
 * syntax. The grammar is libsinsp's (falcosecurity/libs userspace/libsinsp/filter/parser.h),
 * written here from its description, plus the `regex` operator, the `len(` transformer and the
 * `oneof`/`anyof`/`allof` modifiers of newer engines:
 *
 *   Expr          ::= OrExpr
 *   OrExpr        ::= AndExpr ('or' (Blank AndExpr | '(' Expr ')'))*
 *   AndExpr       ::= NotExpr ('and' (Blank NotExpr | '(' Expr ')'))*
 *   NotExpr       ::= ('not' Blank)* ('not(' Expr ')' | Check)
 *   Check         ::= Field Condition | Transformer Condition | Identifier | '(' Expr ')'
 *   Transformer   ::= ('tolower(' | 'toupper(' | 'b64(' | 'basename(' | 'len(') (Transformer | Field) ')'
 *   TransformerOrVal ::= Transformer | 'val(' Field ')'
 *   Condition     ::= 'exists'
 *                   | NumOp (NumValue | TransformerOrVal)
 *                   | StrOp (StrValue | TransformerOrVal)
 *                   | StrOp Modifier ListValue
 *                   | ListOp (ListValue | TransformerOrVal)
 *   ListValue     ::= '(' (StrValue (',' StrValue)*)? ')' | Identifier
 *   Field         ::= FieldName ('[' (QuotedStr | FieldArgBareStr) ']')?
 *   NumValue      ::= HexNumber | Number
 *   StrValue      ::= QuotedStr | BareStr
 *   NumOp         ::= '<=' | '<' | '>=' | '>'
 *   StrOp         ::= '==' | '=' | '!=' | ('glob' | 'iglob' | 'contains' | 'icontains' | 'bcontains'
 *                     | 'startswith' | 'bstartswith' | 'endswith' | 'regex') Blank
 *   ListOp        ::= 'intersects' | 'in' | 'pmatch'
 *   Modifier      ::= ('oneof' | 'anyof' | 'allof') Blank
 *
 *   Identifier      [a-zA-Z]+[a-zA-Z0-9_]*
 *   FieldName       [a-zA-Z]+[a-zA-Z0-9_]*(\.[a-zA-Z]+[a-zA-Z0-9_]*)+
 *   FieldArgBareStr [^][\"'[:space:]]+
 *   HexNumber       0[xX][0-9a-zA-Z]+
 *   Number          [+-]?[0-9]+[.]?[0-9]*([eE][+-][0-9]+)?
 *   QuotedStr       "…" or '…' (a backslash before the closing quote escapes it)
 *   BareStr         [^()\"'[:space:]=,]+
 *   Blank           one or more of space, tab, backspace, CR, LF
 *
 * `not` binds tighter than `and`, which binds tighter than `or`. Recursion is capped (default
 * depth 100, as libsinsp) and trailing input is an error. Every node and error carries a position.
 * Error messages are libsinsp's, so rule-validation output reads the same as Falco's.
 */
import type {
  BinaryCheck,
  Expr,
  FieldRef,
  ListExpr,
  Operand,
  Position,
  RightSide,
  TransformerExpr,
  ValueExpr,
} from './ast.ts';

export const DEFAULT_MAX_DEPTH = 100;

/** Transformers the grammar accepts on a left side (and inside each other). */
export const TRANSFORMERS = ['tolower', 'toupper', 'b64', 'basename', 'len'] as const;

export const NUM_OPERATORS = ['<=', '<', '>=', '>'] as const;
export const STR_OPERATORS = ['==', '=', '!=', 'glob', 'iglob', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'regex'] as const;
export const LIST_OPERATORS = ['intersects', 'in', 'pmatch'] as const;
export const ALL_OPERATORS: readonly string[] = ['exists', ...NUM_OPERATORS, ...STR_OPERATORS, ...LIST_OPERATORS];

export class ConditionSyntaxError extends Error {
  readonly pos: Position;

  constructor(message: string, pos: Position) {
    super(message);
    this.name = 'ConditionSyntaxError';
    this.pos = pos;
  }
}

export interface ParseOptions {
  maxDepth?: number;
}

export function parseCondition(text: string, options: ParseOptions = {}): Expr {
  return new Parser(text, options.maxDepth ?? DEFAULT_MAX_DEPTH).parse();
}

const RX = {
  notBlank: /not[ \t\n\v\f\r]+/y,
  identifier: /[a-zA-Z]+[a-zA-Z0-9_]*/y,
  fieldName: /[a-zA-Z]+[a-zA-Z0-9_]*(?:\.[a-zA-Z]+[a-zA-Z0-9_]*)+/y,
  fieldArgBare: /[^\][\\"' \t\n\v\f\r]+/y,
  hexNumber: /0[xX][0-9a-zA-Z]+/y,
  number: /[+-]?[0-9]+\.?[0-9]*(?:[eE][+-][0-9]+)?/y,
  bareStr: /[^()"' \t\n\v\f\r=,]+/y,
  wordStrOp: /(?:glob|iglob|contains|icontains|bcontains|startswith|bstartswith|endswith|regex)(?=[ \t\n\v\f\r\b])/y,
  modifier: /(?:oneof|anyof|allof)(?=[ \t\n\v\f\r\b(])/y,
  transformer: /(?:tolower|toupper|b64|basename|len)\(/y,
  /** Transformers of newer engines that take several arguments: refused by name. */
  unsupportedTransformer: /(?:join|concat|getopt)\(/y,
};

const BLANKS = new Set([' ', '\t', '\b', '\r', '\n']);

const transformerList = () => ['val', ...TRANSFORMERS].map((t) => `'${t}'`).join(', ');

class Parser {
  private readonly input: string;
  private readonly maxDepth: number;
  private idx = 0;
  private line = 1;
  private col = 1;
  private depth = 0;
  private lastToken = '';

  constructor(input: string, maxDepth: number) {
    this.input = input;
    this.maxDepth = maxDepth;
  }

  parse(): Expr {
    if (this.input.length === 0) throw this.error('filter input string is empty');
    const expr = this.parseOr();
    if (this.idx !== this.input.length) {
      throw this.error(`unexpected token after '${this.lastToken}', expecting 'or', 'and'`);
    }
    return expr;
  }

  private parseOr(): Expr {
    return this.guard(() => {
      this.lexBlank();
      const pos = this.pos();
      const children = [this.parseAnd()];
      this.lexBlank();
      while (this.lexString('or')) children.push(this.parseTail('or', () => this.parseAnd()));
      return children.length > 1 ? { kind: 'or', children, pos } : children[0]!;
    });
  }

  private parseAnd(): Expr {
    return this.guard(() => {
      this.lexBlank();
      const pos = this.pos();
      const children = [this.parseNot()];
      this.lexBlank();
      while (this.lexString('and')) children.push(this.parseTail('and', () => this.parseNot()));
      return children.length > 1 ? { kind: 'and', children, pos } : children[0]!;
    });
  }

  /** After `and`/`or`: a blank then the next operand, or a parenthesised expression. */
  private parseTail(keyword: string, next: () => Expr): Expr {
    let child: Expr;
    if (this.lexBlank()) child = next();
    else if (this.lexString('(')) child = this.parseEmbedded();
    else throw this.error(`expected blank or '(' after '${keyword}'`);
    this.lexBlank();
    return child;
  }

  private parseNot(): Expr {
    return this.guard(() => {
      this.lexBlank();
      const pos = this.pos();
      let negate = false;
      while (this.lexRegex(RX.notBlank)) negate = !negate;
      let child: Expr;
      if (this.lexString('not(')) {
        negate = !negate;
        child = this.parseEmbedded();
      } else {
        child = this.parseCheck();
      }
      return negate ? { kind: 'not', child, pos } : child;
    });
  }

  /** The rest of `( Expr )` after the opening parenthesis. */
  private parseEmbedded(): Expr {
    return this.guard(() => {
      this.lexBlank();
      const child = this.parseOr();
      this.lexBlank();
      if (!this.lexString(')')) throw this.error("expected a ')' token");
      return child;
    });
  }

  private parseCheck(): Expr {
    return this.guard(() => {
      this.lexBlank();
      const pos = this.pos();
      if (this.lexString('(')) return this.parseEmbedded();
      if (this.lexRegex(RX.fieldName)) {
        const left = this.parseFieldRemainder(this.lastToken, pos);
        return this.parseCondition(left, pos);
      }
      const transformer = this.lexTransformer();
      if (transformer) {
        const left = this.parseTransformerRemainder(transformer, pos);
        return this.parseCondition(left, pos);
      }
      if (this.lexRegex(RX.identifier)) return { kind: 'identifier', name: this.lastToken, pos };
      throw this.error("expected a '(' token, a field check, or an identifier");
    });
  }

  private parseFieldRemainder(name: string, pos: Position): FieldRef {
    return this.guard(() => {
      if (!this.lexString('[')) return { kind: 'field', name, pos };
      if (!this.lexQuoted() && !this.lexRegex(RX.fieldArgBare)) {
        throw this.error('expected a valid field argument: a quoted string or a bare string');
      }
      const arg = this.lastToken;
      if (!this.lexString(']')) throw this.error("expected a ']' token");
      return { kind: 'field', name, arg, pos };
    });
  }

  /** `name(` has been read: the argument (a field or a nested transformer) and the closing `)`. */
  private parseTransformerRemainder(name: string, pos: Position): TransformerExpr {
    return this.guard(() => {
      this.lexBlank();
      const argPos = this.pos();
      let arg: Operand | undefined;
      const nested = this.lexTransformer();
      if (nested) arg = this.parseTransformerRemainder(nested, argPos);
      else if (this.lexRegex(RX.fieldName)) arg = this.parseFieldRemainder(this.lastToken, argPos);
      if (!arg) throw this.error(`expected a field or a nested valid transformer: ${transformerList()}`);
      this.lexBlank();
      if (!this.lexString(')')) throw this.error("expected a ')' token closing the transformer");
      return { kind: 'transformer', name, arg, pos };
    });
  }

  private parseCondition(left: Operand, pos: Position): Expr {
    return this.guard(() => {
      this.lexBlank();
      if (this.lexString('exists')) return { kind: 'unary', left, op: 'exists', pos };
      let op: string;
      let right: RightSide;
      let modifier: BinaryCheck['modifier'];
      if (this.lexOneOf(NUM_OPERATORS)) {
        op = this.lastToken;
        right = this.parseNumValue();
      } else if (this.lexOneOf(['==', '=', '!=']) || this.lexRegex(RX.wordStrOp)) {
        op = this.lastToken;
        this.lexBlank();
        if (this.lexRegex(RX.modifier)) {
          modifier = this.lastToken as BinaryCheck['modifier'];
          right = this.parseListValue();
        } else {
          right = this.parseStrValue(false);
        }
      } else if (this.lexOneOf(LIST_OPERATORS)) {
        op = this.lastToken;
        right = this.parseListValue();
      } else {
        throw this.error(`expected a valid check operator: one of ${ALL_OPERATORS.map((o) => `'${o}'`).join(', ')}`);
      }
      const check: BinaryCheck = { kind: 'binary', left, op, right, pos };
      if (modifier) check.modifier = modifier;
      return check;
    });
  }

  private parseNumValue(): ValueExpr | TransformerExpr {
    return this.guard(() => {
      this.lexBlank();
      const pos = this.pos();
      const transformer = this.tryTransformerOrVal();
      if (transformer) return transformer;
      if (this.lexRegex(RX.hexNumber) || this.lexRegex(RX.number)) return { kind: 'value', value: this.lastToken, quoted: false, pos };
      throw this.error(`expected a number value or a field with a valid transformer: ${transformerList()}`);
    });
  }

  private parseStrValue(noTransformer: boolean): ValueExpr | TransformerExpr {
    return this.guard(() => {
      this.lexBlank();
      const pos = this.pos();
      if (!noTransformer) {
        const transformer = this.tryTransformerOrVal();
        if (transformer) return transformer;
      }
      if (this.lexQuoted()) return { kind: 'value', value: this.lastToken, quoted: true, pos };
      if (this.lexRegex(RX.bareStr)) return { kind: 'value', value: this.lastToken, quoted: false, pos };
      throw this.error(noTransformer ? 'expected a string value' : `expected a string value or a field with a valid transformer: ${transformerList()}`);
    });
  }

  private parseListValue(): ListExpr | ValueExpr | TransformerExpr {
    return this.guard(() => {
      this.lexBlank();
      const pos = this.pos();
      if (this.lexString('(')) {
        const values: ValueExpr[] = [];
        this.lexBlank();
        const start = this.mark();
        let first: ValueExpr | undefined;
        try {
          first = this.parseStrValue(true) as ValueExpr;
        } catch (err) {
          if (!(err instanceof ConditionSyntaxError)) throw err;
          this.reset(start);
        }
        if (first) {
          values.push(first);
          this.lexBlank();
          while (this.lexString(',')) {
            values.push(this.parseStrValue(true) as ValueExpr);
            this.lexBlank();
          }
        }
        if (!this.lexString(')')) throw this.error("expected a ')' token");
        return { kind: 'list', values, pos };
      }
      const transformer = this.tryTransformerOrVal();
      if (transformer) return transformer;
      if (this.lexRegex(RX.identifier)) return { kind: 'value', value: this.lastToken, quoted: false, pos };
      throw this.error(`expected a list, an identifier, or a field with a valid transformer: ${transformerList()}`);
    });
  }

  private tryTransformerOrVal(): TransformerExpr | undefined {
    return this.guard(() => {
      this.lexBlank();
      const pos = this.pos();
      if (this.lexString('val(')) {
        this.lexBlank();
        const fieldPos = this.pos();
        if (!this.lexRegex(RX.fieldName)) throw this.error("expected a field within 'val' transformer");
        const arg = this.parseFieldRemainder(this.lastToken, fieldPos);
        this.lexBlank();
        if (!this.lexString(')')) throw this.error("expected a ')' token closing the transformer");
        return { kind: 'transformer', name: 'val', arg, pos };
      }
      const transformer = this.lexTransformer();
      return transformer ? this.parseTransformerRemainder(transformer, pos) : undefined;
    });
  }

  /** A transformer name and its `(`, returning the name; a multi-argument one is refused by name. */
  private lexTransformer(): string | undefined {
    if (this.lexRegex(RX.unsupportedTransformer)) {
      throw this.error(`the '${this.lastToken.slice(0, -1)}' transformer is not supported by this engine`);
    }
    if (!this.lexRegex(RX.transformer)) return undefined;
    this.lexBlank();
    return this.lastToken.slice(0, -1);
  }

  // ── lexing ────────────────────────────────────────────────────────────────

  private guard<T>(fn: () => T): T {
    this.depth++;
    try {
      if (this.depth >= this.maxDepth) throw this.error(`exceeded max depth limit of ${this.maxDepth}`);
      return fn();
    } finally {
      this.depth--;
    }
  }

  /** Blanks are the only tokens that do not become the last token. */
  private lexBlank(): boolean {
    let found = false;
    while (this.idx < this.input.length && BLANKS.has(this.input[this.idx]!)) {
      this.advance(1);
      found = true;
    }
    return found;
  }

  private lexString(s: string): boolean {
    if (!this.input.startsWith(s, this.idx)) return false;
    this.advance(s.length);
    this.lastToken = s;
    return true;
  }

  private lexOneOf(list: readonly string[]): boolean {
    return list.some((s) => this.lexString(s));
  }

  private lexRegex(rx: RegExp): boolean {
    rx.lastIndex = this.idx;
    const m = rx.exec(this.input);
    if (!m) return false;
    this.advance(m[0].length);
    this.lastToken = m[0];
    return true;
  }

  /** A single- or double-quoted string; the token is its unescaped content. */
  private lexQuoted(): boolean {
    const delimiter = this.input[this.idx];
    if (delimiter !== '"' && delimiter !== "'") return false;
    let prev = '\\';
    for (let i = this.idx; i < this.input.length; i++) {
      const c = this.input[i]!;
      if (c === delimiter && prev !== '\\') {
        const raw = this.input.slice(this.idx, i + 1);
        this.advance(raw.length);
        this.lastToken = unescapeQuoted(raw);
        return true;
      }
      prev = c;
    }
    return false;
  }

  private advance(n: number): void {
    for (let i = 0; i < n; i++) {
      const c = this.input[this.idx];
      this.col++;
      if (c === '\r' || c === '\n') {
        this.col = 1;
        this.line++;
      }
      this.idx++;
    }
  }

  private pos(): Position {
    return { idx: this.idx, line: this.line, col: this.col };
  }

  private mark(): { idx: number; line: number; col: number; lastToken: string } {
    return { idx: this.idx, line: this.line, col: this.col, lastToken: this.lastToken };
  }

  private reset(m: ReturnType<Parser['mark']>): void {
    this.idx = m.idx;
    this.line = m.line;
    this.col = m.col;
    this.lastToken = m.lastToken;
  }

  private error(message: string): ConditionSyntaxError {
    return new ConditionSyntaxError(message, this.pos());
  }
}

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', '\\': '\\', '/': '/', '"': '"', "'": "'", ' ': ' ' };

/**
 * The content of a quoted string with its escapes resolved. An escape the grammar does not define
 * (`\d`, `\.`) is kept as written, so regular expressions need no double escaping.
 */
export function unescapeQuoted(raw: string): string {
  let out = '';
  for (let i = 1; i < raw.length - 1; i++) {
    const c = raw[i]!;
    if (c !== '\\' || i + 1 >= raw.length - 1) {
      out += c;
      continue;
    }
    const next = raw[++i]!;
    const mapped = ESCAPES[next];
    out += mapped ?? `\\${next}`;
  }
  return out;
}
