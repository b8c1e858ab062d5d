/**
 * `{{ }}` variable and `$( )` reference substitution over a rule document, as Kyverno's
 * SubstituteAll does it (pkg/engine/variables/vars.go):
 *
 * - Every string leaf and every object key is scanned. A variable is `{{ expr }}` whose body has no
 *   braces except one level of `{…}` (for JMESPath object literals), so nested variables resolve
 *   inner first: `{{ a.{{ b }} }}` evaluates `b`, then `a.<b>`. Scanning repeats until no variable
 *   is left, so text produced by a variable is substituted too, except for the shallow form
 *   `{{- expr }}` whose result is taken literally.
 * - A string that is exactly one variable becomes the typed result (object, number, bool, null);
 *   otherwise results are spliced in: strings as they are, anything else as Go's json.Marshal
 *   (`null`, `{"a":1}`).
 * - `\{{ … }}` is not substituted; the backslash is removed at the end.
 * - In a DELETE request `request.object` in an expression reads `request.oldObject`.
 * - `{{@}}` is the value of the resource at the position of the substituted field (see
 *   SubstituteOptions.resolveAt).
 * - A JMESPath error or a missing key fails the substitution with a RuleError (VARIABLE for a
 *   missing key, JMESPATH otherwise) worded like Kyverno:
 *   `variable substitution failed for rule R: failed to resolve request.object.metadata.labels.app
 *   at path /validate/deny/conditions/any/0/key: JMESPath query failed: Unknown key "labels" in path`.
 *
 * Missing keys: Kyverno's JMESPath treats a key missing from an object as an error, but absorbs it
 * in `||`, comparisons, function arguments, pipes, projections and filters (see ./jmespath.ts), so
 * `{{ request.object.metadata.labels.app || '' }}` is the way to read an optional field, and a key
 * that is present with null reads as null. A key missing under a null parent (`request.oldObject.x`
 * on CREATE) is null, not an error.
 *
 * Preconditions: Kyverno has a separate entry point (SubstituteAllInPreconditions) with its own
 * resolver. Kyverno 1.4 made that resolver return an empty string for variables that fail; current
 * Kyverno only logs and returns the error, so preconditions and deny conditions fail on the same
 * unresolvable variables as the rest of the rule. substituteAllInPreconditions keeps the separate
 * entry point with the current behaviour.
 */

import { RuleError } from '../types.ts';
import type { JsonContext } from './context.ts';
import { goJson } from './gojson.ts';
import { JmesPathError } from './jmespath.ts';
import { isRecord } from '../../core/json.ts';

export interface SubstituteOptions {
  /** Rule name for error messages (`variable substitution failed for rule <rule>: …`). */
  rule?: string;
  /**
   * The value `{{@}}` stands for at a document path. Without it, `{{@}}` follows Kyverno: the
   * document is taken to be a rule, the path is cut after `foreach` (if any) and two more
   * elements (`validate/pattern`, `mutate/patchStrategicMerge`, …), and the rest is read from
   * `target` (mutate existing) or `request.object`.
   */
  resolveAt?: (path: readonly string[]) => unknown;
  /** Substitute `$( )` references first, as SubstituteAll does (default true). */
  references?: boolean;
}

/** `{{ … }}` not preceded by a backslash. */
const VARIABLE = /(?<!\\)\{\{((?:\{[^{}]*\}|[^{}])*)\}\}/g;
/** `\{{ … }}`. */
const ESCAPED_VARIABLE = /\\(\{\{(?:\{[^{}]*\}|[^{}])*\}\})/g;
/** `$( … )` not preceded by a backslash; the body runs to the last `)` before a space. */
const REFERENCE = /(?<!\\)\$\(.[^ ]*\)/g;
const ESCAPED_REFERENCE = /\\(\$\(.[^ ]*\))/g;
const ANCHOR = /^([+<=X^])?\((.+)\)$/;
/** Substitution passes before a self-referencing value is reported. */
const MAX_PASSES = 100;

const pathString = (path: readonly string[]): string => `/${path.join('/')}`;

/** Whether a string contains a `{{ }}` variable (Kyverno's IsVariable). */
export function hasVariables(value: string): boolean {
  VARIABLE.lastIndex = 0;
  return VARIABLE.test(value);
}

/** SubstituteAll: references, then variables, in a copy of `document`. */
export function substituteAll(ctx: JsonContext, document: unknown, options: SubstituteOptions = {}): unknown {
  const { untyped, json } = toUntyped(document);
  // Only text with `$(` holds references (or escaped ones to unescape).
  const withReferences = options.references === false || !json.includes('$(') ? untyped : substituteReferences(untyped, options);
  return substituteVariables(ctx, withReferences, options);
}

