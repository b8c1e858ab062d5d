/**
 * Reads pnpm-lock.yaml into plain values. pnpm writes a narrow, regular subset of YAML: block
 * mappings indented by two spaces, one-line flow collections (`resolution: {integrity: …}`,
 * `cpu: [x64]`) and one-line plain or quoted scalars. A line scanner reads that subset many times
 * faster than a general YAML parser, which matters for monorepo lockfiles of several megabytes.
 * Anything outside the subset (block scalars, anchors, multi-line strings, tabs, odd indentation,
 * duplicate keys, broken YAML) sends the whole file to the `yaml` package instead, which also
 * words the error for files that are not YAML at all.
 *
 * Scalars stay strings either way (YAML's failsafe schema), so `1.10` never becomes the number 1.1.
 */
import { LineCounter, isMap, isScalar, parseAllDocuments } from 'yaml';
import { ParseError } from '../../../core/errors.ts';

export type YamlValue = string | YamlMap | YamlValue[];
export interface YamlMap {
  [key: string]: YamlValue | undefined;
}

export interface YamlFile {
  /** The file's last document (pnpm 10 writes its own env lockfile as a document before the main one). */
  root: YamlValue | undefined;
  /** Line of a key one level inside a top-level section, e.g. `keyLine('packages', '/acorn@8.7.0')`. */
  keyLine(section: string, key: string): number | undefined;
}

export function readPnpmYaml(text: string): YamlFile {
  return scanSubset(text) ?? parseWithYamlPackage(text);
}

// ---------------------------------------------------------------------------------------------
// Fast path

/** Signals input outside the subset; the caller falls back to the full parser. */
class OutsideSubset extends Error {}

interface Frame {
  indent: number;
  container: YamlMap | YamlValue[];
  depth: number;
  /** Top-level key this frame sits under. */
  section: string;
}

function newMap(): YamlMap {
  // No prototype: a key named `__proto__` is data, not a prototype change.
  return Object.create(null) as YamlMap;
}

function scanSubset(text: string): YamlFile | undefined {
  try {
    return scan(text);
  } catch (err) {
    if (err instanceof OutsideSubset) return undefined;
    throw err;
  }
}

function scan(text: string): YamlFile {
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  let root = newMap();
  let sectionLines = new Map<string, Map<string, number>>();
  let stack: Frame[] = [{ indent: 0, container: root, depth: 0, section: '' }];
  let pending: { frame: Frame; key: string } | undefined; // a `key:` whose value is on the next lines
  const done: { root: YamlMap; sectionLines: Map<string, Map<string, number>> }[] = [];

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const content = line.trimStart();
    if (content === '' || content.startsWith('#')) continue;
    const indent = line.length - content.length;
    if (line.slice(0, indent).includes('\t')) throw new OutsideSubset();
    if (indent === 0 && content.startsWith('---')) {
      if (content !== '---') throw new OutsideSubset();
      if (pending) (pending.frame.container as YamlMap)[pending.key] = '';
      done.push({ root, sectionLines });
      root = newMap();
      sectionLines = new Map();
      stack = [{ indent: 0, container: root, depth: 0, section: '' }];
      pending = undefined;
      continue;
    }
    if (pending) {
      const { frame, key } = pending;
      pending = undefined;
      if (indent > frame.indent) {
        const container = content === '-' || content.startsWith('- ') ? [] : newMap();
        (frame.container as YamlMap)[key] = container;
        stack.push({ indent, container, depth: frame.depth + 1, section: frame.depth === 0 ? key : frame.section });
      } else {
        (frame.container as YamlMap)[key] = '';
      }
    }
    while (stack.length > 1 && stack[stack.length - 1]!.indent > indent) stack.pop();
    const frame = stack[stack.length - 1]!;
    if (frame.indent !== indent) throw new OutsideSubset();

    if (Array.isArray(frame.container)) {
      if (!content.startsWith('- ')) throw new OutsideSubset();
      frame.container.push(scalarOrFlow(content.slice(2).trim()));
      continue;
    }
    const [key, rest] = splitKey(content);
    if (Object.hasOwn(frame.container, key)) throw new OutsideSubset();
    if (frame.depth === 1) {
      let keys = sectionLines.get(frame.section);
      if (!keys) sectionLines.set(frame.section, (keys = new Map()));
      keys.set(key, i + 1);
    }
    if (rest === '') pending = { frame, key };
    else frame.container[key] = scalarOrFlow(rest);
  }
  if (pending) (pending.frame.container as YamlMap)[pending.key] = '';
  done.push({ root, sectionLines });

  const last = done.findLast((d) => Object.keys(d.root).length > 0) ?? done[done.length - 1]!;
  return { root: last.root, keyLine: (section, key) => last.sectionLines.get(section)?.get(key) };
}

