/**
 * pip requirements files (https://pip.pypa.io/en/stable/reference/requirements-file-format/).
 * Each logical line (joined over trailing `\`, comments from a `#` at the start or after
 * whitespace removed) is a PEP 508 requirement followed by per-requirement options
 * (`--hash=…`, `--global-option`, `--config-settings`/`-C`), or a global option line. `-r FILE`
 * includes another requirements file, `-c FILE` a constraints file: constraints install nothing,
 * but their exact pins resolve requirements that the files leave open.
 *
 * Versions follow the upstream (osv-scalibr) semantics the compatibility corpus is built from:
 * `==`/`===` pin the version, a lone `>=`, `~=` or `<=` gives its bound as the version, and
 * anything else (`!=`, `<`, `>`, several clauses, `==1.*` wildcards, no specifier) leaves the
 * package unresolved (no version). Direct URLs and local paths are not registry packages, except
 * a VCS URL locked to a full commit with a known name, which is catalogued by that commit.
 */
import { posix } from 'node:path';
import { ParseError } from '../../../core/errors.ts';
import type { InputIssue, Package } from '../../../core/types.ts';
import { baseName, type Cataloger, type CatalogInput, type CatalogResult } from '../cataloger.ts';
import { isCommit, normalizeName, pypiPackage } from './common.ts';

/** pip's comment rule: `#` at the start of a line or after whitespace (so `--hash=…;#` is not one). */
const COMMENT = /(^|\s)#.*$/;
/** pip expands `${VAR}` from the environment at install time; we cannot know the value. */
const ENV_VAR = /\$\{[A-Z0-9_]+\}/;
const NAME = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*/;
const EXTRAS = /^\[[^\]]*\]\s*/;
const CLAUSE = /^(===|==|~=|>=|<=|!=|<|>)\s*(.*)$/;
/** Operators whose version upstream reports as the package version (the bound the file names). */
const VERSION_OPERATORS = new Set(['===', '==', '~=', '>=', '<=']);
const VCS_SCHEMES = /^(?:git|hg|svn|bzr)\+/i;

interface LogicalLine {
  text: string;
  line: number;
}

/** An `-r`/`-c` line: which file, and whether it is a constraints file. */
interface Include {
  file: string;
  constraints: boolean;
}

/** A catalogued requirement; `exact` when `==`/`===` pins it (only exact pins constrain). */
interface Requirement {
  pkg: Package;
  exact: boolean;
}

interface FileResult {
  requirements: Requirement[];
  includes: (Include & { line: number })[];
}

export const requirementsCataloger: Cataloger = {
  name: 'python/requirements',
  ecosystem: 'PyPI',
  wants: wantsRequirements,
  catalog: catalogRequirements,
};

/** `*requirements*.txt` / `*requirements*.in`, or any `.txt` directly in a `requirements/` directory. */
function wantsRequirements(path: string): boolean {
  const base = baseName(path).toLowerCase();
  if (base.includes('requirements') && (base.endsWith('.txt') || base.endsWith('.in'))) return true;
  const parent = posix.basename(posix.dirname(path)).toLowerCase();
  return parent === 'requirements' && base.endsWith('.txt');
}

async function catalogRequirements(input: CatalogInput): Promise<CatalogResult> {
  const issues: InputIssue[] = [];
  const requirements: Requirement[] = [];
  const constraints = new Map<string, string>();
  const visited = new Set<string>([posix.normalize(input.path)]);
  const dir = posix.dirname(input.path);

  // Breadth-first over this file and its includes; `rel` is relative to this file's directory.
  const text = await input.text();
  // A binary file would otherwise turn into one invalid-requirement issue per line.
  if (text.includes('\0')) throw new ParseError('not a requirements file: binary content');
  const queue: { rel: string; path: string; text: string; constraints: boolean }[] = [
    { rel: posix.basename(input.path), path: input.path, text, constraints: false },
  ];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    const result = parseFile(file.text, file.path, issues);
    if (file.constraints) for (const req of result.requirements) recordConstraint(constraints, req);
    else requirements.push(...result.requirements);
    for (const include of result.includes) {
      const rel = posix.join(posix.dirname(file.rel), include.file);
      const path = posix.normalize(posix.join(dir, rel));
      if (visited.has(path)) continue;
      visited.add(path);
      const text = /^[a-z]+:\/\//i.test(include.file) ? undefined : await input.sibling(rel);
      if (text === undefined) {
        issues.push({ path: file.path, line: include.line, message: `cannot read included file ${include.file}` });
        continue;
      }
      queue.push({ rel, path, text, constraints: include.constraints || file.constraints });
    }
  }
  const packages = requirements.map((r) => applyConstraint(r, constraints));
  return { packages, ...(issues.length > 0 && { issues }) };
}

function parseFile(text: string, path: string, issues: InputIssue[]): FileResult {
  const requirements: Requirement[] = [];
  const includes: FileResult['includes'] = [];
  for (const { text: line, line: lineNo } of logicalLines(text)) {
    if (ENV_VAR.test(line)) {
      issues.push({ path, line: lineNo, message: 'skipped requirement with an environment variable' });
      continue;
    }
    if (line.startsWith('-')) {
      const option = globalOption(line);
      if (option && 'include' in option) includes.push({ ...option.include, line: lineNo });
      else if (option && 'requirement' in option) addRequirement(option.requirement, path, lineNo, requirements, issues);
      continue;
    }
    addRequirement(requirementPart(line), path, lineNo, requirements, issues);
  }
  return { requirements, includes };
}

function addRequirement(text: string, path: string, line: number, into: Requirement[], issues: InputIssue[]): void {
  const result = parseRequirement(text, path, line);
  if (typeof result === 'string') issues.push({ path, line, message: result });
  else if (result) into.push(result);
}

