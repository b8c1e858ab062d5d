/**
 * Kyverno's custom JMESPath functions as data: name, argument types, return type and note (the
 * `FunctionEntry` list of kyverno/kyverno pkg/engine/jmespath, which `kyverno jp function` prints)
 * plus a handler with Kyverno's behaviour. Argument types are checked by the JMESPath runtime
 * before a handler runs; handlers throw `Error`s worded like Kyverno's
 * (`JMESPath function 'divide': Zero divisor passed`).
 */

import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { parseAllDocuments } from 'yaml';
import { durationFromSeconds, durationSeconds, formatGoDuration, parseGoDuration } from '../duration.ts';
import { compareUtf8, goJson, jsonEqual as deepEqual } from './gojson.ts';
import { expandGoTemplate, goRegexMatch, goReplaceAll } from '../../core/goregex.ts';
import { shortestFloat32 } from '../../core/float32.ts';
import { civil, formatRFC3339, now, parseGoTime, RFC3339, truncateTime, type GoTime } from './gotime.ts';
import { normalizeImage } from './image.ts';
import {
  addQuantities,
  divideQuantityRoundDown,
  formatQuantity,
  integerQuantity,
  multiplyQuantities,
  parseQuantity,
  quantityToNumber,
  subtractQuantities,
  type Quantity,
} from './quantity.ts';
import { randomFromPattern } from './random.ts';
import { parseSemVer, parseSemVerRange, type SemVer } from './semver.ts';
import { x509Decode } from './x509.ts';
import { isRecord } from '../../core/json.ts';
import { wildcardMatch } from '../pattern/wildcard.ts';

/** JMESPath argument/return types, spelled as go-jmespath spells them. */
export type JpType = 'string' | 'number' | 'object' | 'array' | 'array[string]' | 'any' | 'bool';

export interface ArgSpec {
  readonly types: readonly JpType[];
}

export interface KyvernoFunction {
  readonly name: string;
  readonly arguments: readonly ArgSpec[];
  readonly returnType: readonly JpType[];
  readonly note: string;
  readonly handler: (args: unknown[]) => unknown;
}

/** `name(string, string) number (note)`, the line `kyverno jp function` prints. */
export function functionSignature(f: KyvernoFunction): string {
  const args = f.arguments.map((a) => a.types.join('|')).join(', ');
  const line = `${f.name}(${args}) ${f.returnType.join(',')}`;
  return f.note ? `${line} (${f.note})` : line;
}

const fnError = (name: string, message: string): Error => new Error(`JMESPath function '${name}': ${message}`);
const typeError = (name: string, index: number, type: string): Error => fnError(name, `argument #${index} is not of type ${type}`);

// ---------------------------------------------------------------------------------------------
// Strings

const str = (args: unknown[], i: number): string => args[i] as string;

/** Go's strings.Replace, including the empty `old` case (insert between runes). */
function goReplace(s: string, old: string, replacement: string, n: number): string {
  if (old === replacement || n === 0) return s;
  const runes = Array.from(s);
  const count = old === '' ? runes.length + 1 : s.split(old).length - 1;
  if (count === 0) return s;
  const limit = n < 0 || count < n ? count : n;
  if (old === '') {
    let out = '';
    for (let i = 0; i < runes.length; i++) out += (i < limit ? replacement : '') + runes[i];
    return limit > runes.length ? out + replacement : out;
  }
  let out = '';
  let start = 0;
  for (let i = 0; i < limit; i++) {
    const j = s.indexOf(old, start);
    out += s.slice(start, j) + replacement;
    start = j + old.length;
  }
  return out + s.slice(start);
}

/** Per-code-point case mapping; characters whose mapping is not a single code point stay. */
function mapCase(s: string, upper: boolean): string {
  let out = '';
  for (const ch of s) {
    const mapped = upper ? ch.toUpperCase() : ch.toLowerCase();
    out += Array.from(mapped).length === 1 ? mapped : ch;
  }
  return out;
}

/** strings.EqualFold: equal under simple Unicode case folding. */
function equalFold(a: string, b: string): boolean {
  const x = Array.from(a);
  const y = Array.from(b);
  if (x.length !== y.length) return false;
  return x.every((c, i) => {
    const d = y[i] as string;
    return c === d || mapCase(c, false) === mapCase(d, false) || mapCase(c, true) === mapCase(d, true);
  });
}

