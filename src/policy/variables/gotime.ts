/**
 * The slice of Go's `time` package Kyverno's time functions use: `time.Parse` with Go reference
 * layouts (`2006-01-02T15:04:05Z07:00`, `Mon Jan _2 15:04:05 MST 2006`, …), RFC 3339 output that
 * keeps the parsed UTC offset, and `Truncate` on the absolute time line. Instants are Unix
 * nanoseconds (bigint) plus the offset they are shown in.
 *
 * Named zones (`MST`, `CET`) cannot be resolved without a zone database; like Go when the name is
 * not the local zone, they get a zero offset (`GMT+3` style names keep their hour offset).
 */

import { NS_PER_SECOND } from '../duration.ts';

export const RFC3339 = '2006-01-02T15:04:05Z07:00';

export interface GoTime {
  readonly unixNanos: bigint;
  /** Seconds east of UTC the time is displayed in. */
  readonly offset: number;
}

export class TimeParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimeParseError';
  }
}

type Std =
  | 'longMonth' | 'month' | 'longWeekDay' | 'weekDay' | 'tz'
  | 'zeroMonth' | 'zeroDay' | 'zeroHour12' | 'zeroMinute' | 'zeroSecond' | 'year' | 'zeroYearDay'
  | 'numMonth' | 'hour' | 'longYear' | 'day' | 'underDay' | 'underYearDay' | 'hour12' | 'minute' | 'second'
  | 'PM' | 'pm'
  | 'numSecondsTz' | 'numColonSecondsTz' | 'numTz' | 'numColonTz' | 'numShortTz'
  | 'isoSecondsTz' | 'isoColonSecondsTz' | 'isoTz' | 'isoColonTz' | 'isoShortTz'
  | 'frac0' | 'frac9';

interface Chunk {
  prefix: string;
  std?: Std;
  /** Digits of a fractional-second element. */
  digits?: number;
  suffix: string;
}

const ZERO_STDS: readonly Std[] = ['zeroMonth', 'zeroDay', 'zeroHour12', 'zeroMinute', 'zeroSecond', 'year'];
const TZ_LAYOUTS: readonly [string, Std, Std][] = [
  ['070000', 'numSecondsTz', 'isoSecondsTz'],
  ['07:00:00', 'numColonSecondsTz', 'isoColonSecondsTz'],
  ['0700', 'numTz', 'isoTz'],
  ['07:00', 'numColonTz', 'isoColonTz'],
  ['07', 'numShortTz', 'isoShortTz'],
];

const isDigitAt = (s: string, i: number): boolean => i < s.length && s[i]! >= '0' && s[i]! <= '9';
const startsWithLower = (s: string): boolean => s.length > 0 && s[0]! >= 'a' && s[0]! <= 'z';

/** Finds the first layout element (Go's nextStdChunk). */
function nextChunk(layout: string): Chunk {
  for (let i = 0; i < layout.length; i++) {
    const at = (std: Std, len: number, prefixEnd = i): Chunk => ({ prefix: layout.slice(0, prefixEnd), std, suffix: layout.slice(i + len) });
    const rest = layout.slice(i);
    switch (layout[i]) {
      case 'J':
        if (rest.startsWith('January')) return at('longMonth', 7);
        if (rest.startsWith('Jan') && !startsWithLower(rest.slice(3))) return at('month', 3);
        break;
      case 'M':
        if (rest.startsWith('Monday')) return at('longWeekDay', 6);
        if (rest.startsWith('Mon') && !startsWithLower(rest.slice(3))) return at('weekDay', 3);
        if (rest.startsWith('MST')) return at('tz', 3);
        break;
      case '0':
        if (rest[1] !== undefined && rest[1] >= '1' && rest[1] <= '6') return at(ZERO_STDS[Number(rest[1]) - 1] as Std, 2);
        if (rest.startsWith('002')) return at('zeroYearDay', 3);
        break;
      case '1':
        return rest[1] === '5' ? at('hour', 2) : at('numMonth', 1);
      case '2':
        return rest.startsWith('2006') ? at('longYear', 4) : at('day', 1);
      case '_':
        if (rest[1] === '2') {
          if (rest.startsWith('_2006')) return { prefix: layout.slice(0, i + 1), std: 'longYear', suffix: layout.slice(i + 5) };
          return at('underDay', 2);
        }
        if (rest.startsWith('__2')) return at('underYearDay', 3);
        break;
      case '3':
        return at('hour12', 1);
      case '4':
        return at('minute', 1);
      case '5':
        return at('second', 1);
      case 'P':
        if (rest[1] === 'M') return at('PM', 2);
        break;
      case 'p':
        if (rest[1] === 'm') return at('pm', 2);
        break;
      case '-':
      case 'Z':
        for (const [text, num, iso] of TZ_LAYOUTS) {
          if (rest.startsWith(text, 1)) return at(layout[i] === '-' ? num : iso, text.length + 1);
        }
        break;
      case '.':
      case ',': {
        const ch = rest[1];
        if (ch === '0' || ch === '9') {
          let j = i + 1;
          while (layout[j] === ch) j++;
          if (!isDigitAt(layout, j)) {
            return { prefix: layout.slice(0, i), std: ch === '0' ? 'frac0' : 'frac9', digits: j - (i + 1), suffix: layout.slice(j) };
          }
        }
        break;
      }
    }
  }
  return { prefix: layout, suffix: '' };
}

