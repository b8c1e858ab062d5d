/**
 * Package-name and ecosystem normalisation shared by indexing (import) and lookup, so that a
 * name as an advisory writes it and a name as a lockfile writes it meet on the same key.
 * The original spelling is kept beside the key in the store; only the key is folded.
 */

/**
 * OSV ecosystem names (https://ossf.github.io/osv-schema/#affectedpackage-field) in their
 * canonical spelling. Lookups accept any case (`pypi`, `CRATES.IO`) and map onto these; names
 * not listed are kept as written.
 */
const CANONICAL_ECOSYSTEMS = [
  'AlmaLinux', 'Alpine', 'Android', 'Azure Linux', 'Bioconductor', 'Bitnami', 'Chainguard', 'CocoaPods',
  'ConanCenter', 'CRAN', 'crates.io', 'Debian', 'echo', 'GHC', 'GIT', 'GitHub Actions', 'Go', 'Hackage', 'Hex',
  'Julia', 'Linux', 'Mageia', 'Maven', 'MinimOS', 'npm', 'NuGet', 'openEuler', 'openSUSE', 'opam', 'OSS-Fuzz',
  'Packagist', 'Photon OS', 'Pub', 'PyPI', 'Red Hat', 'Rocky Linux', 'RubyGems', 'SUSE', 'SwiftURL', 'Ubuntu',
  'VSCode', 'Wolfi',
];
const BY_LOWER = new Map(CANONICAL_ECOSYSTEMS.map((e) => [e.toLowerCase(), e]));

/**
 * The base ecosystem of an OSV ecosystem string: the part before the first `:` (`Debian:12`
 * → `Debian`, `Ubuntu:Pro:22.04:LTS` → `Ubuntu`, `Maven:https://maven.google.com` → `Maven`),
 * in canonical spelling.
 */
export function ecosystemBase(ecosystem: string): string {
  const colon = ecosystem.indexOf(':');
  const base = (colon === -1 ? ecosystem : ecosystem.slice(0, colon)).trim();
  return BY_LOWER.get(base.toLowerCase()) ?? base;
}

/** How each ecosystem folds names; ecosystems not listed compare names exactly. */
const FOLD: Readonly<Record<string, (name: string) => string>> = {
  // PEP 503: names compare case-insensitively with runs of `-`, `_` and `.` equal (`Foo.Bar_baz`
  // and `foo-bar-baz` are one project); pip and PyPI apply exactly this rule.
  PyPI: (n) => n.toLowerCase().replace(/[-_.]+/g, '-'),
  // The registry has refused new names with capitals since 2017 and resolves case-insensitively
  // for similarity; GHSA sometimes capitalises (GHSA-8hc4-vh64-cxmj names `Axios`).
  npm: (n) => n.toLowerCase(),
  // Composer lowercases vendor/package names; Packagist treats them case-insensitively.
  Packagist: (n) => n.toLowerCase(),
  // NuGet package ids are case-insensitive (`Newtonsoft.Json` = `newtonsoft.json`).
  NuGet: (n) => n.toLowerCase(),
  // Repository paths are case-sensitive in principle, but no two real artifacts differ only in
  // case, while advisories and POMs do sometimes differ in case: folding trades a theoretical
  // false positive for real missed matches.
  Maven: (n) => n.toLowerCase(),
  // Pub and Hex only allow lowercase names; folding just forgives a capitalised advisory.
  Pub: (n) => n.toLowerCase(),
  Hex: (n) => n.toLowerCase(),
  // Exact (no entry here):
  // - Go: module paths are case-sensitive (the proxy escapes capitals as `!x`).
  // - crates.io: Cargo.lock and RustSec both use the name as published. (crates.io forbids
  //   names that differ only in case or `-`/`_`, so exact comparison loses nothing.)
  // - RubyGems: gem names are case-sensitive (`gem install Rails` finds nothing).
  // - Distributions (Debian, Ubuntu, Alpine, Red Hat, …): package names as the distro writes
  //   them; rpm names are case-sensitive (`NetworkManager`).
  // - CRAN, Hackage, SwiftURL and anything else: as written.
};

/** The lookup key for a package name in an ecosystem (base or suffixed). */
export function normalizePackageName(ecosystem: string, name: string): string {
  const trimmed = name.trim();
  const fold = FOLD[ecosystemBase(ecosystem)];
  return fold ? fold(trimmed) : trimmed;
}
