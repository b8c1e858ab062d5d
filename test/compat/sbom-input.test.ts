/**
 * Compatibility suite for reading other tools' SBOMs (../shared/corpus/sbom):
 * - every CycloneDX and SPDX file under cyclonedx/, cyclonedx-xml/ and spdx/ reads without
 *   throwing; prints `[compat] sbom/<dir>/<file>: N packages, M without purl, …`;
 * - with-expectations/sbom-{cyclonedx,spdx}/<case>/ compare what is read with expected.json
 *   (osv-scalibr's extraction, which lists every component: with a purl of any type, and without
 *   one — identified by name, version or CPE). Our packages, unscannable components and
 *   components without a purl together must match it exactly. `expectError` cases pass when
 *   readSbom throws UNSUPPORTED_FORMAT. Floor: 100% of cases in a format readSbom supports; a
 *   case in an unsupported encoding (SPDX RDF) must fail with UNSUPPORTED_FORMAT and is listed.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PackageURL } from 'packageurl-js';
import { describe, expect, it } from 'vitest';
import { PalisadeError } from '../../src/core/errors.ts';
import { readSbom, type SbomReadResult } from '../../src/sbom/formats/read.ts';
import { corpusDir } from '../helpers/corpus.ts';

const root = corpusDir('sbom');

describe.skipIf(!root)('SBOM input compatibility (../shared/corpus/sbom)', () => {
  for (const dir of ['cyclonedx', 'cyclonedx-xml', 'spdx']) {
    it(`${dir}: every file reads`, () => {
      const files = root && existsSync(join(root, dir)) ? readdirSync(join(root, dir)).sort() : [];
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) {
        const result = readSbom(readFileSync(join(root!, dir, file), 'utf8'), file);
        console.log(
          `[compat] sbom/${dir}/${file}: ${result.packages.length} packages, ${result.withoutPurl.length} without purl, ` +
            `${result.unscannable.length} unscannable, ${result.issues.length} issues`,
        );
        expect(result.format).toBe(dir.startsWith('cyclonedx') ? 'cyclonedx' : 'spdx');
        expect(result.issues).toEqual([]);
      }
    });
  }

  for (const suite of ['sbom-cyclonedx', 'sbom-spdx']) {
    it(`with-expectations/${suite}`, () => {
      const suiteDir = join(root!, 'with-expectations', suite);
      const cases = readdirSync(suiteDir).filter((c) => existsSync(join(suiteDir, c, 'expected.json')));
      let passed = 0;
      const failures: string[] = [];
      const unsupported: string[] = [];
      for (const name of cases.sort()) {
        const expected = JSON.parse(readFileSync(join(suiteDir, name, 'expected.json'), 'utf8')) as Expected;
        const outcome = runCase(join(suiteDir, name, expected.file), expected);
        if (outcome.kind === 'pass') passed++;
        else if (outcome.kind === 'unsupported') unsupported.push(`${name}: ${outcome.detail}`);
        else failures.push(`${name}: ${outcome.detail}`);
      }
      const supported = cases.length - unsupported.length;
      console.log(`[compat] sbom/${suite}: ${passed}/${supported} cases (${unsupported.length} in unsupported formats)`);
      for (const f of failures) console.log(`[compat]   ✗ ${f}`);
      for (const u of unsupported) console.log(`[compat]   – unsupported format: ${u}`);
      expect(failures).toEqual([]);
      // Only SPDX RDF/XML is out of scope; everything else must be read.
      expect(unsupported.every((u) => u.includes('RDF'))).toBe(true);
    });
  }
});

interface ExpectedPackage {
  name: string;
  version: string | null;
  purlType?: string;
  cpes?: string[];
}

interface Expected {
  file: string;
  expectError: boolean;
  packages: ExpectedPackage[];
}

type Outcome = { kind: 'pass' } | { kind: 'fail' | 'unsupported'; detail: string };

function runCase(file: string, expected: Expected): Outcome {
  let result: SbomReadResult;
  try {
    result = readSbom(readFileSync(file, 'utf8'), file);
  } catch (err) {
    if (!(err instanceof PalisadeError) || err.code !== 'UNSUPPORTED_FORMAT') throw err;
    if (expected.expectError) return { kind: 'pass' };
    return /RDF/.test(err.message) ? { kind: 'unsupported', detail: err.message } : { kind: 'fail', detail: `threw ${err.message}` };
  }
  if (expected.expectError) return { kind: 'fail', detail: 'expected an error, read the file' };
  const ours = entries(result);
  const matched = new Set<number>();
  const missing: string[] = [];
  for (const want of expected.packages) {
    const wanted = `${want.purlType ?? '-'}|${want.name}|${want.version ?? ''}`;
    const i = ours.findIndex((o, n) => !matched.has(n) && o.keys.includes(wanted));
    if (i === -1) missing.push(wanted);
    else matched.add(i);
  }
  const extra = ours.filter((_, n) => !matched.has(n)).map((o) => o.label);
  if (missing.length === 0 && extra.length === 0) return { kind: 'pass' };
  return { kind: 'fail', detail: `missing [${missing.join(', ')}] extra [${extra.join(', ')}]` };
}

/**
 * Everything read, each with the keys it may be expected under: `purlType|name|version` where
 * name is the purl's name (osv-scalibr names packages by it) or ours, version ours or the purl's;
 * components without a purl as `-|name|version`, or `-|cpe|version` (scalibr names SPDX
 * components that have only a CPE after it).
 */
function entries(result: SbomReadResult): { label: string; keys: string[] }[] {
  const withPurl = (purl: string, names: string[], versions: (string | undefined)[]) => {
    const p = PackageURL.fromString(purl);
    const keys = [p.name, ...names].flatMap((n) => [...versions, p.version ?? undefined].map((v) => `${p.type}|${n}|${v ?? ''}`));
    return { label: purl, keys };
  };
  return [
    ...result.packages.map((p) => withPurl(p.purl, [p.name], [p.version])),
    ...result.unscannable.map((u) => withPurl(u.purl, [u.name], [u.version])),
    ...result.withoutPurl.map((w) => ({
      label: `${w.name}@${w.version ?? ''}`,
      keys: [w.name, ...(w.cpes ?? [])].map((n) => `-|${n}|${w.version ?? ''}`),
    })),
  ];
}
