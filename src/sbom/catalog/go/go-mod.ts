/**
 * go.mod (https://go.dev/ref/mod#go-mod-file): the module's requirements, after its `exclude` and
 * `replace` directives, plus a `stdlib` package for the Go release named by `toolchain` or `go`.
 *
 * From Go 1.17 on, go.mod lists every module the build needs (the indirect ones marked
 * `// indirect`). Before 1.17 it lists only the direct ones, so for those modules the modules that
 * go.sum holds source hashes for are added too: go.sum may still name modules the build no longer
 * selects, so this errs on the side of reporting.
 *
 * Versions are reported without Go's leading `v` (OSV writes Go ranges that way); purls keep the
 * Go form (`pkg:golang/golang.org/x/net@v0.5.6`).
 */
import { posix } from 'node:path';
import type { InputIssue, Package } from '../../../core/types.ts';
import { ParseError } from '../../../core/errors.ts';
import { baseName, type CatalogInput, type Cataloger } from '../cataloger.ts';
import { makePurl } from '../../../core/purl.ts';
import { goReleaseVersion, isLocalPath, isModulePath, isModuleVersion, modulePackage, stdlibPackage } from './modules.ts';

interface Line {
  /** 1-based line number in the file. */
  line: number;
  /** Directive verb: the first token of a single-line directive, the block's verb inside a block. */
  verb: string;
  args: string[];
  /** Text of a trailing `//` comment, trimmed. */
  comment: string;
}

interface Requirement {
  path: string;
  version: string;
  line: number;
  indirect: boolean;
}

interface Replacement {
  /** Empty target version: a local directory, not a module. */
  path: string;
  version: string;
  line: number;
}

interface GoMod {
  requires: Requirement[];
  /** `path@version` of each excluded module version. */
  excludes: Set<string>;
  /** Keyed by `path@version` for versioned replacements and by `path` for all-version ones. */
  replaces: Map<string, Replacement>;
  goVersion?: { version: string; line: number };
  toolchain?: { version: string; line: number };
}

/** Directives whose content does not change which modules the build uses. */
const IGNORED_VERBS = new Set(['module', 'retract', 'tool', 'godebug', 'ignore']);
const KNOWN_VERBS = new Set([...IGNORED_VERBS, 'go', 'toolchain', 'require', 'exclude', 'replace']);

/** Go before 1.17 leaves indirect requirements out of go.mod. */
const FIRST_COMPLETE_GO_MOD = [1, 17];

export const goModCataloger: Cataloger = {
  name: 'go/go-mod',
  ecosystem: 'Go',
  wants: (path) => baseName(path) === 'go.mod',
  async catalog(input) {
    const issues: InputIssue[] = [];
    const mod = parseGoMod(input.path, await input.text(), issues);
    const packages = new Map<string, Package>();
    const add = (pkg: Package) => {
      const seen = packages.get(pkg.purl);
      if (!seen) packages.set(pkg.purl, pkg);
      else if (pkg.direct) seen.direct = true;
    };

    for (const req of mod.requires) {
      const resolved = resolveModule(mod, req.path, req.version, req.line);
      if (!resolved) continue;
      add(requirementPackage(resolved.path, resolved.version, input.path, resolved.line, req.indirect));
    }

    const stdlib = mod.toolchain ?? mod.goVersion;
    if (stdlib) {
      // `go`/`toolchain` name the minimum Go release, not the one a build used: listed, but
      // marked so that the scanner does not report that release's vulnerabilities as facts
      // (Trivy only does so on request). Go binaries give the exact release.
      const pkg = stdlibPackage(stdlib.version, { path: input.path, line: stdlib.line });
      pkg.groups = ['unpinned'];
      add(pkg);
    }

    if (mod.goVersion && isBefore(mod.goVersion.version, FIRST_COMPLETE_GO_MOD)) {
      for (const pkg of await goSumPackages(input, mod, packages, issues)) add(pkg);
    }
    return issues.length > 0 ? { packages: [...packages.values()], issues } : { packages: [...packages.values()] };
  },
};

/** A module go.mod (or go.sum) names; `indirect` ones are not imported by the main module itself. */
function requirementPackage(name: string, version: string, path: string, line: number, indirect: boolean): Package {
  const pkg = version === '' ? localModulePackage(name, { path, line }) : modulePackage(name, version, { path, line });
  pkg.direct = !indirect;
  if (indirect) pkg.groups = [...(pkg.groups ?? []), 'indirect'];
  return pkg;
}

