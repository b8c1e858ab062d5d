/**
 * A parser for Go's regular-expression syntax (RE2, `regexp/syntax` with Perl flags), the dialect
 * every gitleaks rule is written in. It builds a small AST with the flags already applied (case
 * folding expanded into character sets, `.` and `^`/`$` resolved by `s` and `m`, `U` swapping
 * greediness), so that the emitter (emit.ts) never has to know about flags, and it rejects what
 * RE2 rejects (look-around, back-references, possessive or nested repetition) with Go's messages.
 */
import { MAX_CODE_POINT, negate, union, type Ranges } from './ranges.ts';
import { foldRanges, unicodeClass } from './unicode.ts';

export type Node =
  | { type: 'empty' }
  | { type: 'chars'; ranges: Ranges }
  | { type: 'assert'; kind: AssertKind }
  | { type: 'group'; index: number; name?: string; node: Node }
  | { type: 'concat'; nodes: Node[] }
  | { type: 'alt'; nodes: Node[] }
  | { type: 'repeat'; node: Node; min: number; max: number; greedy: boolean };

/** `bol`/`eol`: `^`/`$` in multi-line mode; `bot`/`eot`: `\A`, `\z` and `^`/`$` otherwise. */
export type AssertKind = 'bol' | 'eol' | 'bot' | 'eot' | 'word' | 'nonword';

export interface Parsed {
  node: Node;
  /** Number of capture groups (Go's NumSubexp). */
  groups: number;
  names: Map<string, number>;
}

export class RegexSyntaxError extends Error {
  constructor(message: string) {
    super(`error parsing regexp: ${message}`);
    this.name = 'RegexSyntaxError';
  }
}

/** Go rejects `{n,m}` with a bound above this. */
const MAX_REPEAT = 1000;
const ANY: Ranges = [0, MAX_CODE_POINT];
const ANY_BUT_NL: Ranges = [0, 9, 11, MAX_CODE_POINT];

interface Flags {
  fold: boolean;
  multiline: boolean;
  dotNL: boolean;
  ungreedy: boolean;
}

const PERL: Record<string, Ranges> = {
  d: [0x30, 0x39],
  s: [0x09, 0x0a, 0x0c, 0x0d, 0x20, 0x20],
  w: [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a],
};

const POSIX: Record<string, Ranges> = {
  alnum: [0x30, 0x39, 0x41, 0x5a, 0x61, 0x7a],
  alpha: [0x41, 0x5a, 0x61, 0x7a],
  ascii: [0x00, 0x7f],
  blank: [0x09, 0x09, 0x20, 0x20],
  cntrl: [0x00, 0x1f, 0x7f, 0x7f],
  digit: [0x30, 0x39],
  graph: [0x21, 0x7e],
  lower: [0x61, 0x7a],
  print: [0x20, 0x7e],
  punct: [0x21, 0x2f, 0x3a, 0x40, 0x5b, 0x60, 0x7b, 0x7e],
  space: [0x09, 0x0d, 0x20, 0x20],
  upper: [0x41, 0x5a],
  word: [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a],
  xdigit: [0x30, 0x39, 0x41, 0x46, 0x61, 0x66],
};

const REPEAT = /\{(\d+)(,(\d*))?\}/y;
const NAMED_GROUP = /\?P?<([^>]*)>/y;
const POSIX_CLASS = /\[:(\^?)([a-z]+):\]/y;

export function parseRegex(pattern: string): Parsed {
  return new Parser(pattern).parse();
}

class Parser {
  readonly #src: string;
  #pos = 0;
  #groups = 0;
  readonly #names = new Map<string, number>();

  constructor(src: string) {
    this.#src = src;
  }

