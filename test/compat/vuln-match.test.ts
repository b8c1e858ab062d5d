/**
 * Compatibility suite for vulnerability matching: ../shared/corpus/osv is imported into a fresh
 * database, and matchPackages is checked against expectations read off the advisories
 * themselves. The oracle never calls src/vuln/osv/affected.ts or a version scheme: it only uses
 * what a record states literally, plus plain numeric comparison (`1.2.10` > `1.2.9`, `1.0` =
 * `1.0.0`) where it must tell whether a version lies in another range.
 *
 * 1. Probes. For every record (the newest copy of each id) and every package it names, grouping
 *    the affected entries of one package (same ecosystem, same name up to the ecosystem's case
 *    and PEP 503 rules) because OSV evaluates them together:
 *    - listed: each version in an entry's `versions` must be reported (the list is authoritative
 *      whatever the ranges say, GIT ranges included);
 *    - introduced: each non-zero `introduced` of a SEMVER/ECOSYSTEM range must be reported,
 *      except when the same range also has a `fixed` of that version (the order of the two is
 *      ambiguous) or a `limit` (none in the corpus). Other ranges can only add affected versions,
 *      so nothing else can make it unaffected. RustSec's `0.0.0-0` ("from the start") is
 *      skipped like `0`;
 *    - fixed: each `fixed` must NOT be reported, unless it is in a `versions` list of the package
 *      (then affected), equals an `introduced` of any range of the package (ambiguous), or the
 *      package has several distinct ranges and another one covers it. That last case is decided
 *      with numeric comparison when every event version of the package is numeric, and skipped
 *      otherwise (one range walked in version order can never leave its own `fixed` affected;
 *      several ranges need an ordering the oracle does not have);
 *    - an event that holds more than one version (`"7.2.4, 6.11.4"`) is probed per part as a
 *      reader would take it, and disputed (no matcher can order it);
 *    - withdrawn: a withdrawn record must never be reported, for any version it names;
 *    - spelling: the first affected version again, under another spelling of the name that the
 *      ecosystem's rules make the same package (PEP 503 for PyPI; case for npm, NuGet, Packagist,
 *      Maven), must be reported;
 *    - other-release: the affected versions of a distribution package again, under a release the
 *      record does not name (Ubuntu's Pro stream ↔ the ordinary one, Debian N → N+1), must not.
 *    Each probe is a synthetic package (name, version, ecosystem as the entry writes them; for
 *    Debian/Ubuntu/Alpine `distro` is the full ecosystem, e.g. `Debian:9`, and `source` the name)
 *    matched against the database; it passes when the record id is (or is not) among the
 *    `vuln.advisories` of the package's findings. Ecosystems Palisade does not match by design
 *    are counted apart (UNMATCHABLE). Floor: 100% of probes not listed in DISPUTED.
 * 2. Corpus inputs. Every lockfile fixture of ../shared/corpus/lockfiles (catalogPath on the
 *    case's file, expectError cases skipped; see catalogCase for files refused by name) and every
 *    JSON SBOM in sbom/cyclonedx and sbom/spdx (readSbom) is matched against the database.
 *    - For each finding whose advisory has an explicit `versions` list for the package: confirmed
 *      (installed version listed) or unconfirmed-by-list (reported through a range).
 *    - For each scanned package and each record naming it, the oracle's verdict (corpusOracle:
 *      withdrawn, a probe of that exact version, listed, or numeric order when every version
 *      involved is numeric; else undecided) must agree with the findings both ways. A finding
 *      the oracle says is unaffected, or an affected verdict without a finding, is contradicted.
 *      Floor: 0 contradicted (outside DISPUTED).
 * Prints per ecosystem: probes by rule, passed, failed, disputed, skipped (and why); for the
 * corpus inputs: inputs, packages, findings, confirmed / unconfirmed-by-list, verdicts,
 * undecided, contradicted.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PalisadeError } from '../../src/core/errors.ts';
import type { Ecosystem, Package } from '../../src/core/types.ts';
import { importOsv } from '../../src/vuln/db/import.ts';
import { openVulnDb, type VulnDb } from '../../src/vuln/db/store.ts';
import { matchPackages, type MatchResult } from '../../src/vuln/match.ts';
import { catalogerByName } from '../../src/sbom/catalog/index.ts';
import { catalogPath, fileInput } from '../../src/sbom/catalog/run.ts';
import { readSbom } from '../../src/sbom/formats/read.ts';
import { corpusDir } from '../helpers/corpus.ts';

const osvRoot = corpusDir('osv');

/**
 * Probes whose expectation the advisory data itself contradicts, by `record|ecosystem|name|version|rule`
 * (or `record|ecosystem|name` for every probe of a package). Still run and printed, not counted
 * against the floor. Keep each reason precise enough to re-check.
 */
