/**
 * `palisade ci pin`: rewrites `uses: owner/repo@tag` to `uses: owner/repo@<40-hex sha> # tag` in
 * workflows and action definitions. Commits come from a resolution file (`{"owner/repo@ref":
 * "<sha>"}`, JSON or YAML) or, when asked, from the GitHub API; nothing is looked up
 * otherwise. Only the reference text changes: formatting, comments and the rest of the file are
 * kept byte for byte.
 */
import { readFileSync } from 'node:fs';
import { isScalar, parse as parseYamlText } from 'yaml';
import { ParseError, errorMessage } from '../core/errors.ts';
import type { CiFile } from './discover.ts';
import { isFullSha, parseAction, parseWorkflow, type UsesRef } from './model.ts';
import { loadYaml, nodeRange, position, type SourceFile } from './yaml.ts';

export interface PinTarget {
  path: string;
  line: number;
  column: number;
  owner: string;
  repo: string;
  ref: string;
  /** `owner/repo[/path]` as written. */
  target: string;
  start: number;
  end: number;
  /** A comment already follows the reference on its line (then it is kept, not replaced). */
  hasComment: boolean;
}

export interface Resolver {
  /** The full commit SHA a ref points to, or undefined when unknown. */
  resolve(owner: string, repo: string, ref: string): Promise<string | undefined>;
}

/** Every repository reference in the file that is not pinned to a full commit SHA. */
export function pinTargets(file: SourceFile, kind: CiFile['kind']): PinTarget[] {
  if (kind !== 'workflow' && kind !== 'action') return [];
  const doc = kind === 'workflow' ? parseWorkflow(file) : parseAction(file);
  const refs: UsesRef[] = [];
  if (doc.kind === 'workflow') for (const job of doc.jobs) refs.push(...(job.uses ? [job.uses] : []), ...job.steps.flatMap((s) => (s.uses ? [s.uses] : [])));
  else refs.push(...doc.steps.flatMap((s) => (s.uses ? [s.uses] : [])));
  const out: PinTarget[] = [];
  for (const ref of refs) {
    const u = ref.parsed;
    const node = ref.entry.value;
    // Only plain or quoted one-line values are rewritten; block scalars and expressions are left alone.
    if (u.kind !== 'repository' || !u.ref || isFullSha(u.ref) || ref.raw.includes('${{') || !isScalar(node) || node.type?.startsWith('BLOCK')) continue;
    const r = nodeRange(node);
    const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
    const start = r.start + (quoted ? 1 : 0);
    const end = r.end - (quoted ? 1 : 0);
    if (file.text.slice(start, end) !== ref.raw) continue;
    const lineEnd = file.text.indexOf('\n', r.end);
    const rest = file.text.slice(r.end, lineEnd < 0 ? undefined : lineEnd);
    const at = position(file, start);
    out.push({
      path: file.path,
      line: at.line,
      column: at.column,
      owner: u.owner,
      repo: u.repo,
      ref: u.ref,
      target: ref.raw.slice(0, ref.raw.lastIndexOf('@')),
      start,
      end,
      hasComment: /^\s*#/.test(rest),
    });
  }
  return out;
}

/** Applies pins to the file text, from the end so offsets stay valid. */
export function applyPins(text: string, pins: { target: PinTarget; sha: string }[]): string {
  let out = text;
  for (const { target, sha } of [...pins].sort((a, b) => b.target.start - a.target.start)) {
    const replacement = `${target.target}@${sha}`;
    if (target.hasComment) {
      out = out.slice(0, target.start) + replacement + out.slice(target.end);
      continue;
    }
    // The tag moves into a comment after the value (and after a closing quote), before the line break.
    let lineEnd = out.indexOf('\n', target.end);
    if (lineEnd < 0) lineEnd = out.length;
    const cr = out[lineEnd - 1] === '\r' ? '\r' : '';
    const after = out.slice(target.end, lineEnd - cr.length).trimEnd();
    out = out.slice(0, target.start) + replacement + after + ` # ${target.ref}` + cr + out.slice(lineEnd);
  }
  return out;
}

