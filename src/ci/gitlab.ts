/**
 * GitLab CI (`.gitlab-ci.yml` and its local includes): unpinned includes and images,
 * re-evaluated attacker-controlled variables (merge request titles, branch names, commit
 * messages), CI_JOB_TOKEN leaks, Docker-in-Docker without TLS, debug traces, and remote scripts
 * piped into a shell. GitLab passes variables to the shell as environment variables (no
 * template expansion as in GitHub Actions), so injection needs a second evaluation: `eval`,
 * `sh -c`, `$[[ inputs.x | expand_vars ]]` interpolation.
 */
import { existsSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import type { AuditContext } from './audits/audit.ts';
import { imageVerdict } from './audits/pinning.ts';
import { commandWords, programName, splitCommands, type ShellCommand } from './audits/shell.ts';
import type { CiFile } from './discover.ts';
import { isFullSha } from './model.ts';
import { entries, entry, entryRange, items, nodeRange, resolve, scalarText, str, textRangeToSource, type Entry, type Range, type SourceFile } from './yaml.ts';

/** Top-level keys that configure the pipeline rather than define a job. */
const RESERVED = new Set(['default', 'include', 'stages', 'variables', 'workflow', 'image', 'services', 'cache', 'before_script', 'after_script', 'spec', 'pages:deploy']);

/** Predefined variables whose value a merge request author or pusher chooses freely. */
export const GITLAB_UNTRUSTED_VARIABLES = [
  'CI_MERGE_REQUEST_TITLE',
  'CI_MERGE_REQUEST_DESCRIPTION',
  'CI_MERGE_REQUEST_SOURCE_BRANCH_NAME',
  'CI_MERGE_REQUEST_LABELS',
  'CI_MERGE_REQUEST_ASSIGNEES',
  'CI_COMMIT_MESSAGE',
  'CI_COMMIT_TITLE',
  'CI_COMMIT_DESCRIPTION',
  'CI_COMMIT_BRANCH',
  'CI_COMMIT_REF_NAME',
  'CI_COMMIT_TAG',
  'CI_COMMIT_TAG_MESSAGE',
  'CI_COMMIT_AUTHOR',
  'CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME',
];

interface GitlabJob {
  name: string;
  entry: Entry;
}

function jobsOf(file: SourceFile): GitlabJob[] {
  return entries(file, file.doc.contents)
    .filter((e) => !RESERVED.has(e.key) && isMap(e.value))
    .map((e) => ({ name: e.key, entry: e }));
}

/** Script lines of a `script:`-like entry: a string or a (nested) list of strings. */
function scriptScalars(file: SourceFile, node: Node | null | undefined, depth = 0): Node[] {
  const n = resolve(file, node);
  if (!n || depth > 8) return [];
  if (isScalar(n)) return [n];
  if (isSeq(n)) return items(file, n).flatMap((i) => scriptScalars(file, i.value, depth + 1));
  return [];
}

interface ScriptLine {
  commands: ShellCommand[];
  text: ReturnType<typeof scalarText>;
}

function scriptLines(file: SourceFile, scope: Node | null | undefined): ScriptLine[] {
  const out: ScriptLine[] = [];
  for (const key of ['before_script', 'script', 'after_script']) {
    for (const scalar of scriptScalars(file, entry(file, scope, key)?.value)) {
      if (!isScalar(scalar) || typeof scalar.value !== 'string') continue;
      const text = scalarText(file, scalar);
      out.push({ text, commands: splitCommands(text.text, 'bash') });
    }
  }
  return out;
}

function commandRange(line: ScriptLine, cmd: ShellCommand): Range {
  return textRangeToSource(line.text, cmd.start, cmd.end);
}

// ---------------------------------------------------------------------------------------------
// include

interface IncludeSpec {
  at: Range;
  local?: string;
  remote?: string;
  project?: string;
  ref?: string;
  component?: string;
  integrity?: string;
}

function includes(file: SourceFile): IncludeSpec[] {
  const include = entry(file, file.doc.contents, 'include');
  if (!include) return [];
  const list = isSeq(include.value) ? items(file, include.value).map((i) => i.value) : [include.value];
  return list.flatMap((node): IncludeSpec[] => {
    if (!node) return [];
    const s = str(file, node);
    if (s !== null) {
      const at = nodeRange(node);
      return [/^https?:\/\//.test(s) ? { at, remote: s } : { at, local: s }];
    }
    if (!isMap(node)) return [];
    const get = (k: string) => str(file, entry(file, node, k)?.value) ?? undefined;
    const spec: IncludeSpec = { at: nodeRange(node) };
    for (const k of ['local', 'remote', 'project', 'ref', 'component', 'integrity'] as const) {
      const v = get(k);
      if (v !== undefined) spec[k] = v;
    }
    // `file:` of a project include can be a list; the ref is what matters here.
    return [spec];
  });
}

function auditIncludes(file: SourceFile, ctx: AuditContext): void {
  for (const inc of includes(file)) {
    let message: string | undefined;
    let severity: 'high' | 'medium' = 'high';
    if (inc.remote && !inc.integrity) message = 'remote include without integrity: pipeline code can change on the remote server';
    else if (inc.project && !inc.ref) message = `project include of ${inc.project} follows its default branch`;
    else if (inc.project && inc.ref && !isFullSha(inc.ref) && !inc.ref.includes('$')) {
      message = `project include of ${inc.project} pinned to '${inc.ref}', not a commit SHA`;
      severity = 'medium';
    } else if (inc.component) {
      const version = inc.component.split('@')[1];
      if (!version || version === '~latest') message = `component ${inc.component} follows its latest release`;
      else if (!isFullSha(version) && !/^\d+\.\d+\.\d+$/.test(version)) {
        message = `component pinned to '${version}', not a commit SHA or full release`;
        severity = 'medium';
      }
    }
    if (!message) continue;
    ctx.reporter.raise({ rule: 'gitlab-unpinned-include', severity, confidence: 'high', at: inc.at, message });
  }
}

/** Local includes of an audited `.gitlab-ci.yml` (globs are not expanded), to audit next. */
export function gitlabLocalIncludes(file: SourceFile, from: CiFile): CiFile[] {
  const repoRoot = from.abs.slice(0, from.abs.length - from.path.length);
  return includes(file)
    .filter((i) => i.local && !i.local.includes('*') && !i.local.includes('$'))
    .map((i) => {
      const rel = normalize(i.local!.replace(/^\/+/, '')).replace(/\\/g, '/');
      return { abs: join(repoRoot || dirname(from.abs), rel), path: rel, kind: 'gitlab' as const };
    })
    .filter((f) => !f.path.startsWith('..') && existsSync(f.abs));
}

// ---------------------------------------------------------------------------------------------
// scripts: injection, job token, curl | sh

/** Programs that evaluate a string argument as code. */
const EVALUATORS: Record<string, string[]> = {
  eval: [],
  sh: ['-c'],
  bash: ['-c'],
  zsh: ['-c'],
  dash: ['-c'],
  python: ['-c'],
  python3: ['-c'],
  node: ['-e', '--eval'],
  perl: ['-e'],
  ruby: ['-e'],
  ssh: [],
};

function untrustedIn(word: string): string | undefined {
  return GITLAB_UNTRUSTED_VARIABLES.find((v) => new RegExp(`\\$\\{?${v}\\b`).test(word));
}

function auditScriptLine(line: ScriptLine, ctx: AuditContext): void {
  line.commands.forEach((cmd, i) => {
    const words = commandWords(cmd);
    const program = programName(words[0]);
    const flags = EVALUATORS[program];
    if (flags) {
      const evaluated = program === 'eval' || program === 'ssh' ? words.slice(1) : words.slice(words.findIndex((w) => flags.includes(w)) + 1);
      const variable = words.some((w) => flags.includes(w)) || program === 'eval' || program === 'ssh' ? evaluated.map(untrustedIn).find(Boolean) : undefined;
      if (variable) {
        ctx.reporter.raise({
          rule: 'gitlab-script-injection',
          severity: 'high',
          confidence: 'medium',
          at: commandRange(line, cmd),
          message: `${variable} is evaluated as code by ${program}`,
        });
      }
    }
    const interpolation = /\$\[\[\s*inputs\.[\w-]+\s*\|[^\]]*expand_vars/.exec(cmd.words.join(' '));
    if (interpolation) {
      ctx.reporter.raise({
        rule: 'gitlab-script-injection',
        severity: 'medium',
        confidence: 'medium',
        at: commandRange(line, cmd),
        message: 'input interpolated with expand_vars: variables inside it become script text',
      });
    }
    auditJobToken(line, cmd, words, program, ctx);
    const next = line.commands[i + 1];
    if (['curl', 'wget'].includes(program) && cmd.pipesTo && next && ['sh', 'bash', 'zsh', 'python', 'python3'].includes(programName(commandWords(next)[0]))) {
      ctx.reporter.raise({
        rule: 'curl-pipe-shell',
        severity: 'medium',
        confidence: 'high',
        at: commandRange(line, cmd),
        message: 'downloaded script runs without an integrity check',
      });
    }
  });
}

/** Hosts the job token may be sent to: this GitLab instance, named through its variables. */
function gitlabTarget(word: string): boolean {
  return /\$\{?CI_(API_V4_URL|API_GRAPHQL_URL|SERVER_URL|SERVER_HOST|SERVER_FQDN|REGISTRY|PROJECT_URL|REPOSITORY_URL|DEPENDENCY_PROXY_SERVER)\b/.test(word);
}

function auditJobToken(line: ScriptLine, cmd: ShellCommand, words: string[], program: string, ctx: AuditContext): void {
  if (!cmd.words.some((w) => /\$\{?CI_JOB_TOKEN\b/.test(w))) return;
  let message: string | undefined;
  let severity: 'high' | 'medium' | 'low' = 'high';
  if (['echo', 'printf', 'cat'].includes(program) && !cmd.pipesTo) {
    message = cmd.words.some((w) => /^>>?/.test(w)) ? 'CI_JOB_TOKEN written to a file' : 'CI_JOB_TOKEN printed to the job log';
  } else if (['curl', 'wget', 'http', 'git'].includes(program)) {
    const urls = words.filter((w) => /^(https?:\/\/|git@|\$\{?CI_)/.test(w));
    if (urls.length > 0 && !urls.some(gitlabTarget)) {
      const literalHost = urls.map((u) => /^https?:\/\/(?:[^@/]*@)?([^/:]+)/.exec(u)?.[1]).find(Boolean);
      if (literalHost) {
        message = `CI_JOB_TOKEN sent to ${literalHost}; use $CI_SERVER_HOST/$CI_API_V4_URL so it only reaches this GitLab`;
        severity = 'medium';
      }
    }
  } else if (program === 'docker' && words.includes('login') && words.some((w) => w === '-p' || w.startsWith('--password='))) {
    message = 'CI_JOB_TOKEN passed on the command line; use --password-stdin';
    severity = 'low';
  }
  if (!message) return;
  ctx.reporter.raise({ rule: 'gitlab-job-token-misuse', severity, confidence: 'medium', at: commandRange(line, cmd), message });
}

// ---------------------------------------------------------------------------------------------
// images, services, variables

function imageName(file: SourceFile, node: Node | null): string | null {
  return str(file, node) ?? str(file, entry(file, node, 'name')?.value);
}

function auditImages(scope: Node | null, ctx: AuditContext): void {
  const file = ctx.file;
  const image = entry(file, scope, 'image');
  const candidates: { at: Entry | Range; name: string | null }[] = [];
  if (image) candidates.push({ at: image, name: imageName(file, image.value) });
  for (const s of items(file, entry(file, scope, 'services')?.value)) candidates.push({ at: nodeRange(s.at), name: imageName(file, s.value) });
  for (const c of candidates) {
    if (!c.name || c.name.includes('$')) continue;
    const verdict = imageVerdict(c.name);
    if (!verdict) continue;
    ctx.reporter.raise({
      rule: 'gitlab-unpinned-image',
      severity: verdict.persona === 'regular' ? 'medium' : 'low',
      confidence: 'high',
      persona: verdict.persona,
      at: 'start' in c.at ? c.at : entryRange(c.at),
      message: verdict.message,
    });
  }
}

function variableValue(file: SourceFile, scopes: (Node | null)[], name: string): { entry: Entry; value: string | null } | undefined {
  for (const scope of scopes) {
    const e = entry(file, entry(file, scope, 'variables')?.value, name);
    if (e) return { entry: e, value: str(file, e.value) ?? str(file, entry(file, e.value, 'value')?.value) };
  }
  return undefined;
}

function auditDind(scope: Node | null, root: Node | null, ctx: AuditContext, at: Range, raised: Set<number>): void {
  const file = ctx.file;
  const services = [...items(file, entry(file, scope, 'services')?.value), ...items(file, entry(file, root, 'services')?.value)];
  const dind = services.find((s) => /(^|\/)docker:.*dind/.test(imageName(file, s.value) ?? ''));
  if (!dind) return;
  const scopes = [scope, root];
  const certdir = variableValue(file, scopes, 'DOCKER_TLS_CERTDIR');
  const host = variableValue(file, scopes, 'DOCKER_HOST');
  const plainHost = host?.value && /tcp:\/\/[^:]+:2375/.test(host.value);
  const noCerts = certdir && (certdir.value === '' || certdir.value === null);
  if (!plainHost && !noCerts) return;
  const where = plainHost ? entryRange(host!.entry) : noCerts ? entryRange(certdir!.entry) : at;
  // Pipeline-wide settings would otherwise be reported once per job.
  if (raised.has(where.start)) return;
  raised.add(where.start);
  ctx.reporter.raise({
    rule: 'gitlab-dind-without-tls',
    severity: 'high',
    confidence: 'high',
    at: where,
    message: 'docker:dind service reachable without TLS (privileged daemon on port 2375)',
    related: [{ at: nodeRange(dind.at), message: 'privileged Docker-in-Docker service' }],
  });
}

function auditDebugTrace(scope: Node | null, ctx: AuditContext): void {
  for (const name of ['CI_DEBUG_TRACE', 'CI_DEBUG_SERVICES']) {
    const v = variableValue(ctx.file, [scope], name);
    if (v && (v.value ?? '').toLowerCase() === 'true') {
      ctx.reporter.raise({ rule: 'gitlab-debug-trace', severity: 'medium', confidence: 'high', at: entryRange(v.entry), message: `${name} prints every command and variable value` });
    }
  }
}

export function auditGitlab(file: SourceFile, ctx: AuditContext): void {
  const root = file.doc.contents as Node | null;
  if (!isMap(root)) return;
  auditIncludes(file, ctx);
  auditImages(root, ctx);
  auditImages(entry(file, root, 'default')?.value ?? null, ctx);
  auditDebugTrace(root, ctx);
  for (const line of [...scriptLines(file, root), ...scriptLines(file, entry(file, root, 'default')?.value)]) auditScriptLine(line, ctx);
  const dind = new Set<number>();
  for (const job of jobsOf(file)) {
    const scope = job.entry.value;
    auditImages(scope, ctx);
    auditDebugTrace(scope, ctx);
    auditDind(scope, root, ctx, entryRange(job.entry), dind);
    for (const line of scriptLines(file, scope)) auditScriptLine(line, ctx);
  }
}
