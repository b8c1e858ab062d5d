/**
 * From the RE2 AST to what the matcher needs:
 * - `toJsSource`: a V8 pattern with the same matches, written without the `i`, `u`, `m` or `s`
 *   flags (folding, dot and anchors are already spelled out);
 * - `backtrackingRisk`: whether V8's backtracking could go exponential or polynomial on the
 *   pattern at one starting place (nested, ambiguous or chained unbounded repetition), in which
 *   case the rule runs on the RE2 port instead (V8's own linear fallback is off by default and
 *   cannot take most gitleaks patterns: counted repetitions above a few are beyond it);
 * - `reach`: whether one attempt can run along a whole line or text (`.*`), which the detector
 *   bounds on very long lines;
 * - `anchorPlan`: for patterns that start with a literal (`ghp_…`, `\b(ey…`) or a bounded run of
 *   a character class before a set of literals (gitleaks' generic template
 *   `[\w.-]{0,50}?(?:key|token…)`), the literals to look for and how far before them a match may
 *   start, so the matcher only tries those places.
 *
 * Offsets are UTF-16 code units, like JavaScript strings. `.` and negated classes match one code
 * unit of a character outside the Basic Multilingual Plane, where Go would match the whole
 * character: `[^"]{3}` counts an emoji as two. Positive classes and literals are exact.
 */
import { buildGate, type Gate } from './gate.ts';
import { MAX_CODE_POINT, union, type Ranges } from './ranges.ts';
import type { AssertKind, Node } from './syntax.ts';

interface Emitted {
  src: string;
  /** True when a quantifier can follow `src` without wrapping it in `(?:…)`. */
  atomic: boolean;
}

export function toJsSource(node: Node): string {
  return emit(node).src;
}

function emit(node: Node): Emitted {
  switch (node.type) {
    case 'empty':
      return { src: '(?:)', atomic: true };
    case 'chars':
      return emitChars(node.ranges);
    case 'assert':
      return { src: ASSERTS[node.kind], atomic: false };
    case 'group':
      return { src: `(${emit(node.node).src})`, atomic: true };
    case 'concat':
      return { src: node.nodes.map((n) => emit(n).src).join(''), atomic: false };
    case 'alt':
      return { src: `(?:${node.nodes.map((n) => emit(n).src).join('|')})`, atomic: true };
    case 'repeat': {
      const inner = emit(node.node);
      const body = inner.atomic ? inner.src : `(?:${inner.src})`;
      return { src: body + quantifier(node.min, node.max) + (node.greedy ? '' : '?'), atomic: false };
    }
  }
}

const ASSERTS: Record<AssertKind, string> = {
  bot: '^',
  eot: '$',
  // Go's multi-line anchors stop at \n only (JavaScript's `m` flag also stops at \r, U+2028, U+2029).
  bol: '(?<![^\\n])',
  eol: '(?![^\\n])',
  word: '\\b',
  nonword: '\\B',
};

function quantifier(min: number, max: number): string {
  if (min === 0 && max === -1) return '*';
  if (min === 1 && max === -1) return '+';
  if (min === 0 && max === 1) return '?';
  if (max === -1) return `{${min},}`;
  return min === max ? `{${min}}` : `{${min},${max}}`;
}

function emitChars(ranges: Ranges): Emitted {
  if (ranges.length === 2 && ranges[0] === ranges[1]) {
    const cp = ranges[0]!;
    return { src: literalUnits(cp), atomic: cp <= 0xffff };
  }
  const bmp: Ranges = [];
  let astral: Ranges = [];
  for (let i = 0; i < ranges.length; i += 2) {
    const lo = ranges[i]!;
    const hi = ranges[i + 1]!;
    if (lo <= 0xffff) bmp.push(lo, Math.min(hi, 0xffff));
    if (hi > 0xffff) astral.push(Math.max(lo, 0x10000), hi);
  }
  // Every astral character: match its surrogates one unit at a time (see the module comment).
  if (astral.length === 2 && astral[0] === 0x10000 && astral[1] === MAX_CODE_POINT) {
    astral = [];
    addRange(bmp, 0xd800, 0xdfff);
  }
  const parts: string[] = [];
  if (bmp.length > 0) parts.push(classSource(bmp));
  for (let i = 0; i < astral.length; i += 2) parts.push(...surrogateAlternatives(astral[i]!, astral[i + 1]!));
  if (parts.length === 0) return { src: '[^\\s\\S]', atomic: true };
  if (parts.length === 1 && astral.length === 0) return { src: parts[0]!, atomic: true };
  return { src: `(?:${parts.join('|')})`, atomic: true };
}

