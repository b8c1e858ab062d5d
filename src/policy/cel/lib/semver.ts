/**
 * Kubernetes' semver library: `semver(string)`, `semver(string, normalize)`, `isSemver(string)`,
 * `isSemver(string, normalize)`, `major()`, `minor()`, `patch()`, `isLessThan`,
 * `isGreaterThan`, `compareTo`. `normalize` accepts a leading `v` and missing minor/patch
 * (`v1.2` is 1.2.0), as Kubernetes does.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { compareSemVer, parseSemVer, type SemVer } from '../../variables/semver.ts';
import { CelEvalError } from '../errors.ts';

export class CelSemver {
  readonly v: SemVer;
  private readonly text: string;

  constructor(v: SemVer, text: string) {
    this.v = v;
    this.text = text;
  }

  compareTo(other: CelSemver): number {
    return compareSemVer(this.v, other.v);
  }

  toString(): string {
    return this.text;
  }

  toJSON(): string {
    return this.text;
  }
}

function normalized(s: string): string {
  let t = s.startsWith('v') ? s.slice(1) : s;
  const core = /^[0-9.]+/.exec(t)?.[0] ?? '';
  const rest = t.slice(core.length);
  const parts = core.split('.').filter((p) => p !== '');
  while (parts.length < 3) parts.push('0');
  // Leading zeros are dropped rather than rejected when normalizing.
  t = parts.map((p) => String(BigInt(p))).join('.') + rest;
  return t;
}

function parse(s: string, normalize: boolean): CelSemver {
  const text = normalize ? normalized(s) : s;
  try {
    return new CelSemver(parseSemVer(text), text);
  } catch (err) {
    throw new CelEvalError(`could not parse semver ${JSON.stringify(s)}: ${(err as Error).message}`);
  }
}

function valid(s: string, normalize: boolean): boolean {
  try {
    parse(s, normalize);
    return true;
  } catch {
    return false;
  }
}

export function registerSemver(env: Environment): void {
  env
    .registerType('Semver', CelSemver)
    .registerFunction('semver(string): Semver', (s: string) => parse(s, false))
    .registerFunction('semver(string, bool): Semver', (s: string, n: boolean) => parse(s, n))
    .registerFunction('isSemver(string): bool', (s: string) => valid(s, false))
    .registerFunction('isSemver(string, bool): bool', (s: string, n: boolean) => valid(s, n))
    .registerFunction('Semver.major(): int', (v: CelSemver) => v.v.major)
    .registerFunction('Semver.minor(): int', (v: CelSemver) => v.v.minor)
    .registerFunction('Semver.patch(): int', (v: CelSemver) => v.v.patch)
    .registerFunction('Semver.isLessThan(Semver): bool', (a: CelSemver, b: CelSemver) => a.compareTo(b) < 0)
    .registerFunction('Semver.isGreaterThan(Semver): bool', (a: CelSemver, b: CelSemver) => a.compareTo(b) > 0)
    .registerFunction('Semver.compareTo(Semver): int', (a: CelSemver, b: CelSemver) => BigInt(Math.sign(a.compareTo(b))))
    .registerOperator('Semver == Semver', (a: CelSemver, b: CelSemver) => a.compareTo(b) === 0);
}
