/**
 * A fast reader for the block-style YAML that `kubectl get -o yaml` (and YAML libraries' default
 * output, and most hand-written manifests) is: a cluster dump is tens of megabytes of it, and a
 * repository thousands of files, which general YAML parsers take seconds over. It reads line by
 * line and knows the line of every node as it goes, so positions cost little extra. The manifest
 * reader (manifests.ts) and the cluster dump reader both try it first.
 *
 * Subset read: block mappings and sequences (compact `- key: value` items included), plain and
 * quoted scalars (multi-line ones too), block scalars (`|`, `>`, with `-` or `+` chomping), flow
 * sequences of scalars on one line (`["sh", "-c"]`), the empty mapping `{}`, comments, `---` / `...`
 * document markers.
 * Scalars resolve as Kubernetes reads them (YAML 1.1: `yes`/`on` are booleans, timestamps stay
 * strings), with the same results as js-yaml with the manifest schema of policy/engine/documents.ts
 * (and as the `yaml` package, except for a lone `.`, which it reads as NaN and go-yaml as a string).
 *
 * Anchors on mapping values and their aliases are read too (YAML writers emit them for objects
 * that recur), within the `yaml` parser's bound on alias expansion.
 *
 * Anything else — other anchors, tags, directives, other flow collections, explicit
 * block indentation indicators, merge keys, duplicate keys, a scalar that might be a number in a
 * form other than plain decimal (`0x1F`, `1e3`, `010`, `-0`), invalid YAML — makes `readBlockYaml`
 * return undefined: the caller then uses a complete parser, which also reports syntax errors with
 * their line. The reader never guesses.
 */
import { appendSegment } from './field-path.ts';

export interface BlockYamlDocument {
  value: unknown;
  /** 1-based line of the document's first content. */
  line: number;
  /** When the root is a mapping whose `items` is a block sequence: the line each item starts on. */
  itemLines?: number[];
  /** With `fieldLines`: the line of every mapping key and sequence item, by canonical field path (`items[0].metadata.name`). */
  fieldLines?: Map<string, number>;
}

export interface BlockYamlOptions {
  /** Record the line of every key and item (for file:line findings on small files). */
  fieldLines?: boolean;
  /** Told why the text was left to the full parser (tests and diagnostics). */
  onUnsupported?: (reason: string) => void;
}

/** Thrown inside the reader when the text leaves the subset: the caller falls back to a full parser. */
class Unsupported extends Error {}

const SPACE = 32;
const TAB = 9;
const HASH = 35;
const DASH = 45;
const COLON = 58;
const CR = 13;
const NL = 10;
const DQUOTE = 34;
const SQUOTE = 39;
const AMPERSAND = 38;
const STAR = 42;

/** Characters that cannot start a plain scalar (or do something this reader leaves to the full parser). */
const INDICATORS = new Set('[]{},#&*!|>\'"%@`?'.split('').map((c) => c.charCodeAt(0)));

/** The plain scalars YAML 1.1 reads as booleans and null. */
const WORDS = new Map<string, boolean | null>([
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'].map((w) => [w, true] as const),
  ...['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'].map((w) => [w, false] as const),
  ...['~', 'null', 'Null', 'NULL'].map((w) => [w, null] as const),
]);
/** `-0` is not one of them: js-yaml reads it as 0, the `yaml` package as -0. */
const DECIMAL_INT = /^(?:0|-?[1-9][0-9]{0,14})$/;
const DECIMAL_FLOAT = /^-?(?:0|[1-9][0-9]{0,14})\.[0-9]{1,15}$/;
/** Every other spelling of a YAML 1.1 (or 1.2) number: read by the full parser, which knows them all. */
const OTHER_NUMBER = /^[-+]?(?:[0-9][0-9_]*(?::[0-5]?[0-9])*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9_]+(?:[eE][-+]?[0-9]+)?|0[bB][0-9_]+|0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|\.(?:inf|Inf|INF|nan|NaN|NAN))$/;

/** What YAML forbids in a stream (the full parser reports it). */
// eslint-disable-next-line no-control-regex
const NON_PRINTABLE = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F\uFFFE\uFFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:[^\uD800-\uDBFF]|^)[\uDC00-\uDFFF]/;
const SURROGATE = /[\uD800-\uDFFF]/;

