/**
 * Bundler's Gemfile.lock / gems.locked. Sections start at column 0. Source sections (GEM, GIT,
 * PATH, PLUGIN SOURCE) list `remote:`/`revision:` options, then `specs:` with one gem per
 * 4-space line, `name (version[-platform])`, and its dependencies on 6-space lines below it.
 * DEPENDENCIES lists what the Gemfile asks for (`name`, `name (requirement)`, `name!` when pinned
 * to a non-GEM source). PLATFORMS, RUBY VERSION, BUNDLED WITH and CHECKSUMS carry no gems (bundler
 * itself, named by BUNDLED WITH, is not a locked dependency).
 */
import { ParseError } from '../../../core/errors.ts';
import { makePurl } from '../../../core/purl.ts';
import type { InputIssue, Package } from '../../../core/types.ts';
import { baseName, type Cataloger, type CatalogInput, type CatalogResult } from '../cataloger.ts';

const SOURCE_SECTIONS = new Set(['GEM', 'GIT', 'PATH', 'PLUGIN SOURCE']);
const OTHER_SECTIONS = new Set(['PLATFORMS', 'DEPENDENCIES', 'RUBY VERSION', 'BUNDLED WITH', 'CHECKSUMS']);

/** `name (version-platform)`: Bundler writes the version without `-`, so the first `-` starts the platform. */
const SPEC_LINE = /^ {4}(\S+) \(([^-)\s]+)(?:-([^)\s]+))?\)$/;
const DEPENDENCY_LINE = /^ {6}(\S+)(?: \(.*\))?$/;
/** `name`, `name (requirement)`, and either with a trailing `!` for a gem from a non-GEM source. */
const DIRECT_LINE = /^ {2}([^\s!(]+)(?: \([^)]*\))?!?$/;

interface LockedGem {
  name: string;
  version: string;
  dependencyNames: string[];
  pkg: Package;
}

/** The source section being read: its options and whether its `specs:` list has started. */
interface Source {
  section: string;
  remote?: string;
  revision?: string;
  inSpecs: boolean;
  /** The gem whose dependency lines follow. */
  current?: LockedGem;
}

interface ParseState {
  path: string;
  section: string;
  source?: Source;
  gems: LockedGem[];
  direct: Set<string>;
  issues: InputIssue[];
}

export const gemfileLockCataloger: Cataloger = {
  name: 'ruby/gemfile-lock',
  ecosystem: 'RubyGems',
  wants: (path) => ['Gemfile.lock', 'gems.locked'].includes(baseName(path)),
  catalog: catalogGemfileLock,
};

async function catalogGemfileLock(input: CatalogInput): Promise<CatalogResult> {
  const lines = (await input.text()).split(/\r?\n/);
  checkLooksLikeLockfile(lines);
  const state: ParseState = { path: input.path, section: '', gems: [], direct: new Set(), issues: [] };
  lines.forEach((text, i) => readLine(state, text.trimEnd(), i + 1));

  linkDependencies(state.gems);
  for (const gem of state.gems) if (state.direct.has(gem.name)) gem.pkg.direct = true;
  return { packages: state.gems.map((g) => g.pkg), ...(state.issues.length > 0 && { issues: state.issues }) };
}

function readLine(state: ParseState, text: string, line: number): void {
  if (text === '') return;
  if (!text.startsWith(' ')) {
    state.section = text;
    state.source = SOURCE_SECTIONS.has(text) ? { section: text, inSpecs: false } : undefined;
  } else if (state.section === 'DEPENDENCIES') {
    const m = DIRECT_LINE.exec(text);
    if (m) state.direct.add(m[1]!);
  } else if (state.source) {
    readSourceLine(state, state.source, text, line);
  }
}

function readSourceLine(state: ParseState, source: Source, text: string, line: number): void {
  if (!source.inSpecs) {
    const option = /^ {2}(remote|revision): (.+)$/.exec(text);
    if (option) source[option[1] as 'remote' | 'revision'] = option[2]!;
    source.inSpecs = text === '  specs:';
  } else if (text.startsWith('      ')) {
    const dep = DEPENDENCY_LINE.exec(text);
    if (source.current && dep) source.current.dependencyNames.push(dep[1]!);
  } else {
    source.current = readSpec(text, source, state.path, line);
    if (source.current) state.gems.push(source.current);
    else state.issues.push({ path: state.path, line, message: `skipped gem spec without a version: ${text.trim()}` });
  }
}

/** Reject files that are not Gemfile.locks at all (binary junk, another format); an empty one is fine. */
function checkLooksLikeLockfile(lines: string[]): void {
  if (lines.some((l) => l.includes('\0'))) throw new ParseError('not a Gemfile.lock: binary content');
  if (lines.every((l) => l.trim() === '')) return;
  if (!lines.some((l) => SOURCE_SECTIONS.has(l.trimEnd()) || OTHER_SECTIONS.has(l.trimEnd()))) {
    throw new ParseError('not a Gemfile.lock: no GEM, GIT, PATH, PLATFORMS or DEPENDENCIES section');
  }
}

function readSpec(text: string, source: Source, path: string, line: number): LockedGem | undefined {
  const m = SPEC_LINE.exec(text);
  if (!m) return undefined;
  const [, name, version, platform] = m;
  const qualifiers: Record<string, string> = {};
  if (platform !== undefined) qualifiers['platform'] = platform;
  // A GIT source pins a commit; keep it in the purl so two checkouts of one version stay distinct.
  const commit = source.section === 'GIT' ? source.revision : undefined;
  if (commit !== undefined && source.remote !== undefined) qualifiers['vcs_url'] = `git+${source.remote}@${commit}`;
  const pkg: Package = {
    name: name!,
    version: version!,
    ecosystem: 'RubyGems',
    purl: makePurl('RubyGems', name!, version, qualifiers),
    locations: [{ path, line }],
    scope: 'required',
    ...(commit !== undefined && { commit }),
  };
  return { name: name!, version: version!, dependencyNames: [], pkg };
}

/**
 * A dependency line names a gem without a version; it resolves when the specs hold that gem once,
 * or only as platform builds of one version (`nokogiri (1.15.0-x86_64-linux)` and
 * `nokogiri (1.15.0-arm64-darwin)`), which then all count: the installing platform picks one.
 */
function linkDependencies(gems: LockedGem[]): void {
  const byName = new Map<string, LockedGem[]>();
  for (const g of gems) byName.set(g.name, [...(byName.get(g.name) ?? []), g]);
  for (const gem of gems) {
    const purls = gem.dependencyNames.flatMap((name) => {
      const targets = byName.get(name) ?? [];
      return new Set(targets.map((t) => t.version)).size === 1 ? targets.map((t) => t.pkg.purl) : [];
    });
    if (purls.length > 0) gem.pkg.dependsOn = [...new Set(purls)].sort();
  }
}
