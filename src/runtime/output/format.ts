/**
 * Rule output formats: text with `%field` placeholders (`%proc.name`, `%proc.aname[2]`,
 * `%jevt.value[/requestObject/spec/volumes]`, `%toupper(user.name)`). A placeholder takes the
 * longest field name the source knows (`%proc.name.` is `proc.name` then a dot), as libsinsp's
 * formatter does; an unknown field fails the rule at load time. Values render as text: a missing
 * value as `<NA>`, a list as `(a,b)`.
 */
import { printCondition } from '../condition/ast.ts';
import { CompileError, compileOperand, type CompileContext, type CompiledOperand } from '../condition/compile.ts';
import { ConditionSyntaxError, parseCondition } from '../condition/parser.ts';
import type { RuntimeEvent } from '../event.ts';
import type { FieldValue } from '../fields/types.ts';

export interface OutputField {
  /** The placeholder as written without `%` (`proc.aname[2]`): the key in JSON `output_fields`. */
  key: string;
  operand: CompiledOperand;
  /** Deprecated placeholders (`%container.info`) render empty and are left out of output_fields. */
  silent: boolean;
}

export interface OutputFormat {
  format: string;
  /** Literal text and field indexes, in order. */
  parts: (string | number)[];
  fields: OutputField[];
}

export const NA = '<NA>';

const FIELD_NAME = /[a-zA-Z][a-zA-Z0-9_]*(?:\.[a-zA-Z0-9_]+)*/y;
const TRANSFORMER = /(?:tolower|toupper|b64|basename|len|val)\(/y;

export function compileOutput(format: string, ctx: CompileContext): OutputFormat {
  const parts: (string | number)[] = [];
  const fields: OutputField[] = [];
  const indexOf = new Map<string, number>();
  let literal = '';
  const addField = (key: string, make: () => { operand: CompiledOperand; silent: boolean }) => {
    let idx = indexOf.get(key);
    if (idx === undefined) {
      idx = fields.length;
      fields.push({ key, ...make() });
      indexOf.set(key, idx);
    }
    if (literal) parts.push(literal);
    literal = '';
    parts.push(idx);
  };
  let i = 0;
  while (i < format.length) {
    const c = format[i]!;
    if (c !== '%') {
      literal += c;
      i++;
      continue;
    }
    TRANSFORMER.lastIndex = i + 1;
    if (TRANSFORMER.test(format)) {
      const end = matchingParen(format, format.indexOf('(', i + 1));
      if (end < 0) throw new CompileError('INVALID', `unterminated transformer in output at '${format.slice(i, i + 20)}'`, outputPos(i));
      const text = format.slice(i + 1, end + 1);
      const operand = parseOperand(text, i);
      addField(printCondition(operand), () => ({ operand: compileOperand(operand, ctx, true), silent: false }));
      i = end + 1;
      continue;
    }
    FIELD_NAME.lastIndex = i + 1;
    const m = FIELD_NAME.exec(format);
    if (!m) {
      literal += c;
      i++;
      continue;
    }
    let name = m[0];
    let end = i + 1 + name.length;
    let arg: string | undefined;
    if (format[end] === '[') {
      const close = format.indexOf(']', end);
      if (close > end) {
        arg = format.slice(end + 1, close);
        end = close + 1;
      }
    }
    // The longest known field name wins; what follows it is literal text.
    while (arg === undefined && !ctx.registry.lookup(ctx.source, name) && name.includes('.')) {
      name = name.slice(0, name.lastIndexOf('.'));
      end = i + 1 + name.length;
    }
    const resolved = ctx.registry.lookup(ctx.source, name, arg);
    if (!resolved) throw new CompileError('UNKNOWN_FIELD', `filter_check called with nonexistent field ${m[0]}`, outputPos(i));
    const key = arg === undefined ? name : `${name}[${arg}]`;
    const fieldRef = { kind: 'field' as const, name, pos: outputPos(i), ...(arg === undefined ? {} : { arg }) };
    addField(key, () => ({ operand: compileOperand(fieldRef, ctx, true), silent: resolved.def.outputOnly === true }));
    i = end;
  }
  if (literal) parts.push(literal);
  return { format, parts, fields };
}

function outputPos(idx: number) {
  return { idx, line: 1, col: idx + 1 };
}

function matchingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i;
  }
  return -1;
}

function parseOperand(text: string, at: number) {
  try {
    const expr = parseCondition(`${text} exists`);
    if (expr.kind === 'unary') return expr.left;
  } catch (err) {
    if (!(err instanceof ConditionSyntaxError)) throw err;
  }
  throw new CompileError('INVALID', `invalid output placeholder %${text}`, outputPos(at));
}

export function renderValue(v: FieldValue | undefined): string {
  if (v === undefined) return NA;
  if (Array.isArray(v)) return `(${v.join(',')})`;
  return String(v);
}

export function renderOutput(out: OutputFormat, evt: RuntimeEvent): string {
  let s = '';
  for (const p of out.parts) {
    if (typeof p === 'string') s += p;
    else {
      const f = out.fields[p]!;
      if (!f.silent) s += renderValue(f.operand.get(evt));
    }
  }
  return s;
}

/** Field values for JSON `output_fields`: typed values, `null` when missing. */
export function outputFieldValues(out: OutputFormat, evt: RuntimeEvent): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const f of out.fields) {
    if (f.silent) continue;
    values[f.key] = f.operand.get(evt) ?? null;
  }
  return values;
}