const SHORT_MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const LONG_MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const SHORT_DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const LONG_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Case-insensitive prefix lookup; returns [index, rest]. */
function lookup(table: readonly string[], value: string): [number, string] | undefined {
  for (let i = 0; i < table.length; i++) {
    const name = table[i] as string;
    if (value.length >= name.length && value.slice(0, name.length).toLowerCase() === name.toLowerCase()) return [i, value.slice(name.length)];
  }
  return undefined;
}

/** One or two digits (exactly two when `fixed`). */
function getNum(s: string, fixed: boolean): [number, string] | undefined {
  if (!isDigitAt(s, 0)) return undefined;
  if (!isDigitAt(s, 1)) return fixed ? undefined : [Number(s[0]), s.slice(1)];
  return [Number(s.slice(0, 2)), s.slice(2)];
}

function getNum3(s: string, fixed: boolean): [number, string] | undefined {
  let n = 0;
  let i = 0;
  for (; i < 3 && isDigitAt(s, i); i++) n = n * 10 + Number(s[i]);
  if (i === 0 || (fixed && i !== 3)) return undefined;
  return [n, s.slice(i)];
}

/** Skips literal layout text; spaces match any run of spaces. */
function skip(value: string, prefix: string): string | undefined {
  let v = value;
  let p = prefix;
  while (p.length > 0) {
    if (p[0] === ' ') {
      if (v.length > 0 && v[0] !== ' ') return undefined;
      p = p.replace(/^ +/, '');
      v = v.replace(/^ +/, '');
      continue;
    }
    if (v.length === 0 || v[0] !== p[0]) return undefined;
    p = p.slice(1);
    v = v.slice(1);
  }
  return v;
}

/** A fraction `.ddd` (value[0] is the separator) as nanoseconds. */
function parseNanos(value: string, nbytes: number): number | undefined {
  if (value[0] !== '.' && value[0] !== ',') return undefined;
  const digits = value.slice(1, Math.min(nbytes, 10));
  if (!/^\d+$/.test(digits)) return undefined;
  return Number(digits) * 10 ** (9 - digits.length);
}

/** Length of a zone abbreviation Go accepts (`MST`, `CEST`, `GMT+3`, `+03`), or 0. */
function timeZoneLength(value: string): number {
  if (value.length < 3) return 0;
  if (value.startsWith('ChST') || value.startsWith('MeST')) return 4;
  if (value.startsWith('GMT')) return 3 + signedOffsetLength(value.slice(3));
  if (value[0] === '+' || value[0] === '-') return signedOffsetLength(value);
  let upper = 0;
  while (upper < 6 && upper < value.length && value[upper]! >= 'A' && value[upper]! <= 'Z') upper++;
  if (upper === 3) return 3;
  if (upper === 4 && (value[3] === 'T' || value.startsWith('WITA'))) return 4;
  if (upper === 5 && value[4] === 'T') return 5;
  return 0;
}

