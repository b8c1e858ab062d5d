/**
 * `"…".format([args])` (cel-go strings extension, as Kubernetes enables it): `%s` any value,
 * `%d` integers, `%f`/`%.Nf` and `%e` doubles, `%b`/`%o`/`%x`/`%X` integers (hex also strings and
 * bytes), `%%` a percent sign. Lists and maps print as CEL literals with quoted strings.
 */
import { Optional } from '@marcbachmann/cel-js';
import { CelEvalError } from '../errors.ts';
import { celTypeName, entriesOf, fromCel } from '../values.ts';
import { quote } from './strings.ts';

function isUint(v: unknown): boolean {
  return typeof v === 'object' && v !== null && v.constructor?.name === 'UnsignedInt';
}

function formatDouble(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  return String(n);
}

function timestampString(d: Date): string {
  return d.toISOString().replace('.000Z', 'Z');
}

/** `%s` of a value; `nested` values (inside lists and maps) quote their strings. */
function asString(v: unknown, nested: boolean): string {
  if (typeof v === 'string') return nested ? quote(v) : v;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return formatDouble(v);
  if (typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return 'null';
  if (isUint(v)) return String(v);
  if (v instanceof Uint8Array) return nested ? `b${quote(Buffer.from(v).toString('utf8'))}` : Buffer.from(v).toString('utf8');
  if (v instanceof Date) return nested ? `timestamp(${quote(timestampString(v))})` : timestampString(v);
  if (v instanceof Optional) return v.hasValue() ? `optional.of(${asString(v.value(), true)})` : 'optional.none()';
  if (Array.isArray(v) || v instanceof Set) return `[${[...v].map((x) => asString(x, true)).join(', ')}]`;
  if (v instanceof Map || Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null) {
    const entries = entriesOf(v)
      .map(([k, x]) => [asString(k, true), asString(x, true)] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return `{${entries.map(([k, x]) => `${k}: ${x}`).join(', ')}}`;
  }
  const json = fromCel(v);
  return typeof json === 'string' ? json : JSON.stringify(json);
}

function integer(v: unknown, verb: string): bigint {
  if (typeof v === 'bigint') return v;
  if (isUint(v)) return BigInt(String(v));
  throw new CelEvalError(`error during formatting: ${verb} clause can only be used on integers, was given ${celTypeName(v)}`);
}

function double(v: unknown, verb: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (isUint(v)) return Number(String(v));
  throw new CelEvalError(`error during formatting: ${verb} clause can only be used on doubles, was given ${celTypeName(v)}`);
}

function fixed(n: number, precision: number): string {
  if (!Number.isFinite(n)) return formatDouble(n);
  return n.toFixed(precision);
}

/** Go's %e: mantissa with `precision` digits and a two-digit signed exponent. */
function scientific(n: number, precision: number): string {
  if (!Number.isFinite(n)) return formatDouble(n);
  const [mantissa, exp] = n.toExponential(precision).split('e') as [string, string];
  const sign = exp.startsWith('-') ? '-' : '+';
  return `${mantissa}e${sign}${exp.replace(/^[+-]/, '').padStart(2, '0')}`;
}

function radix(v: unknown, base: 2 | 8 | 16, upper: boolean, verb: string): string {
  if (base === 16 && typeof v === 'string') {
    const hex = Buffer.from(v, 'utf8').toString('hex');
    return upper ? hex.toUpperCase() : hex;
  }
  if (base === 16 && v instanceof Uint8Array) {
    const hex = Buffer.from(v).toString('hex');
    return upper ? hex.toUpperCase() : hex;
  }
  const n = integer(v, verb);
  const digits = (n < 0n ? -n : n).toString(base);
  return (n < 0n ? '-' : '') + (upper ? digits.toUpperCase() : digits);
}

export function formatString(template: string, args: readonly unknown[]): string {
  let out = '';
  let next = 0;
  const arg = (verb: string): unknown => {
    if (next >= args.length) throw new CelEvalError(`error during formatting: index ${next} out of range for ${verb}`);
    return args[next++];
  };
  for (let i = 0; i < template.length; i++) {
    const ch = template[i];
    if (ch !== '%') {
      out += ch;
      continue;
    }
    let j = i + 1;
    let precision: number | undefined;
    if (template[j] === '.') {
      let k = j + 1;
      while (k < template.length && /\d/.test(template[k]!)) k++;
      precision = Number(template.slice(j + 1, k) || '0');
      j = k;
    }
    const verb = template[j];
    switch (verb) {
      case '%':
        out += '%';
        break;
      case 's':
        out += asString(arg('%s'), false);
        break;
      case 'd':
        out += integer(arg('%d'), 'decimal').toString();
        break;
      case 'f':
        out += fixed(double(arg('%f'), 'fixed-point'), precision ?? 6);
        break;
      case 'e':
        out += scientific(double(arg('%e'), 'scientific'), precision ?? 6);
        break;
      case 'b':
        out += radix(arg('%b'), 2, false, 'binary');
        break;
      case 'o':
        out += radix(arg('%o'), 8, false, 'octal');
        break;
      case 'x':
      case 'X':
        out += radix(arg(`%${verb}`), 16, verb === 'X', 'hex');
        break;
      default:
        throw new CelEvalError(`could not parse formatting clause: unrecognized formatting clause "${verb ?? ''}"`);
    }
    i = j;
  }
  return out;
}
