/**
 * Alpine (apk) package versions, also used by Wolfi, Chainguard and MinimOS. Grammar from
 * apk-package(5):
 *
 *   number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}
 *
 * Ordering, part by part:
 * 1. numbers: the first by value; later ones by value too, unless either starts with `0`,
 *    in which case they compare as strings (Gentoo's rule: `1.01` < `1.1`, `1.05` > `1.010`);
 *    when one version has more numbers it is the greater (`1.0` < `1.0.0`, `1.0_p1` <
 *    `1.0.0`, `1.0-r5` < `1.0.0`), as apk-tools decides it;
 * 2. the optional single lower-case letter: none < `a` < ... < `z`;
 * 3. suffixes, each weighed `_alpha` < `_beta` < `_pre` < `_rc` < (no suffix) < `_cvs` <
 *    `_svn` < `_git` < `_hg` < `_p`, then by its number (missing = 0);
 * 4. the `-rN` revision by value (missing = 0: `1.0` = `1.0-r0`); the `~hash` is ignored.
 *
 * Versions that do not fit the grammar are still ordered (apk itself accepts them in
 * `apk version -t`, and releases of apk-tools disagree on how), the way OSV's own tooling
 * (osv-scalibr) orders them so that matching agrees with OSV: the part that parses is
 * compared as above, and when all of it is equal the version with trailing text sorts first
 * (`1-ruff` < `1`); two versions whose text after the parsed part does not start with `-r`
 * compare as plain strings.
 */
import {
  compareDigits,
  compareStrings,
  defineScheme,
  type Ordering,
  type ParsedVersion,
  requirePrintable,
} from './scheme.ts';

interface Suffix {
  readonly rank: number;
  readonly number: string;
}

export interface AlpineVersion extends ParsedVersion {
  /** Numeric components as written (leading zeros matter). */
  readonly numbers: readonly string[];
  /** `''` or a single lower-case letter. */
  readonly letter: string;
  readonly suffixes: readonly Suffix[];
  /** Digits of `-rN` (`''` = 0). */
  readonly revision: string;
  /** Text left over after the last part that parsed. */
  readonly rest: string;
  /** The leftover text does not start with a `-r` revision: the version is not apk-shaped at all. */
  readonly malformed: boolean;
}

const SUFFIX_RANK: Readonly<Record<string, number>> = {
  alpha: 0,
  beta: 1,
  pre: 2,
  rc: 3,
  cvs: 5,
  svn: 6,
  git: 7,
  hg: 8,
  p: 9,
};
const NO_SUFFIX: Suffix = { rank: 4, number: '' };

const NUMBERS = /^(?:\d+\.?)*/;
const SUFFIX = /^_(alpha|beta|pre|rc|cvs|svn|git|hg|p)(\d*)/;
const HASH = /^~[0-9a-f]+/;
const REVISION = /^-r(\d*)/;

function parseAlpine(version: string): AlpineVersion {
  requirePrintable('alpine', version);
  let rest = version;
  const numbersText = NUMBERS.exec(rest)?.[0] ?? '';
  rest = rest.slice(numbersText.length);
  // "1.2." leaves an empty last piece: the dot was consumed but starts no number.
  const numbers = numbersText === '' ? [] : numbersText.split('.').filter((n) => n !== '');

  let letter = '';
  if (/^[a-z]/.test(rest)) {
    letter = rest.charAt(0);
    rest = rest.slice(1);
  }

  const suffixes: Suffix[] = [];
  for (let m = SUFFIX.exec(rest); m; m = SUFFIX.exec(rest)) {
    suffixes.push({ rank: SUFFIX_RANK[m[1] ?? ''] ?? NO_SUFFIX.rank, number: m[2] ?? '' });
    rest = rest.slice(m[0].length);
  }

  rest = rest.slice(HASH.exec(rest)?.[0].length ?? 0);

  let revision = '';
  let malformed = false;
  if (rest !== '') {
    const m = REVISION.exec(rest);
    if (m) {
      revision = m[1] ?? '';
      rest = rest.slice(m[0].length);
    } else {
      malformed = true;
    }
  }
  return { raw: version, numbers, letter, suffixes, revision, rest, malformed };
}

function compareNumbers(a: readonly string[], b: readonly string[]): Ordering {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? '0';
    const y = b[i] ?? '0';
    const d = i > 0 && (x.startsWith('0') || y.startsWith('0')) ? compareStrings(x, y) : compareDigits(x, y);
    if (d !== 0) return d;
  }
  // apk: whatever follows the shorter list (letter, suffix, revision, end) sorts below one more number.
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function compareSuffixes(a: readonly Suffix[], b: readonly Suffix[]): Ordering {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? NO_SUFFIX;
    const y = b[i] ?? NO_SUFFIX;
    if (x.rank !== y.rank) return x.rank < y.rank ? -1 : 1;
    const d = compareDigits(x.number, y.number);
    if (d !== 0) return d;
  }
  return 0;
}

/** Trailing text that did not parse makes a version sort before the same version without it. */
function compareLeftovers(a: string, b: string): Ordering {
  if ((a === '') === (b === '')) return 0;
  return a === '' ? 1 : -1;
}

function compareAlpine(a: AlpineVersion, b: AlpineVersion): Ordering {
  if (a.malformed && b.malformed) return compareStrings(a.raw, b.raw);
  return (
    compareNumbers(a.numbers, b.numbers) ||
    // '' (no letter) sorts before any letter.
    compareStrings(a.letter, b.letter) ||
    compareSuffixes(a.suffixes, b.suffixes) ||
    compareDigits(a.revision, b.revision) ||
    compareLeftovers(a.rest, b.rest)
  );
}

export const alpine = defineScheme({ name: 'alpine', parse: parseAlpine, compare: compareAlpine });