function goTrim(s: string, cutset: string): string {
  if (s === '' || cutset === '') return s;
  const set = new Set(Array.from(cutset));
  const runes = Array.from(s);
  let start = 0;
  let end = runes.length;
  while (start < end && set.has(runes[start] as string)) start++;
  while (end > start && set.has(runes[end - 1] as string)) end--;
  return runes.slice(start, end).join('');
}

function goSplit(s: string, sep: string): string[] {
  return sep === '' ? Array.from(s) : s.split(sep);
}

/** strconv.FormatFloat(f, 'f', -1, 32): the shortest float32 digits, never in exponent form. */
function formatFloat32(n: number): string {
  const f = Math.fround(n);
  if (Number.isNaN(f)) return 'NaN';
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  return plainDecimal(shortestFloat32(f));
}

/** Writes a decimal from `toPrecision`/`toExponential` output without an exponent. */
function plainDecimal(repr: string): string {
  const negative = repr.startsWith('-');
  const [mantissa, exp] = (negative ? repr.slice(1) : repr).split('e') as [string, string | undefined];
  const [intPart, fracPart = ''] = mantissa.split('.') as [string, string | undefined];
  const digits = intPart + fracPart;
  const point = intPart.length + Number(exp ?? 0);
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  if (out.includes('.')) out = out.replace(/0+$/, '').replace(/\.$/, '');
  out = out.replace(/^0+(?=\d)/, '');
  return negative ? `-${out}` : out;
}

/** Kyverno's ifaceToString for regex arguments: numbers print as float32. */
function ifaceToString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatFloat32(v);
  if (typeof v === 'boolean') return String(v);
  return undefined;
}

function stringOrNumber(name: string, args: unknown[], i: number): string {
  const s = ifaceToString(args[i]);
  if (s === undefined) throw typeError(name, i + 1, 'String or Real');
  return s;
}

/** Go's path.Clean, as filepath.Join(path) applies it on Linux (the empty path stays empty). */
export function cleanPath(path: string): string {
  if (path === '') return '';
  const rooted = path.startsWith('/');
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
    } else out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

/** base64.StdEncoding.DecodeString: padding required, CR/LF ignored. */
function base64Decode(input: string): string {
  const s = input.replace(/[\r\n]/g, '');
  const bad = s.search(/[^A-Za-z0-9+/=]/);
  if (bad >= 0) throw new Error(`illegal base64 data at input byte ${bad}`);
  const pad = s.indexOf('=');
  if (s.length % 4 !== 0 || (pad >= 0 && (pad < s.length - 2 || /[^=]/.test(s.slice(pad))))) {
    throw new Error(`illegal base64 data at input byte ${pad >= 0 ? pad : s.length - (s.length % 4)}`);
  }
  return new TextDecoder('utf-8').decode(Buffer.from(s, 'base64'));
}

function parseYamlToJson(text: string): unknown {
  const docs = parseAllDocuments(text, { version: '1.1' });
  const first = Array.isArray(docs) ? docs[0] : undefined;
  if (!first) return null;
  if (first.errors.length > 0) throw new Error(`error converting YAML to JSON: ${first.errors[0]?.message ?? 'invalid YAML'}`);
  return JSON.parse(JSON.stringify(first.toJS({ maxAliasCount: 100 }) ?? null)) as unknown;
}

// ---------------------------------------------------------------------------------------------
// Arithmetic on numbers, quantities and durations

type Operand = { kind: 'scalar'; value: number } | { kind: 'quantity'; q: Quantity } | { kind: 'duration'; ns: bigint };

/** A number is a scalar; a string is a quantity if it parses as one, else a duration. */
function operand(v: unknown): Operand | undefined {
  if (typeof v === 'number') return { kind: 'scalar', value: v };
  if (typeof v !== 'string') return undefined;
  const q = parseQuantity(v);
  if (q) return { kind: 'quantity', q };
  const ns = parseGoDuration(v);
  return ns === undefined ? undefined : { kind: 'duration', ns };
}

function operands(name: string, args: unknown[]): [Operand, Operand] {
  const a = operand(args[0]);
  const b = operand(args[1]);
  if (!a || !b) throw fnError(name, 'invalid operands');
  return [a, b];
}

/** fmt's %v for a float64 (shortest digits, exponent form below 1e-4 and from 1e6). */
function goFloatV(n: number): string {
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const [mantissa, exp] = n.toExponential().split('e') as [string, string];
  const e = Number(exp);
  if (e < -4 || e >= 6) return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  return plainDecimal(n.toExponential());
}

