/**
 * YAML with source positions for the CI auditor. Workflows are parsed with `yaml` (YAML 1.2, so
 * `on:` stays a string key) keeping every node's offsets; a LineCounter turns offsets into
 * 1-based line:column. Aliases are followed transparently when reading values, while the node
 * as written (the alias) is kept for locating what it stands for.
 */
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseAllDocuments, parseDocument, visit, type Document, type Node, type Pair, type Scalar } from 'yaml';
import { ParseError } from '../core/errors.ts';

export interface SourceFile {
  /** Root-relative, `/`-separated. */
  path: string;
  text: string;
  doc: Document.Parsed;
  lines: LineCounter;
}

export interface Position {
  line: number;
  column: number;
}

/** Half-open source offsets. */
export interface Range {
  start: number;
  end: number;
}

/** Files larger than this are refused: no real workflow comes close, and parsing is superlinear in the worst case. */
const MAX_BYTES = 4 * 1024 * 1024;

/**
 * Parses one YAML document; throws ParseError (with line) for anything the auditor cannot read.
 * With `lastDocument`, a stream of documents is accepted and the last one audited (GitLab CI
 * components put a `spec:` header document before the configuration).
 */
export function loadYaml(path: string, text: string, lastDocument = false): SourceFile {
  if (text.length > MAX_BYTES) throw new ParseError(`file is larger than ${MAX_BYTES / 1024 / 1024} MiB`);
  if (text.includes('\0')) throw new ParseError('binary content, not YAML');
  const lines = new LineCounter();
  const options = { lineCounter: lines, prettyErrors: false, uniqueKeys: true } as const;
  let list: Document.Parsed[];
  try {
    if (lastDocument) {
      const all = parseAllDocuments(text, options);
      list = Array.isArray(all) ? all : [];
    } else {
      list = [parseDocument(text, options)];
    }
  } catch (err) {
    // Pathological nesting exhausts the parser's stack: still just a file we cannot read.
    throw new ParseError(`cannot parse YAML: ${err instanceof RangeError ? 'nesting too deep' : (err as Error).message}`);
  }
  for (const d of list) {
    const err = d.errors[0];
    if (err) {
      const line = err.pos ? lines.linePos(err.pos[0]).line : undefined;
      throw new ParseError(`invalid YAML: ${firstLine(err.message)}`, line);
    }
  }
  const doc = list[list.length - 1];
  if (!doc) throw new ParseError('empty YAML stream');
  return { path, text, doc, lines };
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

/** The text of a 1-based line, without its line break. */
export function lineText(file: SourceFile, line: number): string {
  const starts = file.lines.lineStarts;
  const start = starts[line - 1];
  if (start === undefined) return '';
  const end = starts[line] ?? file.text.length;
  return file.text.slice(start, end).replace(/\r?\n$/, '');
}

/** Scalars of the document as written (anchors once, aliases not again) that contain `${{`. */
const expressionScalarCache = new WeakMap<SourceFile, Scalar[]>();

export function expressionScalars(file: SourceFile): Scalar[] {
  let out = expressionScalarCache.get(file);
  if (out) return out;
  const found: Scalar[] = [];
  if (file.text.includes('${{')) {
    visit(file.doc, {
      Scalar(_key, node) {
        if (typeof node.value === 'string' && node.value.includes('${{')) found.push(node);
      },
    });
  }
  out = found;
  expressionScalarCache.set(file, out);
  return out;
}

export function position(file: SourceFile, offset: number): Position {
  const { line, col } = file.lines.linePos(offset);
  return { line, column: col };
}

/** Follows aliases to the anchored node. */
export function resolve(file: SourceFile, node: unknown): Node | null {
  let n = node;
  for (let depth = 0; depth < 32 && isAlias(n); depth++) n = n.resolve(file.doc);
  return n === undefined || n === null ? null : (n as Node);
}

/** A mapping entry: its key, its value as written (maybe an alias) and the resolved value. */
export interface Entry {
  key: string;
  keyNode: Scalar;
  /** The value node as written; an alias stays an alias. */
  at: Node | null;
  value: Node | null;
  pair: Pair;
}

/** Entries of each mapping, computed once: audits look keys up many times. */
const entryCache = new WeakMap<object, Entry[]>();

export function entries(file: SourceFile, node: unknown): Entry[] {
  const map = resolve(file, node);
  if (!isMap(map)) return [];
  const cached = entryCache.get(map);
  if (cached) return cached;
  const out: Entry[] = [];
  for (const pair of map.items) {
    const keyNode = resolve(file, pair.key);
    if (!isScalar(keyNode)) continue;
    const at = (pair.value ?? null) as Node | null;
    out.push({ key: String(keyNode.value), keyNode, at, value: resolve(file, at), pair });
  }
  entryCache.set(map, out);
  return out;
}

export function entry(file: SourceFile, node: unknown, key: string): Entry | undefined {
  return entries(file, node).find((e) => e.key === key);
}

/** Sequence items as written (aliases kept) paired with their resolved nodes. */
export function items(file: SourceFile, node: unknown): { at: Node; value: Node | null }[] {
  const seq = resolve(file, node);
  if (!isSeq(seq)) return [];
  return seq.items.map((at) => ({ at: at as Node, value: resolve(file, at) }));
}

/** A scalar as GitHub reads it: strings as-is, numbers and booleans in their source spelling; null for null/non-scalars. */
export function str(file: SourceFile, node: unknown): string | null {
  const n = resolve(file, node);
  if (!isScalar(n) || n.value === null || n.value === undefined) return null;
  if (typeof n.value === 'string') return n.value;
  return n.source ?? String(n.value);
}

/** The node's own text range (without a trailing comment). */
export function nodeRange(node: Node): Range {
  const r = node.range!;
  return { start: r[0], end: r[1] };
}

/** From the key to the end of its value: zizmor's "key" location and ours. */
export function entryRange(e: Entry): Range {
  const start = e.keyNode.range![0];
  const end = e.at?.range ? e.at.range[1] : e.keyNode.range![1];
  return { start, end: Math.max(end, start) };
}

/**
 * Where a value starts for a reader: block scalars (`|`, `>`) start at their first content line,
 * not at the indicator.
 */
export function valueRange(file: SourceFile, node: Node): Range {
  const r = nodeRange(node);
  if (isScalar(node) && (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED')) {
    const text = scalarText(file, node);
    const first = text.offsets[text.text.search(/\S/)] ?? r.start;
    return { start: first, end: r.end };
  }
  return r;
}

/**
 * A scalar's logical text with the source offset of each character (`offsets[i]` for
 * `text[i]`, and `offsets[text.length]` for the end), so that a match inside a `run:` script
 * maps back to line:column. Block scalars keep their line breaks (folded ones are folded where
 * YAML folds them); quoted scalars are unescaped; plain multi-line scalars are folded.
 */
export interface ScalarText {
  text: string;
  offsets: number[];
}

export function scalarText(file: SourceFile, node: Scalar): ScalarText {
  const r = node.range!;
  const src = file.text;
  switch (node.type) {
    case 'BLOCK_LITERAL':
    case 'BLOCK_FOLDED':
      return blockText(src, r[0], r[1], node.type === 'BLOCK_FOLDED');
    case 'QUOTE_SINGLE':
    case 'QUOTE_DOUBLE':
      return quotedText(src, r[0], r[1], node.type === 'QUOTE_DOUBLE');
    default:
      return plainText(src, r[0], r[1]);
  }
}

class TextBuilder {
  text = '';
  offsets: number[] = [];

  push(chars: string, offset: number): void {
    for (const c of chars) {
      this.text += c;
      this.offsets.push(offset);
    }
  }

  pushSource(src: string, from: number, to: number): void {
    for (let i = from; i < to; i++) {
      this.text += src[i];
      this.offsets.push(i);
    }
  }

  done(end: number): ScalarText {
    this.offsets.push(end);
    return { text: this.text, offsets: this.offsets };
  }
}

function plainText(src: string, start: number, end: number): ScalarText {
  const b = new TextBuilder();
  let lineStart = start;
  let first = true;
  while (lineStart <= end) {
    let lineEnd = src.indexOf('\n', lineStart);
    if (lineEnd < 0 || lineEnd > end) lineEnd = end;
    let from = lineStart;
    let to = lineEnd;
    if (!first) while (from < to && (src[from] === ' ' || src[from] === '\t')) from++;
    while (to > from && (src[to - 1] === ' ' || src[to - 1] === '\t' || src[to - 1] === '\r')) to--;
    if (!first) b.push(from === to ? '\n' : ' ', lineStart - 1);
    b.pushSource(src, from, to);
    first = false;
    if (lineEnd >= end) break;
    lineStart = lineEnd + 1;
  }
  return b.done(end);
}

const DOUBLE_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '"': '"', '\\': '\\', '/': '/', ' ': ' ', a: '\x07', b: '\b', e: '\x1b', f: '\f', v: '\v' };

function quotedText(src: string, start: number, end: number, double: boolean): ScalarText {
  const b = new TextBuilder();
  const quote = double ? '"' : "'";
  let i = start + 1;
  const close = end - 1;
  while (i < close) {
    const c = src[i]!;
    if (!double && c === "'" && src[i + 1] === "'") {
      b.push("'", i);
      i += 2;
    } else if (double && c === '\\') {
      const e = src[i + 1] ?? '';
      const hex = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
      if (hex > 0) {
        const code = parseInt(src.slice(i + 2, i + 2 + hex), 16);
        b.push(Number.isNaN(code) ? '' : String.fromCodePoint(code), i);
        i += 2 + hex;
      } else if (e === '\n' || e === '\r') {
        // Escaped line break: the break and the next line's indentation vanish.
        i += 2;
        while (i < close && /[ \t\r\n]/.test(src[i]!)) i++;
      } else {
        b.push(DOUBLE_ESCAPES[e] ?? e, i);
        i += 2;
      }
    } else if (c === '\n' || c === '\r') {
      // Line folding inside quotes: trailing/leading blanks go, a single break becomes a space.
      let j = i;
      let breaks = 0;
      while (j < close && /[ \t\r\n]/.test(src[j]!)) {
        if (src[j] === '\n') breaks++;
        j++;
      }
      b.push(breaks > 1 ? '\n'.repeat(breaks - 1) : ' ', i);
      i = j;
    } else if (c === quote) {
      break;
    } else {
      b.push(c, i);
      i++;
    }
  }
  return b.done(end);
}

function blockText(src: string, start: number, end: number, folded: boolean): ScalarText {
  const b = new TextBuilder();
  const headerEnd = src.indexOf('\n', start);
  if (headerEnd < 0 || headerEnd >= end) return b.done(end);
  const header = src.slice(start, headerEnd);
  const explicit = /^[|>][+-]?([1-9])|^[|>]([1-9])/.exec(header);
  let indent = -1;
  const lines: { from: number; to: number }[] = [];
  let lineStart = headerEnd + 1;
  while (lineStart < end) {
    let lineEnd = src.indexOf('\n', lineStart);
    if (lineEnd < 0 || lineEnd > end) lineEnd = end;
    lines.push({ from: lineStart, to: lineEnd });
    lineStart = lineEnd + 1;
  }
  if (explicit) {
    const parentIndent = lineIndent(src, start);
    indent = parentIndent + Number(explicit[1] ?? explicit[2]);
  } else {
    for (const l of lines) {
      const text = src.slice(l.from, l.to);
      if (text.trim() !== '') {
        indent = text.length - text.trimStart().length;
        break;
      }
    }
  }
  if (indent < 0) return b.done(end);
  let prevKind: 'none' | 'text' | 'more' | 'empty' = 'none';
  for (const l of lines) {
    let to = l.to;
    if (src[to - 1] === '\r') to--;
    const from = Math.min(l.from + indent, to);
    const empty = src.slice(l.from, to).trim() === '';
    const more = !empty && /[ \t]/.test(src[from] ?? '');
    if (prevKind !== 'none') {
      const fold = folded && prevKind === 'text' && !empty && !more;
      b.push(fold ? ' ' : '\n', l.from - 1);
    }
    if (!empty) b.pushSource(src, from, to);
    prevKind = empty ? 'empty' : more ? 'more' : 'text';
  }
  return b.done(end);
}

/** Indentation of the line holding `offset`, counted in spaces. */
function lineIndent(src: string, offset: number): number {
  const lineStart = src.lastIndexOf('\n', offset - 1) + 1;
  let i = lineStart;
  // A sequence entry's `- ` counts as indentation: the parent is the mapping after it.
  while (src[i] === ' ' || (src[i] === '-' && src[i + 1] === ' ')) i++;
  return i - lineStart;
}

/** Converts a range inside a scalar's logical text to source offsets. */
export function textRangeToSource(t: ScalarText, from: number, to: number): Range {
  const start = t.offsets[from] ?? t.offsets[t.offsets.length - 1]!;
  const last = t.offsets[Math.max(from, to - 1)] ?? start;
  return { start, end: Math.max(start, last + 1) };
}

/**
 * Inline suppressions: `# palisade: ignore[rule-a,rule-b]` and zizmor's
 * `# zizmor: ignore[rule-a]`, per 1-based line.
 */
export function ignoreComments(text: string): Map<number, Set<string>> {
  const out = new Map<number, Set<string>>();
  const lines = text.split('\n');
  const re = /(?:^|\s)#\s*(?:palisade|zizmor)\s*:\s*ignore\[([^\]]*)\]/g;
  lines.forEach((line, i) => {
    if (!line.includes('ignore[')) return;
    for (const m of line.matchAll(re)) {
      const rules = m[1]!.split(',').map((s) => s.trim()).filter(Boolean);
      const set = out.get(i + 1) ?? new Set<string>();
      for (const r of rules) set.add(r);
      out.set(i + 1, set);
    }
  });
  return out;
}
