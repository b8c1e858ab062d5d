/**
 * String extensions Kubernetes enables (cel-go ext.Strings, the ones the CEL library lacks):
 * `charAt`, `replace`, `reverse`, `strings.quote`, and `format` (strings.format, see format.ts).
 * `indexOf`, `lastIndexOf`, `lowerAscii`, `upperAscii`, `split`, `substring`, `trim` and `join`
 * come with the library.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { CelEvalError } from '../errors.ts';
import { charge } from '../cost.ts';
import { formatString } from './format.ts';

export class StringsNamespace {}

/** Code points, so that indexes count characters as CEL does (not UTF-16 units). */
function codePoints(s: string): string[] {
  return Array.from(s);
}

function replaceN(s: string, from: string, to: string, n: number): string {
  if (n < 0) return s.split(from).join(to);
  let out = '';
  let rest = s;
  let count = 0;
  while (count < n) {
    const i = from === '' ? (count === 0 ? 0 : 1) : rest.indexOf(from);
    if (i < 0 || (from === '' && i > rest.length)) break;
    out += rest.slice(0, i) + to;
    rest = rest.slice(i + from.length);
    count++;
    if (from === '' && rest.length === 0) break;
  }
  return out + rest;
}

/** Go's strconv.Quote for valid UTF-8 text. */
export function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        break;
      case '\\':
        out += '\\\\';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\x07':
        out += '\\a';
        break;
      case '\b':
        out += '\\b';
        break;
      case '\f':
        out += '\\f';
        break;
      case '\v':
        out += '\\v';
        break;
      default:
        if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
        else out += ch;
    }
  }
  return out + '"';
}

export function registerStrings(env: Environment): void {
  env
    .registerType('StringsNamespace', StringsNamespace)
    .registerConstant('strings', 'StringsNamespace', new StringsNamespace())
    .registerFunction('string.charAt(int): string', (s: string, i: bigint) => {
      const chars = codePoints(s);
      const n = Number(i);
      if (n < 0 || n > chars.length) throw new CelEvalError(`index out of range: ${n}`);
      return chars[n] ?? '';
    })
    .registerFunction('string.replace(string, string): string', (s: string, from: string, to: string) => {
      charge(Math.ceil(s.length / 10));
      return replaceN(s, from, to, -1);
    })
    .registerFunction('string.replace(string, string, int): string', (s: string, from: string, to: string, n: bigint) => {
      charge(Math.ceil(s.length / 10));
      return replaceN(s, from, to, Number(n));
    })
    .registerFunction('string.reverse(): string', (s: string) => codePoints(s).reverse().join(''))
    .registerFunction('StringsNamespace.quote(string): string', (_ns: StringsNamespace, s: string) => quote(s))
    .registerFunction('string.format(list): string', (s: string, args: unknown[]) => formatString(s, args));
}