/** Deeper than any Kubernetes object; far from the stack's limit (the full parser decides about the rest). */
const MAX_DEPTH = 500;

/** The `yaml` parser's bound on alias use (maxAliasCount in the manifest readers). */
const MAX_ALIASES = 1000;

const DOUBLE_QUOTED_ESCAPES: Record<string, string> = {
  '0': '\0', a: '\x07', b: '\b', t: '\t', '\t': '\t', n: '\n', v: '\v', f: '\f', r: '\r', e: '\x1b',
  ' ': ' ', '"': '"', '/': '/', '\\': '\\', N: '\x85', _: '\xa0', L: '\u2028', P: '\u2029',
};
const HEX_ESCAPE_LENGTH: Record<string, number> = { x: 2, u: 4, U: 8 };

/**
 * Every document of `text`, or undefined when the text is not in the subset this reader knows (the
 * caller then parses it with a complete YAML parser). Empty documents are left out.
 */
export function readBlockYaml(text: string, options: BlockYamlOptions = {}): BlockYamlDocument[] | undefined {
  try {
    return new Reader(text, options.fieldLines === true).documents();
  } catch (err) {
    if (!(err instanceof Unsupported)) throw err;
    options.onUnsupported?.(err.message);
    return undefined;
  }
}

class Reader {
  private readonly text: string;
  private readonly recordLines: boolean;
  /** What the document being read records besides its value. */
  private doc: { fieldLines?: Map<string, number>; itemLines?: number[] } = {};
  /** Offset where the current line starts. */
  private start = 0;
  /** Offset of the current line's end (its `\n`, or the end of the text), and of its content's end (before a `\r`). */
  private end = 0;
  private contentEnd = 0;
  /** Offset where parsing resumes on the current line, and its column. */
  private at = 0;
  private column = 0;
  /** 1-based number of the current line. */
  private line = 1;
  private eof = false;
  /** The last `keyEnd` answer, for the position it was asked at: a mapping's first key is looked for twice. */
  private keyEndAt = -1;
  private keyEndFound: number | undefined;
  private readonly keys = new KeyPool();
  /** Nodes open around the current one. */
  private depth = 0;
  /** The document's anchored values by name, the aliases read so far, and the anchored nodes open around the current one. */
  private anchors = new Map<string, unknown>();
  private aliases = 0;
  private anchoring = 0;

  constructor(text: string, recordLines: boolean) {
    if (NON_PRINTABLE.test(text) || (SURROGATE.test(text) && LONE_SURROGATE.test(text))) throw new Unsupported('non-printable characters');
    this.text = text;
    this.recordLines = recordLines;
    this.enterLine(text.charCodeAt(0) === 0xfeff ? 1 : 0);
  }

  documents(): BlockYamlDocument[] {
    const out: BlockYamlDocument[] = [];
    this.skipInsignificant();
    while (!this.eof) {
      if (this.column === 0 && this.charAt(this.at) === 37 /* % */) throw new Unsupported('directive');
      if (this.isMarker('---')) {
        if (this.restIsEmpty(this.at + 3)) this.nextLine();
        else throw new Unsupported('content after ---');
        this.skipInsignificant();
        continue;
      }
      if (this.isMarker('...')) {
        if (!this.restIsEmpty(this.at + 3)) throw new Unsupported('content after ...');
        this.nextLine();
        this.skipInsignificant();
        continue;
      }
      const line = this.line;
      const doc: Reader['doc'] = this.recordLines ? { fieldLines: new Map() } : {};
      this.anchors = new Map();
      this.aliases = 0;
      this.doc = doc;
      const value = this.node(-1, this.recordLines ? '' : undefined, true);
      if (!this.eof && !this.isMarker('---') && !this.isMarker('...')) throw new Unsupported(`unexpected content at line ${this.line}`);
      if (value === null) continue;
      out.push({ value, line, ...doc });
    }
    return out;
  }

  /* ───────────── lines ───────────── */

  private charAt(offset: number): number {
    return offset < this.contentEnd ? this.text.charCodeAt(offset) : NL;
  }

  private enterLine(offset: number): void {
    const text = this.text;
    if (offset >= text.length) {
      this.eof = true;
      this.start = this.end = this.contentEnd = this.at = text.length;
      this.column = 0;
      return;
    }
    this.start = offset;
    let end = text.indexOf('\n', offset);
    if (end === -1) end = text.length;
    this.end = end;
    this.contentEnd = end > offset && text.charCodeAt(end - 1) === CR ? end - 1 : end;
    let at = offset;
    while (at < this.contentEnd && text.charCodeAt(at) === SPACE) at++;
    this.at = at;
    this.column = at - offset;
  }

