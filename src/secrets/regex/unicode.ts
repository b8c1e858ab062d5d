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
    for (const cp of foldables()) {
      if (cp < lo) continue;
      if (cp > hi) break;
      for (const other of orbit(cp)) if (!rangesHas(r, other)) extra.push(other, other);
    }
  }
  return extra.length === 0 ? r : union(r, normalise(extra));
}

let orbits: Map<number, number[]> | undefined;
let foldableList: number[] | undefined;

/** Code points that have another case, ascending. */
function foldables(): number[] {
  buildOrbits();
  return foldableList!;
}

function orbit(cp: number): number[] {
  buildOrbits();
  return orbits!.get(cp) ?? [];
}

/** Union-find over single-code-point case mappings: each class is one folding orbit. */
function buildOrbits(): void {
  if (orbits) return;
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
  orbits = new Map();
  for (const members of groups.values()) {
    if (members.length < 2) continue;
    for (const m of members) orbits.set(m, members.filter((x) => x !== m));
  }
  foldableList = [...orbits.keys()].sort((x, y) => x - y);
}

/** Code points whose case mapping changes them, found by the engine's own property table. */
function casedCodePoints(): number[] {
  const all: string[] = [];
  for (let cp = 0; cp <= 0x1ffff; cp++) if (cp < 0xd800 || cp > 0xdfff) all.push(String.fromCodePoint(cp));
  return Array.from(all.join('').matchAll(/\p{Changes_When_Casemapped}/gu), (m) => m[0].codePointAt(0)!);
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
