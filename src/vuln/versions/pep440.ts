/**
 * PyPI versions: PEP 440 (https://peps.python.org/pep-0440/) as the `packaging` library
 * normalises and orders them, with its former LegacyVersion for everything else.
 *
 *   [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]
 *
 * Normalisation: case-insensitive; surrounding whitespace and a leading `v` ignored; `-`, `_`
 * or `.` (or nothing) may separate the parts; `alpha`/`beta` mean `a`/`b`, `c`/`pre`/`preview`
 * mean `rc`, `rev`/`r` mean `post`, `1.0-1` means `1.0.post1`; a missing number is 0.
 *
 * Ordering: epoch; release numbers (zero-padded: `1.0` = `1.0.0`); then
 * `X.devN` < `XaN` < `XbN` < `XrcN` < `X` < `X.postN`, where dev releases of a pre- or
 * post-release sort just before it (`1.0a1.dev1` < `1.0a1`); then the local label: none first,
 * then segment by segment (split on `.`, `-`, `_`), numbers above words, numbers by value,
 * words alphabetically, a longer label winning (`1.0+local.a` < `1.0+local.1`).
 *
 * Legacy versions (not PEP 440, e.g. `0.1-bulbasaur`, `2013-01-21T20:33:09+0100`) sort before
 * every PEP 440 version and among themselves by setuptools' historic key, as packaging's
 * LegacyVersion did: runs of digits (zero-padded), runs of letters and the other characters
 * in between, with `pre`/`preview`/`rc` read as `c`, `dev` before pre-releases, and trailing
 * zeros dropped.
 *
 * Rejected: empty and strings with inner whitespace or control characters.
 */
import {
  compareDigits,
  comparePaddedNumbers,
  compareStrings,
  defineScheme,
  type Ordering,
  type ParsedVersion,
  requirePrintable,
  trimZeros,
} from './scheme.ts';

export interface Pep440Version extends ParsedVersion {
  /** False for a legacy (non-PEP 440) version, which only `legacyKey` describes. */
  readonly pep440: boolean;
  readonly epoch: string;
  readonly release: readonly string[];
  /** Pre-release phase (0 = a, 1 = b, 2 = rc) and number. */
  readonly pre: { readonly phase: number; readonly number: string } | undefined;
  readonly post: string | undefined;
  readonly dev: string | undefined;
  /** Lower-cased local label segments. */
  readonly local: readonly string[] | undefined;
  readonly legacyKey: readonly string[];
}

const PEP440 = new RegExp(
  String.raw`^v?(?:(?<epoch>[0-9]+)!)?(?<release>[0-9]+(?:\.[0-9]+)*)` +
    String.raw`(?:[-_.]?(?<preL>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?<preN>[0-9]+)?)?` +
    String.raw`(?:-(?<postN1>[0-9]+)|[-_.]?(?<postL>post|rev|r)[-_.]?(?<postN2>[0-9]+)?)?` +
    String.raw`(?:[-_.]?(?<devL>dev)[-_.]?(?<devN>[0-9]+)?)?` +
    String.raw`(?:\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?$`,
);

const PHASE: Readonly<Record<string, number>> = { a: 0, alpha: 0, b: 1, beta: 1, c: 2, pre: 2, preview: 2, rc: 2 };

function parsePep440(input: string): Pep440Version {
  const trimmed = input.trim();
  requirePrintable('pep440', trimmed);
  const version = trimmed.toLowerCase();
  const g = PEP440.exec(version)?.groups;
  if (!g) {
    return {
      raw: input,
      pep440: false,
      epoch: '0',
      release: [],
      pre: undefined,
      post: undefined,
      dev: undefined,
      local: undefined,
      legacyKey: legacyKey(version),
    };
  }
  const release = (g.release ?? '').split('.').map(trimZeros);
  while (release.length > 1 && release[release.length - 1] === '0') release.pop();
  return {
    raw: input,
    pep440: true,
    epoch: g.epoch ?? '0',
    release,
    pre: g.preL === undefined ? undefined : { phase: PHASE[g.preL] ?? 0, number: g.preN ?? '0' },
    post: g.postN1 ?? (g.postL === undefined ? undefined : (g.postN2 ?? '0')),
    dev: g.devL === undefined ? undefined : (g.devN ?? '0'),
    local: g.local?.split(/[-_.]/),
    legacyKey: [],
  };
}

const LEGACY_RENAME: Readonly<Record<string, string>> = { pre: 'c', preview: 'c', '-': 'final-', rc: 'c', dev: '@' };

/** setuptools' historic parse_version key (packaging's _legacy_cmpkey) of a lower-cased version. */
function legacyKey(version: string): string[] {
  const parts: string[] = [];
  // split() with a capturing group keeps both the runs and the text between them.
  const pieces = [...version.split(/([0-9]+|[a-z]+|\.|-)/), 'final'];
  for (const piece of pieces) {
    const renamed = LEGACY_RENAME[piece] ?? piece;
    if (renamed === '' || renamed === '.') continue;
    if (/^[0-9]/.test(renamed)) {
      parts.push(renamed.padStart(8, '0'));
      continue;
    }
    const part = `*${renamed}`;
    // A "-" right before a pre-release tag means nothing.
    if (part < '*final') while (parts[parts.length - 1] === '*final-') parts.pop();
    // Trailing zeros of each series of numbers mean nothing.
    while (parts[parts.length - 1] === '00000000') parts.pop();
    parts.push(part);
  }
  return parts;
}

/** Python's tuple order on two tuples of strings. */
function compareTuples(a: readonly string[], b: readonly string[]): Ordering {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = compareStrings(a[i] ?? '', b[i] ?? '');
    if (d !== 0) return d;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Optional numbers where "absent" sorts below (-1) or above (1) every present number. */
function compareOptional(a: string | undefined, b: string | undefined, absent: -1 | 1): Ordering {
  if (a === undefined || b === undefined) {
    if (a === b) return 0;
    return a === undefined ? absent : (-absent as Ordering);
  }
  return compareDigits(a, b);
}

/** packaging's pre-release key: a bare dev release sorts before all pre-releases; none sorts last. */
function comparePre(a: Pep440Version, b: Pep440Version): Ordering {
  const rank = (v: Pep440Version): number =>
    v.pre ? v.pre.phase : v.post === undefined && v.dev !== undefined ? -1 : 3;
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  return a.pre && b.pre ? compareDigits(a.pre.number, b.pre.number) : 0;
}

function compareLocal(a: readonly string[] | undefined, b: readonly string[] | undefined): Ordering {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    const xNum = /^[0-9]+$/.test(x);
    const yNum = /^[0-9]+$/.test(y);
    const d = xNum && yNum ? compareDigits(x, y) : xNum ? 1 : yNum ? -1 : compareStrings(x, y);
    if (d !== 0) return d;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function comparePep440(a: Pep440Version, b: Pep440Version): Ordering {
  if (!a.pep440 || !b.pep440) {
    if (a.pep440 !== b.pep440) return a.pep440 ? 1 : -1;
    return compareTuples(a.legacyKey, b.legacyKey);
  }
  return (
    compareDigits(a.epoch, b.epoch) ||
    comparePaddedNumbers(a.release, b.release) ||
    comparePre(a, b) ||
    compareOptional(a.post, b.post, -1) ||
    compareOptional(a.dev, b.dev, 1) ||
    compareLocal(a.local, b.local)
  );
}

export const pep440 = defineScheme({ name: 'pep440', parse: parsePep440, compare: comparePep440 });
