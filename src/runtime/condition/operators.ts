/**
 * Operator semantics, one place: which operators a field type accepts, how right-hand values are
 * read for a type, and the matchers (equality, ordering, substring, glob, path prefix, regex,
 * bytes, IP networks). Matchers are built once per check at compile time and run per event.
 * After libsinsp (filter_compare.cpp) and Falco's condition documentation.
 */
import { BlockList, isIP } from 'node:net';
import { NUMERIC_TYPES, type FieldType, type Scalar } from '../fields/types.ts';
import { compileFullMatch } from './regex.ts';

export type Op =
  | '='
  | '=='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | 'contains'
  | 'icontains'
  | 'bcontains'
  | 'startswith'
  | 'bstartswith'
  | 'endswith'
  | 'glob'
  | 'iglob'
  | 'regex'
  | 'in'
  | 'intersects'
  | 'pmatch';

export const LIST_OPS: ReadonlySet<string> = new Set(['in', 'intersects', 'pmatch']);

const ORDER_OPS = ['<', '<=', '>', '>='];
const NUMERIC_OPS = new Set(['=', '==', '!=', ...ORDER_OPS, 'in', 'intersects']);
const EQUALITY_OPS = new Set(['=', '==', '!=', 'in', 'intersects']);

/** Whether `op` applies to a field of `type` (libsinsp's flt_is_comparable). */
export function operatorAccepts(type: FieldType, op: string): boolean {
  if (NUMERIC_TYPES.has(type)) return NUMERIC_OPS.has(op);
  if (type === 'bool' || type === 'ipaddr' || type === 'ipnet') return EQUALITY_OPS.has(op);
  return true;
}

export class OperatorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OperatorError';
  }
}

// ── right-hand values ─────────────────────────────────────────────────────

/** A right-hand value converted for the field type, or an error naming what is wrong. */
export function parseRhs(text: string, type: FieldType, field: string): Scalar {
  if (NUMERIC_TYPES.has(type)) {
    const n = /^[+-]?0[xX][0-9a-fA-F]+$/.test(text) ? Number.parseInt(text, 16) : Number(text);
    if (text.trim() === '' || !Number.isFinite(n)) throw new OperatorError(`'${text}' is not a valid number for field '${field}'`);
    return n;
  }
  if (type === 'bool') {
    const t = text.toLowerCase();
    if (t === 'true' || t === '1') return true;
    if (t === 'false' || t === '0') return false;
    throw new OperatorError(`'${text}' is not a valid boolean for field '${field}'`);
  }
  if (type === 'ipaddr' || type === 'ipnet') {
    if (!isIP(text) && !parseCidr(text)) throw new OperatorError(`'${text}' is not a valid IP address or network for field '${field}'`);
  }
  return text;
}

// ── scalar matchers ───────────────────────────────────────────────────────

export type Matcher = (v: Scalar) => boolean;

/**
 * A predicate on one extracted value for `op` against the (already converted) right-hand values.
 * Single-valued operators get exactly one right-hand value.
 */
export function scalarMatcher(op: Op, rhs: Scalar[], type: FieldType): Matcher {
  if (type === 'ipaddr' || type === 'ipnet') return ipMatcher(op, rhs.map(String));
  const one = rhs[0]!;
  switch (op) {
    case '=':
    case '==':
      return (v) => v === one || looseEqual(v, one);
    case '!=':
      return (v) => !(v === one || looseEqual(v, one));
    case '<':
      return (v) => order(v, one) < 0;
    case '<=':
      return (v) => order(v, one) <= 0;
    case '>':
      return (v) => order(v, one) > 0;
    case '>=':
      return (v) => order(v, one) >= 0;
    case 'in':
    case 'intersects': {
      const set = new Set<Scalar>(rhs);
      const strings = new Set(rhs.map(String));
      return (v) => set.has(v) || strings.has(String(v));
    }
    case 'contains': {
      const s = String(one);
      return (v) => String(v).includes(s);
    }
    case 'icontains': {
      const s = String(one).toLowerCase();
      return (v) => String(v).toLowerCase().includes(s);
    }
    case 'startswith': {
      const s = String(one);
      return (v) => String(v).startsWith(s);
    }
    case 'endswith': {
      const s = String(one);
      return (v) => String(v).endsWith(s);
    }
    case 'bcontains': {
      const bytes = hexBytes(String(one));
      return (v) => Buffer.from(String(v), 'utf8').includes(bytes);
    }
    case 'bstartswith': {
      const bytes = hexBytes(String(one));
      return (v) => Buffer.from(String(v), 'utf8').subarray(0, bytes.length).equals(bytes);
    }
    case 'glob':
    case 'iglob': {
      const rx = globRegExp(String(one), op === 'iglob');
      return (v) => rx.test(String(v));
    }
    case 'regex': {
      const rx = compileFullMatch(String(one));
      return (v) => rx.test(String(v));
    }
    case 'pmatch':
      return pathPrefixMatcher(rhs.map(String));
  }
}

