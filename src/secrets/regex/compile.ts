/**
 * Go regular expressions (RE2 syntax) compiled for JavaScript, with Go's match semantics:
 * `findAll` is `FindAllStringIndex` (leftmost-first, non-overlapping, no empty match right after
 * a match), `submatch` is `FindStringSubmatch` (groups that did not take part are ''), `test` is
 * `MatchString`.
 *
 * Patterns are translated to V8 regular expressions (syntax.ts parses, emit.ts writes) and run on
 * V8's backtracking engine, whose matches are the same as RE2's leftmost-first ones. A pattern
 * whose shape could backtrack exponentially runs on re2js, a pure-JavaScript port of RE2 that is
 * linear in the input but an order of magnitude slower; `engine` says which one a rule got.
 */
import { createRequire } from 'node:module';
import type { RE2JS } from 're2js';
import { anchorPlan, backtrackingRisk, toJsSource, type AnchorPlan } from './emit.ts';
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
   * Every match in `text`. With `candidates` (ascending UTF-16 offsets where a literal of `plan`
   * starts, every such place included), only those places are tried; the result is the same.
   */
  findAll(text: string, candidates?: ArrayLike<number>): Span[];
  submatch(text: string): string[] | undefined;
  test(text: string): boolean;
}

export interface CompileOptions {
  /** Force an engine (tests and benchmarks); by default re2js only for patterns at risk. */
  engine?: RegexEngine;
}

/** Compiles a Go regular expression; throws RegexSyntaxError for what Go's `regexp` rejects. */
export function compileGoRegex(pattern: string, options: CompileOptions = {}): GoRegex {
  const parsed = parseRegex(pattern);
  const engine = options.engine ?? (backtrackingRisk(parsed.node) ? 're2js' : 'v8');
  if (engine === 're2js') return new Re2jsRegex(pattern, parsed.groups);
  const source = toJsSource(parsed.node);
  let regex: RegExp;
  try {
    regex = new RegExp(source, 'g');
  } catch (err) {
    // The emitter only writes valid V8 syntax; this would be a Palisade bug, named as such.
    throw new RegexSyntaxError(`internal translation failed for \`${pattern}\`: ${(err as Error).message}`);
  }
  return new V8Regex(pattern, parsed.groups, regex, anchorPlan(parsed.node));
}

class V8Regex implements GoRegex {
  readonly engine = 'v8' as const;
  readonly source: string;
  readonly numGroups: number;
  readonly plan?: AnchorPlan;
  readonly #global: RegExp;
  readonly #single: RegExp;
  readonly #sticky?: RegExp;

  constructor(source: string, numGroups: number, global: RegExp, plan: AnchorPlan | undefined) {
    this.source = source;
    this.numGroups = numGroups;
    this.#global = global;
    this.#single = new RegExp(global.source);
    if (plan) {
      this.plan = plan;
      this.#sticky = new RegExp(plan.restSource, 'y');
    }
  }

  findAll(text: string, candidates?: ArrayLike<number>): Span[] {
    if (candidates && this.plan && this.#sticky) return this.#findAnchored(text, candidates, this.plan, this.#sticky);
    const re = this.#global;
    return goFindAll(text, (pos) => {
      re.lastIndex = pos;
      const m = re.exec(text);
      return m ? { start: m.index, end: m.index + m[0].length } : undefined;
    });
  }

  /**
   * The matches of `prefix{0,max} rest` where rest starts with a literal: the leftmost match
   * starts at the earliest place its prefix run can reach back to from the first literal where
   * `rest` matches (see emit.ts), so only literal places are tried.
   */
  #findAnchored(text: string, candidates: ArrayLike<number>, plan: AnchorPlan, sticky: RegExp): Span[] {
    const out: Span[] = [];
    let pos = 0;
    const restAt = (q: number): number => {
      sticky.lastIndex = q;
      const m = sticky.exec(text);
      return m ? q + m[0].length : -1;
    };
    for (let i = 0; i < candidates.length; i++) {
      const q = candidates[i]!;
      if (q < pos) continue;
      let end = restAt(q);
      if (end < 0) continue;
      let start = q;
      while (start > pos && q - start < plan.max && rangesHas(plan.prefix, text.charCodeAt(start - 1))) start--;
      if (!plan.lazy) {
        // A greedy prefix takes the last literal place its run still reaches.
        let runEnd = q;
        for (let j = i + 1; j < candidates.length; j++) {
          const q2 = candidates[j]!;
          if (q2 === q) continue;
          if (q2 - start > plan.max) break;
          while (runEnd < q2 && rangesHas(plan.prefix, text.charCodeAt(runEnd))) runEnd++;
          if (runEnd < q2) break;
          const e2 = restAt(q2);
          if (e2 >= 0) end = e2;
        }
      }
      out.push({ start, end });
      pos = end;
    }
    return out;
  }

  submatch(text: string): string[] | undefined {
    const m = this.#single.exec(text);
    return m ? Array.from(m, (g) => g ?? '') : undefined;
  }

  test(text: string): boolean {
    return this.#single.test(text);
  }
}

class Re2jsRegex implements GoRegex {
  readonly engine = 're2js' as const;
  readonly source: string;
  readonly numGroups: number;
  readonly #re: RE2JS;

  constructor(source: string, numGroups: number) {
    this.source = source;
    this.numGroups = numGroups;
    try {
      this.#re = loadRe2js().compile(source);
    } catch (err) {
      throw new RegexSyntaxError((err as Error).message.replace(/^error parsing regexp: /, ''));
    }
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