function signedOffsetLength(value: string): number {
  const m = /^[+-](\d+)/.exec(value);
  if (!m || Number(m[1]) > 23) return 0;
  return m[0].length;
}

const goQuote = (s: string): string => JSON.stringify(s);

function parseError(layout: string, value: string, valueElem: string, layoutElem: string, message = ''): TimeParseError {
  if (message) return new TimeParseError(`parsing time ${goQuote(value)}${message}`);
  return new TimeParseError(`parsing time ${goQuote(value)} as ${goQuote(layout)}: cannot parse ${goQuote(valueElem)} as ${goQuote(layoutElem)}`);
}

/** time.Parse(layout, value); a time without zone information is UTC. */
export function parseGoTime(layout: string, value: string): GoTime {
  let rest = value;
  let lay = layout;
  let year = 0;
  let month = -1;
  let day = -1;
  let yday = -1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let nanos = 0;
  let pm = false;
  let am = false;
  let utc = false;
  let offset: number | undefined;
  let zoneName = '';
  for (;;) {
    const { prefix, std, digits, suffix } = nextChunk(lay);
    const stdText = lay.slice(prefix.length, lay.length - suffix.length);
    const skipped = skip(rest, prefix);
    if (skipped === undefined) throw parseError(layout, value, rest, prefix);
    rest = skipped;
    if (std === undefined) {
      if (rest.length !== 0) throw parseError(layout, value, '', '', `: extra text: ${goQuote(rest)}`);
      break;
    }
    lay = suffix;
    const hold = rest;
    let ok = true;
    let range = '';
    const num = (fixed: boolean): number => {
      const r = getNum(rest, fixed);
      if (!r) {
        ok = false;
        return 0;
      }
      rest = r[1];
      return r[0];
    };
    switch (std) {
      case 'year':
        if (rest.length < 2 || !/^\d\d/.test(rest)) ok = false;
        else {
          year = Number(rest.slice(0, 2));
          year += year >= 69 ? 1900 : 2000;
          rest = rest.slice(2);
        }
        break;
      case 'longYear':
        if (rest.length < 4 || !/^\d{4}/.test(rest)) ok = false;
        else {
          year = Number(rest.slice(0, 4));
          rest = rest.slice(4);
        }
        break;
      case 'month':
      case 'longMonth': {
        const r = lookup(std === 'month' ? SHORT_MONTHS : LONG_MONTHS, rest);
        if (!r) ok = false;
        else [month, rest] = [r[0] + 1, r[1]];
        break;
      }
      case 'numMonth':
      case 'zeroMonth':
        month = num(std === 'zeroMonth');
        if (ok && (month <= 0 || month > 12)) range = 'month';
        break;
      case 'weekDay':
      case 'longWeekDay': {
        const r = lookup(std === 'weekDay' ? SHORT_DAYS : LONG_DAYS, rest);
        if (!r) ok = false;
        else rest = r[1];
        break;
      }
      case 'day':
      case 'underDay':
      case 'zeroDay':
        if (std === 'underDay' && rest[0] === ' ') rest = rest.slice(1);
        day = num(std === 'zeroDay');
        break;
      case 'underYearDay':
      case 'zeroYearDay': {
        if (std === 'underYearDay') rest = rest.replace(/^ {1,2}/, '');
        const r = getNum3(rest, std === 'zeroYearDay');
        if (!r) ok = false;
        else [yday, rest] = r;
        break;
      }
      case 'hour':
        hour = num(false);
        if (hour < 0 || hour >= 24) range = 'hour';
        break;
      case 'hour12':
      case 'zeroHour12':
        hour = num(std === 'zeroHour12');
        if (hour < 0 || hour > 12) range = 'hour';
        break;
      case 'minute':
      case 'zeroMinute':
        minute = num(std === 'zeroMinute');
        if (minute < 0 || minute >= 60) range = 'minute';
        break;
      case 'second':
      case 'zeroSecond': {
        second = num(std === 'zeroSecond');
        if (!ok) break;
        if (second < 0 || second >= 60) {
          range = 'second';
          break;
        }
        // Go accepts a fractional second after the seconds even when the layout has none.
        if (rest.length >= 2 && (rest[0] === '.' || rest[0] === ',') && isDigitAt(rest, 1)) {
          const next = nextChunk(lay).std;
          if (next === 'frac0' || next === 'frac9') break;
          let n = 2;
          while (isDigitAt(rest, n)) n++;
          nanos = parseNanos(rest, n) ?? 0;
          rest = rest.slice(n);
        }
        break;
      }
      case 'PM':
      case 'pm': {
        const p = rest.slice(0, 2);
        rest = rest.slice(2);
        if (p === (std === 'PM' ? 'PM' : 'pm')) pm = true;
        else if (p === (std === 'PM' ? 'AM' : 'am')) am = true;
        else ok = false;
        break;
      }
      case 'tz': {
        if (rest.startsWith('UTC')) {
          utc = true;
          rest = rest.slice(3);
          break;
        }
        const n = timeZoneLength(rest);
        if (n === 0) ok = false;
        else [zoneName, rest] = [rest.slice(0, n), rest.slice(n)];
        break;
      }
      case 'frac0': {
        const ndigit = 1 + (digits ?? 0);
        const ns = rest.length < ndigit ? undefined : parseNanos(rest, ndigit);
        if (ns === undefined) ok = false;
        else [nanos, rest] = [ns, rest.slice(ndigit)];
        break;
      }
      case 'frac9': {
        if (rest.length < 2 || (rest[0] !== '.' && rest[0] !== ',') || !isDigitAt(rest, 1)) break;
        let i = 0;
        while (isDigitAt(rest, i + 1)) i++;
        nanos = parseNanos(rest, 1 + i) ?? 0;
        rest = rest.slice(1 + i);
        break;
      }
      default: {
        // Numeric and ISO 8601 zone offsets.
        if (std.startsWith('iso') && rest[0] === 'Z') {
          utc = true;
          rest = rest.slice(1);
          break;
        }
        const parsed = parseOffset(std, rest);
        if (!parsed) ok = false;
        else [offset, rest, range] = parsed;
      }
    }
    if (range) throw parseError(layout, value, rest, stdText, `: ${range} out of range`);
    if (!ok) throw parseError(layout, value, hold, stdText);
  }
  if (pm && hour < 12) hour += 12;
  else if (am && hour === 12) hour = 0;
  if (yday >= 0) {
    const r = monthDayFromYearDay(year, yday);
    if (!r || (month >= 0 && month !== r[0]) || (day >= 0 && day !== r[1])) throw parseError(layout, value, '', '', ': day-of-year out of range');
    [month, day] = r;
  } else {
    if (month < 0) month = 1;
    if (day < 0) day = 1;
  }
  if (day < 1 || day > daysIn(month, year)) throw parseError(layout, value, '', '', ': day out of range');
  const local = BigInt(daysFromCivil(year, month, day)) * 86400n + BigInt(hour * 3600 + minute * 60 + second);
  let zone = 0;
  if (!utc && offset !== undefined) zone = offset;
  else if (!utc && zoneName.startsWith('GMT') && zoneName.length > 3) zone = Number(zoneName.slice(3)) * 3600;
  return { unixNanos: (local - BigInt(zone)) * NS_PER_SECOND + BigInt(nanos), offset: zone };
}