function scalarQuantity(name: string, n: number): Quantity {
  const q = parseQuantity(goFloatV(n));
  if (!q) throw fnError(name, `quantities: unable to parse quantity's suffix`);
  return q;
}

const mismatch = (name: string): Error => fnError(name, 'Types mismatch');
const zeroDivisor = (name: string): Error => fnError(name, 'Zero divisor passed');

function add(name: string, a: Operand, b: Operand): unknown {
  if (a.kind === 'quantity' && b.kind === 'quantity') return formatQuantity(addQuantities(a.q, b.q));
  if (a.kind === 'duration' && b.kind === 'duration') return formatGoDuration(a.ns + b.ns);
  if (a.kind === 'scalar' && b.kind === 'scalar') return a.value + b.value;
  throw mismatch(name);
}

function subtract(a: Operand, b: Operand): unknown {
  if (a.kind === 'quantity' && b.kind === 'quantity') return formatQuantity(subtractQuantities(a.q, b.q));
  if (a.kind === 'duration' && b.kind === 'duration') return formatGoDuration(a.ns - b.ns);
  if (a.kind === 'scalar' && b.kind === 'scalar') return a.value - b.value;
  throw mismatch('subtract');
}

function multiply(a: Operand, b: Operand): unknown {
  if (a.kind === 'scalar' && b.kind === 'scalar') return a.value * b.value;
  const [x, y] = a.kind === 'scalar' ? [b, a] : [a, b];
  if (y.kind !== 'scalar') throw mismatch('multiply');
  if (x.kind === 'quantity') return formatQuantity(multiplyQuantities(x.q, scalarQuantity('multiply', y.value)));
  if (x.kind === 'duration') return formatGoDuration(durationFromSeconds(durationSeconds(x.ns) * y.value));
  throw mismatch('multiply');
}

function divide(a: Operand, b: Operand): unknown {
  if (a.kind === 'quantity' && b.kind === 'quantity') {
    const divisor = quantityToNumber(b.q);
    if (divisor === 0) throw zeroDivisor('divide');
    return quantityToNumber(a.q) / divisor;
  }
  if (a.kind === 'quantity' && b.kind === 'scalar') {
    if (b.value === 0) throw zeroDivisor('divide');
    return formatQuantity(divideQuantityRoundDown(a.q, scalarQuantity('divide', b.value)));
  }
  if (a.kind === 'duration' && b.kind === 'duration') {
    if (durationSeconds(b.ns) === 0) throw zeroDivisor('divide');
    return durationSeconds(a.ns) / durationSeconds(b.ns);
  }
  if (a.kind === 'duration' && b.kind === 'scalar') {
    if (b.value === 0) throw zeroDivisor('divide');
    return formatGoDuration(durationFromSeconds(durationSeconds(a.ns) / b.value));
  }
  if (a.kind === 'scalar' && b.kind === 'scalar') {
    if (b.value === 0) throw zeroDivisor('divide');
    return a.value / b.value;
  }
  throw mismatch('divide');
}

function modulo(a: Operand, b: Operand): unknown {
  const ints = (x: number, y: number): [bigint, bigint] => {
    if (!Number.isInteger(x) || !Number.isInteger(y)) throw fnError('modulo', 'Non-integer argument(s) passed for modulo');
    if (y === 0) throw zeroDivisor('modulo');
    return [BigInt(x), BigInt(y)];
  };
  if (a.kind === 'quantity' && b.kind === 'quantity') {
    const [x, y] = ints(quantityToNumber(a.q), quantityToNumber(b.q));
    return formatQuantity(integerQuantity(x % y, a.q.format));
  }
  if (a.kind === 'duration' && b.kind === 'duration') {
    if (b.ns === 0n) throw zeroDivisor('modulo');
    return formatGoDuration(a.ns % b.ns);
  }
  if (a.kind === 'scalar' && b.kind === 'scalar') {
    const [x, y] = ints(a.value, b.value);
    return Number(x % y);
  }
  throw mismatch('modulo');
}

/** math.Round: halves away from zero. */
function goRound(x: number): number {
  const t = Math.trunc(x);
  return Math.abs(x - t) >= 0.5 ? t + Math.sign(x) : t;
}