/**
 * SubstituteAllInPreconditions: the entry point for preconditions and deny conditions. Kyverno's
 * current behaviour is the same as substituteAll (an unresolvable variable is an error); see the
 * module comment for the history.
 */
export function substituteAllInPreconditions(ctx: JsonContext, document: unknown, options: SubstituteOptions = {}): unknown {
  return substituteAll(ctx, document, options);
}

/** A JSON copy, what Kyverno works on after marshalling typed rules, and its JSON text. */
function toUntyped(document: unknown): { untyped: unknown; json: string } {
  if (document === undefined || document === null) return { untyped: null, json: 'null' };
  // A string is its own copy (the most common document: one condition key or value).
  if (typeof document === 'string') return { untyped: document, json: document };
  const json = JSON.stringify(document);
  return { untyped: JSON.parse(json) as unknown, json };
}

type LeafAction = (value: string, path: readonly string[]) => unknown;

/** Applies `action` to every string leaf and every object key (jsonutils OnlyForLeafsAndKeys). */
function traverse(node: unknown, path: string[], action: LeafAction): unknown {
  if (typeof node === 'string') return action(node, path);
  if (Array.isArray(node)) return node.map((v, i) => traverse(v, [...path, String(i)], action));
  if (isRecord(node)) {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      const childPath = [...path, key];
      const newKey = key.includes('{{') || key.includes('$(') ? action(key, path) : key;
      out[typeof newKey === 'string' ? newKey : goJson(newKey)] = traverse(value, childPath, action);
    }
    return out;
  }
  return node;
}

// ---------------------------------------------------------------------------------------------
// Variables

function substituteVariables(ctx: JsonContext, document: unknown, options: SubstituteOptions): unknown {
  // Asked only when a variable reads request.object.
  let isDelete: boolean | undefined;
  const deleting = () => (isDelete ??= isDeleteRequest(ctx));
  return traverse(document, [], (value, path) => substituteString(ctx, value, path, deleting, options));
}

function isDeleteRequest(ctx: JsonContext): boolean {
  try {
    return ctx.query('request.operation') === 'DELETE';
  } catch {
    return false;
  }
}

/** Private-use marks protecting the text of shallow `{{- }}` results from later passes. */
const SHALLOW_OPEN = '\u{F0000}';
const SHALLOW_CLOSE = '\u{F0001}';
const SHALLOW_MARK = new RegExp(`${SHALLOW_OPEN}(\\d+)${SHALLOW_CLOSE}`, 'gu');

/** The variables of each rule string as first written (rules repeat the same strings for every resource). */
const firstMatches = new Map<string, readonly RegExpExecArray[]>();
const MAX_CACHED_STRINGS = 10_000;

function variablesIn(value: string, pass: number): readonly RegExpExecArray[] {
  const scan = () => {
    VARIABLE.lastIndex = 0; // matchAll starts where the shared regex last stopped
    return [...value.matchAll(VARIABLE)];
  };
  if (pass > 0) return scan();
  let matches = firstMatches.get(value);
  if (!matches) {
    matches = scan();
    if (firstMatches.size >= MAX_CACHED_STRINGS) firstMatches.clear();
    firstMatches.set(value, matches);
  }
  return matches;
}

function substituteString(ctx: JsonContext, input: string, path: readonly string[], isDelete: () => boolean, options: SubstituteOptions): unknown {
  const shallow: string[] = [];
  let value = input;
  for (let pass = 0; ; pass++) {
    const matches = variablesIn(value, pass);
    if (matches.length === 0) break;
    if (pass >= MAX_PASSES) {
      throw new RuleError('VARIABLE', withRule(options, `variable substitution does not terminate at path ${pathString(path)}: ${input}`));
    }
    const only = matches[0] as RegExpExecArray;
    if (matches.length === 1 && only[0] === value) {
      // A field that is exactly one variable takes the result's own type.
      return resolve(ctx, only[1] as string, path, isDelete, options).value;
    }
    let out = '';
    let last = 0;
    for (const m of matches) {
      const { value: result, isShallow } = resolve(ctx, m[1] as string, path, isDelete, options);
      const text = typeof result === 'string' ? result : goJson(result);
      out += value.slice(last, m.index) + (isShallow ? `${SHALLOW_OPEN}${shallow.push(text) - 1}${SHALLOW_CLOSE}` : text);
      last = m.index + m[0].length;
    }
    value = out + value.slice(last);
  }
  if (value.includes('\\{{')) value = value.replace(ESCAPED_VARIABLE, '$1');
  return shallow.length === 0 ? value : value.replace(SHALLOW_MARK, (_, i: string) => shallow[Number(i)] as string);
}

