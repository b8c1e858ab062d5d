/**
 * OpenSSF Scorecard's workflow checks, computed from the files the auditor read, following the
 * scoring in ossf/scorecard `checks/evaluation/` as documented in its check descriptions:
 *
 * - Token-Permissions: 10, lowered by write permissions granted at the workflow level
 *   (contents/packages/actions → 0, deployments/security-events −1, others −0.5), undeclared
 *   top-level permissions (−0.5, or 0 when jobs are undeclared too) and job-level writes under a
 *   top level that also writes (0) or is undeclared (−0.5). Release and SARIF-upload jobs may
 *   write. The repository score is the lowest workflow score.
 * - Pinned-Dependencies: the pinned share per kind of dependency, GitHub-owned actions weighing
 *   2 and third-party actions 8 within the actions ecosystem, every other kind 10; only kinds
 *   present count.
 * - Dangerous-Workflow: 0 when any workflow checks out untrusted code in a privileged context or
 *   expands a dangerous context into a script, else 10.
 *
 * -1 means inconclusive (nothing to score).
 */
import { isScalar } from 'yaml';
import { allContexts } from './expr/analyze.ts';
import { expressionsIn } from './audits/audit.ts';
import { parseImage } from './audits/pinning.ts';
import { commandWords, programName, splitCommands } from './audits/shell.ts';
import { untrustedCheckout, DANGEROUS_TRIGGERS } from './audits/workflow-facts.ts';
import { isFullSha, usesMatches, type Job, type Workflow } from './model.ts';
import { entries, entry, str, type Entry } from './yaml.ts';

export interface ScorecardCheck {
  name: 'Token-Permissions' | 'Pinned-Dependencies' | 'Dangerous-Workflow';
  /** 0–10, or -1 when inconclusive. */
  score: number;
  details: string[];
}

/** Actions whose jobs legitimately write: publishing, releasing, uploading code-scanning results. */
const WRITE_EXEMPT = [
  'github/codeql-action/upload-sarif',
  'github/codeql-action/analyze',
  'ossf/scorecard-action',
  'softprops/action-gh-release',
  'ncipollo/release-action',
  'goreleaser/goreleaser-action',
  'pypa/gh-action-pypi-publish',
  'docker/build-push-action',
  'docker/login-action',
  'actions/deploy-pages',
  'peaceiris/actions-gh-pages',
  'JamesIves/github-pages-deploy-action',
  'release-drafter/release-drafter',
  'googleapis/release-please-action',
  'changesets/action',
  'actions/attest-build-provenance',
];

const REDUCTION: Record<string, number> = { contents: 10, packages: 10, actions: 10, deployments: 1, 'security-events': 1, checks: 0.5, statuses: 0.5 };

type Grant = 'undeclared' | 'write-all' | 'read' | { writes: string[] };

function grantOf(w: Workflow, e: Entry | undefined): Grant {
  if (!e) return 'undeclared';
  const s = str(w.file, e.value);
  if (s === 'write-all') return 'write-all';
  if (s !== null) return 'read';
  const writes = entries(w.file, e.value)
    .filter((p) => str(w.file, p.value) === 'write')
    .map((p) => p.key);
  return writes.length > 0 ? { writes } : 'read';
}

function jobExempt(job: Job): boolean {
  return job.steps.some((s) => s.uses && WRITE_EXEMPT.some((p) => usesMatches(s.uses!.parsed, p) || usesMatches(s.uses!.parsed, `${p}/*`)));
}

function tokenPermissions(w: Workflow, details: string[]): number {
  const top = grantOf(w, w.field('permissions'));
  const jobs = w.jobs.map((j) => ({ job: j, grant: grantOf(w, j.field('permissions')) }));
  const topWrites = top === 'write-all' || typeof top === 'object';
  let score = 10;
  if (top === 'undeclared') {
    const jobsUndeclared = jobs.some((j) => j.grant === 'undeclared');
    details.push(`${w.file.path}: no top-level permissions${jobsUndeclared ? ' and jobs without permissions' : ''}`);
    score -= jobsUndeclared ? 10 : 0.5;
  } else if (top === 'write-all') {
    const jobsWrite = jobs.some((j) => j.grant === 'undeclared' || j.grant === 'write-all' || typeof j.grant === 'object');
    details.push(`${w.file.path}: top-level write-all`);
    score -= jobsWrite ? 10 : 0.5;
  } else if (typeof top === 'object') {
    for (const scope of top.writes) {
      details.push(`${w.file.path}: top-level ${scope}: write`);
      score -= REDUCTION[scope] ?? 0.5;
    }
  }
  for (const { job, grant } of jobs) {
    if (!(grant === 'write-all' || typeof grant === 'object') || jobExempt(job)) continue;
    if (topWrites) {
      details.push(`${w.file.path}: job ${job.id} writes under a top level that writes`);
      score -= 10;
    } else if (top === 'undeclared') {
      details.push(`${w.file.path}: job ${job.id} writes`);
      score -= 0.5;
    }
  }
  return Math.max(0, score);
}

// ---------------------------------------------------------------------------------------------

interface Tally {
  pinned: number;
  total: number;
}