function round(value: number, places: number): number {
  if (!Number.isInteger(places)) throw fnError('round', 'Non-integer argument(s) passed for round off');
  if (places < 0) throw fnError('round', '2 argument is out of bounds (2)');
  const shift = 10 ** places;
  return goRound(value * shift) / shift;
}

// ---------------------------------------------------------------------------------------------
// Time

function timeArg(value: string): GoTime {
  return parseGoTime(RFC3339, value);
}

function durationArg(value: string): bigint {
  const d = parseGoDuration(value);
  if (d === undefined) throw new Error(`time: invalid duration ${JSON.stringify(value)}`);
  return d;
}

function timeSince(layout: string, start: string, end: string): string {
  const parse = (v: string): GoTime => parseGoTime(layout === '' ? RFC3339 : layout, v);
  const t1 = parse(start);
  const t2 = end === '' ? now(false) : parse(end);
  return formatGoDuration(t2.unixNanos - t1.unixNanos);
}

function timeParse(layout: string, value: string): string {
  if (/^[+-]?\d+$/.test(layout)) {
    if (!/^[+-]?\d+$/.test(value)) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(value)}: invalid syntax`);
    return formatRFC3339({ unixNanos: BigInt(value) * 1_000_000_000n, offset: 0 });
  }
  return formatRFC3339(parseGoTime(layout, value));
}

function timeToCron(value: string): string {
  const c = civil(timeArg(value));
  return `${c.minute} ${c.hour} ${c.day} ${c.month} ${c.weekday}`;
}

// ---------------------------------------------------------------------------------------------
// Network

const IPV4_RANGES: readonly [number, number][] = [
  [0x7f000000, 8], // loopback
  [0x0a000000, 8],
  [0xac100000, 12],
  [0xc0a80000, 16],
];

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

/** net.IP IsLoopback() || IsPrivate(). */
function isInternalIp(ip: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const v4 = isIP(ip) === 4 ? ip : mapped?.[1];
  if (v4 !== undefined) {
    const n = ipv4ToInt(v4);
    return IPV4_RANGES.some(([base, bits]) => n >>> (32 - bits) === base >>> (32 - bits));
  }
  const lower = ip.toLowerCase();
  return lower === '::1' || /^f[cd][0-9a-f]{0,2}:/.test(lower);
}

/**
 * is_external_url(). Kyverno resolves host names with DNS and reports internal when any address is
 * loopback or private. The offline CLI cannot resolve names, so names that can only resolve inside
 * a cluster or host (`localhost`, single-label names, `.local`, `.internal`, `.svc`,
 * `.cluster.local`) count as internal and other names as external.
 */
function isExternalUrl(raw: string): boolean {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/.exec(raw);
  const host = (m?.[1] ?? '').replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new Error('lookup : no such host');
  if (isIP(host) !== 0) return !isInternalIp(host);
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || !name.includes('.')) return false;
  return !/\.(localhost|local|internal|svc|cluster\.local)$/.test(name);
}

// ---------------------------------------------------------------------------------------------
// Collections

function lookup(collection: unknown, key: unknown): unknown {
  if (isRecord(collection)) {
    if (typeof key !== 'string') throw typeError('lookup', 2, 'String');
    return collection[key] ?? null;
  }
  if (Array.isArray(collection)) {
    if (typeof key !== 'number') throw typeError('lookup', 2, 'Number');
    if (!Number.isInteger(key)) throw new Error(`JMESPath function 'lookup': argument #2: expected an integer number but got: ${key}`);
    return key < 0 || key >= collection.length ? null : collection[key];
  }
  throw typeError('lookup', 1, 'Object or Array');
}

function items(collection: unknown, keyName: string, valueName: string): unknown {
  if (isRecord(collection)) {
    return Object.keys(collection)
      .sort(compareUtf8)
      .map((k) => ({ [keyName]: k, [valueName]: collection[k] }));
  }
  if (Array.isArray(collection)) return collection.map((v, i) => ({ [keyName]: i, [valueName]: v }));
  throw typeError('items', 1, 'Object or Array');
}

function objectFromLists(keys: unknown[], values: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  keys.forEach((k, i) => {
    const key = ifaceToString(k);
    if (key === undefined) throw typeError('object_from_lists', 1, 'StringArray');
    out[key] = i < values.length ? values[i] : null;
  });
  return out;
}

