/** Assertions shared by the version-scheme tests: every comparison is checked in both directions. */
import { expect } from 'vitest';
import { InvalidVersionError, type VersionScheme } from '../../../src/vuln/versions/index.ts';

export type Op = '<' | '=' | '>';
export type Row = readonly [string, Op, string];

const SIGN: Record<Op, number> = { '<': -1, '=': 0, '>': 1 };

export function expectOrder(scheme: VersionScheme, a: string, op: Op, b: string): void {
  expect(scheme.compare(a, b), `${a} ${op} ${b}`).toBe(SIGN[op]);
  expect(scheme.compare(b, a), `${b} reversed ${op} ${a}`).toBe(-SIGN[op] || 0);
}

/** Every version is strictly greater than all those before it. */
export function expectAscending(scheme: VersionScheme, versions: readonly string[]): void {
  versions.forEach((a, i) => {
    versions.slice(i + 1).forEach((b) => expectOrder(scheme, a, '<', b));
  });
}

export function expectInvalid(scheme: VersionScheme, version: string): void {
  expect(scheme.isValid(version), JSON.stringify(version)).toBe(false);
  let thrown: unknown;
  try {
    scheme.parse(version);
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(InvalidVersionError);
  expect((thrown as InvalidVersionError).code).toBe('INVALID_VERSION');
  expect(() => scheme.compare(version, '1')).toThrow(InvalidVersionError);
}