  parse(): Parsed {
    const node = this.#alternation({ fold: false, multiline: false, dotNL: false, ungreedy: false });
    if (this.#pos < this.#src.length) {
      // Only an unmatched `)` stops the top-level alternation early.
      throw new RegexSyntaxError(`unexpected ): \`${this.#src}\``);
    }
    return { node, groups: this.#groups, names: this.#names };
  }

  /** alternation := concat ('|' concat)*; the flags object is shared so `(?i)` reaches later branches of the group. */
  #alternation(flags: Flags): Node {
    const branches = [this.#concat(flags)];
    while (this.#peek() === '|') {
      this.#pos++;
      branches.push(this.#concat(flags));
    }
    return branches.length === 1 ? branches[0]! : { type: 'alt', nodes: branches };
  }

  #concat(flags: Flags): Node {
    const items: Node[] = [];
    let lastWasRepeat = false;
    for (;;) {
      const c = this.#peek();
      if (c === undefined || c === '|' || c === ')') break;
      const repeat = this.#repeatOperator();
      if (repeat) {
        const prev = items.at(-1);
        if (!prev) throw new RegexSyntaxError(`missing argument to repetition operator: \`${repeat.text}\``);
        if (lastWasRepeat) throw new RegexSyntaxError(`invalid nested repetition operator: \`${repeat.previousText}${repeat.text}\``);
        const greedy = repeat.lazy === flags.ungreedy;
        items[items.length - 1] = { type: 'repeat', node: prev, min: repeat.min, max: repeat.max, greedy };
        lastWasRepeat = true;
        this.#lastRepeatText = repeat.text;
        continue;
      }
      const atom = this.#atom(flags);
      lastWasRepeat = false;
      if (atom) items.push(atom);
    }
    if (items.length === 0) return { type: 'empty' };
    return items.length === 1 ? items[0]! : { type: 'concat', nodes: items };
  }

  #lastRepeatText = '';

  /** `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`, each optionally followed by `?` (lazy); undefined if none here. */
  #repeatOperator(): { min: number; max: number; lazy: boolean; text: string; previousText: string } | undefined {
    const start = this.#pos;
    const c = this.#peek();
    let min: number;
    let max: number;
    if (c === '*') [min, max] = [0, -1];
    else if (c === '+') [min, max] = [1, -1];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const m = this.#sticky(REPEAT);
      if (!m) return undefined; // a `{` that does not form a repeat is a literal
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? -1 : Number(m[3]);
      if (min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && min > max)) {
        throw new RegexSyntaxError(`invalid repeat count: \`${m[0]}\``);
      }
      this.#pos += m[0].length - 1;
    } else return undefined;
    this.#pos++;
    let lazy = false;
    if (this.#peek() === '?') {
      lazy = true;
      this.#pos++;
    }
    return { min, max, lazy, text: this.#src.slice(start, this.#pos), previousText: this.#lastRepeatText };
  }

  #atom(flags: Flags): Node | undefined {
    const c = this.#next()!; // the caller has checked that input remains
    switch (c) {
      case '(':
        return this.#group(flags);
      case '[':
        return this.#charClass(flags);
      case '.':
        return { type: 'chars', ranges: flags.dotNL ? ANY : ANY_BUT_NL };
      case '^':
        return { type: 'assert', kind: flags.multiline ? 'bol' : 'bot' };
      case '$':
        return { type: 'assert', kind: flags.multiline ? 'eol' : 'eot' };
      case '\\':
        return this.#escapeAtom(flags);
      default:
        return literal(c.codePointAt(0)!, flags.fold);
    }
  }

  #group(flags: Flags): Node | undefined {
    const src = this.#src;
    const at = (s: string) => src.startsWith(s, this.#pos);
    let name: string | undefined;
    if (at('?P<') || at('?<')) {
      if (at('?<=') || at('?<!')) {
        throw new RegexSyntaxError(`invalid or unsupported Perl syntax: \`(${src.slice(this.#pos, this.#pos + 3)}\``);
      }
      const m = this.#sticky(NAMED_GROUP);
      if (!m || !/^[A-Za-z0-9_]+$/.test(m[1]!)) {
        throw new RegexSyntaxError(`invalid named capture: \`(${m ? m[0] : src.slice(this.#pos)}\``);
      }
      name = m[1]!;
      if (this.#names.has(name)) throw new RegexSyntaxError(`duplicate capture group name: \`(${m[0]}\``);
      this.#pos += m[0].length;
    } else if (at('?')) {
      return this.#flagGroup(flags);
    }
    const index = ++this.#groups;
    if (name !== undefined) this.#names.set(name, index);
    const inner = this.#alternation({ ...flags });
    this.#expect(')');
    return { type: 'group', index, ...(name !== undefined && { name }), node: inner };
  }

  /** `(?flags)` changes the flags until the end of the enclosing group; `(?flags:re)` only inside re. */
  #flagGroup(flags: Flags): Node | undefined {
    const start = this.#pos - 1;
    this.#pos++; // '?'
    const next: Flags = { ...flags };
    let negate = false;
    let sawFlag = false;
    for (;;) {
      const c = this.#next();
      const bad = () => new RegexSyntaxError(`invalid or unsupported Perl syntax: \`${this.#src.slice(start, this.#pos)}\``);
      if (c === undefined) throw new RegexSyntaxError(`missing closing ): \`${this.#src.slice(start)}\``);
      if (c === 'i' || c === 'm' || c === 's' || c === 'U') {
        const key = ({ i: 'fold', m: 'multiline', s: 'dotNL', U: 'ungreedy' } as const)[c];
        next[key] = !negate;
        sawFlag = true;
      } else if (c === '-') {
        if (negate) throw bad();
        negate = true;
        sawFlag = false;
      } else if (c === ')' || c === ':') {
        if (!sawFlag && (negate || c === ')')) throw bad();
        if (c === ')') {
          Object.assign(flags, next);
          return undefined;
        }
        const inner = this.#alternation(next);
        this.#expect(')');
        return inner;
      } else {
        throw bad();
      }
    }
  }

  #charClass(flags: Flags): Node {
    const start = this.#pos - 1;
    let negated = false;
    if (this.#peek() === '^') {
      negated = true;
      this.#pos++;
    }
    let ranges: Ranges = [];
    let first = true;
    for (;;) {
      const c = this.#peek();
      if (c === undefined) throw new RegexSyntaxError(`missing closing ]: \`${this.#src.slice(start)}\``);
      if (c === ']' && !first) {
        this.#pos++;
        break;
      }
      first = false;
      // [:alpha:] and [:^alpha:]
      const posix = c === '[' ? this.#sticky(POSIX_CLASS) : null;
      if (posix) {
        const set = POSIX[posix[2]!];
        if (!set) throw new RegexSyntaxError(`invalid character class range: \`${posix[0]}\``);
        ranges = union(ranges, posix[1] ? negate(set) : set);
        this.#pos += posix[0].length;
        continue;
      }
      if (c === '\\') {
        const perl = this.#perlOrUnicodeClass(this.#pos + 1);
        if (perl) {
          ranges = union(ranges, perl);
          continue;
        }
      }
      const loStart = this.#pos;
      const lo = this.#classChar();
      let hi = lo;
      if (this.#peek() === '-' && this.#src[this.#pos + 1] !== ']' && this.#src[this.#pos + 1] !== undefined) {
        this.#pos++;
        hi = this.#classChar();
        if (hi < lo) throw new RegexSyntaxError(`invalid character class range: \`${this.#src.slice(loStart, this.#pos)}\``);
      }
      ranges = union(ranges, [lo, hi]);
    }
    if (flags.fold) ranges = foldRanges(ranges);
    if (negated) ranges = negate(ranges);
    return { type: 'chars', ranges };
  }

  /** One character inside `[...]`: a literal or an escape. */
  #classChar(): number {
    const c = this.#next()!;
    if (c !== '\\') return c.codePointAt(0)!;
    return this.#escapedChar();
  }

  /** `\d \s \w \D \S \W \pX \p{Name} \PX` at `at` (just after the backslash); advances past it. */
  #perlOrUnicodeClass(at: number): Ranges | undefined {
    const c = this.#src[at];
    if (c === undefined) return undefined;
    const lower = c.toLowerCase();
    if ((lower === 'd' || lower === 's' || lower === 'w') && PERL[lower]) {
      this.#pos = at + 1;
      return c === lower ? PERL[lower] : negate(PERL[lower]);
    }
    if (c === 'p' || c === 'P') {
      let name: string;
      let end: number;
      if (this.#src[at + 1] === '{') {
        end = this.#src.indexOf('}', at + 2);
        if (end < 0) throw new RegexSyntaxError(`invalid character class range: \`${this.#src.slice(at - 1)}\``);
        name = this.#src.slice(at + 2, end);
        end++;
      } else {
        const ch = this.#src[at + 1];
        if (ch === undefined) throw new RegexSyntaxError(`invalid character class range: \`\\${c}\``);
        name = ch;
        end = at + 2;
      }
      let negated = c === 'P';
      if (name.startsWith('^')) {
        negated = !negated;
        name = name.slice(1);
      }
      const set = unicodeClass(name);
      if (!set) throw new RegexSyntaxError(`invalid character class range: \`${this.#src.slice(at - 1, end)}\``);
      this.#pos = end;
      return negated ? negate(set) : set;
    }
    return undefined;
  }

  /** An escape outside a class: assertions, \Q…\E, classes, or one escaped character. */
  #escapeAtom(flags: Flags): Node {
    const c = this.#peek();
    if (c === undefined) throw new RegexSyntaxError('trailing backslash at end of expression: ``');
    switch (c) {
      case 'A':
        this.#pos++;
        return { type: 'assert', kind: 'bot' };
      case 'z':
        this.#pos++;
        return { type: 'assert', kind: 'eot' };
      case 'b':
        this.#pos++;
        return { type: 'assert', kind: 'word' };
      case 'B':
        this.#pos++;
        return { type: 'assert', kind: 'nonword' };
      case 'Q': {
        this.#pos++;
        const end = this.#src.indexOf('\\E', this.#pos);
        const text = this.#src.slice(this.#pos, end < 0 ? undefined : end);
        this.#pos = end < 0 ? this.#src.length : end + 2;
        const nodes = [...text].map((ch) => literal(ch.codePointAt(0)!, flags.fold));
        return nodes.length === 0 ? { type: 'empty' } : nodes.length === 1 ? nodes[0]! : { type: 'concat', nodes };
      }
    }
    const cls = this.#perlOrUnicodeClass(this.#pos);
    if (cls) return { type: 'chars', ranges: flags.fold ? foldRanges(cls) : cls };
    return literal(this.#escapedChar(), flags.fold);
  }

  /** The character an escape stands for (the backslash is consumed); Go's rules for what is allowed. */
  #escapedChar(): number {
    const start = this.#pos - 1;
    const c = this.#next();
    if (c === undefined) throw new RegexSyntaxError('trailing backslash at end of expression: ``');
    const bad = () => new RegexSyntaxError(`invalid escape sequence: \`${this.#src.slice(start, this.#pos)}\``);
    switch (c) {
      case 'a':
        return 7;
      case 'f':
        return 12;
      case 't':
        return 9;
      case 'n':
        return 10;
      case 'r':
        return 13;
      case 'v':
        return 11;
      case 'x': {
        if (this.#peek() === '{') {
          const end = this.#src.indexOf('}', this.#pos);
          const hex = end < 0 ? '' : this.#src.slice(this.#pos + 1, end);
          if (!/^[0-9A-Fa-f]+$/.test(hex) || parseInt(hex, 16) > MAX_CODE_POINT) {
            this.#pos = end < 0 ? this.#src.length : end + 1;
            throw bad();
          }
          this.#pos = end + 1;
          return parseInt(hex, 16);
        }
        const hex = this.#src.slice(this.#pos, this.#pos + 2);
        if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw bad();
        this.#pos += 2;
        return parseInt(hex, 16);
      }
    }
    if (c >= '1' && c <= '7') {
      // A single non-zero digit would be a back-reference, which RE2 does not support.
      const nextDigit = this.#peek();
      if (nextDigit === undefined || nextDigit < '0' || nextDigit > '7') throw bad();
    }
    if (c >= '0' && c <= '7') {
      let digits = c;
      while (digits.length < 3 && /[0-7]/.test(this.#peek() ?? '')) digits += this.#next();
      return parseInt(digits, 8);
    }
    if (c.length === 1 && /[!-/:-@[-`{-~]/.test(c)) return c.charCodeAt(0);
    throw bad();
  }

  /** Matches a sticky regex at the current position without copying the rest of the pattern. */
  #sticky(re: RegExp): RegExpExecArray | null {
    re.lastIndex = this.#pos;
    return re.exec(this.#src);
  }

  #peek(): string | undefined {
    return this.#src[this.#pos];
  }

  /** The next code point (surrogate pairs stay together). */
  #next(): string | undefined {
    const cp = this.#src.codePointAt(this.#pos);
    if (cp === undefined) return undefined;
    const ch = String.fromCodePoint(cp);
    this.#pos += ch.length;
    return ch;
  }

  #expect(c: string): void {
    if (this.#peek() !== c) throw new RegexSyntaxError(`missing closing ): \`${this.#src}\``);
    this.#pos++;
  }
}

function literal(cp: number, fold: boolean): Node {
  return { type: 'chars', ranges: fold ? foldRanges([cp, cp]) : [cp, cp] };
}
