/**
 * The Unicode data the RE2 parser needs, derived from the JavaScript engine's own tables instead
 * of shipped copies: case-folding orbits for `(?i)` and the code points of `\p{Name}` classes.
 * Both are computed once, on first use, and only when a pattern needs more than ASCII.
 */
import { MAX_CODE_POINT, normalise, rangesHas, union, type Ranges } from './ranges.ts';

/**
 * Adds to a set every character that matches one of its members case-insensitively, as Go's
 * `(?i)` does (simple case folding: `k` also matches U+212A KELVIN SIGN, `s` U+017F LONG S).
 */
export function foldRanges(r: Ranges): Ranges {
  const extra: Ranges = [];
  const overlaps = (lo: number, hi: number, a: number, b: number) => lo <= b && hi >= a;
  for (let i = 0; i < r.length; i += 2) {
    const lo = r[i]!;
    const hi = r[i + 1]!;
    if (overlaps(lo, hi, 0x41, 0x5a)) extra.push(Math.max(lo, 0x41) + 32, Math.min(hi, 0x5a) + 32);
    if (overlaps(lo, hi, 0x61, 0x7a)) extra.push(Math.max(lo, 0x61) - 32, Math.min(hi, 0x7a) - 32);
    if (overlaps(lo, hi, 0x4b, 0x4b) || overlaps(lo, hi, 0x6b, 0x6b)) extra.push(0x212a, 0x212a);
    if (overlaps(lo, hi, 0x53, 0x53) || overlaps(lo, hi, 0x73, 0x73)) extra.push(0x17f, 0x17f);
    if (hi < 0x80) continue;
    // Every member of an orbit with a member in [lo, hi] that the set lacks. An orbit wholly inside
    // [lo, hi] adds nothing, so only orbits that straddle its ends need looking at: a negated class
    // under (?i) then costs a pass over the orbit bounds instead of one per cased character.
    const { min, max, members } = orbitTable();
    for (let o = 0; o < members.length; o++) {
      if (max[o]! < lo || min[o]! > hi || (min[o]! >= lo && max[o]! <= hi)) continue;
      for (const cp of members[o]!) {
        if (cp < lo || cp > hi) continue;
        for (const other of members[o]!) if (other !== cp && !rangesHas(r, other)) extra.push(other, other);
      }
    }
  }
  return extra.length === 0 ? r : union(r, normalise(extra));
}

interface OrbitTable {
  /** Per orbit: its smallest and largest code point and its members, ascending. */
  min: Int32Array;
  max: Int32Array;
  members: number[][];
}

let orbits: OrbitTable | undefined;

/** Union-find over single-code-point case mappings: each class of two or more is one folding orbit. */
function orbitTable(): OrbitTable {
  if (orbits) return orbits;
  const parent = new Map<number, number>();
  const find = (x: number): number => {
    let root = x;
    while (parent.has(root) && parent.get(root) !== root) root = parent.get(root)!;
    return root;
  };
  const join = (x: number, y: number) => {
    const rx = find(x);
    const ry = find(y);
    if (!parent.has(rx)) parent.set(rx, rx);
    if (!parent.has(ry)) parent.set(ry, ry);
    if (rx !== ry) parent.set(Math.max(rx, ry), Math.min(rx, ry));
  };
  for (const cp of casedCodePoints()) {
    const ch = String.fromCodePoint(cp);
    for (const mapped of [ch.toLowerCase(), ch.toUpperCase()]) {
      if (mapped === ch) continue;
      const m = mapped.codePointAt(0)!;
      if (String.fromCodePoint(m) !== mapped) continue; // multi-character mappings are not simple folds
      join(cp, m);
    }
  }
  const groups = new Map<number, number[]>();
  for (const cp of parent.keys()) {
    const root = find(cp);
    const list = groups.get(root) ?? [];
    list.push(cp);
    groups.set(root, list);
  }
  const members = [...groups.values()].filter((g) => g.length >= 2).map((g) => g.sort((x, y) => x - y));
  orbits = { min: Int32Array.from(members, (g) => g[0]!), max: Int32Array.from(members, (g) => g.at(-1)!), members };
  return orbits;
}

/**
 * Code points whose case mapping changes them, found by the engine's own property table: one
 * string of every code point up to U+1FFFF, built from UTF-16 units, searched once.
 */
function casedCodePoints(): number[] {
  const units = new Uint16Array(0x10000 - 0x800 + 0x10000 * 2);
  let n = 0;
  for (let cp = 0; cp <= 0xffff; cp++) if (cp < 0xd800 || cp > 0xdfff) units[n++] = cp;
  for (let cp = 0x10000; cp <= 0x1ffff; cp++) {
    units[n++] = 0xd800 + ((cp - 0x10000) >> 10);
    units[n++] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
  }
  const text = new TextDecoder('utf-16le').decode(units.subarray(0, n));
  return Array.from(text.matchAll(/\p{Changes_When_Casemapped}/gu), (m) => m[0].codePointAt(0)!);
}

const classCache = new Map<string, Ranges | undefined>();

/**
 * `\p{Name}`: a general category (`L`, `Lu`, `Nd` …), a script (`Greek`, `Han` …) or `Any`,
 * as Go names them; undefined for a name Go would reject.
 */
export function unicodeClass(name: string): Ranges | undefined {
  if (classCache.has(name)) return classCache.get(name);
  let ranges: Ranges | undefined;
  if (name === 'Any') ranges = [0, MAX_CODE_POINT];
  else {
    const re = propertyRegex(name);
    if (re) ranges = scan(re);
  }
  classCache.set(name, ranges);
  return ranges;
}

function propertyRegex(name: string): RegExp | undefined {
  if (!/^[A-Za-z_]+$/.test(name)) return undefined;
  // Go accepts one- and two-letter general categories and script names; JavaScript spells scripts `Script=`.
  const candidates = name.length <= 2 ? [`\\p{General_Category=${name}}`] : [`\\p{Script=${name}}`];
  for (const source of candidates) {
    try {
      return new RegExp(`^${source}$`, 'u');
    } catch {
      // not a property this engine knows
    }
  }
  return undefined;
}

function scan(re: RegExp): Ranges {
  const out: Ranges = [];
  let start = -1;
  for (let cp = 0; cp <= MAX_CODE_POINT + 1; cp++) {
    const inSet = cp <= MAX_CODE_POINT && !(cp >= 0xd800 && cp <= 0xdfff) && re.test(String.fromCodePoint(cp));
    if (inSet && start < 0) start = cp;
    if (!inSet && start >= 0) {
      out.push(start, cp - 1);
      start = -1;
    }
  }
  return out;
}