/** Logical lines with the line number each starts on: comments removed, `\` continuations joined, blanks dropped. */
function logicalLines(text: string): LogicalLine[] {
  const out: LogicalLine[] = [];
  let pending = '';
  let start = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    if (pending === '') start = i + 1;
    const hasComment = COMMENT.test(raw);
    const line = raw.replace(COMMENT, '');
    // A comment ends a continuation, as in pip (the `\` would be inside the comment).
    if (!hasComment && line.endsWith('\\')) {
      pending += line.slice(0, -1);
      return;
    }
    const joined = (pending + line).trim();
    pending = '';
    if (joined !== '') out.push({ text: joined, line: start });
  });
  const last = pending.trim();
  if (last !== '') out.push({ text: last, line: start });
  return out;
}

/** pip's split of a requirement line: the requirement ends at the first token that starts with `-`. */
function requirementPart(line: string): string {
  const tokens = line.split(/\s+/);
  const firstOption = tokens.findIndex((t) => t.startsWith('-'));
  return (firstOption === -1 ? tokens : tokens.slice(0, firstOption)).join(' ');
}

/**
 * A global option line: `-r`/`--requirement` and `-c`/`--constraint` include a file, `-e`/
 * `--editable` names a requirement (a VCS URL or a local path); the rest (index URLs,
 * `--hash` on its own line, `--pre` …) do not declare packages.
 */
function globalOption(line: string): { include: Include } | { requirement: string } | undefined {
  const m = /^(-r|--requirement|-c|--constraint|-e|--editable)(?:\s*=\s*|\s*)(\S.*)?$/.exec(line);
  if (!m || m[2] === undefined) return undefined;
  const [, flag, value] = m as unknown as [string, string, string];
  if (flag === '-e' || flag === '--editable') return { requirement: value.trim() };
  return { include: { file: value.trim(), constraints: flag === '-c' || flag === '--constraint' } };
}

/**
 * One requirement, undefined for something that is not a registry package (URL, local path),
 * or the reason it is invalid.
 */
function parseRequirement(text: string, path: string, line: number): Requirement | string | undefined {
  if (isUrlOrPath(text)) return vcsRequirement(text, undefined, path, line);
  const name = NAME.exec(text);
  if (!name) return `skipped invalid requirement: ${text}`;
  const rest = text.slice(name[0].length).replace(EXTRAS, '');
  if (rest.startsWith('@')) return vcsRequirement(rest.slice(1).trim(), name[1], path, line);
  const spec = specVersion(rest.split(';')[0]!.trim());
  if (!spec) return `skipped invalid requirement: ${text}`;
  const pkg = pypiPackage({ name: name[1]!, version: spec.version, path, line });
  // `>=2.0` names a bound, not what is installed: the version is kept (as osv-scalibr reports
  // it) but marked, so that the SBOM says so and the scanner does not treat it as a pin.
  if (spec.version !== undefined && !spec.exact) pkg.groups = ['unpinned'];
  return { pkg, exact: spec.exact };
}

/**
 * The version a specifier gives (undefined: unresolved), or undefined when it is not a specifier
 * at all (`asdf 1.0`, `foo==` with nothing after it).
 */
function specVersion(spec: string): { version?: string; exact: boolean } | undefined {
  const inner = spec.replace(/^\((.*)\)$/, '$1').trim();
  if (inner === '') return { exact: false };
  const parsed = inner.split(',').map((c) => CLAUSE.exec(c.trim()));
  if (parsed.some((m) => !m || m[2] === '')) return undefined;
  if (parsed.length !== 1) return { exact: false };
  const [, op, version] = parsed[0] as unknown as [string, string, string];
  if (!VERSION_OPERATORS.has(op) || version.includes('*')) return { exact: false };
  return { version, exact: op === '==' || op === '===' };
}

function isUrlOrPath(text: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(text) || /^[./~\\]/.test(text) || /\.(whl|zip|tar\.gz|tgz|tar\.bz2)$/i.test(text);
}

/**
 * A VCS requirement (`git+https://…@<commit>#egg=name` or `name @ git+…@<commit>`) locked to a
 * full commit: a package identified by that commit. Any other URL or path: not a package.
 */
function vcsRequirement(url: string, name: string | undefined, path: string, line: number): Requirement | undefined {
  if (!VCS_SCHEMES.test(url)) return undefined;
  const [location, fragment = ''] = url.split('#', 2) as [string, string?];
  const egg = /(?:^|&)egg=([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(fragment)?.[1];
  const pkgName = name ?? egg;
  const at = location.lastIndexOf('@');
  const commit = at > location.indexOf('://') ? location.slice(at + 1) : undefined;
  if (!pkgName || !isCommit(commit)) return undefined;
  return { pkg: pypiPackage({ name: pkgName, path, line, git: { url: location.slice(0, at), commit } }), exact: true };
}

/** Constraints pin versions by name: exact pins only; the first one read wins. */
function recordConstraint(constraints: Map<string, string>, { pkg, exact }: Requirement): void {
  const key = normalizeName(pkg.name);
  if (exact && pkg.version !== undefined && !constraints.has(key)) constraints.set(key, pkg.version);
}

/** A requirement the files do not pin exactly takes the version a constraints file pins, as pip would install. */
function applyConstraint({ pkg, exact }: Requirement, constraints: Map<string, string>): Package {
  if (exact) return pkg;
  const version = constraints.get(normalizeName(pkg.name));
  if (version === undefined) return pkg;
  const location = pkg.locations[0]!;
  return pypiPackage({ name: pkg.name, version, path: location.path, line: location.line });
}
