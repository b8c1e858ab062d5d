/**
 * Is an installed version affected by one OSV `affected` entry? Exactly the evaluation of the
 * OSV schema (https://ossf.github.io/osv-schema/#evaluation): a version is affected when it is
 * listed in `versions`, or when some SEMVER/ECOSYSTEM range leaves it "vulnerable" after
 * walking the range's events in version order. GIT ranges name commits, not versions, so
 * they never match a package version.
 */
import { schemeFor, semver, type VersionScheme } from '../versions/index.ts';
import type { OsvAffected, OsvEvent, OsvRange } from './record.ts';

export interface AffectedResult {
  affected: boolean;
  /** `fixed` versions of the ranges that matched, lowest first. */
  fixedVersions: string[];
  /** Events or versions that could not be ordered (bad data), named for a warning. */
  problems: string[];
}

type Kind = 'introduced' | 'fixed' | 'last_affected' | 'limit';

interface Event {
  kind: Kind;
  version: string;
}

function toEvent(e: OsvEvent): Event {
  const kind = Object.keys(e)[0] as Kind;
  return { kind, version: (e as Record<Kind, string>)[kind] };
}

/**
 * The scheme to order a range's versions. SEMVER ranges use SemVer 2.0 precedence, but records
 * exist that label non-semver ecosystems' ranges SEMVER (and vice versa), so a version the
 * declared scheme cannot parse falls back to the ecosystem's own scheme.
 */
function schemesFor(range: OsvRange, ecosystem: string): VersionScheme[] {
  const eco = schemeFor(ecosystem);
  const declared = range.type === 'SEMVER' ? semver : eco;
  return [declared, eco].filter((s, i, all): s is VersionScheme => s !== undefined && all.indexOf(s) === i);
}

export function evaluateAffected(entry: OsvAffected, ecosystem: string, version: string): AffectedResult {
  const problems: string[] = [];
  if (listsVersion(entry.versions, ecosystem, version)) return { affected: true, fixedVersions: fixedOf(entry, ecosystem), problems };
  let affected = false;
  const fixed = new Set<string>();
  for (const range of entry.ranges) {
    if (range.type === 'GIT') continue;
    const result = evaluateRange(range, ecosystem, version, problems);
    if (result.affected) {
      affected = true;
      for (const f of result.fixed) fixed.add(f);
    }
  }
  return { affected, fixedVersions: sortVersions([...fixed], ecosystem), problems };
}

function evaluateRange(range: OsvRange, ecosystem: string, version: string, problems: string[]): { affected: boolean; fixed: string[] } {
  for (const scheme of schemesFor(range, ecosystem)) {
    if (!scheme.isValid(version)) continue;
    const events: Event[] = [];
    for (const raw of range.events) {
      const event = toEvent(raw);
      // `introduced: "0"` means "from the beginning" and `limit: "*"` means "no limit" in every scheme.
      if ((event.kind === 'introduced' && event.version === '0') || (event.kind === 'limit' && event.version === '*')) {
        events.push(event);
      } else if (scheme.isValid(event.version)) events.push(event);
      else problems.push(`${event.kind} ${JSON.stringify(event.version)} is not a valid ${scheme.name} version; event ignored`);
    }
    return walkEvents(events, scheme, version);
  }
  problems.push(`installed version ${JSON.stringify(version)} cannot be ordered for ${ecosystem} (${range.type} range)`);
  return { affected: false, fixed: [] };
}

/** The OSV evaluation loop over events sorted by version. */
function walkEvents(events: Event[], scheme: VersionScheme, version: string): { affected: boolean; fixed: string[] } {
  const cmp = (a: Event, b: Event) => compareEventVersions(a, b, scheme);
  const sorted = [...events].sort(cmp);
  const limits = sorted.filter((e) => e.kind === 'limit');
  if (limits.length > 0 && !limits.some((l) => l.version === '*' || scheme.compare(version, l.version) < 0)) {
    return { affected: false, fixed: [] };
  }
  let vulnerable = false;
  let fixedAfter: string | undefined;
  for (const e of sorted) {
    if (e.kind === 'introduced') {
      if (e.version === '0' || scheme.compare(version, e.version) >= 0) {
        vulnerable = true;
        fixedAfter = undefined;
      }
    } else if (e.kind === 'fixed') {
      if (scheme.compare(version, e.version) >= 0) vulnerable = false;
      else if (vulnerable && fixedAfter === undefined) fixedAfter = e.version;
    } else if (e.kind === 'last_affected') {
      if (scheme.compare(version, e.version) > 0) vulnerable = false;
    }
  }
  return { affected: vulnerable, fixed: vulnerable && fixedAfter !== undefined ? [fixedAfter] : [] };
}

function compareEventVersions(a: Event, b: Event, scheme: VersionScheme): number {
  const rank = (e: Event) => (e.kind === 'introduced' && e.version === '0' ? -1 : e.kind === 'limit' && e.version === '*' ? 1 : 0);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== 0 || rb !== 0) return ra - rb;
  return scheme.compare(a.version, b.version);
}

/** Exact listing, or equal under the ecosystem's ordering (`1.0` and `1.0.0` are one PyPI version). */
function listsVersion(versions: string[], ecosystem: string, version: string): boolean {
  if (versions.length === 0) return false;
  if (versions.includes(version)) return true;
  const scheme = schemeFor(ecosystem);
  if (!scheme?.isValid(version)) return false;
  return versions.some((v) => scheme.isValid(v) && scheme.compare(v, version) === 0);
}

/** Fixed versions of an entry matched through its `versions` list. */
function fixedOf(entry: OsvAffected, ecosystem: string): string[] {
  const fixed = entry.ranges.filter((r) => r.type !== 'GIT').flatMap((r) => r.events.map(toEvent).filter((e) => e.kind === 'fixed').map((e) => e.version));
  return sortVersions([...new Set(fixed)], ecosystem);
}

function sortVersions(versions: string[], ecosystem: string): string[] {
  const scheme = schemeFor(ecosystem);
  if (!scheme) return versions.sort();
  const valid = versions.filter((v) => scheme.isValid(v)).sort((a, b) => scheme.compare(a, b));
  return [...valid, ...versions.filter((v) => !scheme.isValid(v))];
}
