/**
 * The documents the CI auditor reads, as thin typed views over the YAML nodes: GitHub Actions
 * workflows (triggers, permissions, jobs, steps), action definitions (`action.yml`, composite
 * steps) and Dependabot configuration. Views keep the YAML entries so every audit can point at
 * the exact key or value it is talking about.
 */
import { isMap, type Node } from 'yaml';
import { ParseError } from '../core/errors.ts';
import { entries, entry, items, str, type Entry, type SourceFile } from './yaml.ts';

// ---------------------------------------------------------------------------------------------
// `uses:` references

export type Uses =
  | { kind: 'local'; raw: string; path: string }
  | { kind: 'docker'; raw: string; image: string; tag?: string; digest?: string }
  | { kind: 'repository'; raw: string; owner: string; repo: string; subpath?: string; ref?: string }
  | { kind: 'invalid'; raw: string };

export function parseUses(raw: string): Uses {
  const text = raw.trim();
  if (text.startsWith('./') || text.startsWith('$/') || text === '.') return { kind: 'local', raw, path: text };
  if (text.startsWith('docker://')) {
    const image = text.slice('docker://'.length);
    const at = image.indexOf('@');
    if (at >= 0) return { kind: 'docker', raw, image: image.slice(0, at), digest: image.slice(at + 1) };
    // A `:` after the last `/` separates the tag; before it, it is a registry port.
    const colon = image.lastIndexOf(':');
    if (colon > image.lastIndexOf('/')) return { kind: 'docker', raw, image: image.slice(0, colon), tag: image.slice(colon + 1) };
    return { kind: 'docker', raw, image };
  }
  const at = text.lastIndexOf('@');
  const path = at >= 0 ? text.slice(0, at) : text;
  const ref = at >= 0 ? text.slice(at + 1) : undefined;
  const parts = path.split('/');
  if (parts.length < 2 || !parts[0] || !parts[1]) return { kind: 'invalid', raw };
  const subpath = parts.length > 2 ? parts.slice(2).join('/') : undefined;
  return {
    kind: 'repository',
    raw,
    owner: parts[0],
    repo: parts[1],
    ...(subpath !== undefined && { subpath }),
    ...(ref !== undefined && { ref }),
  };
}

export function isFullSha(ref: string | undefined): boolean {
  return !!ref && /^[0-9a-f]{40}$/i.test(ref);
}

/**
 * Does `pattern` (`owner/repo`, `owner/repo/subpath`, `owner/repo/*`, `owner/*`, optionally
 * `@ref`) match? Owners and repositories compare case-insensitively, as GitHub does.
 * `owner/repo` matches the repository's root action only: `actions/checkout/.` is another path.
 */
export function usesMatches(uses: Uses, pattern: string): boolean {
  if (uses.kind !== 'repository') return false;
  const p = compiledPattern(pattern);
  if (!p || p.owner !== uses.owner.toLowerCase()) return false;
  if (p.ref !== undefined && p.ref !== uses.ref) return false;
  if (p.repo === '*') return true;
  if (p.repo !== uses.repo.toLowerCase()) return false;
  if (p.sub === undefined) return uses.subpath === undefined;
  return p.sub === '*' || p.sub === (uses.subpath ?? '').toLowerCase();
}

interface CompiledPattern {
  owner: string;
  repo: string;
  sub?: string;
  ref?: string;
}

/** Patterns are a small fixed set (tables and configuration); parse each once. */
const patternCache = new Map<string, CompiledPattern | null>();

function compiledPattern(pattern: string): CompiledPattern | null {
  let p = patternCache.get(pattern);
  if (p !== undefined) return p;
  const [path, ref] = pattern.split('@') as [string, string | undefined];
  const [owner, repo, ...rest] = path.split('/');
  p = owner && repo ? { owner: owner.toLowerCase(), repo: repo.toLowerCase(), ...(rest.length > 0 && { sub: rest.join('/').toLowerCase() }), ...(ref !== undefined && { ref }) } : null;
  patternCache.set(pattern, p);
  return p;
}

// ---------------------------------------------------------------------------------------------
// Steps, jobs, workflows, actions

export interface UsesRef {
  entry: Entry;
  raw: string;
  parsed: Uses;
}