const DISPUTED: Record<string, string> = {
  'GHSA-h755-8qp9-cq85|npm|protobufjs|7.2.4|fixed':
    'the range is [introduced 6.10.0, fixed "7.2.4, 6.11.4"]: one event holding two versions, which no ordering can place; ' +
    'the matcher drops the event with a warning, so the range has no end and 7.2.4 (the intended 7.x fix) reads as affected',
  'GHSA-h755-8qp9-cq85|npm|protobufjs|6.11.4|fixed':
    'same malformed event as 7.2.4: 6.11.4 (the intended 6.x fix) reads as affected once the event is dropped',
};

/** Ecosystems whose records name things Palisade never scans as packages. */
const UNMATCHABLE: Record<string, string> = {
  'OSS-Fuzz': 'OSS-Fuzz entries name fuzzing projects and list git tags as versions; there is no package ecosystem to scan',
};

/** Ecosystems whose packages are matched by distribution release and source package. */
const OS_ECOSYSTEMS = new Set(['Debian', 'Ubuntu', 'Alpine']);

type Expectation = 'affected' | 'unaffected';
type Rule = 'listed' | 'introduced' | 'fixed' | 'withdrawn' | 'spelling' | 'other-release';

interface Probe {
  record: string;
  /** As the entry writes it (`PyPI`, `Debian:9`, `Ubuntu:Pro:16.04:LTS`). */
  ecosystem: string;
  name: string;
  version: string;
  expect: Expectation;
  rule: Rule;
}

interface RawEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
  limit?: string;
}
interface RawRange {
  type: string;
  events?: RawEvent[];
}
interface RawAffected {
  package?: { ecosystem: string; name: string };
  ranges?: RawRange[];
  versions?: string[];
}
interface RawRecord {
  id: string;
  modified: string;
  withdrawn?: string;
  affected?: RawAffected[];
}

const baseOf = (ecosystem: string) => ecosystem.split(':')[0]!;

/**
 * Package-name identity per ecosystem, from the ecosystems' own rules: PEP 503 for PyPI;
 * case-insensitive registries (npm resolves case-insensitively and GHSA writes `Axios`; NuGet,
 * Packagist, Maven coordinates as advisories spell them); exact elsewhere (Go module paths,
 * crates, gems and distribution packages are case-sensitive).
 */
function foldName(ecosystem: string, name: string): string {
  const base = baseOf(ecosystem);
  if (base === 'PyPI') return name.toLowerCase().replace(/[-_.]+/g, '-');
  if (['npm', 'NuGet', 'Packagist', 'Maven', 'Pub', 'Hex'].includes(base)) return name.toLowerCase();
  return name;
}

const packageKey = (ecosystem: string, name: string) => `${ecosystem.toLowerCase()}\0${foldName(ecosystem, name)}`;

/** Go tooling writes `v1.2.3`, OSV records `1.2.3`; the same version either way. */
const osvVersion = (ecosystem: string, version: string) => (baseOf(ecosystem) === 'Go' ? version.replace(/^v/, '') : version);

