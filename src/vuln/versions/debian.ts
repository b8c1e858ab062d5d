/**
 * Debian and Ubuntu package versions as dpkg orders them (deb-version(7), dpkg's verrevcmp):
 *
 *   [epoch:]upstream_version[-debian_revision]
 *
 * - the epoch is the number before the first `:` (0 when absent), compared by value;
 * - the revision is what follows the last `-` (absent = empty, which equals `0`);
 * - upstream and revision compare with the same algorithm: alternately the longest run of
 *   non-digits, character by character, where `~` sorts before everything (even the end of
 *   the string: `1.0~rc1` < `1.0`), then letters, then the end of the run, then every other
 *   character (`+`, `.`, ...); then the longest run of digits, by value (empty = 0).
 *
 * Rejected (dpkg errors, not warnings): an epoch that is not a number, nothing after the
 * epoch's colon, an empty upstream version, a `-` with nothing after it, embedded whitespace.
 * Versions dpkg only warns about (upstream not starting with a digit, odd characters) compare.
 */
import {
  InvalidVersionError,
  compareDigits,
  defineScheme,
  isAsciiLetter,
  isDigit,
  type Ordering,
  type ParsedVersion,
  requirePrintable,
  sign,
} from './scheme.ts';

export interface DebianVersion extends ParsedVersion {
  readonly epoch: string;
  readonly upstream: string;
  readonly revision: string;
}

function parseDebian(input: string): DebianVersion {
  const version = input.trim();
  requirePrintable('debian', version);
  let rest = version;
  let epoch = '0';
  const colon = rest.indexOf(':');
  if (colon !== -1) {
    epoch = rest.slice(0, colon);
    if (!/^\d+$/.test(epoch)) throw new InvalidVersionError('debian', input, 'epoch is not a number');
    rest = rest.slice(colon + 1);
    if (rest === '') throw new InvalidVersionError('debian', input, 'nothing after the epoch colon');
  }
  let revision = '';
  const hyphen = rest.lastIndexOf('-');
  if (hyphen !== -1) {
    revision = rest.slice(hyphen + 1);
    if (revision === '') throw new InvalidVersionError('debian', input, 'empty revision after "-"');
    rest = rest.slice(0, hyphen);
  }
  if (rest === '') throw new InvalidVersionError('debian', input, 'empty upstream version');
  return { raw: input, epoch, upstream: rest, revision };
}

/** dpkg's weight of one character in a non-digit run; the end of the run (NaN) weighs 0 like a digit. */
function order(code: number): number {
  if (Number.isNaN(code) || isDigit(code)) return 0;
  if (isAsciiLetter(code)) return code;
  if (code === 126 /* ~ */) return -1;
  return code + 256;
}

/** dpkg's verrevcmp on an upstream version or a revision. */
export function compareDebianPart(a: string, b: string): Ordering {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const d = order(a.charCodeAt(i)) - order(b.charCodeAt(j));
      if (d !== 0) return sign(d);
      i++;
      j++;
    }
    const si = i;
    const sj = j;
    while (i < a.length && isDigit(a.charCodeAt(i))) i++;
    while (j < b.length && isDigit(b.charCodeAt(j))) j++;
    const d = compareDigits(a.slice(si, i), b.slice(sj, j));
    if (d !== 0) return d;
  }
  return 0;
}

function compareDebian(a: DebianVersion, b: DebianVersion): Ordering {
  return (
    compareDigits(a.epoch, b.epoch) ||
    compareDebianPart(a.upstream, b.upstream) ||
    compareDebianPart(a.revision, b.revision)
  );
}

export const debian = defineScheme({ name: 'debian', parse: parseDebian, compare: compareDebian });
