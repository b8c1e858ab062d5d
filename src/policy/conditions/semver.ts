/**
 * Strict semantic versions as github.com/blang/semver/v4 parses them, which Kyverno's numeric condition operators
 * fall back to for keys like "1.2.3": exactly `major.minor.patch`, no `v` prefix, no leading zeros, optional
 * `-prerelease` (dot-separated, alphanumerics and `-`) and `+build` (ignored in comparisons).
 */

export interface Semver {
  major: bigint;
  minor: bigint;
  patch: bigint;
  /** Prerelease identifiers: numeric ones as bigint, the others as strings. */
  pre: (bigint | string)[];
}

const NUMERIC = /^[0-9]+$/;
const ALPHANUM = /^[0-9A-Za-z-]+$/;
const UINT64_MAX = 2n ** 64n - 1n;

/** `strconv.ParseUint` of a version number with blang's extra rule: no leading zeros. */
function parseNumber(s: string): bigint | undefined {
  if (!NUMERIC.test(s) || (s.length > 1 && s[0] === '0')) return undefined;
  const n = BigInt(s);
  return n > UINT64_MAX ? undefined : n;
}

/** `semver.Parse`; undefined when blang would return an error. */
export function parseSemver(s: string): Semver | undefined {
  const firstDot = s.indexOf('.');
  const secondDot = firstDot === -1 ? -1 : s.indexOf('.', firstDot + 1);
  if (secondDot === -1) return undefined;
  const major = parseNumber(s.slice(0, firstDot));
  const minor = parseNumber(s.slice(firstDot + 1, secondDot));
  if (major === undefined || minor === undefined) return undefined;
  let rest = s.slice(secondDot + 1);
  const plus = rest.indexOf('+');
  if (plus !== -1) {
    const build = rest.slice(plus + 1).split('.');
    if (build.some((b) => !ALPHANUM.test(b))) return undefined;
    rest = rest.slice(0, plus);
  }
  let pre: Semver['pre'] = [];
  const dash = rest.indexOf('-');
  if (dash !== -1) {
    const parsed = rest
      .slice(dash + 1)
      .split('.')
      .map(parsePrerelease);
    if (parsed.some((p) => p === undefined)) return undefined;
    pre = parsed as Semver['pre'];
    rest = rest.slice(0, dash);
  }
  const patch = parseNumber(rest);
  if (patch === undefined) return undefined;
  return { major, minor, patch, pre };
}

function parsePrerelease(s: string): bigint | string | undefined {
  if (NUMERIC.test(s)) return parseNumber(s);
  return ALPHANUM.test(s) ? s : undefined;
}

function cmp<T extends bigint | string>(a: T, b: T): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `Version.Compare`: precedence by major, minor, patch, then prerelease (a release outranks its prereleases). */
export function compareSemver(a: Semver, b: Semver): -1 | 0 | 1 {
  const byNumbers = cmp(a.major, b.major) || cmp(a.minor, b.minor) || cmp(a.patch, b.patch);
  if (byNumbers !== 0) return byNumbers;
  if (a.pre.length === 0 || b.pre.length === 0) return a.pre.length === b.pre.length ? 0 : a.pre.length === 0 ? 1 : -1;
  for (let i = 0; i < a.pre.length && i < b.pre.length; i++) {
    const x = a.pre[i]!;
    const y = b.pre[i]!;
    let c: -1 | 0 | 1;
    if (typeof x === 'bigint' && typeof y === 'bigint') c = cmp(x, y);
    else if (typeof x === 'bigint') c = -1;
    else if (typeof y === 'bigint') c = 1;
    else c = cmp(x, y);
    if (c !== 0) return c;
  }
  return a.pre.length < b.pre.length ? -1 : a.pre.length > b.pre.length ? 1 : 0;
}
