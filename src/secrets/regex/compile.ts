/**
 * Go regular expressions (RE2 syntax) compiled for JavaScript, with Go's match semantics:
 * `findAll` is `FindAllStringIndex` (leftmost-first, non-overlapping, no empty match right after
 * a match), `submatch` is `FindStringSubmatch` (groups that did not take part are ''), `test` is
 * `MatchString`.
 *
 * Patterns are translated to V8 regular expressions (syntax.ts parses, emit.ts writes) and run on
 * V8's backtracking engine, whose matches are the same as RE2's leftmost-first ones. A pattern
 * whose shape could backtrack exponentially or polynomially runs on re2js, a pure-JavaScript port
 * of RE2 that is linear in the input but an order of magnitude slower; `engine` says which one a
 * rule got. With an anchor plan, a V8 pattern is tried only where its literals occur (`findAll`
 * and `submatch` with candidates), with the same result as a scan of the whole text.
 */
import { createRequire } from 'node:module';
import type { RE2JS } from 're2js';
import { anchorPlan, backtrackingRisk, maxLength, planGate, reach, toJsSource, type AnchorPlan, type LeadPlan } from './emit.ts';
import { fromPortableGate, type Gate, type PortableGate } from './gate.ts';
import { rangesHas } from './ranges.ts';
import { parseRegex, RegexSyntaxError } from './syntax.ts';

export { RegexSyntaxError };

export interface Span {
  start: number;
  end: number;
}

export type RegexEngine = 'v8' | 're2js';

export interface GoRegex {
  /** The pattern as written (Go syntax). */
  readonly source: string;
  readonly engine: RegexEngine;
  /** Number of capture groups. */
  readonly numGroups: number;
  /** Set when the matcher can restrict itself to the places where one of `plan.literals` occurs. */
  readonly plan?: AnchorPlan;
  /**
   * Set when a match attempt can run along a whole line (`line`) or text (`text`) through an
   * unbounded repetition of a broad set (`.*`, `[^"]*`): on very long lines, `linear()` bounds the
   * cost of many such attempts.
   */
  readonly reach?: 'line' | 'text';
  /** The most code points a match can span (regex/emit.ts maxLength); undefined when unbounded. */
  readonly maxLength?: number;
  /** The translation, to rebuild the matcher elsewhere (a worker thread) without parsing again. */
  readonly compiled: CompiledRegex;
  /** The same pattern on re2js (linear in the text whatever the input; slower on ordinary text). */
  linear(): GoRegex;
  /**
   * Every match in `text`. With `candidates` (ascending UTF-16 offsets where a literal of `plan`
   * starts, every such place included; more places do no harm), only those places are tried; the
   * result is the same.
   */
  findAll(text: string, candidates?: ArrayLike<number>): Span[];
  /**
   * How many of the candidate places the plan's cheap checks (the `\b` around a lead literal)
   * leave to try: the cost of a run over them, next to that of the linear engine.
   */
  placesToTry(text: string, candidates: ArrayLike<number>): number;
  /**
   * A gate (gate.ts) for the candidate places of `plan`: a place it rejects cannot start a match,
   * so the caller may drop it from the candidates; undefined when there is none.
   */
  gate(): Gate | undefined;
  /** Go's FindStringSubmatch; `candidates` as for findAll. */
  submatch(text: string, candidates?: ArrayLike<number>): string[] | undefined;
  test(text: string): boolean;
}

/** A GoRegex as plain data (structured-cloneable). */
export interface CompiledRegex {
  source: string;
  engine: RegexEngine;
  numGroups: number;
  /** The V8 translation (engine v8). */
  js?: string;
  plan?: AnchorPlan;
  reach?: 'line' | 'text';
  maxLength?: number;
  /** The gate of the anchor plan, built ahead of time (null: there is none); built when first needed otherwise. */
  gate?: PortableGate | null;
}

export interface CompileOptions {
  /** Force an engine (tests and benchmarks); by default re2js only for patterns at risk. */
  engine?: RegexEngine;
  /**
   * The pattern only ever runs on short strings (secrets, matches, paths): only exponential shapes
   * need the linear engine, polynomial ones cost little there.
   */
  shortInput?: boolean;
}