/** Parses `±hh[:mm[:ss]]` for the given offset layout: [offset seconds, rest, range error]. */
function parseOffset(std: Std, value: string): [number, string, string] | undefined {
  const colon = std === 'numColonTz' || std === 'isoColonTz';
  const short = std === 'numShortTz' || std === 'isoShortTz';
  const colonSeconds = std === 'numColonSecondsTz' || std === 'isoColonSecondsTz';
  const seconds = std === 'numSecondsTz' || std === 'isoSecondsTz';
  let sign: string;
  let hh: string;
  let mm = '00';
  let ss = '00';
  let rest: string;
  if (colon) {
    if (value.length < 6 || value[3] !== ':') return undefined;
    [sign, hh, mm, rest] = [value[0]!, value.slice(1, 3), value.slice(4, 6), value.slice(6)];
  } else if (short) {
    if (value.length < 3) return undefined;
    [sign, hh, rest] = [value[0]!, value.slice(1, 3), value.slice(3)];
  } else if (colonSeconds) {
    if (value.length < 9 || value[3] !== ':' || value[6] !== ':') return undefined;
    [sign, hh, mm, ss, rest] = [value[0]!, value.slice(1, 3), value.slice(4, 6), value.slice(7, 9), value.slice(9)];
  } else if (seconds) {
    if (value.length < 7) return undefined;
    [sign, hh, mm, ss, rest] = [value[0]!, value.slice(1, 3), value.slice(3, 5), value.slice(5, 7), value.slice(7)];
  } else {
    if (value.length < 5) return undefined;
    [sign, hh, mm, rest] = [value[0]!, value.slice(1, 3), value.slice(3, 5), value.slice(5)];
  }
  if (![hh, mm, ss].every((d) => /^\d\d$/.test(d)) || (sign !== '+' && sign !== '-')) return undefined;
  const [h, m, s] = [Number(hh), Number(mm), Number(ss)];
  const range = h > 24 ? 'time zone offset hour' : m > 60 ? 'time zone offset minute' : s > 60 ? 'time zone offset second' : '';
  const total = (h * 60 + m) * 60 + s;
  return [sign === '-' ? -total : total, rest, range];
}