/** The newest copy of every record id (the importer's rule too), read as plain JSON. */
function loadRecords(dir: string): Map<string, RawRecord> {
  const newest = new Map<string, RawRecord>();
  for (const eco of readdirSync(dir, { withFileTypes: true })) {
    if (!eco.isDirectory()) continue;
    for (const file of readdirSync(join(dir, eco.name)).sort()) {
      if (!file.endsWith('.json')) continue;
      const record = JSON.parse(readFileSync(join(dir, eco.name, file), 'utf8')) as RawRecord;
      const seen = newest.get(record.id);
      if (!seen || Date.parse(record.modified) > Date.parse(seen.modified)) newest.set(record.id, record);
    }
  }
  return newest;
}

// ─── The oracle's only ordering: dotted numbers ─────────────────────────────────────────────

const NUMERIC = /^\d+(\.\d+)*$/;

function compareNumeric(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

const sameVersion = (a: string, b: string) => a === b || (NUMERIC.test(a) && NUMERIC.test(b) && compareNumeric(a, b) === 0);

/** "From the beginning": OSV's `0`, and the `0.0.0-0` RustSec writes for it. */
const isStartSentinel = (v: string) => v === '0' || v === '0.0.0-0';

const eventsOf = (range: RawRange) =>
  (range.events ?? []).flatMap((e) => Object.entries(e).map(([kind, version]) => ({ kind, version: String(version) })));

/** OSV's walk over one range whose event versions are all numeric (or a start sentinel). */
function numericRangeCovers(range: RawRange, version: string): boolean {
  const events = eventsOf(range)
    .map((e) => (isStartSentinel(e.version) ? { ...e, version: '0' } : e))
    .sort((a, b) => compareNumeric(a.version, b.version));
  let affected = false;
  for (const e of events) {
    if (e.kind === 'introduced' && compareNumeric(version, e.version) >= 0) affected = true;
    else if (e.kind === 'fixed' && compareNumeric(version, e.version) >= 0) affected = false;
    else if (e.kind === 'last_affected' && compareNumeric(version, e.version) > 0) affected = false;
  }
  return affected;
}

interface ProbeSet {
  probes: Probe[];
  /** Per base ecosystem: why versions named by a record were not probed. */
  skipped: Map<string, Map<string, number>>;
}

function skip(set: ProbeSet, ecosystem: string, reason: string): void {
  const byReason = set.skipped.get(baseOf(ecosystem)) ?? new Map<string, number>();
  byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
  set.skipped.set(baseOf(ecosystem), byReason);
}

/** Every probe the records support, one per (record, package, version, rule). */
function deriveProbes(records: Map<string, RawRecord>): ProbeSet {
  const set: ProbeSet = { probes: [], skipped: new Map() };
  for (const record of records.values()) {
    const packages = new Map<string, RawAffected[]>();
    for (const entry of record.affected ?? []) {
      if (!entry.package) continue;
      const key = packageKey(entry.package.ecosystem, entry.package.name);
      packages.set(key, [...(packages.get(key) ?? []), entry]);
    }
    for (const entries of packages.values()) {
      const probes = packageProbes(record, entries, set);
      set.probes.push(...probes, ...variantProbes(record, probes));
    }
  }
  return set;
}

/** The listed/introduced/fixed (or withdrawn) probes of one package of one record. */
function packageProbes(record: RawRecord, entries: RawAffected[], set: ProbeSet): Probe[] {
  const { ecosystem, name } = entries[0]!.package!;
  const probes = new Map<string, Probe>();
  const add = (version: string, expectation: Expectation, rule: Rule) => {
    if (!probes.has(version)) probes.set(version, { record: record.id, ecosystem, name, version, expect: expectation, rule });
  };
  const listed = entries.flatMap((e) => e.versions ?? []);
  // Identical ranges repeated across entries (Go splits a module by imported package) are one.
  const ranges = [...new Map(entries.flatMap((e) => e.ranges ?? []).filter((r) => r.type !== 'GIT').map((r) => [JSON.stringify(r.events), r])).values()];
  if (record.withdrawn) {
    for (const v of listed) add(v, 'unaffected', 'withdrawn');
    for (const r of ranges) for (const e of eventsOf(r)) if (!isStartSentinel(e.version)) add(e.version, 'unaffected', 'withdrawn');
    return [...probes.values()];
  }
  for (const v of listed) add(v, 'affected', 'listed');
  const allEvents = ranges.flatMap(eventsOf);
  const allNumeric = allEvents.every((e) => NUMERIC.test(e.version) || isStartSentinel(e.version));
  for (const range of ranges) {
    const events = eventsOf(range);
    if (events.some((e) => e.kind === 'limit')) {
      skip(set, ecosystem, 'range with a limit event');
      continue;
    }
    for (const e of events) {
      if (/[,\s]/.test(e.version)) {
        // Not one version (GHSA-h755-8qp9-cq85: `"fixed": "7.2.4, 6.11.4"`): probe each part as a
        // reader would take it; whatever a matcher does with such an event, DISPUTED says why.
        skip(set, ecosystem, 'malformed event (probed per part)');
        for (const part of e.version.split(/,\s*/)) if (e.kind === 'fixed' || e.kind === 'introduced') add(part, e.kind === 'fixed' ? 'unaffected' : 'affected', e.kind);
        continue;
      }
      if (e.kind === 'introduced') {
        if (isStartSentinel(e.version)) continue;
        if (events.some((f) => f.kind === 'fixed' && sameVersion(f.version, e.version))) skip(set, ecosystem, 'introduced equals a fixed of its range');
        else add(e.version, 'affected', 'introduced');
      } else if (e.kind === 'fixed') {
        if (listed.some((v) => sameVersion(v, e.version))) continue; // probed as listed
        if (allEvents.some((i) => i.kind === 'introduced' && sameVersion(i.version, e.version))) {
          skip(set, ecosystem, 'fixed equals an introduced');
        } else if (ranges.length === 1) add(e.version, 'unaffected', 'fixed');
        else if (!allNumeric || !NUMERIC.test(e.version)) skip(set, ecosystem, 'fixed of one of several ranges with non-numeric versions');
        else if (ranges.some((other) => other !== range && numericRangeCovers(other, e.version))) skip(set, ecosystem, 'fixed inside another range');
        else add(e.version, 'unaffected', 'fixed');
      }
    }
  }
  return [...probes.values()];
}

/**
 * Probes of the same facts seen from elsewhere:
 * - spelling: the first affected version under another spelling of the name that the
 *   ecosystem treats as the same package (PyPI: case and `-`/`_`/`.` per PEP 503; npm: the
 *   lowercase name lockfiles use when an advisory capitalises; NuGet, Packagist, Maven: case);
 * - other-release: every affected version of a distribution package under a release the record
 *   does not name (Ubuntu: the Pro stream ↔ the ordinary one; Debian: the next release), which
 *   must not be reported.
 */
function variantProbes(record: RawRecord, probes: Probe[]): Probe[] {
  const affected = probes.filter((p) => p.expect === 'affected');
  const first = affected[0];
  if (!first) return [];
  const variants: Probe[] = [];
  const spelled = otherSpelling(first.ecosystem, first.name);
  if (spelled) variants.push({ ...first, name: spelled, rule: 'spelling' });
  const release = otherRelease(first.ecosystem);
  const named = (ecosystem: string) =>
    (record.affected ?? []).some((e) => e.package && packageKey(e.package.ecosystem, e.package.name) === packageKey(ecosystem, first.name));
  if (release && !named(release)) {
    for (const p of affected) variants.push({ ...p, ecosystem: release, expect: 'unaffected', rule: 'other-release' });
  }
  return variants;
}

function otherSpelling(ecosystem: string, name: string): string | undefined {
  const flipCase = (n: string) => (n === n.toLowerCase() ? n.toUpperCase() : n.toLowerCase());
  switch (baseOf(ecosystem)) {
    case 'PyPI':
      return flipCase(name).replace(/[-_.]+/g, (sep) => (sep === '-' ? '_' : '-'));
    case 'npm':
      return name === name.toLowerCase() ? undefined : name.toLowerCase();
    case 'NuGet':
    case 'Packagist':
    case 'Maven':
      return flipCase(name);
    default:
      return undefined;
  }
}

function otherRelease(ecosystem: string): string | undefined {
  const parts = ecosystem.split(':');
  if (parts[0] === 'Ubuntu') return parts[1] === 'Pro' ? ['Ubuntu', ...parts.slice(2)].join(':') : ['Ubuntu', 'Pro', ...parts.slice(1)].join(':');
  if (parts[0] === 'Debian' && parts.length === 2 && /^\d+$/.test(parts[1]!)) return `Debian:${Number(parts[1]) + 1}`;
  return undefined;
}

/** The synthetic package a probe stands for; its purl is just a unique key back to the probe. */
function probePackage(ecosystem: string, name: string, version: string, purl: string): Package {
  const base = baseOf(ecosystem);
  const pkg: Package = { name, version, ecosystem: base as Ecosystem, purl, locations: [], scope: 'required' };
  if (OS_ECOSYSTEMS.has(base)) {
    pkg.distro = ecosystem;
    pkg.source = { name };
  }
  return pkg;
}

const probeKey = (p: { record: string; ecosystem: string; name: string; version: string; rule: Rule }) =>
  `${p.record}|${p.ecosystem}|${p.name}|${p.version}|${p.rule}`;

function disputeOf(p: Probe): string | undefined {
  return DISPUTED[probeKey(p)] ?? DISPUTED[`${p.record}|${p.ecosystem}|${p.name}`];
}

interface ProbeScore {
  probes: number;
  passed: number;
  byRule: Record<Rule, number>;
  unmatchable: number;
  failures: string[];
  disputed: string[];
}

// ─── Corpus inputs ───────────────────────────────────────────────────────────────────────────

interface Input {
  label: string;
  packages: Package[];
}

/**
 * Fixtures whose file name no cataloger claims on its own (pip requirement files named after
 * their upstream test case): read with the kind's cataloger, as `-L`-style explicit parsing would.
 */
const CATALOGER_FOR_ODD_NAMES: Record<string, string> = { 'pip-requirements': 'python/requirements' };

/**
 * Packages of one lockfile case: catalogPath on the file. When the file alone is refused
 * (UNSUPPORTED_FORMAT): the kind's cataloger for odd file names, else the case directory
 * (catalogers that look at the parent directory, like `gradle/verification-metadata.xml`, need it).
 */
async function catalogCase(kind: string, caseDir: string, file: string, notes: string[]): Promise<Package[] | undefined> {
  try {
    return (await catalogPath(join(caseDir, file))).packages;
  } catch (err) {
    if (!(err instanceof PalisadeError) || err.code !== 'UNSUPPORTED_FORMAT') throw err;
  }
  const label = `${kind}/${basename(caseDir)}`;
  const odd = CATALOGER_FOR_ODD_NAMES[kind];
  if (odd) {
    const cataloger = catalogerByName(odd);
    if (!cataloger) return undefined;
    notes.push(`${label}: file name ${file} not recognised, read with ${cataloger.name}`);
    return (await cataloger.catalog(fileInput(caseDir, file))).packages;
  }
  notes.push(`${label}: ${file} refused as a single file, catalogued as its directory`);
  return (await catalogPath(caseDir)).packages;
}

async function lockfileInputs(notes: string[]): Promise<Input[]> {
  const root = corpusDir('lockfiles');
  if (!root) return [];
  const inputs: Input[] = [];
  for (const kind of readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    for (const caseName of readdirSync(join(root, kind)).sort()) {
      const expectedPath = join(root, kind, caseName, 'expected.json');
      if (!existsSync(expectedPath)) continue;
      const expected = JSON.parse(readFileSync(expectedPath, 'utf8')) as { file: string; expectError: boolean };
      if (expected.expectError) continue;
      const packages = await catalogCase(kind, join(root, kind, caseName), expected.file, notes);
      if (packages) inputs.push({ label: `lockfiles/${kind}/${caseName}`, packages });
      else notes.push(`lockfiles/${kind}/${caseName}: not catalogued`);
    }
  }
  return inputs;
}

function sbomInputs(): Input[] {
  const root = corpusDir('sbom');
  if (!root) return [];
  return ['cyclonedx', 'spdx'].flatMap((dir) =>
    readdirSync(join(root, dir))
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((file) => ({ label: `sbom/${dir}/${file}`, packages: readSbom(readFileSync(join(root, dir, file), 'utf8'), file).packages })),
  );
}

interface CorpusScore {
  inputs: Set<string>;
  scanned: number;
  findings: number;
  /** Finding × advisory pairs. */
  advisories: number;
  /** Finding × advisory pairs whose advisory lists the installed version. */
  confirmed: number;
  /** Finding × advisory pairs whose advisory has a versions list without the installed version. */
  unconfirmed: string[];
  /** Package × record pairs the oracle could decide, and how many of those are affected. */
  verdicts: number;
  affected: number;
  undecided: number;
  contradicted: string[];
  disputed: string[];
}

/** The affected entries of a record that name this package (ecosystem with release). */
function entriesFor(record: RawRecord | undefined, ecosystem: string, name: string): RawAffected[] {
  return (record?.affected ?? []).filter((e) => e.package && packageKey(e.package.ecosystem, e.package.name) === packageKey(ecosystem, name));
}

interface Verdict {
  expect: Expectation;
  because: string;
  disputed?: string;
}

/**
 * What the advisories say about an installed package, for the corpus inputs: for each record
 * naming the package, in order: withdrawn → unaffected; a probe about this exact version → its
 * expectation; listed → affected; all event versions and the installed one numeric → the OSV
 * walk over them with numeric order; otherwise undecided.
 */
function corpusOracle(records: Map<string, RawRecord>, probes: Probe[]) {
  const byPackage = new Map<string, RawRecord[]>();
  for (const record of records.values()) {
    const keys = new Set((record.affected ?? []).flatMap((e) => (e.package ? [packageKey(e.package.ecosystem, e.package.name)] : [])));
    for (const key of keys) byPackage.set(key, [...(byPackage.get(key) ?? []), record]);
  }
  const probed = new Map<string, Probe>();
  for (const p of probes) probed.set(`${p.record}\0${packageKey(p.ecosystem, p.name)}\0${p.version}`, p);
  return {
    recordsFor: (ecosystem: string, name: string) => byPackage.get(packageKey(ecosystem, name)) ?? [],
    verdict(record: RawRecord, ecosystem: string, name: string, version: string): Verdict | undefined {
      if (record.withdrawn) return { expect: 'unaffected', because: 'withdrawn' };
      const probe = probed.get(`${record.id}\0${packageKey(ecosystem, name)}\0${version}`);
      if (probe) {
        const dispute = disputeOf(probe);
        return { expect: probe.expect, because: `probe rule ${probe.rule}`, ...(dispute !== undefined && { disputed: dispute }) };
      }
      const entries = entriesFor(record, ecosystem, name);
      if (entries.some((e) => e.versions?.includes(version))) return { expect: 'affected', because: 'listed' };
      const ranges = entries.flatMap((e) => e.ranges ?? []).filter((r) => r.type !== 'GIT');
      const events = ranges.flatMap(eventsOf);
      if (!NUMERIC.test(version) || events.some((e) => e.kind === 'limit' || !(NUMERIC.test(e.version) || isStartSentinel(e.version)))) return undefined;
      return ranges.some((r) => numericRangeCovers(r, version))
        ? { expect: 'affected', because: 'inside a range (numeric order)' }
        : { expect: 'unaffected', because: 'outside every range (numeric order)' };
    },
  };
}

describe.skipIf(!osvRoot)('vulnerability matching compatibility (../shared/corpus/osv)', () => {
  let work: string;
  let db: VulnDb;
  let records: Map<string, RawRecord>;
  let probeSet: ProbeSet;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'palisade-compat-match-'));
    const path = join(work, 'vuln.db');
    const report = await importOsv(path, [osvRoot!]);
    console.log(`[compat] vuln-match: imported ${report.imported} records (${report.malformed} malformed, ${report.withdrawn} withdrawn)`);
    db = openVulnDb(path);
    records = loadRecords(osvRoot!);
    probeSet = deriveProbes(records);
  }, 120_000);

  afterAll(() => {
    db?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('advisory-derived probes', () => {
    // One package per distinct (ecosystem, name, version), matched in one call.
    const packages = new Map<string, Package>();
    for (const p of probeSet.probes) {
      const key = `${p.ecosystem}|${p.name}|${p.version}`;
      if (!packages.has(key)) packages.set(key, probePackage(p.ecosystem, p.name, p.version, `probe:${key}`));
    }
    const result = matchPackages([...packages.values()], db, 'probes');
    const reported = new Map<string, Set<string>>();
    for (const f of result.findings) {
      const ids = reported.get(f.vuln!.package.purl) ?? new Set<string>();
      for (const id of f.vuln!.advisories) ids.add(id);
      reported.set(f.vuln!.package.purl, ids);
    }
    const notScanned = new Map(result.notScanned.map((n) => [n.purl, n.reason]));

    const scores = new Map<string, ProbeScore>();
    for (const p of probeSet.probes) {
      const base = baseOf(p.ecosystem);
      const score = scores.get(base) ?? { probes: 0, passed: 0, byRule: { listed: 0, introduced: 0, fixed: 0, withdrawn: 0, spelling: 0, 'other-release': 0 }, unmatchable: 0, failures: [], disputed: [] };
      scores.set(base, score);
      const purl = `probe:${p.ecosystem}|${p.name}|${p.version}`;
      const why = notScanned.get(purl);
      if (why !== undefined && UNMATCHABLE[base]) {
        score.unmatchable++;
        continue;
      }
      score.probes++;
      score.byRule[p.rule]++;
      const isReported = reported.get(purl)?.has(p.record) ?? false;
      if (isReported === (p.expect === 'affected')) {
        score.passed++;
        const dispute = disputeOf(p);
        if (dispute) score.disputed.push(`${probeKey(p)}: disputed but passes (remove the entry?)`);
        continue;
      }
      const detail = `${p.record} ${p.ecosystem}/${p.name} ${p.version}: expected ${p.expect} (${p.rule})${why ? `, not scanned: ${why}` : ''}`;
      const dispute = disputeOf(p);
      if (dispute) score.disputed.push(`${detail} [disputed: ${dispute}]`);
      else score.failures.push(detail);
    }

    const failures: string[] = [];
    for (const [base, s] of [...scores].sort(([a], [b]) => a.localeCompare(b))) {
      const skipped = [...(probeSet.skipped.get(base) ?? [])].map(([reason, n]) => `${n} ${reason}`).join(', ');
      const rules = Object.entries(s.byRule).filter(([, n]) => n > 0).map(([rule, n]) => `${rule} ${n}`).join(', ');
      console.log(
        `[compat] vuln-match probes ${base}: ${s.probes} probes (${rules}), ${s.passed} passed, ${s.failures.length} failed, ` +
          `${s.disputed.length} disputed${s.unmatchable > 0 ? `, ${s.unmatchable} unmatchable (${UNMATCHABLE[base]})` : ''}${skipped ? `; skipped: ${skipped}` : ''}`,
      );
      for (const f of s.failures.slice(0, 20)) console.log(`[compat]   ✗ ${f}`);
      if (s.failures.length > 20) console.log(`[compat]   … and ${s.failures.length - 20} more`);
      for (const d of s.disputed) console.log(`[compat]   ? ${d}`);
      failures.push(...s.failures);
    }
    expect(scores.size).toBeGreaterThan(0);
    expect(failures).toEqual([]);
  });

  it('corpus lockfiles and SBOMs', async () => {
    const oracle = corpusOracle(records, probeSet.probes);
    const notes: string[] = [];
    const inputs = [...(await lockfileInputs(notes)), ...sbomInputs()];
    const scores = new Map<string, CorpusScore>();
    const scoreFor = (ecosystem: string) => {
      const base = baseOf(ecosystem);
      const s = scores.get(base) ?? {
        inputs: new Set(), scanned: 0, findings: 0, advisories: 0, confirmed: 0, unconfirmed: [], verdicts: 0, affected: 0, undecided: 0, contradicted: [], disputed: [],
      };
      scores.set(base, s);
      return s;
    };

    for (const input of inputs) {
      const result: MatchResult = matchPackages(input.packages, db, input.label);
      const unscanned = new Set(result.notScanned.map((n) => n.purl));
      const reported = new Map<string, Set<string>>();
      const findingCount = new Map<string, number>();
      for (const f of result.findings) {
        const purl = f.vuln!.package.purl;
        reported.set(purl, new Set([...(reported.get(purl) ?? []), ...f.vuln!.advisories]));
        findingCount.set(purl, (findingCount.get(purl) ?? 0) + 1);
      }
      for (const pkg of input.packages) {
        if (unscanned.has(pkg.purl)) continue;
        const ecosystem = pkg.distro ?? pkg.ecosystem;
        const name = pkg.source?.name ?? pkg.name;
        const version = osvVersion(ecosystem, pkg.source?.version ?? pkg.version!);
        const score = scoreFor(ecosystem);
        score.inputs.add(input.label);
        score.scanned++;
        score.findings += findingCount.get(pkg.purl) ?? 0;
        const found = reported.get(pkg.purl) ?? new Set<string>();
        const where = `${input.label}: ${ecosystem}/${name} ${version}`;
        // Findings: does the advisory's own versions list confirm the installed version?
        for (const id of found) {
          score.advisories++;
          const listed = entriesFor(records.get(id), ecosystem, name).flatMap((e) => e.versions ?? []);
          if (listed.length === 0) continue;
          if (listed.includes(version)) score.confirmed++;
          else score.unconfirmed.push(`${where}: ${id}`);
        }
        // Every record naming the package, both ways: reported exactly when the oracle says affected.
        for (const record of oracle.recordsFor(ecosystem, name)) {
          const verdict = oracle.verdict(record, ecosystem, name, version);
          if (!verdict) {
            score.undecided++;
            continue;
          }
          score.verdicts++;
          const isReported = found.has(record.id);
          if (verdict.expect === 'affected') score.affected++;
          if (isReported === (verdict.expect === 'affected')) continue;
          const detail = `${where}: ${record.id} ${isReported ? 'reported' : 'not reported'}, the advisory says ${verdict.expect} (${verdict.because})`;
          if (verdict.disputed) score.disputed.push(`${detail} [disputed: ${verdict.disputed}]`);
          else score.contradicted.push(detail);
        }
      }
    }

    console.log(`[compat] vuln-match corpus: ${inputs.length} inputs matched`);
    for (const n of notes) console.log(`[compat]   – ${n}`);
    const contradicted: string[] = [];
    for (const [base, s] of [...scores].sort(([a], [b]) => a.localeCompare(b))) {
      console.log(
        `[compat] vuln-match corpus ${base}: ${s.inputs.size} inputs, ${s.scanned} packages, ${s.findings} findings (${s.advisories} advisory hits); ` +
          `versions lists: ${s.confirmed} confirmed, ${s.unconfirmed.length} unconfirmed-by-list; ` +
          `oracle: ${s.verdicts} package × record verdicts (${s.affected} affected), ${s.undecided} undecided, ${s.contradicted.length} contradicted` +
          `${s.disputed.length > 0 ? `, ${s.disputed.length} disputed` : ''}`,
      );
      for (const u of s.unconfirmed.slice(0, 20)) console.log(`[compat]   ~ unconfirmed by list (reported through a range): ${u}`);
      for (const c of s.contradicted.slice(0, 20)) console.log(`[compat]   ✗ ${c}`);
      for (const d of s.disputed) console.log(`[compat]   ? ${d}`);
      contradicted.push(...s.contradicted);
    }
    expect(inputs.length).toBeGreaterThan(0);
    expect(contradicted).toEqual([]);
  });
});