export interface Step {
  index: number;
  /** The step as written (may be an alias). */
  at: Node;
  node: Node;
  /** The job (workflows) or the action (composite steps) it belongs to. */
  job?: Job;
  action?: Action;
  id?: string;
  name?: string;
  uses?: UsesRef;
  run?: Entry;
  with?: Entry;
  env?: Entry;
  shell?: Entry;
  if?: Entry;
}

export interface Job {
  workflow: Workflow;
  id: string;
  entry: Entry;
  node: Node;
  /** `normal` jobs run steps; `reusable` jobs call a workflow with `uses:`. */
  kind: 'normal' | 'reusable';
  name?: string;
  uses?: UsesRef;
  steps: Step[];
  field(key: string): Entry | undefined;
}

export interface Workflow {
  kind: 'workflow';
  file: SourceFile;
  root: Node;
  /** `on:`, absent on an invalid workflow. */
  on?: Entry;
  /** Trigger name → its configuration (null when bare). */
  triggers: Map<string, Node | null>;
  jobs: Job[];
  field(key: string): Entry | undefined;
}

export interface Action {
  kind: 'action';
  file: SourceFile;
  root: Node;
  /** `runs.using`: composite, docker, node20 … */
  using?: string;
  steps: Step[];
  field(key: string): Entry | undefined;
}

export interface DependabotConfig {
  kind: 'dependabot';
  file: SourceFile;
  root: Node;
  updates: { at: Node; node: Node }[];
  field(key: string): Entry | undefined;
}

export type CiDocument = Workflow | Action | DependabotConfig;

function fieldOf(file: SourceFile, node: Node): (key: string) => Entry | undefined {
  return (key) => entry(file, node, key);
}

function parseStep(file: SourceFile, at: Node, node: Node, index: number): Step {
  const field = fieldOf(file, node);
  const step: Step = { index, at, node };
  const id = str(file, field('id')?.value);
  const name = str(file, field('name')?.value);
  if (id !== null) step.id = id;
  if (name !== null) step.name = name;
  const uses = field('uses');
  const raw = str(file, uses?.value);
  if (uses && raw !== null) step.uses = { entry: uses, raw, parsed: parseUses(raw) };
  for (const key of ['run', 'with', 'env', 'shell', 'if'] as const) {
    const e = field(key);
    if (e) step[key] = e;
  }
  return step;
}

function parseSteps(file: SourceFile, node: Node | null | undefined): Step[] {
  const out: Step[] = [];
  for (const i of items(file, node)) {
    if (!isMap(i.value)) continue;
    // `- parallel: [steps]` groups steps that run concurrently; audit each of them.
    const parallel = entry(file, i.value, 'parallel');
    const group = parallel ? items(file, parallel.value).filter((p) => isMap(p.value)) : [i];
    for (const s of group) out.push(parseStep(file, s.at, s.value!, out.length));
  }
  return out;
}

/** Trigger names and their configuration, from any of the three `on:` forms. */
function parseTriggers(file: SourceFile, on: Entry | undefined): Map<string, Node | null> {
  const triggers = new Map<string, Node | null>();
  if (!on) return triggers;
  const single = str(file, on.value);
  if (single !== null) {
    triggers.set(single, null);
  } else if (isMap(on.value)) {
    for (const e of entries(file, on.value)) triggers.set(e.key, e.value);
  } else {
    for (const i of items(file, on.value)) {
      const name = str(file, i.value);
      if (name !== null) triggers.set(name, null);
    }
  }
  return triggers;
}

