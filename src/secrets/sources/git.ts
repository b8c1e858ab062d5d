/**
 * Git history and pending changes as fragments, like gitleaks' git source (sources/git.go):
 * `git log -p -U0 --full-history --all --diff-filter=tuxdb` (or the user's `--log-opts`) for
 * history, `git diff -U0 [--staged]` for a pre-commit hook. Each hunk's added lines become one
 * fragment starting at the hunk's first new line; deleted files and binary changes are skipped;
 * merge commits, which `git log -p` shows without a diff, contribute nothing.
 *
 * The log is read as a stream and parsed line by line, so histories of any size use little memory.
 * Commit metadata comes from a `--format` with control-character separators instead of git's
 * human-readable header, which is ambiguous to parse.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { CommitInfo, Fragment } from '../finding.ts';

const RS = '\x1e';
const US = '\x1f';
const LOG_FORMAT = `--format=${RS}%H${US}%an${US}%ae${US}%aI${US}%B${US}`;

export interface GitSourceOptions {
  /** Extra `git log` arguments, split on spaces as gitleaks does (`--all commitA..commitB`). */
  logOpts?: string;
  /** Called with each line git writes on stderr that is not a known harmless warning. */
  onWarning?: (message: string) => void;
}

export class GitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GitError';
  }
}

/**
 * Fragments of every commit's added lines, newest commit first. In a shallow clone the oldest
 * commit present shows its whole tree as added and what came before is missing: a warning says so.
 */
export function gitLogFragments(repo: string, options: GitSourceOptions = {}): AsyncGenerator<Fragment> {
  const shallow = spawnSync('git', ['-C', repo, 'rev-parse', '--is-shallow-repository'], { encoding: 'utf8' });
  if (shallow.stdout?.trim() === 'true') options.onWarning?.('shallow clone: commits before the clone depth are not scanned (git fetch --unshallow to scan them)');
  const args = ['-C', repo, '-c', 'core.quotePath=false', 'log', '-p', '-U0', '--no-ext-diff', '--no-color', LOG_FORMAT];
  if (options.logOpts?.trim()) args.push(...options.logOpts.trim().split(/\s+/));
  else args.push('--full-history', '--all', '--diff-filter=tuxdb');
  return runGit(args, options, true);
}

/** Fragments of the uncommitted changes: staged ones with `staged`, else those in the work tree. */
export function gitDiffFragments(repo: string, staged: boolean, options: GitSourceOptions = {}): AsyncGenerator<Fragment> {
  const args = ['-C', repo, '-c', 'core.quotePath=false', 'diff', '-U0', '--no-ext-diff', '--no-color'];
  if (staged) args.push('--staged');
  args.push('.');
  return runGit(args, options, false);
}

/** git's stderr lines that do not mean the output is incomplete (gitleaks ignores the same ones). */
const HARMLESS = [
  'exhaustive rename detection was skipped',
  'inexact rename detection was skipped',
  'you may want to set your diff.renameLimit',
  'See "git help gc" for manual housekeeping',
  'Auto packing the repository in background for optimum performance',
];

async function* runGit(args: string[], options: GitSourceOptions, withCommits: boolean): AsyncGenerator<Fragment> {
  const child = spawn('git', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => {
    if (HARMLESS.some((h) => line.includes(h))) options.onWarning?.(`git: ${line}`);
    else stderr.push(line);
  });
  const exit = new Promise<number>((resolve, reject) => {
    child.on('error', (err) => reject(new GitError(`cannot run git: ${err.message}`)));
    child.on('close', (code) => resolve(code ?? 1));
  });
  exit.catch(() => undefined); // observed below; avoids an unhandled rejection if the stream fails first
  const parser = new PatchParser(withCommits);
  const decoder = new TextDecoder();
  // The text after the last newline, in pieces: a line of many megabytes (a minified file) is
  // joined once, not once per chunk.
  let pending: string[] = [];
  try {
    // Whole chunks are parsed at once (lines found with indexOf, no per-line objects): histories
    // have millions of lines.
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      const text = decoder.decode(chunk, { stream: true });
      if (!text.includes('\n')) {
        pending.push(text);
        continue;
      }
      const out: Fragment[] = [];
      pending.push(text);
      pending = [parser.feed(pending.join(''), out)];
      yield* out;
    }
    const out: Fragment[] = [];
    const rest = pending.join('') + decoder.decode();
    if (rest !== '') parser.feed(rest + '\n', out);
    parser.finish(out);
    yield* out;
  } finally {
    if (child.exitCode === null) child.kill();
  }
  const code = await exit;
  if (code !== 0) {
    const message = stderr.join('\n').trim();
    // An empty repository has no history to scan: not an error.
    if (/does not have any commits yet|bad default revision 'HEAD'/.test(message)) {
      options.onWarning?.('the repository has no commits');
      return;
    }
    throw new GitError(message || `git exited with code ${code}`);
  }
  for (const line of stderr) options.onWarning?.(`git: ${line}`);
}

/**
 * A line-by-line parser of `git log -p` / `git diff` output. Fragments are emitted when a hunk
 * ends (next hunk, next file, next commit or end of input).
 */
export class PatchParser {
  readonly #withCommits: boolean;
  #commit: CommitInfo | undefined;
  /** While reading a commit header that spans lines (its message). */
  #header: string[] | undefined;
  #file: { path: string; skip: boolean } | undefined;
  #hunk: { startLine: number; lines: string[]; noNewlineAtEnd: boolean; lastWasAdd: boolean } | undefined;
  #inHeaderOfFile = false;

  constructor(withCommits: boolean) {
    this.#withCommits = withCommits;
  }