/** `key: rest` or `key:`; quoted keys in either style. */
function splitKey(content: string): [string, string] {
  let key: string;
  let after: string;
  if (content.startsWith("'") || content.startsWith('"')) {
    const [value, end] = quoted(content, 0);
    key = value;
    after = content.slice(end);
    if (!(after === ':' || after.startsWith(': '))) throw new OutsideSubset();
  } else {
    if (/^(?:[-?:,[\]{}#&*!|>'"%@`]|$)/.test(content)) throw new OutsideSubset();
    const colon = content.indexOf(': ');
    const end = colon !== -1 ? colon : content.endsWith(':') ? content.length - 1 : -1;
    if (end <= 0) throw new OutsideSubset();
    key = content.slice(0, end);
    after = content.slice(end);
    if (key.endsWith(' ') || key.includes(' #')) throw new OutsideSubset();
  }
  return [key, after.slice(1).trim()];
}

/** A quoted scalar starting at `start`: its value and the index just past the closing quote. */
function quoted(s: string, start: number): [string, number] {
  if (s[start] === "'") {
    let value = '';
    for (let i = start + 1; i < s.length; i++) {
      if (s[i] !== "'") value += s[i];
      else if (s[i + 1] === "'") value += s[i++];
      else return [value, i + 1];
    }
    throw new OutsideSubset(); // continues on the next line
  }
  for (let i = start + 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') {
      try {
        // YAML's double-quoted escapes are a superset of JSON's; the rest go to the full parser.
        return [JSON.parse(s.slice(start, i + 1)) as string, i + 1];
      } catch {
        throw new OutsideSubset();
      }
    }
  }
  throw new OutsideSubset();
}

function scalarOrFlow(rest: string): YamlValue {
  if (rest.startsWith('{') || rest.startsWith('[')) {
    const [value, end] = flow(rest, 0);
    if (rest.slice(end).trim() !== '') throw new OutsideSubset();
    return value;
  }
  if (rest.startsWith("'") || rest.startsWith('"')) {
    const [value, end] = quoted(rest, 0);
    if (rest.slice(end).trim() !== '') throw new OutsideSubset();
    return value;
  }
  // Block scalars, anchors, aliases, tags and comments are outside the subset.
  if (/^[-?:,\]}#&*!|>%@`](?:\s|$)|^[|>&*!%@`#]/.test(rest)) throw new OutsideSubset();
  if (rest.includes(': ') || rest.includes(' #') || rest.endsWith(':')) throw new OutsideSubset();
  return rest;
}

/** A one-line flow collection starting at `start`: its value and the index past its closing bracket. */
function flow(s: string, start: number): [YamlValue, number] {
  const close = s[start] === '{' ? '}' : ']';
  const isMap = close === '}';
  const map = newMap();
  const seq: YamlValue[] = [];
  let i = skipSpaces(s, start + 1);
  if (s[i] === close) return [isMap ? map : seq, i + 1];
  for (;;) {
    let key = '';
    if (isMap) {
      [key, i] = flowScalar(s, i, ':');
      if (s[i] !== ':' || Object.hasOwn(map, key)) throw new OutsideSubset();
      i = skipSpaces(s, i + 1);
    }
    let value: YamlValue;
    if (s[i] === '{' || s[i] === '[') [value, i] = flow(s, i);
    else [value, i] = flowScalar(s, i, '');
    if (isMap) map[key] = value;
    else seq.push(value);
    i = skipSpaces(s, i);
    if (s[i] === close) return [isMap ? map : seq, i + 1];
    if (s[i] !== ',') throw new OutsideSubset();
    i = skipSpaces(s, i + 1);
  }
}

/** A scalar inside a flow collection; plain ones end at `,`, a closing bracket, or `stop` + space. */
function flowScalar(s: string, start: number, stop: string): [string, number] {
  if (s[start] === "'" || s[start] === '"') {
    const [value, end] = quoted(s, start);
    return [value, skipSpaces(s, end)];
  }
  let i = start;
  for (; i < s.length; i++) {
    const c = s[i];
    if (c === ',' || c === '}' || c === ']' || c === '{' || c === '[') break;
    if (stop !== '' && c === stop && (s[i + 1] === ' ' || s[i + 1] === undefined)) break;
    if (c === ':' && s[i + 1] === ' ') throw new OutsideSubset();
  }
  const value = s.slice(start, i).trim();
  if (value === '' || /^[&*!|>%@`#]/.test(value)) throw new OutsideSubset();
  return [value, i];
}

function skipSpaces(s: string, i: number): number {
  while (s[i] === ' ') i++;
  return i;
}

// ---------------------------------------------------------------------------------------------
// Full YAML

function parseWithYamlPackage(text: string): YamlFile {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, schema: 'failsafe' });
  if (!Array.isArray(docs)) return { root: undefined, keyLine: () => undefined }; // only comments
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) throw new ParseError(`invalid YAML: ${error.message.split('\n')[0]}`, error.linePos?.[0].line);
  }
  const doc = docs.findLast((d) => d.contents !== null) ?? docs[docs.length - 1];
  const root = doc?.toJS() as YamlValue | null | undefined;

  const sectionLines = new Map<string, Map<string, number>>();
  if (doc && isMap(doc.contents)) {
    for (const section of doc.contents.items) {
      if (!isScalar(section.key) || !isMap(section.value)) continue;
      const keys = new Map<string, number>();
      for (const item of section.value.items) {
        if (isScalar(item.key) && item.key.range) keys.set(String(item.key.value), lineCounter.linePos(item.key.range[0]).line);
      }
      sectionLines.set(String(section.key.value), keys);
    }
  }
  return { root: root ?? undefined, keyLine: (section, key) => sectionLines.get(section)?.get(key) };
}
