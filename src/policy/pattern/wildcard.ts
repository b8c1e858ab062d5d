/**
 * Kyverno's wildcard matching (`pkg/utils/wildcard`, which wraps IGLOU-EU/go-wildcard v1.0.3): `*` matches any
 * sequence of characters (also none), `?` exactly one character, everything else itself. The whole name must match,
 * there is no escaping, and `.` or `/` are ordinary characters. Characters are Unicode code points (Go runes).
 *
 * Kyverno's library recurses twice per `*`; this is the usual linear backtracking loop with the same answers.
 */

const SURROGATE = /[\uD800-\uDFFF]/;

/** True when `name` matches `pattern` (`*` any run, `?` one character). An empty pattern matches only "". */
export function wildcardMatch(pattern: string, name: string): boolean {
  if (pattern === '') return name === '';
  if (pattern === '*' || pattern === name) return true;
  // Without wildcards only the same text matches (most kinds, names and keys in policies).
  if (!containsWildcard(pattern)) return false;
  if (SURROGATE.test(pattern) || SURROGATE.test(name)) return matchUnits(Array.from(pattern), Array.from(name));
  return matchUnits(pattern, name);
}

/** True when the string holds a wildcard character (`*` or `?`). */
export function containsWildcard(s: string): boolean {
  return s.includes('*') || s.includes('?');
}

function matchUnits(pattern: ArrayLike<string>, name: ArrayLike<string>): boolean {
  let p = 0;
  let n = 0;
  let starP = -1;
  let starN = 0;
  while (n < name.length) {
    const c = p < pattern.length ? pattern[p] : undefined;
    if (c === '*') {
      starP = p++;
      starN = n;
    } else if (c !== undefined && (c === '?' || c === name[n])) {
      p++;
      n++;
    } else if (starP !== -1) {
      // Let the last `*` swallow one more character and retry from there.
      p = starP + 1;
      n = ++starN;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * The same match as a regular expression, for APIs that take one (certificate identity and issuer
 * in src/trust): anchored, `*` any run, `?` one character, the rest literal. Compiled with the `u`
 * flag it matches what wildcardMatch does, code point for code point.
 *
 * The text between two `*` is taken at its first occurrence, as wildcardMatch's loop takes it (a
 * later one never matches more), inside a lookahead that is never re-entered: `[\s\S]*` for every
 * `*` would let a backtracking engine try every split of the name, seconds for `*a*a*a*a*a*a*a*a*b`
 * against forty `a`s, while this stays linear in the name per part.
 */
export function wildcardRegexp(pattern: string): string {
  const [first = '', ...rest] = pattern.split('*').map(literalRegexp);
  const last = rest.pop();
  if (last === undefined) return `^${first}$`;
  const middle = rest.filter((part) => part !== '');
  return `^${first}${middle.map((part, i) => `(?=([\\s\\S]*?${part}))\\${i + 1}`).join('')}[\\s\\S]*${last}$`;
}

/** A wildcard pattern's text without `*`: `?` is one character, the rest literal. */
function literalRegexp(text: string): string {
  let source = '';
  for (const ch of text) source += ch === '?' ? '[\\s\\S]' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  return source;
}