  private nextLine(): void {
    if (this.eof) return;
    this.line++;
    this.enterLine(this.end + 1);
  }

  /** Blank or comment-only: nothing on it for the parser. A tab before content is not YAML indentation. */
  private insignificant(): boolean {
    const c = this.charAt(this.at);
    if (c === NL || c === HASH) return true;
    if (c === TAB) {
      if (this.restIsEmpty(this.at)) return true;
      throw new Unsupported('tab indentation');
    }
    return false;
  }

  private skipInsignificant(): void {
    while (!this.eof && this.insignificant()) this.nextLine();
  }

  /** From `offset` to the end of the line there are only spaces, tabs and perhaps a comment. */
  private restIsEmpty(offset: number): boolean {
    for (let i = offset; i < this.contentEnd; i++) {
      const c = this.text.charCodeAt(i);
      if (c === HASH) return i === this.start || this.isBlank(this.text.charCodeAt(i - 1));
      if (c !== SPACE && c !== TAB) return false;
    }
    return true;
  }

  private isBlank(c: number): boolean {
    return c === SPACE || c === TAB;
  }

  private isMarker(marker: '---' | '...'): boolean {
    return this.column === 0 && this.at === this.start && this.text.startsWith(marker, this.at) && (this.at + 3 >= this.contentEnd || this.isBlank(this.text.charCodeAt(this.at + 3)));
  }

  /** The current line starts a sequence item: `-` then a space or the end of the line. */
  private isItem(): boolean {
    return this.charAt(this.at) === DASH && (this.at + 1 >= this.contentEnd || this.isBlank(this.text.charCodeAt(this.at + 1)));
  }

  /* ───────────── nodes ───────────── */

  /**
   * The node that starts at the current position (a significant line, or the rest of a line after
   * `- `), belonging to a parent at column `parent`.
   */
  private node(parent: number, path: string | undefined, root = false): unknown {
    if (++this.depth > MAX_DEPTH) throw new Unsupported(`nesting deeper than ${MAX_DEPTH} at line ${this.line}`);
    try {
      if (this.isItem()) return this.sequence(this.column, path);
      if (this.keyEnd() !== undefined) return this.mapping(this.column, path, root);
      return this.scalar(parent, path);
    } finally {
      this.depth--;
    }
  }

  /** A block mapping whose keys sit at `column`, from the current position. */
  private mapping(column: number, path: string | undefined, root: boolean): Record<string, unknown> {
    const map: Record<string, unknown> = {};
    for (;;) {
      const key = this.key();
      if (key === '__proto__' || key === '<<') throw new Unsupported(`key ${key}`);
      // The last of duplicate keys wins, but the field lines under the first would stay behind.
      if (Object.hasOwn(map, key)) throw new Unsupported(`duplicate key ${key} at line ${this.line}`);
      const keyPath = path === undefined ? undefined : appendSegment(path, key);
      if (keyPath !== undefined) this.doc.fieldLines!.set(keyPath, this.line);
      map[key] = this.value(column, keyPath, root && key === 'items');
      if (this.eof || this.column !== column || this.isMarker('---') || this.isMarker('...')) break;
      if (this.isItem()) throw new Unsupported(`sequence item among keys at line ${this.line}`);
    }
    if (!this.eof && this.column > column) throw new Unsupported(`bad indentation at line ${this.line}`);
    return map;
  }