/**
 * A requirement replaced by a local directory (`=> ./fork/net`): it is still part of the build,
 * so it is listed, named by its path and without a version (no registry identity: never matched
 * against advisories), as osv-scalibr and Syft list it.
 */
function localModulePackage(dir: string, location: { path: string; line: number }): Package {
  return { name: dir, ecosystem: 'Go', purl: makePurl('Go', dir), locations: [location], scope: 'required', groups: ['local'] };
}

/**
 * The module the build actually uses for a requirement: undefined when the version is excluded;
 * the replacement otherwise (version '' when it is a local directory). A versioned replacement
 * wins over an all-versions one, as in the go command.
 */
function resolveModule(
  mod: GoMod,
  path: string,
  version: string,
  line: number,
): { path: string; version: string; line: number } | undefined {
  if (mod.excludes.has(`${path}@${version}`)) return undefined;
  const replacement = mod.replaces.get(`${path}@${version}`) ?? mod.replaces.get(path);
  return replacement ?? { path, version, line };
}

/**
 * Modules go.sum has source hashes for (`<module> <version> h1:…`; the `<version>/go.mod` lines only
 * hash go.mod files read during version selection) that go.mod does not already name.
 */
async function goSumPackages(
  input: CatalogInput,
  mod: GoMod,
  known: Map<string, Package>,
  issues: InputIssue[],
): Promise<Package[]> {
  const text = await input.sibling('go.sum');
  if (text === undefined) return [];
  const sumPath = posix.join(posix.dirname(input.path), 'go.sum');
  const named = new Set([...mod.requires.map((r) => r.path), ...[...known.values()].map((p) => p.name)]);
  const packages: Package[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fields = lines[i]!.trim().split(/\s+/).filter(Boolean);
    if (fields.length === 0) continue;
    const [path, version] = fields;
    if (fields.length !== 3 || !path || !isModulePath(path) || !version || !isModuleVersion(version.replace(/\/go\.mod$/, ''))) {
      // A go.sum we cannot read adds nothing rather than guesses.
      issues.push({ path: sumPath, line: i + 1, message: 'go.sum line is not `<module> <version> <hash>`; go.sum ignored' });
      return [];
    }
    if (version.endsWith('/go.mod') || named.has(path)) continue;
    const resolved = resolveModule(mod, path, version, i + 1);
    if (resolved) packages.push(requirementPackage(resolved.path, resolved.version, sumPath, i + 1, true));
  }
  return packages;
}

/** True when a Go version (`1.16`, `1.16.5`, `1.16rc1`) is older than `[major, minor]`. */
function isBefore(version: string, [major, minor]: number[]): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  const got = [Number(m[1]), Number(m[2])];
  return got[0]! < major! || (got[0] === major && got[1]! < minor!);
}

function parseGoMod(path: string, text: string, issues: InputIssue[]): GoMod {
  const mod: GoMod = { requires: [], excludes: new Set(), replaces: new Map() };
  for (const entry of directives(text)) {
    const issue = (message: string) => issues.push({ path, line: entry.line, message });
    const { verb, args, line } = entry;
    switch (verb) {
      case 'go':
        if (args.length === 1 && /^\d+(\.\d+)*((rc|beta)\d+)?$/.test(args[0]!)) mod.goVersion = { version: args[0]!, line };
        else issue(`invalid go directive: ${args.join(' ')}`);
        break;
      case 'toolchain': {
        // `go1.23.6`, `go1.23.6-vendor` (a custom build of that release), or `default` (no toolchain pinned).
        const version = args.length === 1 ? goReleaseVersion(args[0]!) : undefined;
        if (version) mod.toolchain = { version, line };
        else if (args[0] !== 'default') issue(`invalid toolchain directive: ${args.join(' ')}`);
        break;
      }
      case 'require':
        if (args.length === 2 && isModulePath(args[0]!) && isModuleVersion(args[1]!)) {
          mod.requires.push({ path: args[0]!, version: args[1]!, line, indirect: isIndirect(entry.comment) });
        } else issue(`skipped requirement: expected \`<module path> <semver version>\`, got \`${args.join(' ')}\``);
        break;
      case 'exclude':
        if (args.length === 2) mod.excludes.add(`${args[0]}@${args[1]}`);
        else issue(`skipped exclude: expected \`<module> <version>\`, got \`${args.join(' ')}\``);
        break;
      case 'replace':
        addReplacement(mod, args, line, issue);
        break;
      default:
        // module, retract, tool, godebug, ignore: nothing to catalog.
        break;
    }
  }
  return mod;
}