function tallyPinning(w: Workflow, t: Record<string, Tally>, details: string[]): void {
  const add = (kind: string, pinned: boolean, what: string) => {
    const x = (t[kind] ??= { pinned: 0, total: 0 });
    x.total++;
    if (pinned) x.pinned++;
    else details.push(`${w.file.path}: ${what}`);
  };
  for (const job of w.jobs) {
    const refs = [job.uses, ...job.steps.map((s) => s.uses)];
    for (const ref of refs) {
      if (!ref) continue;
      const u = ref.parsed;
      if (u.kind === 'repository') {
        const owned = ['actions', 'github'].includes(u.owner.toLowerCase());
        add(owned ? 'githubOwnedAction' : 'thirdPartyAction', isFullSha(u.ref), `${ref.raw} not pinned by hash`);
      } else if (u.kind === 'docker') {
        add('containerImage', !!u.digest?.startsWith('sha256:'), `${ref.raw} not pinned by digest`);
      }
    }
    const images = [str(w.file, job.field('container')?.value), str(w.file, entry(w.file, job.field('container')?.value, 'image')?.value)];
    for (const s of entries(w.file, job.field('services')?.value)) images.push(str(w.file, entry(w.file, s.value, 'image')?.value));
    for (const image of images) if (image && !image.includes('${{')) add('containerImage', !!parseImage(image).digest?.startsWith('sha256:'), `image ${image} not pinned by digest`);
    for (const step of job.steps) {
      if (!step.run || !isScalar(step.run.value)) continue;
      const commands = splitCommands(String(step.run.value.value ?? ''));
      commands.forEach((cmd, i) => {
        const words = commandWords(cmd);
        const [program, sub] = [programName(words[0]), words[1]];
        if (['curl', 'wget'].includes(program) && cmd.pipesTo && ['sh', 'bash', 'zsh', 'python', 'python3'].includes(programName(commandWords(commands[i + 1] ?? cmd)[0]))) {
          add('downloadThenRun', false, `${words.join(' ')} | …`);
        } else if (program === 'npm' && (sub === 'install' || sub === 'i')) {
          add('npmCommand', false, `npm ${sub} instead of npm ci`);
        } else if (program === 'npm' && sub === 'ci') {
          add('npmCommand', true, '');
        } else if (/^pip3?$/.test(program) && sub === 'install') {
          add('pipCommand', words.includes('--require-hashes'), `${words.join(' ')} without --require-hashes`);
        } else if (program === 'go' && sub === 'install') {
          const target = words.slice(2).find((x) => !x.startsWith('-')) ?? '';
          add('goCommand', /@v?\d/.test(target), `go install ${target} without a fixed version`);
        }
      });
    }
  }
}

function pinningScore(t: Record<string, Tally>): number {
  const parts: { score: number; weight: number }[] = [];
  const gh = t.githubOwnedAction;
  const third = t.thirdPartyAction;
  if (gh || third) {
    // Within actions: GitHub-owned weigh 2, third-party 8, renormalised over what is present.
    const w = (gh ? 2 : 0) + (third ? 8 : 0);
    const s = ((gh ? (2 * gh.pinned) / gh.total : 0) + (third ? (8 * third.pinned) / third.total : 0)) / w;
    parts.push({ score: 10 * s, weight: 10 });
  }
  for (const [kind, x] of Object.entries(t)) {
    if (kind === 'githubOwnedAction' || kind === 'thirdPartyAction') continue;
    parts.push({ score: (10 * x.pinned) / x.total, weight: 10 });
  }
  if (parts.length === 0) return -1;
  return parts.reduce((a, p) => a + p.score * p.weight, 0) / parts.reduce((a, p) => a + p.weight, 0);
}

// ---------------------------------------------------------------------------------------------

/** The contexts Scorecard's Dangerous-Workflow check treats as script injection. */
const DANGEROUS_CONTEXT = /^github\.(head_ref|event\.(issue|pull_request|discussion)\.(title|body)|event\.(comment|review|review_comment)\.body|event\.pages\.[^.]+\.page_name|event\.(commits\.[^.]+|head_commit)\.(message|author\.(email|name))|event\.blocked_user\.(email|name)|event\.pull_request\.head\.(ref|label|repo\.default_branch))$/;

function dangerous(w: Workflow, details: string[]): boolean {
  let found = false;
  const privileged = DANGEROUS_TRIGGERS.some((t) => w.triggers.has(t));
  for (const job of w.jobs) {
    for (const step of job.steps) {
      if (privileged && untrustedCheckout(step)) {
        details.push(`${w.file.path}: untrusted checkout in job ${job.id}`);
        found = true;
      }
      for (const e of expressionsIn(w.file, step.run?.value)) {
        if (!e.expr) continue;
        for (const c of allContexts(e.expr)) {
          const p = c.path?.join('.') ?? '';
          const tojson = e.expr.kind === 'call' && /^(github|github\.event)$/.test(p);
          if (DANGEROUS_CONTEXT.test(p) || tojson) {
            details.push(`${w.file.path}: script injection with ${p} in job ${job.id}`);
            found = true;
          }
        }
      }
    }
  }
  return found;
}

/** The three workflow checks over every audited workflow. */
export function scorecard(workflows: Workflow[]): ScorecardCheck[] {
  const tokenDetails: string[] = [];
  const pinDetails: string[] = [];
  const dangerDetails: string[] = [];
  const tally: Record<string, Tally> = {};
  let token = workflows.length > 0 ? 10 : -1;
  let danger = false;
  for (const w of workflows) {
    token = Math.min(token, tokenPermissions(w, tokenDetails));
    tallyPinning(w, tally, pinDetails);
    danger = dangerous(w, dangerDetails) || danger;
  }
  const round = (n: number) => (n < 0 ? -1 : Math.round(n * 10) / 10);
  return [
    { name: 'Token-Permissions', score: round(token), details: tokenDetails },
    { name: 'Pinned-Dependencies', score: round(pinningScore(tally)), details: pinDetails },
    { name: 'Dangerous-Workflow', score: workflows.length === 0 ? -1 : danger ? 0 : 10, details: dangerDetails },
  ];
}