  /** A block sequence whose dashes sit at `column`, from the current position. */
  private sequence(column: number, path: string | undefined, recordItems = false): unknown[] {
    const list: unknown[] = [];
    const lines: number[] | undefined = recordItems ? [] : undefined;
    while (!this.eof && this.column === column && this.isItem() && !this.isMarker('---')) {
      const dashLine = this.line;
      let at = this.at + 1;
      while (at < this.contentEnd && this.isBlank(this.text.charCodeAt(at))) at++;
      const itemPath = path === undefined ? undefined : appendSegment(path, list.length);
      let item: unknown;
      if (this.restIsEmpty(at)) {
        this.nextLine();
        this.skipInsignificant();
        if (!this.eof && this.column > column && !this.isMarker('---')) {
          lines?.push(this.line);
          if (itemPath !== undefined) this.doc.fieldLines!.set(itemPath, this.line);
          item = this.node(column, itemPath);
        } else {
          lines?.push(dashLine);
          if (itemPath !== undefined) this.doc.fieldLines!.set(itemPath, dashLine);
          item = null;
        }
      } else {
        if (this.text.charCodeAt(at) === TAB) throw new Unsupported('tab after -');
        lines?.push(dashLine);
        if (itemPath !== undefined) this.doc.fieldLines!.set(itemPath, dashLine);
        this.column += at - this.at;
        this.at = at;
        item = this.node(column, itemPath);
      }
      list.push(item);
    }
    if (!this.eof && this.column > column && !this.isMarker('---')) throw new Unsupported(`bad indentation at line ${this.line}`);
    if (lines) this.doc.itemLines = lines;
    return list;
  }

  /** The value after `key:` of a mapping at `column`; leaves the position on the next significant line. */
  private value(column: number, path: string | undefined, items: boolean): unknown {
    if (this.charAt(this.at) === AMPERSAND) return this.anchored(column, path, items);
    if (this.restIsEmpty(this.at)) {
      this.nextLine();
      this.skipInsignificant();
      if (this.eof || this.isMarker('---') || this.isMarker('...')) return null;
      if (this.column > column) return this.isItem() ? this.sequence(this.column, path, items) : this.node(column, path);
      if (this.column === column && this.isItem()) return this.sequence(column, path, items);
      return null;
    }
    return this.scalar(column, path);
  }

  /**
   * `key: &name value`, as YAML writers mark an object that recurs: the value, kept for the aliases
   * (`*name`) after it. Anchors elsewhere (on keys, on sequence items) are left to the full parser.
   */
  private anchored(column: number, path: string | undefined, items: boolean): unknown {
    const end = this.nameEnd(this.at + 1);
    const name = this.text.slice(this.at + 1, end);
    let at = end;
    while (at < this.contentEnd && this.isBlank(this.text.charCodeAt(at))) at++;
    if (name === '' || (at === end && at < this.contentEnd) || this.charAt(at) === AMPERSAND || this.charAt(at) === STAR) throw new Unsupported(`anchor at line ${this.line}`);
    this.column += at - this.at;
    this.at = at;
    this.anchoring++;
    const value = this.value(column, path, items);
    this.anchoring--;
    this.anchors.set(name, value);
    return value;
  }

  /**
   * `*name`: the anchored value itself, as js-yaml and the `yaml` package give it (no field lines
   * inside: findings there point at the alias). Within the bound the `yaml` parser sets against
   * alias expansion attacks (at most 1000 aliases, none inside an anchored node, so nothing
   * multiplies); beyond it the full parser decides.
   */
  private alias(): unknown {
    const end = this.nameEnd(this.at + 1);
    const name = this.text.slice(this.at + 1, end);
    if (name === '' || !this.restIsEmpty(end) || !this.anchors.has(name)) throw new Unsupported(`alias at line ${this.line}`);
    if (this.anchoring > 0) throw new Unsupported(`alias inside an anchored node at line ${this.line}`);
    if (++this.aliases > MAX_ALIASES) throw new Unsupported(`more than ${MAX_ALIASES} aliases`);
    this.nextLine();
    this.skipInsignificant();
    return this.anchors.get(name);
  }

  /** Where an anchor or alias name starting at `from` ends: at a blank, a flow indicator or the end of the line. */
  private nameEnd(from: number): number {
    let i = from;
    while (i < this.contentEnd) {
      const c = this.text.charCodeAt(i);
      if (this.isBlank(c) || c === 44 /* , */ || c === 91 || c === 93 || c === 123 || c === 125) break;
      i++;
    }
    return i;
  }

  /**
   * Where the key of a `key: value` line ends (the offset of its `:`), or undefined when the
   * current position holds no mapping key.
   */
  private keyEnd(): number | undefined {
    if (this.keyEndAt === this.at) return this.keyEndFound;
    this.keyEndAt = this.at;
    this.keyEndFound = this.findKeyEnd();
    return this.keyEndFound;
  }

