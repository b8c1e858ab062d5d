/**
 * Cargo.lock, lockfile versions 1–4 (https://doc.rust-lang.org/cargo/guide/cargo-toml-vs-cargo-lock.html).
 * Every `[[package]]` is a crate of the resolved graph: `source` says where it came from
 * (`registry+…`/`sparse+…` index, `git+URL?ref#commit`); no source means a workspace member or
 * path dependency. Each `dependencies` entry is `name`, `name version` or `name version (source)`,
 * written only as precisely as needed to be unique within the file (v1 always writes all three).
 * v1's `[metadata]` checksum table carries no packages and is ignored.
 */
import { parse, TomlError } from 'smol-toml';
import { ParseError, errorMessage } from '../../../core/errors.ts';
import { makePurl } from '../../../core/purl.ts';
import type { InputIssue, Package } from '../../../core/types.ts';
import { baseName, type Cataloger, type CatalogInput, type CatalogResult } from '../cataloger.ts';

/** Lockfile versions we read; v1 and v2 files carry no `version` key at all. */
const MAX_LOCKFILE_VERSION = 4;

/** Both spellings of the crates.io index; crates from any other registry get a `repository_url`. */
const CRATES_IO_INDEXES = new Set(['https://github.com/rust-lang/crates.io-index', 'https://index.crates.io/']);

interface LockedCrate {
  name: string;
  version: string;
  source?: string;
  dependencies: string[];
  pkg: Package;
}

export const cargoLockCataloger: Cataloger = {
  name: 'rust/cargo-lock',
  ecosystem: 'crates.io',
  wants: (path) => baseName(path) === 'Cargo.lock',
  catalog: catalogCargoLock,
};

async function catalogCargoLock(input: CatalogInput): Promise<CatalogResult> {
  const text = await input.text();
  const doc = parseToml(text);
  checkVersion(doc['version']);
  const entries = doc['package'] ?? [];
  if (!Array.isArray(entries)) throw new ParseError('`package` is not an array of tables');

  const headerLines = packageHeaderLines(text, entries.length);
  const issues: InputIssue[] = [];
  const crates: LockedCrate[] = [];
  entries.forEach((entry: unknown, i) => {
    const line = headerLines[i];
    const crate = readCrate(entry, input.path, line);
    if (typeof crate === 'string') issues.push({ path: input.path, ...(line !== undefined && { line }), message: crate });
    else crates.push(crate);
  });

  linkDependencies(crates);
  return { packages: crates.map((c) => c.pkg), ...(issues.length > 0 && { issues }) };
}

function parseToml(text: string): Record<string, unknown> {
  try {
    return parse(text);
  } catch (err) {
    if (err instanceof TomlError) throw new ParseError(`invalid TOML: ${err.message.split('\n')[0]}`, err.line);
    throw new ParseError(`invalid TOML: ${errorMessage(err)}`);
  }
}

function checkVersion(version: unknown): void {
  if (version === undefined) return;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1 || version > MAX_LOCKFILE_VERSION) {
    throw new ParseError(`unsupported Cargo.lock version ${String(version)}`);
  }
}

/**
 * smol-toml gives no positions, so find the `[[package]]` headers in the text; the n-th header is
 * the n-th array element. If the count does not match (a header spelled oddly), report no lines.
 */
function packageHeaderLines(text: string, count: number): (number | undefined)[] {
  const lines: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (/^\s*\[\[\s*package\s*\]\]/.test(line)) lines.push(i + 1);
  });
  return lines.length === count ? lines : [];
}

/** One `[[package]]` table, or the reason it was skipped. */
function readCrate(entry: unknown, path: string, line: number | undefined): LockedCrate | string {
  if (typeof entry !== 'object' || entry === null) return 'skipped [[package]]: not a table';
  const { name, version, source, dependencies } = entry as Record<string, unknown>;
  if (typeof name !== 'string' || name === '') return 'skipped [[package]] without a name';
  if (typeof version !== 'string' || version === '') return `skipped crate ${name}: no version`;
  const src = typeof source === 'string' ? source : undefined;
  const deps = Array.isArray(dependencies) ? dependencies.filter((d): d is string => typeof d === 'string') : [];
  const pkg: Package = {
    name,
    version,
    ecosystem: 'crates.io',
    purl: makePurl('crates.io', name, version, sourceQualifiers(src)),
    locations: [{ path, ...(line !== undefined && { line }) }],
    scope: 'required',
  };
  return { name, version, ...(src !== undefined && { source: src }), dependencies: deps, pkg };
}

/**
 * Keep crates that are not from crates.io distinct in the purl: a git checkout gets `vcs_url`
 * (`git+URL@commit`), another registry gets `repository_url`.
 * The commit is deliberately not set as `Package.commit`: the crate's identity for advisories
 * is still its crates.io name and version (the upstream compatibility expectations agree).
 */
function sourceQualifiers(source: string | undefined): Record<string, string> | undefined {
  if (source === undefined) return undefined;
  const git = /^git\+([^?#]+)(?:\?[^#]*)?#([0-9a-fA-F]+)$/.exec(source);
  if (git) return { vcs_url: `git+${git[1]}@${git[2]}` };
  const registry = /^(?:registry|sparse)\+(.+)$/.exec(source);
  if (registry && !CRATES_IO_INDEXES.has(registry[1]!)) return { repository_url: registry[1]! };
  return undefined;
}

/**
 * Resolve each `dependencies` entry to the one crate it names. Dependencies of crates without a
 * source (workspace members, path crates) are the project's direct dependencies.
 */
function linkDependencies(crates: LockedCrate[]): void {
  const byName = new Map<string, LockedCrate[]>();
  for (const c of crates) byName.set(c.name, [...(byName.get(c.name) ?? []), c]);
  for (const crate of crates) {
    const targets = crate.dependencies
      .map((spec) => resolveDependency(spec, byName))
      .filter((t): t is LockedCrate => t !== undefined);
    if (targets.length === 0) continue;
    crate.pkg.dependsOn = [...new Set(targets.map((t) => t.pkg.purl))].sort();
    if (crate.source === undefined) {
      for (const t of targets) if (t.source !== undefined) t.pkg.direct = true;
    }
  }
}

function resolveDependency(spec: string, byName: Map<string, LockedCrate[]>): LockedCrate | undefined {
  const m = /^(\S+)(?: (\S+))?(?: \((.+)\))?$/.exec(spec.trim());
  if (!m) return undefined;
  const [, name, version, source] = m;
  const candidates = (byName.get(name!) ?? []).filter(
    (c) => (version === undefined || c.version === version) && (source === undefined || c.source === source),
  );
  return candidates.length === 1 ? candidates[0] : undefined;
}
