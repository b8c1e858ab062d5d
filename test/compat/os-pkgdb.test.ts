/**
 * Compatibility suite: the OS package databases of ../shared/corpus/os-pkgdb (dpkg status files
 * and apk installed databases from osv-scalibr and Trivy tests) are catalogued and compared with
 * their expected.json: name and version, source name and version where given, and (Trivy's
 * Ubuntu status file) the resolved dependencies. Prints a scoreboard. Floor: 100% of cases.
 *
 * Two known differences from Trivy, checked precisely rather than ignored:
 * - Trivy splits Debian versions: its expected `version`/`sourceVersion` are the upstream part
 *   (no epoch, no Debian revision) while its dependency ids carry the full version, so for Trivy
 *   cases versions are compared in that form.
 * - Trivy resolves `Depends` only; Palisade also records `Pre-Depends` (a stronger dependency), so
 *   an edge beyond Trivy's must name a package in the stanza's Pre-Depends field.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../src/core/errors.ts';
import type { Package } from '../../src/core/types.ts';
import { catalogerByName } from '../../src/sbom/catalog/index.ts';
import { parseStanzas } from '../../src/sbom/catalog/os/dpkg.ts';
import { fileInput } from '../../src/sbom/catalog/run.ts';
import { corpusDir } from '../helpers/corpus.ts';

const CATALOGER_FOR_KIND: Record<string, string> = {
  'dpkg-status': 'os/dpkg',
  'apk-installed': 'os/apk',
};

interface ExpectedPackage {
  name: string;
  version: string;
  sourceName?: string;
  sourceVersion?: string;
  originName?: string;
  dependsOn?: string[];
}

interface Expected {
  source: { repo: string };
  file: string;
  expectError: boolean;
  packages: ExpectedPackage[];
}

/** `1:8-20180414-1ubuntu2` → `8-20180414`: Trivy's `Version` field. */
function upstreamVersion(version: string): string {
  const noEpoch = version.replace(/^\d+:/, '');
  const dash = noEpoch.lastIndexOf('-');
  return dash === -1 ? noEpoch : noEpoch.slice(0, dash);
}

/** The differences between one expected package and what was found, empty when they agree. */
function compare(
  want: ExpectedPackage,
  got: Package | undefined,
  trivy: boolean,
  byPurl: Map<string, Package>,
  preDepends: Map<string, Set<string>>,
): string[] {
  if (!got) return ['missing'];
  const version = (v: string | undefined) => (trivy && v ? upstreamVersion(v) : v);
  const problems: string[] = [];
  if (version(got.version) !== want.version) problems.push(`version ${got.version} ≠ ${want.version}`);
  const sourceName = want.sourceName ?? want.originName;
  if (sourceName && got.source?.name !== sourceName) problems.push(`source ${got.source?.name} ≠ ${sourceName}`);
  if (want.sourceVersion && version(got.source?.version) !== want.sourceVersion) {
    problems.push(`source version ${got.source?.version} ≠ ${want.sourceVersion}`);
  }
  if (want.dependsOn || trivy) {
    const deps = (got.dependsOn ?? []).map((purl) => byPurl.get(purl));
    const ids = deps.map((d) => `${d?.name}@${d?.version}`);
    const expected = want.dependsOn ?? [];
    const missing = expected.filter((e) => !ids.includes(e));
    const unexplained = deps.filter((d, i) => !expected.includes(ids[i]!) && !preDepends.get(want.name)?.has(d?.name ?? ''));
    if (missing.length > 0 || unexplained.length > 0) {
      problems.push(`dependsOn [${ids.sort().join(', ')}] ≠ [${[...expected].sort().join(', ')}]`);
    }
  }
  return problems;
}

/** Package name → the packages its Pre-Depends field names, directly or through Provides. */
function preDependsOf(status: string): Map<string, Set<string>> {
  const names = (field: string | undefined) => (field ?? '').split(/[,|]/).map((r) => r.trim().split(/[\s(:]/)[0]!);
  const stanzas = parseStanzas(status);
  const result = new Map<string, Set<string>>();
  for (const stanza of stanzas) {
    const wanted = new Set(names(stanza.fields.get('pre-depends')));
    for (const other of stanzas) {
      if (names(other.fields.get('provides')).some((p) => wanted.has(p))) wanted.add(other.fields.get('package') ?? '');
    }
    result.set(stanza.fields.get('package') ?? '', wanted);
  }
  return result;
}

const root = corpusDir('os-pkgdb');

describe.skipIf(!root)('OS package database compatibility (../shared/corpus/os-pkgdb)', () => {
  const kinds = root ? readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name) : [];

  for (const kind of kinds.sort()) {
    it(kind, async () => {
      const cataloger = catalogerByName(CATALOGER_FOR_KIND[kind] ?? '');
      const failures: string[] = [];
      let cases = 0;
      let passed = 0;
      let expectedCount = 0;
      let matched = 0;
      const kindDir = join(root!, kind);
      for (const caseName of readdirSync(kindDir).sort()) {
        const expectedPath = join(kindDir, caseName, 'expected.json');
        if (!existsSync(expectedPath)) continue;
        const expected = JSON.parse(readFileSync(expectedPath, 'utf8')) as Expected;
        cases++;
        expectedCount += expected.packages.length;
        if (!cataloger) {
          failures.push(`${caseName}: no cataloger for ${kind}`);
          continue;
        }
        let found: Package[] = [];
        let parseError: string | undefined;
        // A file the cataloger does not want (status.d/*.md5sums) yields no packages.
        if (cataloger.wants(expected.file)) {
          try {
            found = (await cataloger.catalog(fileInput(join(kindDir, caseName), expected.file))).packages;
          } catch (err) {
            if (!(err instanceof ParseError)) throw err;
            parseError = err.message;
          }
        }
        if (expected.expectError) {
          if (parseError !== undefined || found.length === 0) passed++;
          else failures.push(`${caseName}: expected an error, got ${found.length} packages`);
          continue;
        }
        const trivy = expected.source.repo === 'aquasecurity/trivy';
        const byPurl = new Map(found.map((p) => [p.purl, p]));
        const preDepends = trivy && kind === 'dpkg-status' ? preDependsOf(readFileSync(join(kindDir, caseName, expected.file), 'utf8')) : new Map();
        const problems: string[] = [];
        for (const want of expected.packages) {
          const got = found.find((p) => p.name === want.name);
          const diff = compare(want, got, trivy, byPurl, preDepends);
          if (diff.length === 0) matched++;
          else problems.push(`${want.name}: ${diff.join('; ')}`);
        }
        const extra = found.filter((p) => !expected.packages.some((w) => w.name === p.name)).map((p) => p.name);
        if (extra.length > 0) problems.push(`extra [${extra.join(', ')}]`);
        if (parseError) problems.push(`error ${parseError}`);
        if (problems.length === 0) passed++;
        else failures.push(`${caseName}: ${problems.join(' | ')}`);
      }
      console.log(`[compat] os-pkgdb/${kind}: ${passed}/${cases} cases, ${matched}/${expectedCount} packages agree`);
      for (const f of failures) console.log(`[compat]   ✗ ${f}`);
      expect(failures).toEqual([]);
    });
  }
});