  private findKeyEnd(): number | undefined {
    const text = this.text;
    const c = this.charAt(this.at);
    if (c === DQUOTE || c === SQUOTE) {
      const close = this.quoteEnd(this.at);
      if (close === undefined) return undefined;
      let i = close + 1;
      while (i < this.contentEnd && this.isBlank(text.charCodeAt(i))) i++;
      const next = this.charAt(i + 1);
      return this.charAt(i) === COLON && (next === NL || this.isBlank(next)) ? i : undefined;
    }
    if (INDICATORS.has(c) || c === NL) return undefined;
    for (let i = this.at; i < this.contentEnd; i++) {
      const ch = text.charCodeAt(i);
      if (ch === COLON && (i + 1 >= this.contentEnd || this.isBlank(text.charCodeAt(i + 1)))) return i;
      if (ch === HASH && this.isBlank(text.charCodeAt(i - 1))) return undefined;
    }
    return undefined;
  }

  /** Reads the key at the current position and moves past its `:`. */
  private key(): string {
    const colon = this.keyEnd();
    if (colon === undefined) throw new Unsupported(`expected a key at line ${this.line}`);
    const c = this.charAt(this.at);
    let key: string;
    if (c === DQUOTE || c === SQUOTE) key = this.quoted(this.at, this.quoteEnd(this.at)!);
    else {
      let end = colon;
      while (end > this.at && this.isBlank(this.text.charCodeAt(end - 1))) end--;
      key = this.keys.find(this.text, this.at, end) ?? this.newKey(this.text.slice(this.at, end));
    }
    let at = colon + 1;
    while (at < this.contentEnd && this.isBlank(this.text.charCodeAt(at))) at++;
    this.column += at - this.at;
    this.at = at;
    return key;
  }

  private newKey(raw: string): string {
    const key = plainScalar(raw);
    if (typeof key !== 'string') throw new Unsupported(`key ${raw} is not a string`);
    this.keys.add(key);
    return key;
  }

  /** A scalar at the current position, belonging to a parent at column `parent`; moves to the next significant line. */
  private scalar(parent: number, path: string | undefined): unknown {
    const text = this.text;
    const c = this.charAt(this.at);
    if (c === DQUOTE || c === SQUOTE) {
      const close = this.quoteEnd(this.at);
      if (close === undefined) return this.multiLineQuoted();
      if (!this.restIsEmpty(close + 1)) throw new Unsupported(`text after a quoted scalar at line ${this.line}`);
      const value = this.quoted(this.at, close);
      this.nextLine();
      this.skipInsignificant();
      return value;
    }
    if (c === 124 /* | */ || c === 62 /* > */) return this.blockScalar(parent);
    if (c === STAR) return this.alias();
    if (c === 91 /* [ */) return this.flowSequence(path);
    if (c === 123 /* { */) {
      if (this.charAt(this.at + 1) !== 125 /* } */ || !this.restIsEmpty(this.at + 2)) throw new Unsupported(`flow mapping at line ${this.line}`);
      this.nextLine();
      this.skipInsignificant();
      return {};
    }
    if (INDICATORS.has(c) || c === NL) throw new Unsupported(`indicator at line ${this.line}`);
    // A plain scalar: up to a comment or the end of the line, then any more-indented continuation lines.
    let end = this.plainEnd(this.at);
    let raw = text.slice(this.at, end);
    this.nextLine();
    let blankLines = 0;
    while (!this.eof) {
      if (this.charAt(this.at) === NL) {
        blankLines++;
        this.nextLine();
        continue;
      }
      if (this.column <= parent || this.isMarker('---') || this.isMarker('...')) break;
      const first = this.charAt(this.at);
      // Comments, tabs and indicators at the start of a continuation line are left to the full parser.
      if (first === TAB || first === DASH || first === COLON || INDICATORS.has(first)) throw new Unsupported(`plain scalar continuation at line ${this.line}`);
      end = this.plainEnd(this.at);
      raw += (blankLines === 0 ? ' ' : '\n'.repeat(blankLines)) + text.slice(this.at, end);
      blankLines = 0;
      this.nextLine();
    }
    this.skipInsignificant();
    return plainScalar(raw);
  }

