/**
 * mix.lock, written by Elixir's Mix (also used by Erlang projects built with Mix).
 * The file is an Elixir map literal, app name → dependency tuple:
 *   `"plug": {:hex, :plug, "1.11.1", "<inner checksum>", [:mix], [{:mime, "~> 1.0", [hex: :mime, repo: "hexpm", optional: false]}], "hexpm", "<outer checksum>"}`
 *   `"foo": {:git, "https://github.com/org/foo.git", "<commit>", [branch: "main"]}`
 * It is read with a small parser for the term subset Mix writes (maps, tuples, lists, keyword
 * lists, atoms, strings, numbers), never evaluated. Path dependencies are not locked.
 */
import { ParseError } from '../../../core/errors.ts';
import { makePurl } from '../../../core/purl.ts';
import type { InputIssue, Package } from '../../../core/types.ts';
import { baseName, type Cataloger, type CatalogInput, type CatalogResult } from '../cataloger.ts';

export const mixLockCataloger: Cataloger = {
  name: 'elixir/mix-lock',
  ecosystem: 'Hex',
  wants: (path) => baseName(path) === 'mix.lock',
  catalog: catalogMixLock,
};

/** A parsed term with the line it starts on. Keyword pairs (`key: value`) become 2-tuples, as in Elixir. */
type Term =
  | { kind: 'string' | 'atom' | 'number'; value: string; line: number }
  | { kind: 'tuple' | 'list'; items: Term[]; line: number }
  | { kind: 'map'; entries: [Term, Term][]; line: number };

interface Locked {
  key: string;
  pkg: Package;
  /** App names of the dependencies the entry declares (hex entries only). */
  deps: string[];
}

async function catalogMixLock(input: CatalogInput): Promise<CatalogResult> {
  const text = await input.text();
  if (text.trim() === '') throw new ParseError('empty file');
  const root = parseTerm(text);
  if (root.kind !== 'map') throw new ParseError('not a mix.lock: the file is not a map', root.line);

  const issues: InputIssue[] = [];
  const locked: Locked[] = [];
  for (const [key, value] of root.entries) {
    const entry = readEntry(key, value, input.path);
    if (typeof entry === 'string') issues.push({ path: input.path, line: key.line, message: entry });
    else locked.push(entry);
  }
  linkDependencies(locked);
  return { packages: locked.map((l) => l.pkg), ...(issues.length > 0 && { issues }) };
}

/** One map entry, or the reason it was skipped. */
function readEntry(key: Term, value: Term, path: string): Locked | string {
  const name = key.kind === 'string' || key.kind === 'atom' ? key.value : '';
  if (name === '') return 'skipped entry: the key is not a name';
  if (value.kind !== 'tuple') return `skipped ${name}: not a dependency tuple`;
  const [scm, ...rest] = value.items;
  const base = { name, path, line: key.line };
  if (scm?.kind === 'atom' && scm.value === 'hex') return readHex(base, rest);
  if (scm?.kind === 'atom' && scm.value === 'git') return readGit(base, rest);
  return `skipped ${name}: unsupported source ${scm ? termText(scm) : '(none)'}`;
}

/**
 * `{:hex, :package, "version", "inner checksum", managers, deps, "repo", "outer checksum"}`; the oldest
 * lockfiles stop after the version or the checksum. The package name is the atom (an app may
 * alias another Hex package). The inner checksum goes in `commit`: it pins the exact release
 * tarball, and the upstream extractors this cataloger is compatible with report it there.
 */
function readHex(base: { name: string; path: string; line: number }, items: Term[]): Locked | string {
  const [pkgName, version, checksum, , deps] = items;
  if (pkgName?.kind !== 'atom' || version?.kind !== 'string' || version.value === '') {
    return `skipped ${base.name}: malformed hex entry (expected {:hex, :name, "version", ...})`;
  }
  const commit = checksum?.kind === 'string' && checksum.value !== '' ? checksum.value : undefined;
  return {
    key: base.name,
    pkg: {
      name: pkgName.value,
      version: version.value,
      ecosystem: 'Hex',
      purl: makePurl('Hex', pkgName.value, version.value),
      locations: [{ path: base.path, line: base.line }],
      scope: 'required',
      ...(commit !== undefined && { commit }),
    },
    deps: deps?.kind === 'list' ? deps.items.flatMap(dependencyApp) : [],
  };
}

/** `{:app, "requirement", [hex: :package, repo: "hexpm", optional: false]}` → the app name. */
function dependencyApp(dep: Term): string[] {
  const app = dep.kind === 'tuple' ? dep.items[0] : undefined;
  return app?.kind === 'atom' ? [app.value] : [];
}

/** `{:git, "url", "commit", [branch: …]}`: no version; the commit identifies the checkout. */
function readGit(base: { name: string; path: string; line: number }, items: Term[]): Locked | string {
  const [url, commit] = items;
  if (url?.kind !== 'string' || commit?.kind !== 'string' || commit.value === '') {
    return `skipped ${base.name}: malformed git entry (expected {:git, "url", "commit", ...})`;
  }
  return {
    key: base.name,
    pkg: {
      name: base.name,
      ecosystem: 'Hex',
      purl: makePurl('Hex', base.name, undefined, { vcs_url: `git+${url.value}@${commit.value}` }),
      locations: [{ path: base.path, line: base.line }],
      scope: 'required',
      commit: commit.value,
    },
    deps: [],
  };
}