function addRange(r: Ranges, lo: number, hi: number): void {
  const merged: [number, number][] = [[lo, hi]];
  for (let i = 0; i < r.length; i += 2) merged.push([r[i]!, r[i + 1]!]);
  merged.sort((a, b) => a[0] - b[0]);
  r.length = 0;
  for (const [a, b] of merged) {
    const last = r.length - 1;
    if (r.length > 0 && a <= r[last]! + 1) r[last] = Math.max(r[last]!, b);
    else r.push(a, b);
  }
}

function classSource(bmp: Ranges): string {
  if (bmp.length === 2 && bmp[0] === bmp[1]) return literalUnits(bmp[0]!);
  let out = '[';
  for (let i = 0; i < bmp.length; i += 2) {
    const lo = bmp[i]!;
    const hi = bmp[i + 1]!;
    out += lo === hi ? classUnit(lo) : hi === lo + 1 ? classUnit(lo) + classUnit(hi) : `${classUnit(lo)}-${classUnit(hi)}`;
  }
  return out + ']';
}

/** `[lo-hi]` of astral characters as surrogate-pair alternatives. */
function surrogateAlternatives(lo: number, hi: number): string[] {
  const high = (cp: number) => 0xd800 + ((cp - 0x10000) >> 10);
  const low = (cp: number) => 0xdc00 + ((cp - 0x10000) & 0x3ff);
  const [hLo, lLo, hHi, lHi] = [high(lo), low(lo), high(hi), low(hi)];
  const unit = (u: number) => `\\u${u.toString(16).padStart(4, '0')}`;
  const span = (a: number, b: number) => (a === b ? unit(a) : `[${unit(a)}-${unit(b)}]`);
  if (hLo === hHi) return [unit(hLo) + span(lLo, lHi)];
  const out = [unit(hLo) + span(lLo, 0xdfff)];
  if (hHi - hLo > 1) out.push(span(hLo + 1, hHi - 1) + span(0xdc00, 0xdfff));
  out.push(unit(hHi) + span(0xdc00, lHi));
  return out;
}

