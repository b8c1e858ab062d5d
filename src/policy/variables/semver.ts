/**
 * semver_compare semantics: strict SemVer 2.0 versions and the range language of blang/semver v4
 * (`>=1.2.3 <2.0.0`, `<1.0.0 || >=3.0.0`, `!1.2.3`, wildcards `1.x`, `1.2.x`), including its
 * wildcard expansion rules, which Kyverno inherits.
 */

export interface SemVer {
  major: bigint;
  minor: bigint;
  patch: bigint;
  pre: (string | bigint)[];
}

export class SemVerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SemVerError';
  }
}

const NUMERIC = /^\d+$/;
const ALPHANUM = /^[0-9A-Za-z-]+$/;

function parseNumber(part: string, what: string): bigint {
  if (!NUMERIC.test(part)) throw new SemVerError(`Invalid character(s) found in ${what} number "${part}"`);
  if (part.length > 1 && part[0] === '0') throw new SemVerError(`${what[0]!.toUpperCase()}${what.slice(1)} number must not contain leading zeroes "${part}"`);
  return BigInt(part);
}

export function parseSemVer(s: string): SemVer {
  if (s.length === 0) throw new SemVerError('Version string empty');
  const first = s.indexOf('.');
  const second = first < 0 ? -1 : s.indexOf('.', first + 1);
  if (second < 0) throw new SemVerError('No Major.Minor.Patch elements found');
  const major = parseNumber(s.slice(0, first), 'major');
  const minor = parseNumber(s.slice(first + 1, second), 'minor');
  const tail = s.slice(second + 1);
  const preIndex = tail.indexOf('-');
  const buildIndex = tail.indexOf('+');
  let end = tail.length;
  if (preIndex >= 0 && buildIndex >= 0) end = Math.min(preIndex, buildIndex);
  else if (preIndex >= 0) end = preIndex;
  else if (buildIndex >= 0) end = buildIndex;
  const patch = parseNumber(tail.slice(0, end), 'patch');
  const pre: (string | bigint)[] = [];
  if (preIndex >= 0 && (buildIndex < 0 || preIndex < buildIndex)) {
    const text = tail.slice(preIndex + 1, buildIndex < 0 ? undefined : buildIndex);
    for (const id of text.split('.')) {
      if (id === '') throw new SemVerError('Prerelease is empty');
      if (NUMERIC.test(id)) {
        if (id.length > 1 && id[0] === '0') throw new SemVerError(`Numeric PreRelease version must not contain leading zeroes "${id}"`);
        pre.push(BigInt(id));
      } else if (ALPHANUM.test(id)) pre.push(id);
      else throw new SemVerError(`Invalid character(s) found in prerelease "${id}"`);
    }
  }
  if (buildIndex >= 0) {
    for (const id of tail.slice(buildIndex + 1).split('.')) {
      if (id === '') throw new SemVerError('Build meta data is empty');
      if (!ALPHANUM.test(id)) throw new SemVerError(`Invalid character(s) found in build meta data "${id}"`);
    }
  }
  return { major, minor, patch, pre };
}

const cmp = (a: bigint | string, b: bigint | string): number => (a === b ? 0 : a < b ? -1 : 1);

export function compareSemVer(a: SemVer, b: SemVer): number {
  for (const key of ['major', 'minor', 'patch'] as const) {
    const c = cmp(a[key], b[key]);
    if (c !== 0) return c;
  }
  if (a.pre.length === 0 || b.pre.length === 0) return a.pre.length === b.pre.length ? 0 : a.pre.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.min(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i] as string | bigint;
    const y = b.pre[i] as string | bigint;
    if (typeof x !== typeof y) return typeof x === 'bigint' ? -1 : 1;
    const c = cmp(x, y);
    if (c !== 0) return c;
  }
  return cmp(BigInt(a.pre.length), BigInt(b.pre.length));
}

export type SemVerRange = (v: SemVer) => boolean;

