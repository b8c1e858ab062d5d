/**
 * CRAN (R) package versions, ordered like R's package_version / numeric_version: non-negative
 * integers separated by `.` or `-` (the two separators are equivalent: `1.0-1` = `1.0.1`),
 * compared as integer lists, a longer version winning when the shorter is its prefix
 * (`0.1.0` < `0.1.0.0`). Leading zeros do not count (`0.01` = `0.1`). R requires two
 * integers for a package version; a single one is accepted here like numeric_version does.
 */
import {
  InvalidVersionError,
  compareNumericLists,
  defineScheme,
  type NumericListVersion,
  requirePrintable,
} from './scheme.ts';

function parseCran(version: string): NumericListVersion {
  requirePrintable('cran', version);
  if (!/^\d+(?:[.-]\d+)*$/.test(version)) {
    throw new InvalidVersionError('cran', version, 'expected non-negative integers separated by "." or "-"');
  }
  return { raw: version, parts: version.split(/[.-]/) };
}

export const cran = defineScheme({
  name: 'cran',
  parse: parseCran,
  compare: (a: NumericListVersion, b: NumericListVersion) => compareNumericLists(a.parts, b.parts),
});