  /**
   * A flow sequence of scalars on one line, as hand-written manifests spell commands and arguments
   * (`command: ["sh", "-c"]`). Nested collections, `key: value` pairs, comments, empty entries and
   * a trailing comma, and sequences that go on past their line are left to the full parser.
   */
  private flowSequence(path: string | undefined): unknown[] {
    const text = this.text;
    const list: unknown[] = [];
    let i = this.at + 1;
    for (;;) {
      while (i < this.contentEnd && this.isBlank(text.charCodeAt(i))) i++;
      const c = this.charAt(i);
      if (c === 93 /* ] */ && list.length === 0) break;
      let value: unknown;
      if (c === DQUOTE || c === SQUOTE) {
        const close = this.closingQuote(i + 1, c);
        if (close === undefined) throw new Unsupported(`flow sequence at line ${this.line}`);
        value = this.quoted(i, close);
        i = close + 1;
      } else {
        const second = this.charAt(i + 1);
        const lone = (c === DASH || c === COLON) && (second === NL || this.isBlank(second) || second === 44 || second === 93);
        if (INDICATORS.has(c) || c === NL || lone) throw new Unsupported(`flow sequence at line ${this.line}`);
        const start = i;
        for (; i < this.contentEnd; i++) {
          const ch = text.charCodeAt(i);
          if (ch === 44 /* , */ || ch === 93 /* ] */) break;
          const next = this.charAt(i + 1);
          const pair = ch === COLON && (next === NL || this.isBlank(next) || next === 44 || next === 93);
          if (pair || ch === 91 || ch === 123 || ch === 125 || (ch === HASH && this.isBlank(text.charCodeAt(i - 1)))) throw new Unsupported(`flow sequence at line ${this.line}`);
        }
        let end = i;
        while (end > start && this.isBlank(text.charCodeAt(end - 1))) end--;
        value = plainScalar(text.slice(start, end));
      }
      if (path !== undefined) this.doc.fieldLines!.set(appendSegment(path, list.length), this.line);
      list.push(value);
      while (i < this.contentEnd && this.isBlank(text.charCodeAt(i))) i++;
      const separator = this.charAt(i);
      if (separator === 93 /* ] */) break;
      if (separator !== 44 /* , */) throw new Unsupported(`flow sequence at line ${this.line}`);
      i++;
    }
    if (!this.restIsEmpty(i + 1)) throw new Unsupported(`text after a flow sequence at line ${this.line}`);
    this.nextLine();
    this.skipInsignificant();
    return list;
  }

  /** Where the plain scalar starting at `from` ends on its line (before a comment and trailing blanks). */
  private plainEnd(from: number): number {
    const text = this.text;
    let end = this.contentEnd;
    for (let i = from; i < this.contentEnd; i++) {
      const ch = text.charCodeAt(i);
      if (ch === HASH && i > from && this.isBlank(text.charCodeAt(i - 1))) {
        end = i;
        break;
      }
      // `: ` inside a plain scalar would make it a key: that is a mapping the line cannot hold.
      if (ch === COLON && (i + 1 >= this.contentEnd || this.isBlank(text.charCodeAt(i + 1)))) throw new Unsupported(`mapping value in a plain scalar at line ${this.line}`);
    }
    while (end > from && this.isBlank(text.charCodeAt(end - 1))) end--;
    return end;
  }

  /** The offset of the closing quote of the quoted scalar opening at `open`, on the same line. */
  private quoteEnd(open: number): number | undefined {
    return this.closingQuote(open + 1, this.text.charCodeAt(open));
  }

  /** The offset of the quote that closes a `quote`-quoted scalar, looking from `from` to the end of the line. */
  private closingQuote(from: number, quote: number): number | undefined {
    const text = this.text;
    for (let i = from; i < this.contentEnd; i++) {
      const ch = text.charCodeAt(i);
      if (quote === DQUOTE && ch === 92 /* \ */) {
        i++;
        continue;
      }
      if (ch !== quote) continue;
      if (quote === SQUOTE && text.charCodeAt(i + 1) === SQUOTE && i + 1 < this.contentEnd) {
        i++;
        continue;
      }
      return i;
    }
    return undefined;
  }

  private quoted(open: number, close: number): string {
    const body = this.text.slice(open + 1, close);
    return this.text.charCodeAt(open) === SQUOTE ? unquoteSingle(body) : this.unescapeDouble(body);
  }