/** Compiles a Go regular expression; throws RegexSyntaxError for what Go's `regexp` rejects. */
export function compileGoRegex(pattern: string, options: CompileOptions = {}): GoRegex {
  const parsed = parseRegex(pattern);
  const engine = options.engine ?? (backtrackingRisk(parsed.node, options.shortInput ? 'exponential' : 'polynomial') ? 're2js' : 'v8');
  if (engine === 're2js') return new Re2jsRegex(pattern, parsed.groups);
  const source = toJsSource(parsed.node);
  try {
    const plan = anchorPlan(parsed.node);
    // Made here once so that a translation fault shows now, not in the middle of a scan.
    new RegExp(source);
    if (plan?.kind === 'prefix') new RegExp(plan.restSource);
    return new V8Regex({ source: pattern, engine, numGroups: parsed.groups, js: source, ...optional('plan', plan), ...optional('reach', reach(parsed.node)), ...optional('maxLength', maxLength(parsed.node)) });
  } catch (err) {
    // The emitter only writes valid V8 syntax; this would be a Palisade bug, named as such.
    throw new RegexSyntaxError(`internal translation failed for \`${pattern}\`: ${(err as Error).message}`);
  }
}

/** Rebuilds a regex from its translation (no parsing; V8 compiles the pattern on first use). */
export function regexFromCompiled(compiled: CompiledRegex): GoRegex {
  return compiled.engine === 're2js' ? new Re2jsRegex(compiled.source, compiled.numGroups, true) : new V8Regex(compiled);
}

function optional<K extends string, V>(key: K, value: V | undefined): { [k in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [k in K]?: V };
}

class V8Regex implements GoRegex {
  readonly engine = 'v8' as const;
  readonly source: string;
  readonly numGroups: number;
  readonly plan?: AnchorPlan;
  readonly reach?: 'line' | 'text';
  readonly maxLength?: number;
  readonly compiled: CompiledRegex;
  #linear?: GoRegex;
  // The RegExp objects are made when first used: most rules never run in a given scan, and a
  // worker thread would otherwise parse every pattern again before its first file.
  #globalRe?: RegExp;
  #singleRe?: RegExp;
  #stickyRe?: RegExp;

  constructor(compiled: CompiledRegex) {
    this.compiled = compiled;
    this.source = compiled.source;
    this.numGroups = compiled.numGroups;
    if (compiled.reach) this.reach = compiled.reach;
    if (compiled.plan) this.plan = compiled.plan;
    if (compiled.maxLength !== undefined) this.maxLength = compiled.maxLength;
  }

  get #global(): RegExp {
    return (this.#globalRe ??= new RegExp(this.compiled.js!, 'g'));
  }

  get #single(): RegExp {
    return (this.#singleRe ??= new RegExp(this.compiled.js!));
  }

  /** Prefix plan: the rest of the pattern; lead plan: the whole pattern; run at one place. */
  get #sticky(): RegExp | undefined {
    const plan = this.plan;
    if (!plan) return undefined;
    return (this.#stickyRe ??= new RegExp(plan.kind === 'prefix' ? plan.restSource : this.compiled.js!, 'y'));
  }