function labelMatch(labels: unknown, target: unknown): boolean {
  if (!isRecord(labels)) throw typeError('label_match', 0, 'Object');
  if (!isRecord(target)) throw typeError('label_match', 1, 'Object');
  return Object.entries(labels).every(([k, v]) => k in target && deepEqual(target[k], v));
}

function semverCompare(version: string, range: string): boolean {
  let v: SemVer;
  try {
    v = parseSemVer(version);
  } catch {
    // Kyverno ignores an invalid version and compares 0.0.0.
    v = { major: 0n, minor: 0n, patch: 0n, pre: [] };
  }
  return parseSemVerRange(range)(v);
}

function toBoolean(value: string): boolean {
  const lower = value.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw fnError('to_boolean', `lowercase argument must be 'true' or 'false' (provided: '${value}')`);
}

const hash = (algorithm: string, value: string): string => createHash(algorithm).update(value, 'utf8').digest('hex');

// ---------------------------------------------------------------------------------------------
// The table

const S: ArgSpec = { types: ['string'] };
const N: ArgSpec = { types: ['number'] };
const A: ArgSpec = { types: ['any'] };
const SN: ArgSpec = { types: ['string', 'number'] };

function entry(name: string, args: ArgSpec[], returnType: JpType[], note: string, handler: (args: unknown[]) => unknown): KyvernoFunction {
  return { name, arguments: args, returnType, note, handler };
}