  /** Parses the complete lines of `text` into `out`; returns what follows the last newline. */
  feed(text: string, out: Fragment[]): string {
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      // Removed and context lines are the bulk of a patch: skipped without being cut out.
      const c = text.charCodeAt(start);
      if (c === MINUS && this.#hunk && !this.#header && !this.#inHeaderOfFile) this.#hunk.lastWasAdd = false;
      else if (c === PLUS && this.#hunk && !this.#header && !this.#inHeaderOfFile) {
        this.#hunk.lines.push(text.slice(start + 1, nl));
        this.#hunk.lastWasAdd = true;
      } else this.#line(text.slice(start, nl), out);
      start = nl + 1;
    }
    return text.slice(start);
  }

  /** The end of the input: the last fragment into `out`. */
  finish(out: Fragment[]): void {
    if (this.#header) this.#finishHeader();
    this.#flushHunk(out);
  }

  #line(line: string, out: Fragment[]): void {
    if (this.#header) {
      this.#header.push(line);
      if (line.endsWith(US) && this.#header.join('\n').split(US).length > 5) this.#finishHeader();
      return;
    }
    if (this.#withCommits && line.startsWith(RS)) {
      this.#flushHunk(out);
      this.#file = undefined;
      this.#header = [line.slice(1)];
      if (line.endsWith(US) && line.split(US).length > 5) this.#finishHeader();
      return;
    }
    if (line.startsWith('diff --git ')) {
      this.#flushHunk(out);
      this.#file = { path: pathFromDiffLine(line), skip: false };
      this.#inHeaderOfFile = true;
      return;
    }
    if (!this.#file) return;
    if (this.#inHeaderOfFile) {
      if (line.startsWith('deleted file mode')) this.#file.skip = true;
      else if (line.startsWith('Binary files ') || line === 'GIT binary patch') this.#file.skip = true;
      else if (line.startsWith('+++ ')) {
        const target = line.slice(4);
        if (target === '/dev/null') this.#file.skip = true;
        else this.#file.path = stripPrefix(unquote(target));
      } else if (line.startsWith('rename to ')) this.#file.path = unquote(line.slice('rename to '.length));
      else if (line.startsWith('copy to ')) this.#file.path = unquote(line.slice('copy to '.length));
      if (!line.startsWith('@@')) return;
      this.#inHeaderOfFile = false;
    }
    if (line.startsWith('@@')) {
      this.#flushHunk(out);
      const m = /^@@+ [^+]*\+(\d+)(?:,\d+)? @@/.exec(line);
      this.#hunk = { startLine: m ? Number(m[1]) : 0, lines: [], noNewlineAtEnd: false, lastWasAdd: false };
      return;
    }
    if (!this.#hunk) return;
    if (line.startsWith('+')) {
      this.#hunk.lines.push(line.slice(1));
      this.#hunk.lastWasAdd = true;
    } else if (line.startsWith('\\')) {
      // "\ No newline at end of file" applies to the line just before it.
      if (this.#hunk.lastWasAdd) this.#hunk.noNewlineAtEnd = true;
    } else {
      this.#hunk.lastWasAdd = false;
    }
  }

  #finishHeader(): void {
    const fields = this.#header!.join('\n').split(US);
    this.#header = undefined;
    // The format ends with a separator: the field after it is empty.
    const [sha = '', author = '', email = '', date = '', ...message] = fields.slice(0, -1);
    this.#commit = { sha, author, email, date: utcDate(date), message: message.join(US).replace(/\s+$/, '') };
  }

  #flushHunk(out: Fragment[]): void {
    const hunk = this.#hunk;
    const file = this.#file;
    this.#hunk = undefined;
    if (!hunk || !file || file.skip) return;
    let raw = hunk.lines.join('\n');
    if (hunk.lines.length > 0 && !hunk.noNewlineAtEnd) raw += '\n';
    // An ASCII hunk's bytes are its characters: with them the detector's pre-filter and gates run
    // over bytes (in WebAssembly) as for files.
    const ascii = Buffer.byteLength(raw, 'utf8') === raw.length;
    out.push({
      raw,
      ...(ascii && { bytes: Buffer.from(raw, 'latin1') }),
      filePath: file.path,
      startLine: hunk.startLine,
      ...(this.#withCommits && this.#commit && { commit: this.#commit }),
    });
  }
}

const PLUS = 0x2b;
const MINUS = 0x2d;

/** `2021-11-02T18:37:53-05:00` → `2021-11-02T23:37:53Z` (gitleaks reports author dates in UTC). */
function utcDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function pathFromDiffLine(line: string): string {
  // `diff --git a/x b/x`: the b/ side, unless quoted; +++ and rename lines refine it.
  const rest = line.slice('diff --git '.length);
  const quoted = /^"(?:[^"\\]|\\.)*" "((?:[^"\\]|\\.)*)"$/.exec(rest);
  if (quoted) return stripPrefix(unquote(`"${quoted[1]}"`));
  const mid = rest.indexOf(' b/');
  return mid >= 0 ? rest.slice(mid + 3) : rest;
}

function stripPrefix(path: string): string {
  return path.startsWith('b/') || path.startsWith('a/') ? path.slice(2) : path;
}

/** Git's C-style quoting of unusual paths ("\303\251" is é). */
function unquote(s: string): string {
  if (!s.startsWith('"') || !s.endsWith('"')) return s;
  const bytes: number[] = [];
  const body = s.slice(1, -1);
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, '"': 34, '\\': 92, a: 7, b: 8, f: 12, v: 11 };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = body[++i] ?? '';
    if (/[0-7]/.test(next)) {
      bytes.push(parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else {
      bytes.push(simple[next] ?? next.charCodeAt(0));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