  private unescapeDouble(body: string): string {
    if (!body.includes('\\')) return body;
    let out = '';
    for (let i = 0; i < body.length; i++) {
      const ch = body[i]!;
      if (ch !== '\\') {
        out += ch;
        continue;
      }
      const e = body[++i] ?? '';
      const simple = DOUBLE_QUOTED_ESCAPES[e];
      if (simple !== undefined) {
        out += simple;
        continue;
      }
      const length = HEX_ESCAPE_LENGTH[e];
      const hex = length === undefined ? '' : body.slice(i + 1, i + 1 + length);
      if (length === undefined || !/^[0-9a-fA-F]+$/.test(hex) || hex.length !== length) throw new Unsupported(`escape \\${e} at line ${this.line}`);
      const code = parseInt(hex, 16);
      if (code > 0x10ffff) throw new Unsupported(`escape \\${e}${hex} at line ${this.line}`);
      out += String.fromCodePoint(code);
      i += length;
    }
    return out;
  }

  /**
   * A quoted scalar that goes on past its first line (YAML libraries wrap long strings so). Line
   * breaks fold as YAML folds them: into a space, or into one newline per empty line between; white
   * space around a break is dropped, and in double quotes a `\` at the end of a line joins the lines
   * with nothing between. Continuation lines may be indented less than the scalar's parent node:
   * the `yaml` package rejects that, but js-yaml and go-yaml (kubectl) read it, and so do
   * real-world manifests.
   */
  private multiLineQuoted(): string {
    const text = this.text;
    const quote = text.charCodeAt(this.at);
    const double = quote === DQUOTE;
    const first = text.slice(this.at + 1, this.contentEnd);
    let escapedBreak = double && endsWithEscape(first);
    let value = double ? (escapedBreak ? this.unescapeDouble(first.slice(0, -1)) : this.unescapeDouble(trimEndBlanks(first, this.line))) : unquoteSingle(trimEndBlanks(first, this.line));
    let emptyLines = 0;
    for (;;) {
      this.nextLine();
      if (this.eof || this.isMarker('---') || this.isMarker('...')) throw new Unsupported('unterminated quoted scalar');
      let from = this.at;
      while (from < this.contentEnd && this.isBlank(text.charCodeAt(from))) from++;
      const close = this.closingQuote(from, quote);
      if (close === undefined && from === this.contentEnd) {
        if (escapedBreak) throw new Unsupported(`empty line after an escaped line break at line ${this.line}`);
        emptyLines++;
        continue;
      }
      const raw = text.slice(from, close ?? this.contentEnd);
      const joint = escapedBreak ? '' : emptyLines > 0 ? '\n'.repeat(emptyLines) : ' ';
      emptyLines = 0;
      if (close !== undefined) {
        if (!this.restIsEmpty(close + 1)) throw new Unsupported(`text after a quoted scalar at line ${this.line}`);
        value += joint + (double ? this.unescapeDouble(raw) : unquoteSingle(raw));
        break;
      }
      escapedBreak = double && endsWithEscape(raw);
      const body = escapedBreak ? raw.slice(0, -1) : trimEndBlanks(raw, this.line);
      value += joint + (double ? this.unescapeDouble(body) : unquoteSingle(body));
    }
    this.nextLine();
    this.skipInsignificant();
    return value;
  }