/** Values of different JS types that Falco would compare as equal (a number field read as text). */
function looseEqual(v: Scalar, rhs: Scalar): boolean {
  if (typeof v === typeof rhs) return false;
  return String(v) === String(rhs);
}

function order(v: Scalar, rhs: Scalar): number {
  if (typeof v === 'number' && typeof rhs === 'number') return v - rhs;
  const a = Number(v);
  const b = Number(rhs);
  if (typeof v !== 'string' && Number.isFinite(a) && Number.isFinite(b)) return a - b;
  const sa = String(v);
  const sb = String(rhs);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** Decoded hex for `bcontains`/`bstartswith` (whitespace ignored). */
export function hexBytes(text: string): Buffer {
  const hex = text.replace(/\s+/g, '');
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) {
    throw new OperatorError(`'${text}' is not a hexadecimal byte string`);
  }
  return Buffer.from(hex, 'hex');
}

/**
 * fnmatch(3) without flags: `*` and `?` match any characters including `/`, `[…]` classes with `!`
 * or `^` negation and ranges, backslash escapes the next character; the whole value must match.
 */
export function globRegExp(pattern: string, caseInsensitive = false): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') out += '[\\s\\S]*';
    else if (c === '?') out += '[\\s\\S]';
    else if (c === '\\' && i + 1 < pattern.length) out += escapeRx(pattern[++i]!);
    else if (c === '[') {
      const end = classEnd(pattern, i);
      if (end < 0) {
        out += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, end);
      let negate = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      out += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, (m) => (m === '^' ? '\\^' : `\\${m}`))}]`;
      i = end;
    } else out += escapeRx(c);
  }
  return new RegExp(`^${out}$`, caseInsensitive ? 'i' : '');
}

function classEnd(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === '!' || pattern[i] === '^') i++;
  if (pattern[i] === ']') i++;
  const end = pattern.indexOf(']', i);
  return end;
}

function escapeRx(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

/**
 * `pmatch`: the value is one of the paths or lies below one of them, component-wise
 * (`/tmp/hello` matches `/tmp/hello` and `/tmp/hello/world`, not `/tmp/hello_world`). A component
 * of a listed path may use glob wildcards, which never cross a `/`.
 */
export function pathPrefixMatcher(paths: string[]): Matcher {
  const prefixes = paths.map((p) => {
    const parts = p.split('/').filter((x) => x !== '');
    return parts.map((part) => (/[*?[]/.test(part) ? globRegExp(part) : part));
  });
  return (v) => {
    if (typeof v !== 'string') return false;
    const parts = v.split('/').filter((x) => x !== '');
    return prefixes.some((prefix) => prefix.length <= parts.length && prefix.every((want, i) => (typeof want === 'string' ? want === parts[i] : want.test(parts[i]!))));
  };
}

// ── IP addresses and networks ─────────────────────────────────────────────

export function parseCidr(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const slash = text.lastIndexOf('/');
  if (slash < 0) return undefined;
  const address = text.slice(0, slash);
  const prefix = Number(text.slice(slash + 1));
  const family = isIP(address);
  if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) return undefined;
  return { address, prefix, family: family === 4 ? 'ipv4' : 'ipv6' };
}

/**
 * Equality and membership on addresses: a right-hand network (`10.0.0.0/8`) contains the value,
 * a right-hand address equals it (IPv6 compared in canonical form).
 */
function ipMatcher(op: Op, rhs: string[]): Matcher {
  const list = new BlockList();
  for (const r of rhs) {
    const cidr = parseCidr(r);
    if (cidr) list.addSubnet(cidr.address, cidr.prefix, cidr.family);
    else list.addAddress(r, isIP(r) === 6 ? 'ipv6' : 'ipv4');
  }
  const member = (v: Scalar) => {
    const s = String(v);
    const family = isIP(s);
    return family !== 0 && list.check(s, family === 6 ? 'ipv6' : 'ipv4');
  };
  switch (op) {
    case '=':
    case '==':
    case 'in':
    case 'intersects':
      return member;
    case '!=':
      return (v) => isIP(String(v)) !== 0 && !member(v);
    default:
      throw new OperatorError(`operator '${op}' does not apply to IP addresses`);
  }
}
