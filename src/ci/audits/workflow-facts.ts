/**
 * Facts about workflows several audits need: which triggers make a run privileged or reachable
 * from forks, which shell a `run:` step uses, what a step checks out.
 */
import { isScalar, type Node } from 'yaml';
import { allContexts, pathStartsWith } from '../expr/analyze.ts';
import { fileOfStep, usesMatches, withInputs, type Job, type Step, type Workflow } from '../model.ts';
import { entry, entryRange, items, str, type Range, type SourceFile } from '../yaml.ts';
import { expressionsIn } from './audit.ts';

/**
 * Triggers whose runs get the base repository's secrets and a write token although a fork can
 * cause them (zizmor's dangerous-triggers: pull_request_target and workflow_run).
 */
export const DANGEROUS_TRIGGERS = ['pull_request_target', 'workflow_run'];

/** Privileged triggers an outsider can fire: the dangerous ones and comments on issues/PRs. */
export const PRIVILEGED_TRIGGERS = [...DANGEROUS_TRIGGERS, 'issue_comment'];

/** Triggers that run code or configuration coming from a pull request or an outside contributor. */
export const PUBLIC_TRIGGERS = [
  'pull_request',
  'pull_request_target',
  'pull_request_review',
  'pull_request_review_comment',
  'issue_comment',
  'issues',
  'discussion',
  'discussion_comment',
  'workflow_run',
  'fork',
  'watch',
];

export function dangerousTriggers(w: Workflow): string[] {
  return DANGEROUS_TRIGGERS.filter((t) => w.triggers.has(t));
}

/** Where findings about a workflow's triggers point: the whole `on:` entry. */
export function triggerRange(w: Workflow): Range | undefined {
  return w.on ? entryRange(w.on) : undefined;
}

/**
 * The shell a `run:` step uses, normalised (`/bin/bash -e {0}` → `bash`): the step's `shell:`,
 * else the job's and the workflow's `defaults.run.shell`, else the runner's default (pwsh on
 * Windows, bash elsewhere).
 */
export function stepShell(step: Step): string {
  const file = fileOfStep(step);
  const declared =
    str(file, step.shell?.value) ??
    (step.job ? defaultShell(step.job) : null) ??
    null;
  if (declared !== null) return normalizeShell(declared);
  if (step.job && runnerLooksWindows(step.job)) return 'pwsh';
  return 'bash';
}

function defaultShell(job: Job): string | null {
  const file = job.workflow.file;
  const jobShell = entry(file, entry(file, job.field('defaults')?.value, 'run')?.value, 'shell');
  if (jobShell) return str(file, jobShell.value);
  const wfShell = entry(file, entry(file, job.workflow.field('defaults')?.value, 'run')?.value, 'shell');
  return wfShell ? str(file, wfShell.value) : null;
}

function runnerLooksWindows(job: Job): boolean {
  const file = job.workflow.file;
  const runsOn = job.field('runs-on');
  const labels = [str(file, runsOn?.value), ...items(file, runsOn?.value).map((i) => str(file, i.value))];
  return labels.some((l) => l !== null && /windows/i.test(l));
}

export function normalizeShell(shell: string): string {
  const first = shell.trim().split(/\s+/)[0] ?? '';
  const base = first.split(/[\\/]/).pop() ?? first;
  return base.replace(/\.exe$/i, '').toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// What a step checks out

/** Contexts naming the pull request's head (or a workflow_run's head): code a fork controls. */
const UNTRUSTED_REF_CONTEXTS = [
  ['github', 'head_ref'],
  ['github', 'event', 'pull_request', 'head'],
  ['github', 'event', 'pull_request', 'merge_commit_sha'],
  ['github', 'event', 'pull_request', 'number'],
  ['github', 'event', 'workflow_run', 'head_branch'],
  ['github', 'event', 'workflow_run', 'head_sha'],
  ['github', 'event', 'workflow_run', 'head_repository'],
  ['github', 'event', 'workflow_run', 'pull_requests'],
  ['github', 'event', 'issue', 'number'],
  ['github', 'event', 'number'],
  ['steps'],
  ['needs'],
];

function readsUntrustedRef(file: SourceFile, node: Node | null): boolean {
  return expressionsIn(file, node).some(
    (e) => !!e.expr && allContexts(e.expr).some((c) => UNTRUSTED_REF_CONTEXTS.some((p) => pathStartsWith(c.path, p))),
  );
}

/**
 * The entry of a step that checks out pull-request code: `actions/checkout` whose `ref:` or
 * `repository:` comes from the PR head, or a `run:` that fetches/checks out a PR ref
 * (`gh pr checkout`, `git fetch … pull/N/head`, `git checkout ${{ github.head_ref }}`).
 */
export function untrustedCheckout(step: Step): Range | undefined {
  const file = fileOfStep(step);
  if (step.uses && usesMatches(step.uses.parsed, 'actions/checkout')) {
    const inputs = withInputs(step);
    for (const name of ['ref', 'repository']) {
      const input = inputs.get(name);
      if (input && readsUntrustedRef(file, input.entry.value)) return entryRange(input.entry);
    }
    return undefined;
  }
  if (step.run && isScalar(step.run.value)) {
    const script = String(step.run.value.value ?? '');
    const checksOut = /\bgh\s+pr\s+checkout\b|\bgit\s+(fetch|checkout|switch|pull)\b[^\n]*(pull\/|refs\/pull|\$\{\{)/.test(script);
    if (checksOut && (/\bgh\s+pr\s+checkout\b|pull\//.test(script) || readsUntrustedRef(file, step.run.value))) {
      return entryRange(step.run);
    }
  }
  return undefined;
}