/** Looks refs up in a `{"owner/repo@ref": "<sha>"}` file (JSON or YAML); owner and repo are case-insensitive. */
export function fileResolver(path: string): Resolver {
  let data: unknown;
  try {
    data = parseYamlText(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ParseError(`${path}: ${errorMessage(err).split('\n')[0]}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new ParseError(`${path}: expected a mapping of "owner/repo@ref" to a commit SHA`);
  const map = new Map<string, string>();
  for (const [key, sha] of Object.entries(data as Record<string, unknown>)) {
    if (typeof sha !== 'string' || !isFullSha(sha)) throw new ParseError(`${path}: ${key}: expected a 40-character commit SHA`);
    const at = key.lastIndexOf('@');
    if (at < 0) throw new ParseError(`${path}: ${key}: expected owner/repo@ref`);
    map.set(`${key.slice(0, at).toLowerCase()}@${key.slice(at + 1)}`, sha.toLowerCase());
  }
  return { resolve: async (owner, repo, ref) => map.get(`${owner.toLowerCase()}/${repo.toLowerCase()}@${ref}`) };
}

export interface GitHubResolverOptions {
  token?: string;
  apiUrl?: string;
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

/**
 * Asks the GitHub API which commit a ref names (`GET /repos/{owner}/{repo}/commits/{ref}` with
 * the `sha` media type). 404/422 mean "no such ref"; other failures are errors.
 */
export function githubResolver(options: GitHubResolverOptions = {}): Resolver {
  const api = (options.apiUrl ?? 'https://api.github.com').replace(/\/$/, '');
  const doFetch = options.fetchImpl ?? fetch;
  const cache = new Map<string, Promise<string | undefined>>();
  const lookup = async (owner: string, repo: string, ref: string): Promise<string | undefined> => {
    const url = `${api}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/commits/${encodeURIComponent(ref)}`;
    const headers: Record<string, string> = { accept: 'application/vnd.github.sha', 'user-agent': 'palisade-ci-pin' };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await doFetch(url, { headers, signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
      } catch (err) {
        if (attempt < 2) continue;
        throw new Error(`cannot reach ${api}: ${errorMessage(err)}`);
      }
      if (res.status === 404 || res.status === 422) return undefined;
      if (res.status >= 500 && attempt < 2) {
        await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
        continue;
      }
      if (!res.ok) throw new Error(`${url}: HTTP ${res.status}${res.status === 403 ? ' (rate limited? set GITHUB_TOKEN)' : ''}`);
      const sha = (await res.text()).trim();
      if (!isFullSha(sha)) throw new Error(`${url}: unexpected response`);
      return sha.toLowerCase();
    }
  };
  return {
    resolve(owner, repo, ref) {
      const key = `${owner.toLowerCase()}/${repo.toLowerCase()}@${ref}`;
      let p = cache.get(key);
      if (!p) cache.set(key, (p = lookup(owner, repo, ref)));
      return p;
    },
  };
}

export interface PinPlan {
  files: { file: CiFile; text: string; pinned: { target: PinTarget; sha: string }[] }[];
  unresolved: PinTarget[];
}

/** Reads the files, finds unpinned references and resolves them. Unparseable files throw ParseError. */
export async function planPins(files: CiFile[], resolver: Resolver): Promise<PinPlan> {
  const plan: PinPlan = { files: [], unresolved: [] };
  for (const f of files) {
    const text = readFileSync(f.abs, 'utf8');
    const targets = pinTargets(loadYaml(f.path, text), f.kind);
    const pinned: { target: PinTarget; sha: string }[] = [];
    for (const target of targets) {
      const sha = await resolver.resolve(target.owner, target.repo, target.ref);
      if (sha) pinned.push({ target, sha });
      else plan.unresolved.push(target);
    }
    if (pinned.length > 0) plan.files.push({ file: f, text, pinned });
  }
  return plan;
}