/** Dependencies name lock entries by app name (the map key); optional ones may be absent. */
function linkDependencies(locked: Locked[]): void {
  const byKey = new Map(locked.map((l) => [l.key, l.pkg.purl]));
  for (const l of locked) {
    const purls = l.deps.map((d) => byKey.get(d)).filter((p): p is string => p !== undefined);
    if (purls.length > 0) l.pkg.dependsOn = [...new Set(purls)].sort();
  }
}

function termText(term: Term): string {
  return term.kind === 'atom' ? `:${term.value}` : term.kind;
}

// ---------------------------------------------------------------------------------------------
// Elixir term parser

/** Nesting deeper than this is not a lockfile; stop before the stack does. */
const MAX_DEPTH = 64;

/** Parse one Elixir term that makes up the whole text (comments and whitespace around it allowed). */
function parseTerm(text: string): Term {
  const parser = new TermParser(text);
  const term = parser.value(0);
  parser.skipSpace();
  if (!parser.atEnd()) parser.fail('unexpected text after the end of the map');
  return term;
}

class TermParser {
  private readonly text: string;
  private pos = 0;
  private line = 1;

  constructor(text: string) {
    this.text = text;
  }

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  fail(message: string): never {
    throw new ParseError(`invalid mix.lock: ${message}`, this.line);
  }

  /** Skip whitespace and `#` comments, counting lines. */
  skipSpace(): void {
    while (this.pos < this.text.length) {
      const c = this.text[this.pos]!;
      if (c === '\n') this.line++;
      if (c === '#') {
        while (this.pos < this.text.length && this.text[this.pos] !== '\n') this.pos++;
      } else if (c === ' ' || c === '\t' || c === '\r' || c === '\n') this.pos++;
      else return;
    }
  }

  value(depth: number): Term {
    if (depth > MAX_DEPTH) this.fail('terms nested too deeply');
    this.skipSpace();
    const line = this.line;
    const c = this.text[this.pos];
    if (c === undefined) this.fail('unexpected end of file');
    if (this.text.startsWith('%{', this.pos)) {
      this.pos += 2;
      return { kind: 'map', entries: this.sequence('}', () => this.mapEntry(depth)), line };
    }
    if (c === '{') {
      this.pos++;
      return { kind: 'tuple', items: this.sequence('}', () => this.element(depth)), line };
    }
    if (c === '[') {
      this.pos++;
      return { kind: 'list', items: this.sequence(']', () => this.element(depth)), line };
    }
    if (c === '"') return { kind: 'string', value: this.string(), line };
    if (c === ':') {
      this.pos++;
      return { kind: 'atom', value: this.text[this.pos] === '"' ? this.string() : this.identifier(), line };
    }
    if (/[-0-9]/.test(c)) return { kind: 'number', value: this.number(), line };
    if (/[A-Za-z_]/.test(c)) return { kind: 'atom', value: this.identifier(), line };
    return this.fail(`unexpected character ${JSON.stringify(c)}`);
  }

  /** Comma-separated items up to `close`; a trailing comma is tolerated. */
  private sequence<T>(close: string, item: () => T): T[] {
    const items: T[] = [];
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === close) {
        this.pos++;
        return items;
      }
      items.push(item());
      this.skipSpace();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== close) this.fail(`expected "," or "${close}"`);
    }
  }

  /** A list or tuple element: a term, or a keyword pair `key: value` (a 2-tuple). */
  private element(depth: number): Term {
    const key = this.keywordKey();
    if (!key) return this.value(depth + 1);
    return { kind: 'tuple', items: [key, this.value(depth + 1)], line: key.line };
  }

  /** `"key": value`, `key: value` or `key => value`. */
  private mapEntry(depth: number): [Term, Term] {
    const key = this.keywordKey();
    if (key) return [key, this.value(depth + 1)];
    const k = this.value(depth + 1);
    this.skipSpace();
    if (!this.text.startsWith('=>', this.pos)) this.fail('expected "=>" in map');
    this.pos += 2;
    return [k, this.value(depth + 1)];
  }

  /** A keyword key (`name:` or `"quoted name":` followed by a space) as an atom, or undefined. */
  private keywordKey(): Term | undefined {
    this.skipSpace();
    const start = this.pos;
    const line = this.line;
    const c = this.text[this.pos];
    let name: string | undefined;
    if (c === '"') name = this.string();
    else if (c !== undefined && /[A-Za-z_]/.test(c)) name = this.identifier();
    if (name !== undefined && this.text[this.pos] === ':' && /\s/.test(this.text[this.pos + 1] ?? '')) {
      this.pos++;
      return { kind: 'atom', value: name, line };
    }
    // Not a key: rewind, restoring the line count a multi-line string may have advanced.
    this.pos = start;
    this.line = line;
    return undefined;
  }

  private string(): string {
    this.pos++; // opening quote
    let out = '';
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) this.fail('unterminated string');
      this.pos++;
      if (c === '"') return out;
      if (c === '\n') this.line++;
      if (c === '\\') {
        const e = this.text[this.pos++];
        if (e === undefined) this.fail('unterminated string');
        out += e === 'n' ? '\n' : e === 't' ? '\t' : e;
      } else out += c;
    }
  }

  private identifier(): string {
    const m = /^[A-Za-z_][\w@.]*[?!]?/.exec(this.text.slice(this.pos, this.pos + 256));
    if (!m) return this.fail('expected a name');
    this.pos += m[0].length;
    return m[0];
  }

  private number(): string {
    const m = /^-?\d[\d_]*(?:\.\d[\d_]*)?/.exec(this.text.slice(this.pos, this.pos + 64));
    if (!m) return this.fail('expected a number');
    this.pos += m[0].length;
    return m[0];
  }
}