export function parseWorkflow(file: SourceFile): Workflow {
  const root = file.doc.contents as Node | null;
  if (!isMap(root)) throw new ParseError('not a workflow: the document is not a mapping', 1);
  const field = fieldOf(file, root);
  const jobsEntry = field('jobs');
  const on = field('on');
  if (!jobsEntry && !on) throw new ParseError('not a workflow: no `on:` and no `jobs:`', 1);
  const workflow: Workflow = { kind: 'workflow', file, root, triggers: parseTriggers(file, on), jobs: [], field };
  if (on) workflow.on = on;
  for (const e of entries(file, jobsEntry?.value)) {
    if (!isMap(e.value)) continue;
    const jobField = fieldOf(file, e.value);
    const usesEntry = jobField('uses');
    const raw = str(file, usesEntry?.value);
    const job: Job = {
      workflow,
      id: e.key,
      entry: e,
      node: e.value,
      kind: usesEntry ? 'reusable' : 'normal',
      steps: [],
      field: jobField,
    };
    const name = str(file, jobField('name')?.value);
    if (name !== null) job.name = name;
    if (usesEntry && raw !== null) job.uses = { entry: usesEntry, raw, parsed: parseUses(raw) };
    job.steps = parseSteps(file, jobField('steps')?.value);
    for (const s of job.steps) s.job = job;
    workflow.jobs.push(job);
  }
  return workflow;
}

export function parseAction(file: SourceFile): Action {
  const root = file.doc.contents as Node | null;
  if (!isMap(root)) throw new ParseError('not an action definition: the document is not a mapping', 1);
  const field = fieldOf(file, root);
  const runs = field('runs');
  if (!runs) throw new ParseError('not an action definition: no `runs:`', 1);
  const action: Action = { kind: 'action', file, root, steps: [], field };
  const using = str(file, entry(file, runs.value, 'using')?.value);
  if (using !== null) action.using = using;
  action.steps = parseSteps(file, entry(file, runs.value, 'steps')?.value);
  for (const s of action.steps) s.action = action;
  return action;
}

export function parseDependabot(file: SourceFile): DependabotConfig {
  const root = file.doc.contents as Node | null;
  if (!isMap(root)) throw new ParseError('not a Dependabot configuration: the document is not a mapping', 1);
  const field = fieldOf(file, root);
  const updates = items(file, field('updates')?.value)
    .filter((i) => isMap(i.value))
    .map((i) => ({ at: i.at, node: i.value! }));
  return { kind: 'dependabot', file, root, updates, field };
}

// ---------------------------------------------------------------------------------------------
// Shared questions

export function fileOfStep(step: Step): SourceFile {
  return step.job ? step.job.workflow.file : step.action!.file;
}

/** `with:` inputs of a step as strings (null for non-scalar values). */
export function withInputs(step: Step): Map<string, { entry: Entry; value: string | null }> {
  const file = fileOfStep(step);
  const out = new Map<string, { entry: Entry; value: string | null }>();
  for (const e of entries(file, step.with?.value)) out.set(e.key, { entry: e, value: str(file, e.value) });
  return out;
}

/** Trailing `# v1.2.3` / `# tag=v1.2.3` comment after a `uses:` value: the version a SHA pin claims. */
export function usesVersionComment(file: SourceFile, ref: UsesRef): string | undefined {
  const end = ref.entry.at?.range?.[1] ?? ref.entry.keyNode.range![1];
  const lineEnd = file.text.indexOf('\n', end);
  const rest = file.text.slice(end, lineEnd < 0 ? undefined : lineEnd);
  const m = /#\s*(?:tag\s*[=:]\s*)?(v?\d+(?:\.\d+)*[\w.+-]*)/.exec(rest);
  return m?.[1];
}

/** The version an action reference runs: its tag, or the version comment of a SHA pin. */
export function usesVersion(file: SourceFile, ref: UsesRef): string | undefined {
  if (ref.parsed.kind !== 'repository') return undefined;
  if (isFullSha(ref.parsed.ref)) return usesVersionComment(file, ref);
  return ref.parsed.ref && /^v?\d/.test(ref.parsed.ref) ? ref.parsed.ref : undefined;
}

/** Compares dotted versions (`v6.5.0` vs `v10`): negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.replace(/^v/i, '').split(/[.+-]/).map((x) => parseInt(x, 10));
  const pb = b.replace(/^v/i, '').split(/[.+-]/).map((x) => parseInt(x, 10));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = Number.isNaN(pa[i]) ? 0 : pa[i] ?? 0;
    const y = Number.isNaN(pb[i]) ? 0 : pb[i] ?? 0;
    if (x !== y) return x - y;
  }
  return 0;
}

/** True when a scalar contains a `${{ }}` expression. */
export function hasExpression(s: string | null | undefined): boolean {
  return !!s && s.includes('${{');
}