function resolve(
  ctx: JsonContext,
  body: string,
  path: readonly string[],
  isDelete: () => boolean,
  options: SubstituteOptions,
): { value: unknown; isShallow: boolean } {
  const isShallow = /^-\s/.test(body);
  let variable = (isShallow ? body.slice(1) : body).trim();
  if (variable === '@') {
    if (options.resolveAt) return { value: options.resolveAt(path) ?? null, isShallow };
    variable = atExpression(ctx, path);
  }
  if (variable.includes('request.object') && isDelete()) variable = variable.replaceAll('request.object', 'request.oldObject');
  try {
    return { value: ctx.query(variable), isShallow };
  } catch (e) {
    if (!(e instanceof RuleError)) throw e;
    const detail = e instanceof JmesPathError ? `JMESPath query failed: ${e.detail}` : e.message;
    throw new RuleError(e.code, withRule(options, `failed to resolve ${variable} at path ${pathString(path)}: ${detail}`));
  }
}

function withRule(options: SubstituteOptions, message: string): string {
  return options.rule === undefined ? message : `variable substitution failed for rule ${options.rule}: ${message}`;
}

/** Kyverno's JMESPath for `{{@}}` at a rule path: `request.object.spec.containers[0].image`. */
function atExpression(ctx: JsonContext, path: readonly string[]): string {
  let prefix = 'target';
  try {
    ctx.query('target');
  } catch {
    prefix = 'request.object';
  }
  const foreach = path.indexOf('foreach');
  const rest = (foreach >= 0 ? path.slice(foreach + 1) : path).slice(2);
  return resourceExpression(prefix, rest);
}

/** A JMESPath addressing `segments` below `prefix`; anchors like `=(key)` address `key`. */
export function resourceExpression(prefix: string, segments: readonly string[]): string {
  let out = prefix;
  for (const segment of segments) {
    if (/^\d+$/.test(segment)) out += `[${segment}]`;
    else {
      const key = ANCHOR.exec(segment)?.[2] ?? segment;
      out += /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `.${key}` : `.${JSON.stringify(key)}`;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// References

/** Path of a document position with anchors removed (`(spec)` → `spec`), as Kyverno compares them. */
const withoutAnchors = (path: readonly string[]): string => pathString(path.map((s) => ANCHOR.exec(s)?.[2] ?? s));

function substituteReferences(document: unknown, options: SubstituteOptions): unknown {
  const leaves = new Map<string, unknown>();
  collectLeaves(document, [], leaves);
  return traverse(document, [], (value, path) => {
    REFERENCE.lastIndex = 0;
    if (!REFERENCE.test(value)) return value.replace(ESCAPED_REFERENCE, '$1');
    REFERENCE.lastIndex = 0;
    const replaced = value.replace(REFERENCE, (reference) => {
      const resolved = resolveReference(reference, path, leaves, options);
      if (typeof resolved !== 'string') {
        throw new RuleError('VARIABLE', withRule(options, `NotResolvedReferenceErr,reference ${reference} not resolved at path ${pathString(path)}`));
      }
      return resolved;
    });
    return replaced.replace(ESCAPED_REFERENCE, '$1');
  });
}

function collectLeaves(node: unknown, path: string[], out: Map<string, unknown>): void {
  if (Array.isArray(node)) node.forEach((v, i) => collectLeaves(v, [...path, String(i)], out));
  else if (isRecord(node)) for (const [k, v] of Object.entries(node)) collectLeaves(v, [...path, k], out);
  else out.set(withoutAnchors(path), node);
}

const REFERENCE_OPERATORS = ['>=', '<=', '>', '<', '!'];

/** `$(./../key)` relative to the field's own path; an operator prefix (`$(<=./x)`) is kept. */
function resolveReference(reference: string, path: readonly string[], leaves: Map<string, unknown>, options: SubstituteOptions): unknown {
  let target = reference.replace(/^[$()]+|[$()]+$/g, '');
  const operator = target.length < 2 ? '' : (REFERENCE_OPERATORS.find((op) => target.startsWith(op)) ?? '');
  target = target.slice(operator.length);
  const where = pathString(path);
  if (target === '') throw new RuleError('VARIABLE', withRule(options, `failed to resolve ${reference} at path ${where}: expected path, found empty reference`));
  const absolute = target.startsWith('/') ? cleanPath(target) : cleanPath(`${where}/${target}`);
  const value = leaves.get(absolute);
  if (value === undefined || value === null) {
    throw new RuleError('VARIABLE', withRule(options, `got nil resolved variable ${reference} at path ${where}: <nil>`));
  }
  if (operator === '') return value;
  if (typeof value === 'string') return operator + value;
  if (typeof value === 'number') return `${operator}${value.toFixed(6)}`;
  throw new RuleError(
    'VARIABLE',
    withRule(options, `failed to resolve ${reference} at path ${where}: incorrect expression: operator ${operator} does not match with value ${String(value)}`),
  );
}

/** path.Clean for absolute document paths. */
function cleanPath(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}
