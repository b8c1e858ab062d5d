/**
 * Hackage (Haskell) versions per the Package Versioning Policy (https://pvp.haskell.org/):
 * one or more non-negative integers separated by dots, ordered like Data.Version — as lists of
 * integers, lexicographically, so a longer version wins when the shorter is its prefix
 * (`1.0` < `1.0.0`, `2.0` > `1.0.0`). Leading zeros do not count (`01` = `1`). Version tags
 * (`1.0-beta`), deprecated and unused on Hackage, are rejected.
 */
import {
  InvalidVersionError,
  compareNumericLists,
  defineScheme,
  type NumericListVersion,
  requirePrintable,
} from './scheme.ts';

function parseHackage(version: string): NumericListVersion {
  requirePrintable('hackage', version);
  if (!/^\d+(?:\.\d+)*$/.test(version)) {
    throw new InvalidVersionError('hackage', version, 'expected dot-separated non-negative integers');
  }
  return { raw: version, parts: version.split('.') };
}

export const hackage = defineScheme({
  name: 'hackage',
  parse: parseHackage,
  compare: (a: NumericListVersion, b: NumericListVersion) => compareNumericLists(a.parts, b.parts),
});