const COMPARATORS: Readonly<Record<string, (c: number) => boolean>> = {
  '': (c) => c === 0,
  '=': (c) => c === 0,
  '==': (c) => c === 0,
  '!': (c) => c !== 0,
  '!=': (c) => c !== 0,
  '>': (c) => c > 0,
  '>=': (c) => c >= 0,
  '<': (c) => c < 0,
  '<=': (c) => c <= 0,
};

/** Splits on spaces, except right after `>`, `<`, `=` (so `> 1.0.0` stays one part). */
function splitAndTrim(s: string): string[] {
  const result: string[] = [];
  let last = 0;
  let lastChar = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === ' ' && !['>', '<', '='].includes(lastChar)) {
      if (last < i - 1) result.push(s.slice(last, i));
      last = i + 1;
    } else if (s[i] !== ' ') lastChar = s[i] as string;
  }
  if (last < s.length - 1) result.push(s.slice(last));
  return result.map((p) => p.replaceAll(' ', ''));
}

function splitComparatorVersion(s: string): [string, string] {
  const i = s.search(/\d/);
  if (i < 0) throw new SemVerError(`Could not get version from string: "${s}"`);
  return [s.slice(0, i).trim(), s.slice(i)];
}

/** blang's wildcard expansion: `>=1.2.x` → `>=1.2.0`, `1.x` → `>=1.0.0 <2.0.0`, … */
function expandWildcards(parts: string[]): string[] {
  const expanded: string[] = [];
  for (let part of parts) {
    if (part.includes('x')) {
      const [op, version] = splitComparatorVersion(part);
      const pieces = version.split('.');
      const wildcard = pieces[pieces.length - 1] === 'x' ? pieces.length : 0; // 2: minor, 3: patch
      let flat = version.replace('.x.x', '.x').replace('.x', '.0');
      if (flat.split('.').length === 2) flat += '.0';
      let resultOp = '';
      let increment = false;
      if (op === '>') [resultOp, increment] = ['>=', true];
      else if (op === '>=') resultOp = '>=';
      else if (op === '<') resultOp = '<';
      else if (op === '<=') [resultOp, increment] = ['<', true];
      else if (op === '' || op === '=' || op === '==') {
        expanded.push(`>=${flat}`);
        [resultOp, increment] = ['<', true];
      } else if (op === '!=' || op === '!') {
        expanded.push(`<${flat}`);
        [resultOp, increment] = ['>=', true];
      }
      let resultVersion = flat;
      if (increment) {
        const nums = flat.split('.');
        const index = wildcard === 3 ? 1 : wildcard === 2 ? 0 : -1;
        if (index >= 0 && NUMERIC.test(nums[index] ?? '')) {
          nums[index] = String(Number(nums[index]) + 1);
          resultVersion = nums.join('.');
        } else resultVersion = '';
      }
      part = resultOp + resultVersion;
    }
    expanded.push(part);
  }
  return expanded;
}

export function parseSemVerRange(s: string): SemVerRange {
  const parts = splitAndTrim(s);
  const groups: string[][] = [];
  let last = 0;
  parts.forEach((p, i) => {
    if (p !== '||') return;
    if (i === 0) throw new SemVerError("First element in range is '||'");
    groups.push(parts.slice(last, i));
    last = i + 1;
  });
  if (last === parts.length) throw new SemVerError("Last element in range is '||'");
  groups.push(parts.slice(last));
  const alternatives = groups.map((group) =>
    expandWildcards(group).map((part): SemVerRange => {
      const [op, version] = splitComparatorVersion(part);
      const check = COMPARATORS[op];
      if (!check) throw new SemVerError(`Could not parse Range "${part}": Could not parse comparator "${op}" in "${part}"`);
      let bound: SemVer;
      try {
        bound = parseSemVer(version);
      } catch (e) {
        throw new SemVerError(`Could not parse Range "${part}": Could not parse version "${version}" in "${part}": ${(e as Error).message}`);
      }
      return (v) => check(compareSemVer(v, bound));
    }),
  );
  return (v) => alternatives.some((all) => all.every((f) => f(v)));
}