  findAll(text: string, candidates?: ArrayLike<number>): Span[] {
    if (candidates && this.#sticky) {
      const out: Span[] = [];
      let index = 0;
      let pos = 0;
      while ((index = this.#planMatch(text, candidates, index, pos)) >= 0) {
        out.push({ start: this.#start, end: this.#end });
        pos = this.#end;
      }
      return out;
    }
    const re = this.#global;
    return goFindAll(text, (pos) => {
      re.lastIndex = pos;
      const m = re.exec(text);
      return m ? { start: m.index, end: m.index + m[0].length } : undefined;
    });
  }

  submatch(text: string, candidates?: ArrayLike<number>): string[] | undefined {
    let m: RegExpExecArray | null;
    if (candidates && this.#sticky) {
      if (this.#planMatch(text, candidates, 0, 0) < 0) return undefined;
      m = this.#groups!;
    } else m = this.#single.exec(text);
    if (!m) return undefined;
    const out: string[] = new Array(m.length);
    for (let g = 0; g < m.length; g++) out[g] = m[g] ?? '';
    // A prefix plan ran the rest of the pattern: the whole match starts where the prefix does.
    if (candidates && this.#sticky) out[0] = text.slice(this.#start, this.#end);
    return out;
  }

  /** The last match #planMatch found, and the groups of the pattern (the rest's, for a prefix plan). */
  #start = 0;
  #end = 0;
  #groups: RegExpExecArray | null = null;

  /**
   * The leftmost match at or after `pos`, trying only the candidate places from `index` on; sets
   * #start, #end and #groups and returns the index of the first candidate past the match, or -1.
   * Plans only apply to patterns whose every match is non-empty (it contains a literal), so Go's
   * rule about empty matches never comes into play.
   */
  #planMatch(text: string, candidates: ArrayLike<number>, index: number, pos: number): number {
    const plan = this.plan!;
    const sticky = this.#sticky!;
    const n = candidates.length;
    let i = index;
    while (i < n && candidates[i]! < pos) i++;
    if (plan.kind === 'lead') {
      for (; i < n; i++) {
        const q = candidates[i]!;
        if (i > 0 && candidates[i - 1] === q) continue; // tried already
        if (!boundariesAllow(plan, text, q)) continue;
        sticky.lastIndex = q;
        const m = sticky.exec(text);
        if (m) {
          this.#start = q;
          this.#end = q + m[0].length;
          this.#groups = m;
          return i + 1;
        }
      }
      return -1;
    }
    // Prefix plan: the leftmost match starts at the earliest place its prefix run can reach back
    // to from the first literal where the rest matches (see emit.ts).
    for (; i < n; i++) {
      const q = candidates[i]!;
      sticky.lastIndex = q;
      let m = sticky.exec(text);
      if (!m) continue;
      let end = q + m[0].length;
      const start = prefixStart(text, q, pos, plan);
      if (!plan.lazy) {
        // A greedy prefix takes the last literal place its run still reaches.
        let runEnd = q;
        for (let j = i + 1; j < n; j++) {
          const q2 = candidates[j]!;
          if (q2 === q) continue;
          if (q2 - start > plan.max) break;
          while (runEnd < q2 && rangesHas(plan.prefix, text.charCodeAt(runEnd))) runEnd++;
          if (runEnd < q2) break;
          sticky.lastIndex = q2;
          const m2 = sticky.exec(text);
          if (m2) {
            m = m2;
            end = q2 + m2[0].length;
          }
        }
      }
      this.#start = start;
      this.#end = end;
      this.#groups = m;
      let next = i + 1;
      while (next < n && candidates[next]! < end) next++;
      return next;
    }
    return -1;
  }

  placesToTry(text: string, candidates: ArrayLike<number>): number {
    const plan = this.plan;
    if (plan?.kind !== 'lead') return candidates.length;
    let n = 0;
    for (let i = 0; i < candidates.length; i++) if (boundariesAllow(plan, text, candidates[i]!)) n++;
    return n;
  }

  /** null: built, and there is none. */
  #gateBuilt?: Gate | null;

  /**
   * Built when first asked for (most rules never are tried: their keywords do not occur), in
   * whichever thread asks, unless the compiled form brought it.
   */
  gate(): Gate | undefined {
    if (!this.plan) return undefined;
    if (this.#gateBuilt === undefined) {
      const stored = this.compiled.gate;
      this.#gateBuilt = stored === undefined ? (planGate(parseRegex(this.source).node, this.plan) ?? null) : stored && fromPortableGate(stored);
    }
    return this.#gateBuilt ?? undefined;
  }

  test(text: string): boolean {
    return this.#single.test(text);
  }

  linear(): GoRegex {
    this.#linear ??= new Re2jsRegex(this.source, this.numGroups, true);
    return this.#linear;
  }
}

/**
 * The leftmost place the prefix runs reach back to from `q` (not before `pos`): through each run,
 * nearest first, as far as it allows. Since each run's characters include those of the runs
 * before it, taking as much as possible in the nearer runs never shortens the reach.
 */
function prefixStart(text: string, q: number, pos: number, plan: Extract<AnchorPlan, { kind: 'prefix' }>): number {
  let start = q;
  for (const { ranges, max } of plan.phases ?? [{ ranges: plan.prefix, max: plan.max }]) {
    const limit = Math.max(pos, start - max);
    while (start > limit && rangesHas(ranges, text.charCodeAt(start - 1))) start--;
    if (start > limit) break;
  }
  return start;
}

/** Whether the characters around a lead plan's literal at `q` allow its `\b`/`\B` assertions. */
function boundariesAllow(plan: LeadPlan, text: string, q: number): boolean {
  if (plan.before !== undefined && (q > 0 && isWordUnit(text.charCodeAt(q - 1))) !== (plan.before === 'word')) return false;
  if (plan.after !== undefined) {
    const a = q + plan.afterOffset!;
    if ((a < text.length && isWordUnit(text.charCodeAt(a))) !== (plan.after === 'word')) return false;
  }
  return true;
}

/** Go's `\b` word characters (ASCII). */
function isWordUnit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}

class Re2jsRegex implements GoRegex {
  readonly engine = 're2js' as const;
  readonly source: string;
  readonly numGroups: number;
  readonly compiled: CompiledRegex;
  #compiledRe?: RE2JS;

  /**
   * @param checked the pattern was compiled before (a configuration compiled ahead of time, or
   *   in another thread): the library is then loaded and the pattern compiled on first use, so that
   *   a scan whose allowlists never reach it does not pay for either.
   */
  constructor(source: string, numGroups: number, checked = false) {
    this.source = source;
    this.numGroups = numGroups;
    this.compiled = { source, engine: 're2js', numGroups };
    if (!checked) void this.#re;
  }

  get #re(): RE2JS {
    if (!this.#compiledRe) {
      try {
        this.#compiledRe = loadRe2js().compile(this.source);
      } catch (err) {
        throw new RegexSyntaxError((err as Error).message.replace(/^error parsing regexp: /, ''));
      }
    }
    return this.#compiledRe;
  }

  findAll(text: string): Span[] {
    const matcher = this.#re.matcher(text);
    return goFindAll(text, (pos) => (matcher.find(pos) ? { start: matcher.start(), end: matcher.end() } : undefined));
  }

  submatch(text: string): string[] | undefined {
    const matcher = this.#re.matcher(text);
    if (!matcher.find()) return undefined;
    const out: string[] = [];
    for (let g = 0; g <= this.numGroups; g++) out.push(matcher.group(g) ?? '');
    return out;
  }

  test(text: string): boolean {
    return this.#re.matcher(text).find();
  }

  gate(): undefined {
    return undefined;
  }

  placesToTry(_text: string, candidates: ArrayLike<number>): number {
    return candidates.length;
  }

  linear(): GoRegex {
    return this;
  }
}

let re2js: typeof RE2JS | undefined;

/** re2js is only loaded when a pattern needs it (it takes a while to load and most configurations never do). */
function loadRe2js(): typeof RE2JS {
  re2js ??= (createRequire(import.meta.url)('re2js') as { RE2JS: typeof RE2JS }).RE2JS;
  return re2js;
}

/** Go's `allMatches` loop over a "first match at or after pos" primitive. */
function goFindAll(text: string, firstFrom: (pos: number) => Span | undefined): Span[] {
  const out: Span[] = [];
  let pos = 0;
  let prevEnd = -1;
  while (pos <= text.length) {
    const m = firstFrom(pos);
    if (!m) break;
    let accept = true;
    if (m.end === pos) {
      // An empty match: never right after the previous match; then move on one character.
      if (m.start === prevEnd) accept = false;
      const code = text.charCodeAt(pos);
      pos += code >= 0xd800 && code <= 0xdbff && pos + 1 < text.length ? 2 : 1;
    } else {
      pos = m.end;
    }
    prevEnd = m.end;
    if (accept) out.push(m);
  }
  return out;
}