export const KYVERNO_FUNCTIONS: readonly KyvernoFunction[] = [
  entry('compare', [S, S], ['number'], 'compares two strings lexicographically', (a) => compareUtf8(str(a, 0), str(a, 1))),
  entry('equal_fold', [S, S], ['bool'], 'allows comparing two strings for equivalency where the only differences are letter cases', (a) =>
    equalFold(str(a, 0), str(a, 1)),
  ),
  entry('replace', [S, S, S, N], ['string'], 'replaces a specified number of instances of the source string with the replacement string in a parent ', (a) =>
    goReplace(str(a, 0), str(a, 1), str(a, 2), Math.trunc(a[3] as number)),
  ),
  entry('replace_all', [S, S, S], ['string'], 'replace all instances of one string with another in an overall parent string', (a) =>
    goReplace(str(a, 0), str(a, 1), str(a, 2), -1),
  ),
  entry('to_upper', [S], ['string'], 'takes in a string and outputs the same string with all upper-case letters', (a) => mapCase(str(a, 0), true)),
  entry('to_lower', [S], ['string'], 'takes in a string and outputs the same string with all lower-case letters', (a) => mapCase(str(a, 0), false)),
  entry('trim', [S, S], ['string'], 'trims both ends of the source string by characters appearing in the second string', (a) => goTrim(str(a, 0), str(a, 1))),
  entry('trim_prefix', [S, S], ['string'], 'trims the second string prefix from the first string if the first string starts with the prefix', (a) =>
    str(a, 0).startsWith(str(a, 1)) ? str(a, 0).slice(str(a, 1).length) : str(a, 0),
  ),
  entry('split', [S, S], ['array[string]'], 'splits the first string when the second string is found and converts it into an array ', (a) =>
    goSplit(str(a, 0), str(a, 1)),
  ),
  entry('regex_replace_all', [S, SN, SN], ['string'], 'converts all parameters to string', (a) => {
    const src = stringOrNumber('regex_replace_all', a, 1);
    const repl = stringOrNumber('regex_replace_all', a, 2);
    return goReplaceAll(str(a, 0), src, (m) => expandGoTemplate(repl, m));
  }),
  entry('regex_replace_all_literal', [S, SN, SN], ['string'], 'converts all parameters to string', (a) => {
    const src = stringOrNumber('regex_replace_all_literal', a, 1);
    const repl = stringOrNumber('regex_replace_all_literal', a, 2);
    return goReplaceAll(str(a, 0), src, () => repl);
  }),
  entry('regex_match', [S, SN], ['bool'], 'first string is the regular exression which is compared with second input which can be a number or string', (a) =>
    goRegexMatch(str(a, 0), stringOrNumber('regex_match', a, 1)),
  ),
  entry('pattern_match', [S, SN], ['bool'], "'*' matches zero or more alphanumeric characters, '?' matches a single alphanumeric character", (a) =>
    wildcardMatch(str(a, 0), stringOrNumber('regex_match', a, 1)),
  ),
  entry('label_match', [{ types: ['object'] }, { types: ['object'] }], ['bool'], 'object arguments must be enclosed in backticks; ex. `{{request.object.spec.template.metadata.labels}}`', (a) =>
    labelMatch(a[0], a[1]),
  ),
  entry('to_boolean', [S], ['bool'], "It returns true or false for any string, such as 'True', 'TruE', 'False', 'FAlse', 'faLSE', etc.", (a) => toBoolean(str(a, 0))),
  entry('add', [A, A], ['any'], 'does arithmetic addition of two specified values of numbers, quantities, and durations', (a) => add('add', ...operands('add', a))),
  entry('sum', [{ types: ['array'] }], ['any'], 'does arithmetic addition of specified array of values of numbers, quantities, and durations', (a) => {
    const list = a[0] as unknown[];
    if (list.length === 0) throw fnError('sum', 'at least one element in the array is required');
    return list.slice(1).reduce<unknown>((acc, item) => add('sum', ...operands('sum', [acc, item])), list[0]);
  }),
  entry('subtract', [A, A], ['any'], 'does arithmetic subtraction of two specified values of numbers, quantities, and durations', (a) => subtract(...operands('subtract', a))),
  entry('multiply', [A, A], ['any'], 'does arithmetic multiplication of two specified values of numbers, quantities, and durations', (a) => multiply(...operands('multiply', a))),
  entry('divide', [A, A], ['any'], 'divisor must be non zero', (a) => divide(...operands('divide', a))),
  entry('modulo', [A, A], ['any'], 'divisor must be non-zero, arguments must be integers', (a) => modulo(...operands('modulo', a))),
  entry('round', [N, N], ['number'], 'does roundoff to upto the given decimal places', (a) => round(a[0] as number, a[1] as number)),
  entry('base64_decode', [S], ['string'], 'decodes a base 64 string', (a) => base64Decode(str(a, 0))),
  entry('base64_encode', [S], ['string'], 'encodes a regular, plaintext and unencoded string to base64', (a) => Buffer.from(str(a, 0), 'utf8').toString('base64')),
  entry('time_since', [S, S, S], ['string'], 'calculate the difference between a start and end period of time where the end may either be a static definition or the then-current time', (a) =>
    timeSince(str(a, 0), str(a, 1), str(a, 2)),
  ),
  entry('time_now', [], ['string'], 'returns current time in RFC 3339 format', () => formatRFC3339(now(false))),
  entry('time_now_utc', [], ['string'], 'returns current UTC time in RFC 3339 format', () => formatRFC3339(now(true))),
  entry('path_canonicalize', [S], ['string'], 'normalizes or canonicalizes a given path by removing excess slashes', (a) => cleanPath(str(a, 0))),
  entry('truncate', [S, N], ['string'], 'length argument must be enclosed in backticks; ex. "{{request.object.metadata.name | truncate(@, `9`)}}"', (a) =>
    Array.from(str(a, 0)).slice(0, Math.max(0, Math.trunc(a[1] as number))).join(''),
  ),
  entry('semver_compare', [S, S], ['bool'], 'compares two strings which comply with the semantic versioning schema and outputs a boolean response as to the position of the second relative to the first', (a) =>
    semverCompare(str(a, 0), str(a, 1)),
  ),
  entry('parse_json', [S], ['any'], 'decodes a valid JSON encoded string to the appropriate type. Opposite of `to_string` function', (a) => JSON.parse(str(a, 0)) as unknown),
  entry('parse_yaml', [S], ['any'], 'decodes a valid YAML encoded string to the appropriate type provided it can be represented as JSON', (a) => parseYamlToJson(str(a, 0))),
  entry('lookup', [{ types: ['object', 'array'] }, SN], ['any'], 'returns the value corresponding to the given key/index in the given object/array', (a) => lookup(a[0], a[1])),
  entry('items', [{ types: ['object', 'array'] }, S, S], ['array'], 'converts a map or array to an array of objects where each key:value is an item in the array', (a) =>
    items(a[0], str(a, 1), str(a, 2)),
  ),
  entry('object_from_lists', [{ types: ['array'] }, { types: ['array'] }], ['object'], 'converts a pair of lists containing keys and values to an object', (a) =>
    objectFromLists(a[0] as unknown[], a[1] as unknown[]),
  ),
  entry('random', [S], ['string'], 'Generates a random sequence of characters', (a) => randomFromPattern(str(a, 0))),
  entry('x509_decode', [S], ['object'], 'decodes an x.509 certificate to an object. you may also use this in conjunction with `base64_decode` jmespath function to decode a base64-encoded certificate', (a) =>
    x509Decode(str(a, 0)),
  ),
  entry('time_to_cron', [S], ['string'], 'converts a time (RFC 3339) to a cron expression (string).', (a) => timeToCron(str(a, 0))),
  entry('time_add', [S, S], ['string'], 'adds duration (second string) to a time value (first string)', (a) => {
    const t = timeArg(str(a, 0));
    return formatRFC3339({ unixNanos: t.unixNanos + durationArg(str(a, 1)), offset: t.offset });
  }),
  entry('time_parse', [S, S], ['string'], 'changes a time value of a given layout to RFC 3339', (a) => timeParse(str(a, 0), str(a, 1))),
  entry('time_utc', [S], ['string'], 'calcutes time in UTC from a given time in RFC 3339 format', (a) => formatRFC3339({ ...timeArg(str(a, 0)), offset: 0 })),
  entry('time_diff', [S, S], ['string'], 'calculate the difference between a start and end date in RFC3339 format', (a) =>
    formatGoDuration(timeArg(str(a, 1)).unixNanos - timeArg(str(a, 0)).unixNanos),
  ),
  entry('time_before', [S, S], ['bool'], 'checks if a time is before another time, both in RFC3339 format', (a) => timeArg(str(a, 0)).unixNanos < timeArg(str(a, 1)).unixNanos),
  entry('time_after', [S, S], ['bool'], 'checks if a time is after another time, both in RFC3339 format', (a) => timeArg(str(a, 0)).unixNanos > timeArg(str(a, 1)).unixNanos),
  entry('time_between', [S, S, S], ['bool'], 'checks if a time is between a start and end time, all in RFC3339 format', (a) => {
    const t = timeArg(str(a, 0)).unixNanos;
    return t > timeArg(str(a, 1)).unixNanos && t < timeArg(str(a, 2)).unixNanos;
  }),
  entry('time_truncate', [S, S], ['string'], 'returns the result of rounding time down to a multiple of duration', (a) =>
    formatRFC3339(truncateTime(timeArg(str(a, 0)), durationArg(str(a, 1)))),
  ),
  entry('image_normalize', [S], ['string'], 'normalizes an image reference', (a) => {
    try {
      return normalizeImage(str(a, 0));
    } catch (e) {
      throw fnError('image_normalize', (e as Error).message);
    }
  }),
  entry('is_external_url', [S], ['bool'], 'determine if a URL points to an external network address', (a) => isExternalUrl(str(a, 0))),
  entry('sha256', [S], ['string'], 'generate unique resources name if length exceeds the limit', (a) => hash('sha256', str(a, 0))),
  entry('sha1', [S], ['string'], 'generates a SHA-1 hash of the string', (a) => hash('sha1', str(a, 0))),
  entry('md5', [S], ['string'], 'generates an MD5 hash of the string', (a) => hash('md5', str(a, 0))),
];

