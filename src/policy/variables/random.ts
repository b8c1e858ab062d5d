/**
 * random(pattern): a random string matching a regular expression, like goregen which Kyverno
 * uses. Supports literals, escapes (`\d`, `\w`, `\s` and escaped punctuation), `.`, character
 * classes with ranges and negation, groups, alternation and the quantifiers `*`, `+`, `?`, `{n}`,
 * `{n,}`, `{n,m}`. Unbounded repetition stops at 10 extra repeats. Anchors match nothing.
 */

import { randomInt } from 'node:crypto';

type Node =
  | { type: 'chars'; chars: string[] }
  | { type: 'seq'; items: Node[] }
  | { type: 'alt'; options: Node[] }
  | { type: 'repeat'; node: Node; min: number; max: number };

const MAX_UNBOUNDED = 10;
const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));
const DIGITS = PRINTABLE.filter((c) => c >= '0' && c <= '9');
const WORD = PRINTABLE.filter((c) => /\w/.test(c));
const SPACE = [' ', '\t', '\n', '\r', '\f', '\v'];

export class RandomPatternError extends Error {
  constructor(message: string) {
    super(`error parsing regexp: ${message}`);
    this.name = 'RandomPatternError';
  }
}

class Parser {
  private pos = 0;
  private readonly src: string;

  constructor(src: string) {
    this.src = src;
  }

  parse(): Node {
    const node = this.alternation();
    if (this.pos < this.src.length) throw new RandomPatternError(`unexpected ) in \`${this.src}\``);
    return node;
  }

  private alternation(): Node {
    const options = [this.sequence()];
    while (this.src[this.pos] === '|') {
      this.pos++;
      options.push(this.sequence());
    }
    return options.length === 1 ? (options[0] as Node) : { type: 'alt', options };
  }

  private sequence(): Node {
    const items: Node[] = [];
    while (this.pos < this.src.length && this.src[this.pos] !== '|' && this.src[this.pos] !== ')') {
      items.push(this.quantified(this.atom()));
    }
    return { type: 'seq', items };
  }

  private quantified(node: Node): Node {
    let result = node;
    for (;;) {
      const c = this.src[this.pos];
      let min: number;
      let max: number;
      if (c === '*') [min, max] = [0, MAX_UNBOUNDED];
      else if (c === '+') [min, max] = [1, 1 + MAX_UNBOUNDED];
      else if (c === '?') [min, max] = [0, 1];
      else if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos));
        if (!m) return result;
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === '' ? min + MAX_UNBOUNDED : Number(m[3]);
        if (max < min) throw new RandomPatternError(`invalid repeat count: \`${m[0]}\``);
        this.pos += m[0].length - 1;
      } else return result;
      this.pos++;
      if (this.src[this.pos] === '?') this.pos++;
      result = { type: 'repeat', node: result, min, max };
    }
  }

  private atom(): Node {
    const c = this.src[this.pos++] as string;
    switch (c) {
      case '(': {
        if (this.src.startsWith('?:', this.pos)) this.pos += 2;
        else if (this.src.startsWith('?P<', this.pos) || this.src.startsWith('?<', this.pos)) this.pos = this.src.indexOf('>', this.pos) + 1;
        const inner = this.alternation();
        if (this.src[this.pos] !== ')') throw new RandomPatternError(`missing closing ): \`${this.src}\``);
        this.pos++;
        return inner;
      }
      case '[':
        return { type: 'chars', chars: this.charClass() };
      case '.':
        return { type: 'chars', chars: PRINTABLE };
      case '^':
      case '$':
        return { type: 'seq', items: [] };
      case '\\':
        return { type: 'chars', chars: this.escape() };
      case '*':
      case '+':
      case '?':
        throw new RandomPatternError(`missing argument to repetition operator: \`${c}\``);
      default:
        return { type: 'chars', chars: [c] };
    }
  }

  private escape(): string[] {
    const c = this.src[this.pos++];
    if (c === undefined) throw new RandomPatternError('trailing backslash at end of expression');
    if (c === 'd') return DIGITS;
    if (c === 'w') return WORD;
    if (c === 's') return SPACE;
    if (c === 'D') return PRINTABLE.filter((x) => !DIGITS.includes(x));
    if (c === 'W') return PRINTABLE.filter((x) => !WORD.includes(x));
    if (c === 'S') return PRINTABLE.filter((x) => !SPACE.includes(x));
    if (c === 'n') return ['\n'];
    if (c === 't') return ['\t'];
    return [c];
  }

  private charClass(): string[] {
    const negate = this.src[this.pos] === '^';
    if (negate) this.pos++;
    const set = new Set<string>();
    let first = true;
    while (this.pos < this.src.length && (this.src[this.pos] !== ']' || first)) {
      first = false;
      let chars: string[];
      if (this.src[this.pos] === '\\') {
        this.pos++;
        chars = this.escape();
      } else chars = [this.src[this.pos++] as string];
      if (chars.length === 1 && this.src[this.pos] === '-' && this.src[this.pos + 1] !== undefined && this.src[this.pos + 1] !== ']') {
        this.pos++;
        const end = this.src[this.pos] === '\\' ? (this.pos++, this.escape()) : [this.src[this.pos++] as string];
        const from = (chars[0] as string).codePointAt(0) as number;
        const to = (end[0] as string).codePointAt(0) as number;
        if (end.length !== 1 || to < from) throw new RandomPatternError('invalid character class range');
        for (let cp = from; cp <= to; cp++) set.add(String.fromCodePoint(cp));
      } else for (const ch of chars) set.add(ch);
    }
    if (this.src[this.pos] !== ']') throw new RandomPatternError(`missing closing ]: \`${this.src}\``);
    this.pos++;
    const result = negate ? PRINTABLE.filter((ch) => !set.has(ch)) : [...set];
    if (result.length === 0) throw new RandomPatternError('empty character class');
    return result;
  }
}

function generate(node: Node): string {
  switch (node.type) {
    case 'chars':
      return node.chars[randomInt(node.chars.length)] as string;
    case 'seq':
      return node.items.map(generate).join('');
    case 'alt':
      return generate(node.options[randomInt(node.options.length)] as Node);
    case 'repeat': {
      const count = node.min + randomInt(node.max - node.min + 1);
      let out = '';
      for (let i = 0; i < count; i++) out += generate(node.node);
      return out;
    }
  }
}

export function randomFromPattern(pattern: string): string {
  if (pattern === '') throw new Error('no pattern provided');
  return generate(new Parser(pattern).parse());
}