  /**
   * A block scalar (`|`, `>`, with `-` or `+` chomping) whose header is at the current position; its
   * lines are indented past `parent`. Lines join as js-yaml joins them: literal lines keep their
   * breaks; folded lines join with a space, except around empty and more-indented lines.
   */
  private blockScalar(parent: number): string {
    const text = this.text;
    const folded = this.charAt(this.at) === 62; /* > */
    let chomp: 'clip' | 'strip' | 'keep' = 'clip';
    let at = this.at + 1;
    const indicator = this.charAt(at);
    if (indicator === DASH || indicator === 43 /* + */) {
      chomp = indicator === DASH ? 'strip' : 'keep';
      at++;
    }
    if (this.charAt(at) !== NL && (!this.isBlank(this.charAt(at)) || !this.restIsEmpty(at))) throw new Unsupported(`block scalar header at line ${this.line}`);
    this.nextLine();
    let indent = -1;
    /** Widest all-space line before the first content line: wider than the content is an error. */
    let leadingWidth = 0;
    let result = '';
    let emptyLines = 0;
    let didReadContent = false;
    let atMoreIndented = false;
    while (!this.eof) {
      // Columns are counted in spaces only: a tab here is content or ends the scalar, as the full parser decides.
      if (this.at === this.contentEnd && (indent === -1 || this.column <= indent)) {
        if (indent === -1) leadingWidth = Math.max(leadingWidth, this.column);
        emptyLines++;
        this.nextLine();
        continue;
      }
      if (this.at !== this.contentEnd) {
        if (this.isMarker('---') || this.isMarker('...')) break;
        if (indent === -1) {
          if (this.column <= parent) break;
          indent = this.column;
          if (leadingWidth > indent) throw new Unsupported(`leading blank line of a block scalar at line ${this.line}`);
        }
        if (this.column < indent) break;
      }
      const content = text.slice(this.start + indent, this.contentEnd);
      if (!folded) result += '\n'.repeat(didReadContent ? 1 + emptyLines : emptyLines);
      else if (content.charCodeAt(0) === SPACE || content.charCodeAt(0) === TAB) {
        atMoreIndented = true;
        result += '\n'.repeat(didReadContent ? 1 + emptyLines : emptyLines);
      } else if (atMoreIndented) {
        atMoreIndented = false;
        result += '\n'.repeat(emptyLines + 1);
      } else if (emptyLines === 0) {
        if (didReadContent) result += ' ';
      } else {
        result += '\n'.repeat(emptyLines);
      }
      result += content;
      didReadContent = true;
      emptyLines = 0;
      this.nextLine();
    }
    this.skipInsignificant();
    if (chomp === 'keep') return result + '\n'.repeat(didReadContent ? 1 + emptyLines : emptyLines);
    if (chomp === 'clip' && didReadContent) return `${result}\n`;
    return result;
  }
}

function unquoteSingle(body: string): string {
  return body.includes("''") ? body.replaceAll("''", "'") : body;
}

/** A double-quoted line ends in an odd number of backslashes: the last one escapes the line break. */
function endsWithEscape(raw: string): boolean {
  let n = 0;
  while (n < raw.length && raw.charCodeAt(raw.length - 1 - n) === 92) n++;
  return n % 2 === 1;
}

/**
 * A continuation line's text without the blanks before its line break. Blanks that follow a
 * backslash (an escaped space or tab, kept in YAML) are left to the full parser.
 */
function trimEndBlanks(raw: string, line: number): string {
  let end = raw.length;
  while (end > 0 && (raw.charCodeAt(end - 1) === SPACE || raw.charCodeAt(end - 1) === TAB)) end--;
  if (end < raw.length && end > 0 && raw.charCodeAt(end - 1) === 92) throw new Unsupported(`escaped blank before a line break at line ${line}`);
  return raw.slice(0, end);
}

/**
 * Plain keys already read, found again without slicing the text. A dump repeats a few hundred keys
 * hundreds of thousands of times: handing every object the same string spares the allocation, and
 * V8 the hashing of each copy.
 */
class KeyPool {
  private static readonly MAX_LENGTH = 64;
  private static readonly PER_BUCKET = 16;
  /** By length and first character. */
  private readonly buckets = new Map<number, string[]>();

  find(text: string, start: number, end: number): string | undefined {
    const length = end - start;
    if (length === 0 || length > KeyPool.MAX_LENGTH) return undefined;
    const bucket = this.buckets.get(length * 65536 + text.charCodeAt(start));
    if (bucket) for (const s of bucket) if (text.startsWith(s, start)) return s;
    return undefined;
  }

  add(s: string): void {
    if (s.length === 0 || s.length > KeyPool.MAX_LENGTH) return;
    const id = s.length * 65536 + s.charCodeAt(0);
    const bucket = this.buckets.get(id);
    if (!bucket) this.buckets.set(id, [s]);
    else if (bucket.length < KeyPool.PER_BUCKET) bucket.push(s);
  }
}

/** A plain scalar as Kubernetes' YAML 1.1 reads it; anything number-like beyond plain decimals is left to the full parser. */
function plainScalar(raw: string): unknown {
  const c = raw.charCodeAt(0);
  const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  if (letter && raw.length > 5) return raw;
  const word = WORDS.get(raw);
  if (word !== undefined) return word;
  if (letter) return raw;
  if (DECIMAL_INT.test(raw) || DECIMAL_FLOAT.test(raw)) return Number(raw);
  if (OTHER_NUMBER.test(raw) || raw === '<<') throw new Unsupported(`scalar ${raw}`);
  return raw;
}