/** `old [version] => new [version]`; a target without a version is a local directory. */
function addReplacement(mod: GoMod, args: string[], line: number, issue: (message: string) => void): void {
  const arrow = args.indexOf('=>');
  const from = args.slice(0, arrow);
  const to = args.slice(arrow + 1);
  if (arrow < 1 || from.length > 2 || to.length < 1 || to.length > 2) {
    issue(`skipped replace: expected \`<module> [version] => <module> [version]\`, got \`${args.join(' ')}\``);
    return;
  }
  if (to.length === 1 ? !isLocalPath(to[0]!) : !isModulePath(to[0]!) || !isModuleVersion(to[1]!)) {
    issue(`skipped replace: target \`${to.join(' ')}\` is neither a local path nor \`<module> <semver version>\``);
    return;
  }
  const key = from.length === 2 ? `${from[0]}@${from[1]}` : from[0]!;
  mod.replaces.set(key, { path: to[0]!, version: to[1] ?? '', line });
}

/** `// indirect`, possibly followed by `; other text`. */
function isIndirect(comment: string): boolean {
  return comment === 'indirect' || comment.startsWith('indirect;');
}

/**
 * The file's directives, one per line, with factored blocks (`require ( … )`) flattened so that
 * each line inside carries the block's verb. Unknown verbs and unbalanced blocks are parse errors:
 * that is how a file that is not go.mod shows itself.
 */
function directives(text: string): Line[] {
  const out: Line[] = [];
  let block: { verb: string; line: number } | undefined;
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const { tokens, comment } = tokenize(lines[i]!.replace(/\r$/, ''), line);
    if (tokens.length === 0) continue;
    if (block) {
      if (tokens.length === 1 && tokens[0] === ')') block = undefined;
      else if (tokens.includes('(') || tokens.includes(')')) throw new ParseError('unexpected parenthesis in block', line);
      else out.push({ line, verb: block.verb, args: tokens, comment });
      continue;
    }
    const [verb, ...args] = tokens;
    if (!KNOWN_VERBS.has(verb!)) throw new ParseError(`not a go.mod file: unknown directive \`${verb}\``, line);
    if (args[0] === '(') {
      if (args.length === 1) block = { verb: verb!, line };
      else if (args.length !== 2 || args[1] !== ')') throw new ParseError('a block must start with `(` at the end of the line', line);
      continue;
    }
    if (args.includes('(') || args.includes(')')) throw new ParseError('unexpected parenthesis', line);
    out.push({ line, verb: verb!, args, comment });
  }
  if (block) throw new ParseError(`unterminated \`${block.verb} (\` block`, block.line);
  return out;
}

/** Split one line into tokens: `(`, `)`, quoted strings (unquoted), and runs of other characters. */
function tokenize(text: string, line: number): { tokens: string[]; comment: string } {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t') {
      i++;
    } else if (text.startsWith('//', i)) {
      return { tokens, comment: text.slice(i + 2).trim() };
    } else if (c === '(' || c === ')') {
      tokens.push(c);
      i++;
    } else if (c === '"' || c === '`') {
      const end = closingQuote(text, i);
      if (end === -1) throw new ParseError('unterminated quoted string', line);
      tokens.push(unquote(text.slice(i, end + 1), line));
      i = end + 1;
    } else {
      const start = i;
      while (i < text.length && !' \t()"`'.includes(text[i]!)) i++;
      tokens.push(text.slice(start, i));
    }
  }
  return { tokens, comment: '' };
}

function closingQuote(text: string, start: number): number {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (quote === '"' && text[i] === '\\') i++;
    else if (text[i] === quote) return i;
  }
  return -1;
}

/** Go string literals: raw strings are verbatim; interpreted ones use escapes close enough to JSON's for paths. */
function unquote(literal: string, line: number): string {
  if (literal.startsWith('`')) return literal.slice(1, -1);
  try {
    return JSON.parse(literal) as string;
  } catch {
    throw new ParseError(`invalid quoted string ${literal}`, line);
  }
}