// ---------------------------------------------------------------------------------------------
// Standard functions whose Go behaviour differs from the JavaScript library

/** strconv.ParseFloat syntax for to_number(). */
function goParseFloat(s: string): number | null {
  if (!/^[+-]?(\d+(_\d+)*\.?(\d+(_\d+)*)?|\.\d+(_\d+)*)([eE][+-]?\d+)?$/.test(s)) return null;
  if (s.includes('_')) return null;
  return Number(s);
}

/**
 * to_string (Go's json.Marshal: sorted keys, HTML-safe escapes), to_number (strconv.ParseFloat:
 * no whitespace, '' is not 0) and contains (deep equality for array members) as go-jmespath
 * implements them.
 */
export const STANDARD_OVERRIDES: readonly KyvernoFunction[] = [
  entry('to_string', [A], ['string'], '', (a) => (typeof a[0] === 'string' ? a[0] : goJson(a[0]))),
  entry('to_number', [A], ['number'], '', (a) => {
    const v = a[0];
    if (typeof v === 'number') return v;
    return typeof v === 'string' ? goParseFloat(v) : null;
  }),
  entry('contains', [{ types: ['string', 'array'] }, A], ['bool'], '', (a) => {
    const [subject, search] = a;
    if (Array.isArray(subject)) return subject.some((v) => deepEqual(v, search));
    return typeof search === 'string' && (subject as string).includes(search);
  }),
];