const isLeap = (y: number): boolean => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);

function daysIn(month: number, year: number): number {
  if (month === 2) return isLeap(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function monthDayFromYearDay(year: number, yday: number): [number, number] | undefined {
  if (yday < 1 || yday > (isLeap(year) ? 366 : 365)) return undefined;
  let d = yday;
  for (let m = 1; m <= 12; m++) {
    const n = daysIn(m, year);
    if (d <= n) return [m, d];
    d -= n;
  }
  return undefined;
}

/** Days since 1970-01-01 in the proleptic Gregorian calendar. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

export interface CivilTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday. */
  weekday: number;
}

/** Calendar fields of the time in its own offset. */
export function civil(t: GoTime): CivilTime {
  const seconds = floorDiv(t.unixNanos, NS_PER_SECOND) + BigInt(t.offset);
  const days = Number(floorDiv(seconds, 86400n));
  const secOfDay = Number(seconds - BigInt(days) * 86400n);
  const [year, month, day] = civilFromDays(days);
  return {
    year,
    month,
    day,
    hour: Math.floor(secOfDay / 3600),
    minute: Math.floor((secOfDay % 3600) / 60),
    second: secOfDay % 60,
    weekday: (((days + 4) % 7) + 7) % 7,
  };
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && a < 0n !== b < 0n) ? q - 1n : q;
}

const pad = (n: number, width: number): string => (n < 0 ? `-${String(-n).padStart(width, '0')}` : String(n).padStart(width, '0'));

/** t.Format(time.RFC3339): whole seconds, `Z` for a zero offset. */
export function formatRFC3339(t: GoTime): string {
  const c = civil(t);
  let zone = 'Z';
  if (t.offset !== 0) {
    const abs = Math.abs(t.offset);
    zone = `${t.offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 3600), 2)}:${pad(Math.floor((abs % 3600) / 60), 2)}`;
  }
  return `${pad(c.year, 4)}-${pad(c.month, 2)}-${pad(c.day, 2)}T${pad(c.hour, 2)}:${pad(c.minute, 2)}:${pad(c.second, 2)}${zone}`;
}

/** Current time in the local zone (time.Now()) or in UTC. */
export function now(utc: boolean): GoTime {
  const ms = Date.now();
  const offset = utc ? 0 : -new Date(ms).getTimezoneOffset() * 60;
  return { unixNanos: BigInt(ms) * 1_000_000n, offset };
}

/** Seconds from Go's zero time (January 1, year 1) to the Unix epoch. */
const UNIX_TO_INTERNAL = 62_135_596_800n;

/** t.Truncate(d): rounds down to a multiple of d since the zero time; d <= 0 leaves t unchanged. */
export function truncateTime(t: GoTime, d: bigint): GoTime {
  if (d <= 0n) return t;
  const absolute = t.unixNanos + UNIX_TO_INTERNAL * NS_PER_SECOND;
  const r = ((absolute % d) + d) % d;
  return { unixNanos: t.unixNanos - r, offset: t.offset };
}
