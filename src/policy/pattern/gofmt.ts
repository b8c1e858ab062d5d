/**
 * Go value conventions that leak into Kyverno's results: how `fmt` prints a value (`%v`, `%T`), how
 * `strconv` parses numbers, and which JSON numbers Go sees as int64 rather than float64.
 *
 * Kyverno decodes JSON with k8s.io/apimachinery's json package, which turns integral numbers into int64 and the
 * rest into float64. A JavaScript number is therefore treated as Go int64 when it is an integer in int64 range.
 */
import { isRecord } from '../../core/json.ts';

const INT64_LIMIT = 2 ** 63;

/** True when Go would hold this JSON number as int64 (an integer in range), false for float64. */
export function isGoInt(n: number): boolean {
  return Number.isInteger(n) && n < INT64_LIMIT && n >= -INT64_LIMIT;
}

/** `fmt.Sprint(v)` / `%v`: maps print as `map[k:v ...]` with sorted keys, arrays as `[a b]`, nil as `<nil>`. */
export function goSprint(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return isGoInt(v) ? intString(v) : formatGoFloat(v, 'g');
  if (Array.isArray(v)) return `[${v.map(goSprint).join(' ')}]`;
  if (isRecord(v)) {
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${goSprint(v[k])}`).join(' ')}]`;
  }
  return String(v);
}

/** `fmt.Sprintf("%T", v)` for the types a decoded JSON document holds. */
export function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return isGoInt(v) ? 'int64' : 'float64';
  if (Array.isArray(v)) return '[]interface {}';
  if (isRecord(v)) return 'map[string]interface {}';
  return typeof v;
}

function intString(n: number): string {
  return n === 0 ? '0' : String(n);
}

/**
 * `strconv.FormatFloat(x, fmt, prec, 64)` for the forms Kyverno uses: `'g'` with the shortest digits (what `%v`
 * prints for a float: exponent form when the decimal exponent is below -4 or at least 6, so 1e6 prints `1e+06`),
 * `'e'`/`'E'` with the shortest digits (`1.5E+00`), and `'f'` with a fixed number of decimals (`%f` is 6).
 */
export function formatGoFloat(x: number, fmt: 'g' | 'e' | 'E' | 'f', prec = -1): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  if (fmt === 'f') return fixed(x, prec < 0 ? 6 : prec);
  const neg = x < 0 || Object.is(x, -0);
  const [mant, expText] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mant.replace('.', '');
  const exp = Number(expText);
  const sign = neg ? '-' : '';
  if (fmt === 'g' && exp >= -4 && exp < 6) return sign + plainDigits(digits, exp);
  const letter = fmt === 'E' ? 'E' : 'e';
  const frac = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const absExp = Math.abs(exp);
  return `${sign}${frac}${letter}${exp < 0 ? '-' : '+'}${absExp < 10 ? '0' : ''}${absExp}`;
}

/** Digits d1d2d3… with decimal exponent `exp` (value d1.d2d3… × 10^exp) written without exponent. */
function plainDigits(digits: string, exp: number): string {
  const point = exp + 1;
  if (point <= 0) return `0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return digits + '0'.repeat(point - digits.length);
  return `${digits.slice(0, point)}.${digits.slice(point)}`;
}

function fixed(x: number, decimals: number): string {
  if (Math.abs(x) < 1e21) return x.toFixed(decimals);
  // Beyond 1e21 every double is an integer; toFixed would switch to exponent form.
  return `${BigInt(x).toString()}${decimals > 0 ? `.${'0'.repeat(decimals)}` : ''}`;
}

const INT_RE = /^[+-]?[0-9]+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** `strconv.ParseInt(s, 10, 64)`: optional sign and decimal digits, in int64 range; undefined on error. */
export function parseGoInt(s: string): number | undefined {
  if (!INT_RE.test(s)) return undefined;
  const big = BigInt(s);
  if (big < INT64_MIN || big > INT64_MAX) return undefined;
  return Number(big);
}

const DEC_FLOAT_RE = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const HEX_FLOAT_RE = /^([+-]?)0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+))[pP]([+-]?[0-9]+)$/;
const SPECIAL_FLOAT_RE = /^([+-]?)(inf|infinity|nan)$/i;

/**
 * `strconv.ParseFloat(s, 64)`: decimal and hexadecimal (`0x1p-2`) literals, `inf`/`infinity`/`nan` in any case;
 * undefined on a syntax error or when the value overflows float64 (Go returns ErrRange then).
 */
export function parseGoFloat(s: string): number | undefined {
  if (DEC_FLOAT_RE.test(s)) {
    const n = Number(s);
    return Number.isFinite(n) ? n : undefined;
  }
  const special = SPECIAL_FLOAT_RE.exec(s);
  if (special) {
    if (special[2]!.toLowerCase() === 'nan') return NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  const hex = HEX_FLOAT_RE.exec(s);
  if (hex) {
    const [intPart = '', fracPart = ''] = hex[2]!.split('.');
    const mantissa = parseInt(intPart || '0', 16) + (fracPart ? parseInt(fracPart, 16) / 16 ** fracPart.length : 0);
    const n = mantissa * 2 ** Number(hex[3]);
    if (!Number.isFinite(n)) return undefined;
    return hex[1] === '-' ? -n : n;
  }
  return undefined;
}
