/**
 * The condition AST: a closed union on `kind`, every node carrying the position where it starts in
 * the condition text. The parser builds it, `resolve.ts` substitutes macros and lists in it,
 * `analyze.ts` reads it and `compile.ts` turns it into an evaluator. `printCondition` turns a tree
 * back into condition text and `sameCondition` compares two trees ignoring positions.
 */

export interface Position {
  /** 0-based offset in the condition text. */
  idx: number;
  /** 1-based line and column. */
  line: number;
  col: number;
}

export type Expr = AndExpr | OrExpr | NotExpr | IdentifierExpr | UnaryCheck | BinaryCheck;

/** The left side of a check, or a computed right side: a field or a transformer applied to one. */
export type Operand = FieldRef | TransformerExpr;

/** The right side of a binary check. */
export type RightSide = ValueExpr | ListExpr | TransformerExpr;

export interface AndExpr {
  kind: 'and';
  children: Expr[];
  pos: Position;
}

export interface OrExpr {
  kind: 'or';
  children: Expr[];
  pos: Position;
}

export interface NotExpr {
  kind: 'not';
  child: Expr;
  pos: Position;
}

/** A bare identifier where a check is expected: a macro reference. */
export interface IdentifierExpr {
  kind: 'identifier';
  name: string;
  pos: Position;
}

export interface UnaryCheck {
  kind: 'unary';
  left: Operand;
  op: 'exists';
  pos: Position;
}

export interface BinaryCheck {
  kind: 'binary';
  left: Operand;
  op: string;
  /** `oneof`, `anyof` or `allof` after a string operator: the right side is then a list. */
  modifier?: 'oneof' | 'anyof' | 'allof';
  right: RightSide;
  pos: Position;
}

export interface FieldRef {
  kind: 'field';
  name: string;
  /** The text between brackets (`proc.aname[2]`, `jevt.value[/stage]`), unquoted. */
  arg?: string;
  pos: Position;
}

/** `tolower(…)`, `toupper(…)`, `b64(…)`, `basename(…)`, `len(…)`, or `val(field)` on a right side. */
export interface TransformerExpr {
  kind: 'transformer';
  name: string;
  arg: Operand;
  pos: Position;
}

export interface ValueExpr {
  kind: 'value';
  value: string;
  /** Written between quotes: never a list name. */
  quoted: boolean;
  pos: Position;
}

export interface ListExpr {
  kind: 'list';
  values: ValueExpr[];
  pos: Position;
}

/** Condition text for a tree: parses back to an equal tree. */
export function printCondition(e: Expr | Operand | RightSide): string {
  switch (e.kind) {
    case 'and':
    case 'or':
      return `(${e.children.map(printCondition).join(` ${e.kind} `)})`;
    case 'not':
      return `not ${printCondition(e.child)}`;
    case 'identifier':
      return e.name;
    case 'unary':
      return `${printCondition(e.left)} exists`;
    case 'binary':
      return `${printCondition(e.left)} ${e.op} ${e.modifier ? `${e.modifier} ` : ''}${printCondition(e.right)}`;
    case 'field':
      return e.arg === undefined ? e.name : `${e.name}[${quoteIfNeeded(e.arg, /[\]\s"']/)}]`;
    case 'transformer':
      return `${e.name}(${printCondition(e.arg)})`;
    case 'value':
      return e.quoted ? quote(e.value) : quoteIfNeeded(e.value, /[\s(),="']/);
    case 'list':
      return `(${e.values.map(printCondition).join(', ')})`;
  }
}

function quoteIfNeeded(text: string, special: RegExp): string {
  return text !== '' && !special.test(text) ? text : quote(text);
}

function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Structural equality, positions ignored. */
export function sameCondition(a: Expr | Operand | RightSide, b: Expr | Operand | RightSide): boolean {
  return printCondition(a) === printCondition(b);
}