function literalUnits(cp: number): string {
  if (cp > 0xffff) return [...String.fromCodePoint(cp)].join('').split('').map((u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
  if (/[0-9A-Za-z_ ]/.test(String.fromCharCode(cp))) return String.fromCharCode(cp);
  return hexUnit(cp);
}

function classUnit(u: number): string {
  return /[0-9A-Za-z_]/.test(String.fromCharCode(u)) ? String.fromCharCode(u) : hexUnit(u);
}

function hexUnit(u: number): string {
  return u < 0x100 ? `\\x${u.toString(16).padStart(2, '0')}` : `\\u${u.toString(16).padStart(4, '0')}`;
}

/* ── backtracking risk ── */

/** Above this many repetitions a nested loop is treated as unbounded. */
const SMALL_REPEAT = 10;

/**
 * True for the shapes that make a backtracking engine super-linear at a single starting place:
 * - exponential: an unbounded repetition whose body contains another unbounded repetition of a
 *   variable-width expression (`(a+)+`, `(\w+\s?)*`), or whose body is an alternation with
 *   overlapping first characters (`(a|ab)*`);
 * - polynomial: two unbounded repetitions of overlapping characters with nothing required between
 *   them (`.*.*=`, `\w+_?\w+x`), or an unbounded repetition inside a repetition of two or more
 *   whose next round can start with what it consumes (`(?:.*a){10}`).
 * One unbounded repetition (`.*x`) costs at most the length of the text it can run along per
 * starting place; the detector bounds that cost on very long lines (see `reach`).
 */
export function backtrackingRisk(node: Node, level: 'exponential' | 'polynomial' = 'polynomial'): boolean {
  return exponentialRisk(node) || (level === 'polynomial' && polynomialRisk(node));
}

function exponentialRisk(node: Node): boolean {
  switch (node.type) {
    case 'group':
      return exponentialRisk(node.node);
    case 'concat':
    case 'alt':
      return node.nodes.some(exponentialRisk);
    case 'repeat': {
      if (large(node.max) && (nestedAmbiguity(node.node) || ambiguousAlternation(node.node))) return true;
      return exponentialRisk(node.node);
    }
    default:
      return false;
  }
}

function polynomialRisk(node: Node): boolean {
  switch (node.type) {
    case 'group':
      return polynomialRisk(node.node);
    case 'alt':
      return node.nodes.some(polynomialRisk);
    case 'concat': {
      // An unbounded repetition, then only optional parts, then another that can start with a
      // character the first takes (where the first ends is then open to many choices; a second
      // that must start with another character, `[a-z]+(?:[A-Z][a-z]+)*`, splits in one place).
      for (let i = 0; i < node.nodes.length; i++) {
        const first = unboundedChars(node.nodes[i]!);
        if (!first) continue;
        for (let j = i + 1; j < node.nodes.length; j++) {
          const next = unboundedChars(node.nodes[j]!);
          if (next && overlap(first, repeatedFirstChars(node.nodes[j]!) ?? next)) return true;
          if (!nullable(node.nodes[j]!)) break;
        }
      }
      return node.nodes.some(polynomialRisk);
    }
    case 'repeat': {
      if (node.max === -1 || node.max >= 2) {
        const first = firstChars(node.node);
        const inner = innerUnbounded(node.node);
        // A first character that is only a control character (`[\r\n]` after `.*?`) splits at a
        // line end, not anywhere in a line.
        if (inner && (!first || overlapPrintable(inner, first))) return true;
      }
      return polynomialRisk(node.node);
    }
    default:
      return false;
  }
}

/** The characters of an unbounded repetition of a set (`x*`, `[a-z]+`, `(?:.)*`), else undefined. */
function unboundedChars(node: Node): Ranges | undefined {
  if (node.type === 'group') return unboundedChars(node.node);
  if (node.type !== 'repeat' || node.max !== -1) return undefined;
  return consumed(node.node);
}

/** Every character that unbounded repetitions inside `node` consume, or undefined when there are none. */
function innerUnbounded(node: Node): Ranges | undefined {
  let out: Ranges | undefined;
  const visit = (n: Node) => {
    if (n.type === 'group') visit(n.node);
    else if (n.type === 'concat' || n.type === 'alt') n.nodes.forEach(visit);
    else if (n.type === 'repeat') {
      if (n.max === -1 && n.min !== n.max) out = [...(out ?? []), ...(consumed(n.node) ?? [])];
      visit(n.node);
    }
  };
  visit(node);
  return out && out.length > 0 ? out : undefined;
}

/** The characters an iteration of a repetition (`x*`, `(?:…)+`) can start with, when known. */
function repeatedFirstChars(node: Node): Ranges | undefined {
  if (node.type === 'group') return repeatedFirstChars(node.node);
  return node.type === 'repeat' ? firstChars(node.node) : undefined;
}

/** Every character `node` can consume (an unsorted range list). */
function consumed(node: Node): Ranges | undefined {
  switch (node.type) {
    case 'chars':
      return node.ranges;
    case 'group':
    case 'repeat':
      return consumed(node.node);
    case 'concat':
    case 'alt': {
      const all: Ranges = [];
      for (const n of node.nodes) all.push(...(consumed(n) ?? []));
      return all.length > 0 ? all : undefined;
    }
    default:
      return undefined;
  }
}

/** Whether `node` can match the empty string. */
function nullable(node: Node): boolean {
  switch (node.type) {
    case 'empty':
    case 'assert':
      return true;
    case 'chars':
      return false;
    case 'group':
      return nullable(node.node);
    case 'concat':
      return node.nodes.every(nullable);
    case 'alt':
      return node.nodes.some(nullable);
    case 'repeat':
      return node.min === 0 || nullable(node.node);
  }
}

function overlapPrintable(a: Ranges, b: Ranges): boolean {
  for (let i = 0; i < a.length; i += 2) {
    for (let j = 0; j < b.length; j += 2) {
      const lo = Math.max(a[i]!, b[j]!, 0x20);
      const hi = Math.min(a[i + 1]!, b[j + 1]!);
      if (lo <= hi) return true;
    }
  }
  return false;
}

/**
 * The most characters (code points) a match can span, or undefined when a repetition is
 * unbounded. A code point is one or two UTF-16 code units.
 */
export function maxLength(node: Node): number | undefined {
  const longest = (n: Node): number => {
    switch (n.type) {
      case 'empty':
      case 'assert':
        return 0;
      case 'chars':
        return 1;
      case 'group':
        return longest(n.node);
      case 'concat':
        return n.nodes.reduce((sum, c) => sum + longest(c), 0);
      case 'alt':
        return n.nodes.reduce((most, c) => Math.max(most, longest(c)), 0);
      case 'repeat':
        return n.max === -1 ? Infinity : n.max * longest(n.node);
    }
  };
  const n = longest(node);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * How far one match attempt can run through an unbounded repetition of a broad set (a space and
 * most printable characters: `.*`, `[^"]*`, `[\s\S]*?`): `text` when the set holds a newline,
 * `line` otherwise; undefined when every unbounded repetition is of a narrow set (`[a-z0-9]+`,
 * `\s*`, `\S+`), which stops at the end of a word or a blank in practice. Such an attempt costs
 * up to the length of the line (or text) it runs along, for each place it is tried.
 */
export function reach(node: Node): 'text' | 'line' | undefined {
  let out: 'text' | 'line' | undefined;
  const visit = (n: Node) => {
    if (n.type === 'group') visit(n.node);
    else if (n.type === 'concat' || n.type === 'alt') n.nodes.forEach(visit);
    else if (n.type === 'repeat') {
      const set = n.max === -1 ? consumed(n.node) : undefined;
      if (set && countIn(set, 0x20, 0x20) > 0 && countIn(set, 0x21, 0x7e) >= BROAD_SET) {
        if (countIn(set, 0x0a, 0x0a) > 0) out = 'text';
        else out ??= 'line';
      }
      visit(n.node);
    }
  };
  visit(node);
  return out;
}

/** Printable ASCII characters (of 94) a set must hold to be broad. */
const BROAD_SET = 48;

/** How many code points of [lo, hi] an (unsorted, possibly overlapping) range list holds, at most hi - lo + 1. */
function countIn(r: Ranges, lo: number, hi: number): number {
  const seen = new Set<number>();
  for (let i = 0; i < r.length; i += 2) for (let c = Math.max(lo, r[i]!); c <= Math.min(hi, r[i + 1]!); c++) seen.add(c);
  return seen.size;
}

function large(max: number): boolean {
  return max === -1 || max > SMALL_REPEAT;
}

/**
 * A variable unbounded repetition inside the body of another, where the body's next iteration
 * could start with what the inner one also consumes (`(a+)+`, `(\w+\s?)*`): the input can then be
 * split between iterations in exponentially many ways. `(?:\.\w+)+` is safe: each iteration must
 * start with a dot the inner `\w+` never eats.
 */
function nestedAmbiguity(body: Node): boolean {
  const first = firstChars(body);
  const visit = (node: Node): boolean => {
    switch (node.type) {
      case 'group':
        return visit(node.node);
      case 'concat':
      case 'alt':
        return node.nodes.some(visit);
      case 'repeat':
        if (large(node.max) && node.max !== node.min) {
          if (!first || node.node.type !== 'chars' || overlap(node.node.ranges, first)) return true;
        }
        return visit(node.node);
      default:
        return false;
    }
  };
  return visit(body);
}

function ambiguousAlternation(node: Node): boolean {
  if (node.type === 'group') return ambiguousAlternation(node.node);
  if (node.type !== 'alt') return false;
  const firsts = node.nodes.map(firstChars);
  for (let i = 0; i < firsts.length; i++) {
    for (let j = i + 1; j < firsts.length; j++) {
      const a = firsts[i];
      const b = firsts[j];
      if (a === undefined || b === undefined || overlap(a, b)) return true;
    }
  }
  return false;
}

/** Characters a match of `node` can start with; undefined when it can match the empty string or starts with an assertion. */
function firstChars(node: Node): Ranges | undefined {
  switch (node.type) {
    case 'chars':
      return node.ranges;
    case 'group':
      return firstChars(node.node);
    case 'concat':
      return node.nodes.length > 0 ? firstChars(node.nodes[0]!) : undefined;
    case 'repeat':
      return node.min > 0 ? firstChars(node.node) : undefined;
    case 'alt': {
      const all: Ranges = [];
      for (const n of node.nodes) {
        const f = firstChars(n);
        if (!f) return undefined;
        all.push(...f);
      }
      return all;
    }
    default:
      return undefined;
  }
}

function overlap(a: Ranges, b: Ranges): boolean {
  for (let i = 0; i < a.length; i += 2) {
    for (let j = 0; j < b.length; j += 2) if (a[i]! <= b[j + 1]! && b[j]! <= a[i + 1]!) return true;
  }
  return false;
}

/* ── anchor plan ── */

/**
 * Characters outside ASCII that `(?i)` folds onto ASCII letters. The pre-filter's literal search
 * is ASCII-only: in a text holding one, anchor plans take their places from the text folded
 * (foldOntoAscii).
 */
export const NON_ASCII_FOLDS = ['\u017f', '\u212a'];
const NON_ASCII_FOLD = new RegExp(`[${NON_ASCII_FOLDS.join('')}]`, 'g');

/** `text` with NON_ASCII_FOLDS replaced by the ASCII letters they fold onto: one code unit for one, so offsets stay. */
export function foldOntoAscii(text: string): string {
  return text.replace(NON_ASCII_FOLD, (c) => asciiFold(c.codePointAt(0)!));
}

function asciiFold(cp: number): string {
  if (cp === 0x17f) return 's';
  if (cp === 0x212a) return 'k';
  return String.fromCodePoint(cp).toLowerCase();
}

/**
 * How a matcher can restrict itself to the places where one of `literals` (lower-case ASCII, found
 * case-insensitively by the caller) starts:
 * - `prefix`: the pattern is `prefix{0,max} rest` and every match of `rest` starts with a literal;
 *   a match starts at most `max` characters of `prefix` before such a place;
 * - `lead`: every match starts with a literal (after zero-width assertions only), so a match can
 *   only start where a literal does; `before`, when set, is what the character before such a place
 *   must be for the leading `\b` or `\B` to hold: a word character or not (a cheap test that saves
 *   running the pattern where the literal sits inside a word, as `ey` does in `key`).
 */
export type AnchorPlan = PrefixPlan | LeadPlan;

export interface PrefixPlan {
  kind: 'prefix';
  literals: string[];
  /** The prefix: `max` (Infinity when unbounded) characters of `prefix` at most, lazy or greedy. */
  prefix: Ranges;
  max: number;
  lazy: boolean;
  /**
   * When the prefix is several lazy runs (prefixSplit): each run's characters and length, nearest
   * to the literal first; `prefix` is the nearest run's characters, which include the others'.
   */
  phases?: { ranges: Ranges; max: number }[];
  /** JavaScript source of the pattern without its prefix, to be run sticky at each literal. */
  restSource: string;
}

export interface LeadPlan {
  kind: 'lead';
  literals: string[];
  before?: 'word' | 'nonword';
  /**
   * What the character after the literal must be (a `\b` or `\B` right after literals of one
   * length); `afterOffset` is that length.
   */
  after?: 'word' | 'nonword';
  afterOffset?: number;
}

const MAX_LITERALS = 64;

export function anchorPlan(node: Node): AnchorPlan | undefined {
  const plan = prefixPlan(node) ?? leadPlan(node);
  if (plan) plan.literals = withoutExtensions(plan.literals);
  return plan;
}

/**
 * The literals less those that extend another (`authorization'` beside `authorization`): each
 * place of the longer one is a place of the shorter, so it only made every such place a
 * candidate twice (which the gate then tried twice).
 */
function withoutExtensions(literals: string[]): string[] {
  return literals.filter((l) => !literals.some((other) => other !== l && l.startsWith(other)));
}

function prefixPlan(node: Node): PrefixPlan | undefined {
  const split = prefixSplit(node);
  if (!split) return undefined;
  const { heads, rest } = split;
  // Every match of the rest starts with one of these (a single `p` of `[Pp]rivate…` would make
  // every p of a text a place to try: the whole leading literal is taken).
  const literals = leadingLiterals({ type: 'concat', nodes: rest });
  if (!usableLiterals(literals)) return undefined;
  const max = heads.reduce((sum, h) => sum + (h.max === -1 ? Infinity : h.max), 0);
  return {
    kind: 'prefix',
    literals: [...new Set(literals)],
    prefix: heads.at(-1)!.node.ranges,
    max,
    lazy: !heads[0]!.greedy,
    ...(heads.length > 1 && { phases: heads.map((h) => ({ ranges: h.node.ranges, max: h.max === -1 ? Infinity : h.max })).reverse() }),
    restSource: toJsSource({ type: 'concat', nodes: rest }),
  };
}

/**
 * The gate (gate.ts) for the places of `node`'s anchor plan: of the pattern without its prefix
 * for a prefix plan, of the whole pattern for a lead plan.
 */
export function planGate(node: Node, plan: AnchorPlan): Gate | undefined {
  const rest = plan.kind === 'prefix' ? prefixSplit(node)?.rest : undefined;
  return buildGate(rest ? { type: 'concat', nodes: rest } : node);
}

type ClassRepeat = Extract<Node, { type: 'repeat' }> & { node: Extract<Node, { type: 'chars' }> };

/**
 * The leading optional runs of a pattern (`[\w.-]{0,50}?`) and what follows them, with nested
 * non-capturing concatenations flattened: gitleaks' generated rules often start with two runs,
 * `(?i)[\w.-]{0,50}?(?i:[\w.-]{0,50}?(?:okta)…)`. Several runs are taken only when they are all
 * lazy and each one's characters include the previous one's, so that walking back from a literal
 * through the runs, nearest first, as far as each allows, finds the leftmost start (a greedy
 * prefix is only ever a single run).
 */
function prefixSplit(node: Node): { heads: ClassRepeat[]; rest: Node[] } | undefined {
  if (node.type !== 'concat') return undefined;
  const flat = flattenConcat(node.nodes);
  const isRun = (n: Node | undefined): n is ClassRepeat => n?.type === 'repeat' && n.min === 0 && n.node.type === 'chars';
  const heads: ClassRepeat[] = [];
  for (const n of flat) {
    if (!isRun(n)) break;
    const previous = heads.at(-1);
    if (previous && (previous.greedy || n.greedy || !includes(n.node.ranges, previous.node.ranges))) break;
    heads.push(n);
  }
  if (heads.length === 0 || flat.length === heads.length) return undefined;
  return { heads, rest: flat.slice(heads.length) };
}

function flattenConcat(nodes: readonly Node[]): Node[] {
  return nodes.flatMap((n) => (n.type === 'concat' ? flattenConcat(n.nodes) : [n]));
}

/** Whether range set `outer` includes every character of `inner`. */
function includes(outer: Ranges, inner: Ranges): boolean {
  const merged = union(outer, inner);
  return merged.length === outer.length && merged.every((v, i) => v === outer[i]);
}

/** Literals worth anchoring on: printable ASCII, two characters at least (a single one is everywhere). */
function usableLiterals(literals: string[] | undefined): literals is string[] {
  return literals !== undefined && literals.length > 0 && !literals.some((l) => l.length < 2 || /[^ -~]/.test(l));
}

function leadPlan(node: Node): LeadPlan | undefined {
  const literals = leadingLiterals(node);
  if (!usableLiterals(literals)) return undefined;
  const plan: LeadPlan = { kind: 'lead', literals: [...new Set(literals)] };
  // Only assertions at the very start of the pattern decide `before`.
  const asserts: AssertKind[] = [];
  for (const n of node.type === 'concat' ? node.nodes : [node]) {
    if (n.type !== 'assert') break;
    asserts.push(n.kind);
  }
  const word = (l: string) => /^[0-9A-Za-z_]/.test(l);
  const allWord = plan.literals.every(word);
  const noneWord = !plan.literals.some(word);
  for (const kind of asserts) {
    if ((kind === 'word' && allWord) || (kind === 'nonword' && noneWord)) plan.before = 'nonword';
    else if ((kind === 'word' && noneWord) || (kind === 'nonword' && allWord)) plan.before = 'word';
    else continue;
    break;
  }
  Object.assign(plan, afterBoundary(node, plan.literals));
  return plan;
}

/**
 * The check a `\b`/`\B` right after the leading literal allows on the character after it
 * (`\bcurl\b` rejects `curly` there without running the pattern): when the pattern is leading
 * assertions, literal pieces that spell exactly `literals`, all of one length and all ending in a
 * word character or all not, then that assertion.
 */
/**
 * The strings spelled by a concatenation's nodes after its leading assertions, while each node is a
 * literal set; `next` is the first node that is not, or the one that would make more than
 * MAX_LITERALS strings (`overflow`).
 */
function spellLiterals(nodes: readonly Node[]): { spelled: string[]; next: number; overflow: boolean } {
  let i = 0;
  while (i < nodes.length && nodes[i]!.type === 'assert') i++;
  let spelled = [''];
  for (; i < nodes.length; i++) {
    const whole = literalSet(nodes[i]!);
    if (!whole) break;
    const next = spelled.flatMap((a) => whole.map((b) => a + b));
    if (next.length > MAX_LITERALS) return { spelled, next: i, overflow: true };
    spelled = next;
  }
  return { spelled, next: i, overflow: false };
}

function afterBoundary(node: Node, literals: string[]): Pick<LeadPlan, 'after' | 'afterOffset'> {
  if (node.type !== 'concat') return {};
  const { spelled, next: i, overflow } = spellLiterals(node.nodes);
  if (overflow) return {};
  const next = node.nodes[i];
  if (next?.type !== 'assert' || (next.kind !== 'word' && next.kind !== 'nonword')) return {};
  const expected = new Set(literals);
  if (spelled.length !== expected.size || !spelled.every((l) => expected.has(l))) return {};
  const length = literals[0]!.length;
  if (!literals.every((l) => l.length === length)) return {};
  const endsWord = (l: string) => /[0-9A-Za-z_]$/.test(l);
  const allWord = literals.every(endsWord);
  if (!allWord && literals.some(endsWord)) return {};
  // \b after a word character needs a non-word one next; \B needs a word one; and the reverse.
  const after = (next.kind === 'word') === allWord ? 'nonword' : 'word';
  return { after, afterOffset: length };
}

/**
 * Strings (lower-cased) one of which every match of `node` starts with, after zero-width
 * assertions; undefined when there is no such small set.
 */
function leadingLiterals(node: Node): string[] | undefined {
  switch (node.type) {
    case 'chars':
      return literalSet(node);
    case 'group':
      return leadingLiterals(node.node);
    case 'alt': {
      const out: string[] = [];
      for (const n of node.nodes) {
        const s = leadingLiterals(n);
        if (!s) return undefined;
        out.push(...s);
        if (out.length > MAX_LITERALS) return undefined;
      }
      return out;
    }
    case 'repeat':
      return node.min > 0 ? leadingLiterals(node.node) : undefined;
    case 'concat': {
      const run = spellLiterals(node.nodes);
      let acc = run.spelled;
      const n = node.nodes[run.next];
      if (!run.overflow && n) {
        const lead = leadingLiterals(n);
        if (lead) {
          const next = acc.flatMap((a) => lead.map((b) => a + b));
          if (next.length <= MAX_LITERALS) acc = next;
        }
      }
      return acc.some((a) => a === '') ? undefined : acc;
    }
    default:
      return undefined;
  }
}

/**
 * The strings `node` can match, lower-cased, when that is a small finite set (literals,
 * case-folded letters, alternations, optional parts); undefined otherwise. A superset is fine:
 * the candidates are only where the real pattern is tried.
 */
function literalSet(node: Node): string[] | undefined {
  switch (node.type) {
    case 'empty':
      return [''];
    case 'chars': {
      const chars = new Set<string>();
      for (let i = 0; i < node.ranges.length; i += 2) {
        if (node.ranges[i + 1]! - node.ranges[i]! > 8) return undefined;
        for (let cp = node.ranges[i]!; cp <= node.ranges[i + 1]!; cp++) chars.add(asciiFold(cp));
        if (chars.size > 8) return undefined;
      }
      return [...chars];
    }
    case 'group':
      return literalSet(node.node);
    case 'alt': {
      const out: string[] = [];
      for (const n of node.nodes) {
        const s = literalSet(n);
        if (!s) return undefined;
        out.push(...s);
        if (out.length > MAX_LITERALS) return undefined;
      }
      return out;
    }
    case 'concat': {
      let acc = [''];
      for (const n of node.nodes) {
        const s = literalSet(n);
        if (!s) return undefined;
        acc = acc.flatMap((a) => s.map((b) => a + b));
        if (acc.length > MAX_LITERALS) return undefined;
      }
      return acc;
    }
    case 'repeat': {
      if (node.max === -1 || node.max > 2) return undefined;
      const s = literalSet(node.node);
      if (!s) return undefined;
      let acc: string[] = [];
      let power = [''];
      for (let k = 0; k <= node.max; k++) {
        if (k >= node.min) acc.push(...power);
        power = power.flatMap((a) => s.map((b) => a + b));
        if (acc.length > MAX_LITERALS) return undefined;
      }
      acc = [...new Set(acc)];
      return acc;
    }
    default:
      return undefined;
  }
}
