/**
 * Who can start a workflow and what it then trusts: dangerous triggers, untrusted checkouts in
 * privileged runs (and the secrets they expose), spoofable bot checks, self-hosted runners.
 */
import { allContexts, contextPath, pathEquals, type ContextRef } from '../expr/analyze.ts';
import type { Expr } from '../expr/parse.ts';
import type { Confidence } from '../findings.ts';
import { usesMatches, type Job, type Step, type Workflow } from '../model.ts';
import { entry, entryRange, items, str, type Entry, type Range } from '../yaml.ts';
import {
  conditionExpression,
  expressionsIn,
  jobRange,
  matrixDimension,
  matrixOf,
  scalarsUnder,
  sourceRange,
  stepRange,
  type Audit,
  type AuditContext,
} from './audit.ts';
import { PRIVILEGED_TRIGGERS, PUBLIC_TRIGGERS, triggerRange, untrustedCheckout } from './workflow-facts.ts';

// ---------------------------------------------------------------------------------------------
// dangerous-triggers

/**
 * A pull_request_target workflow whose only job only runs actions/labeler is GitHub's own
 * documented use of the trigger; zizmor exempts it and so do we.
 */
function isLabelerOnly(w: Workflow): boolean {
  const [job, ...others] = w.jobs;
  if (!job || others.length > 0 || job.kind !== 'normal' || job.steps.length !== 1) return false;
  const uses = job.steps[0]!.uses;
  return !!uses && usesMatches(uses.parsed, 'actions/labeler');
}

function auditDangerousTriggers(w: Workflow, ctx: AuditContext): void {
  const at = triggerRange(w);
  if (!at) return;
  if (w.triggers.has('pull_request_target') && !isLabelerOnly(w)) {
    ctx.reporter.raise({
      rule: 'dangerous-triggers',
      severity: 'high',
      confidence: 'medium',
      at,
      message: 'pull_request_target is almost always used insecurely',
    });
  }
  if (w.triggers.has('workflow_run')) {
    ctx.reporter.raise({
      rule: 'dangerous-triggers',
      severity: 'high',
      confidence: 'medium',
      at,
      message: 'workflow_run is almost always used insecurely',
    });
  }
}

// ---------------------------------------------------------------------------------------------
// untrusted-checkout and secrets-in-untrusted-context

/** Steps that build or run what is in the workspace: a shell script or a non-checkout action. */
function runsCode(step: Step): boolean {
  if (step.run) return true;
  const uses = step.uses?.parsed;
  return !!uses && !(uses.kind === 'repository' && usesMatches(uses, 'actions/checkout'));
}

function secretRefs(ctx: AuditContext, fields: (Entry | undefined)[]): { ref: ContextRef; at: Range; written: string }[] {
  const out: { ref: ContextRef; at: Range; written: string }[] = [];
  for (const field of fields) {
    for (const scalar of scalarsUnder(ctx.file, field?.value)) {
      for (const e of expressionsIn(ctx.file, scalar)) {
        if (!e.expr) continue;
        for (const ref of allContexts(e.expr)) {
          if (ref.path?.[0] === 'secrets') out.push({ ref, at: sourceRange(e.text, ref.span), written: e.text.text.slice(ref.span.start, ref.span.end) });
        }
      }
    }
  }
  return out;
}

function auditUntrustedCheckout(w: Workflow, ctx: AuditContext): void {
  const privileged = PRIVILEGED_TRIGGERS.filter((t) => w.triggers.has(t));
  const at = triggerRange(w);
  if (privileged.length === 0 || !at) return;
  for (const job of w.jobs) {
    const index = job.steps.findIndex((s) => untrustedCheckout(s) !== undefined);
    if (index < 0) continue;
    const checkout = job.steps[index]!;
    const later = job.steps.slice(index + 1);
    const executes = later.some(runsCode);
    ctx.reporter.raise({
      rule: 'untrusted-checkout',
      severity: 'high',
      confidence: executes ? 'high' : 'medium',
      at: untrustedCheckout(checkout)!,
      message: executes
        ? `pull request code checked out and run with ${privileged.join('/')} privileges`
        : `pull request code checked out with ${privileged.join('/')} privileges`,
      related: [{ at, message: 'privileged trigger' }],
      hidden: [stepRange(checkout)],
    });
    for (const step of later) {
      for (const { written, at: secretAt } of secretRefs(ctx, [step.env, step.with, step.run])) {
        ctx.reporter.raise({
          rule: 'secrets-in-untrusted-context',
          severity: 'high',
          confidence: 'medium',
          at: secretAt,
          message: `${written} is available to a step that can run pull request code`,
          related: [{ at: stepRange(checkout), message: 'untrusted code checked out here' }],
          hidden: [stepRange(step)],
        });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// bot-conditions

const ACTOR_NAME_CONTEXTS = [['github', 'actor'], ['github', 'triggering_actor'], ['github', 'event', 'pull_request', 'sender', 'login']];
const ACTOR_ID_CONTEXTS = [['github', 'actor_id'], ['github', 'event', 'pull_request', 'sender', 'id']];
/** Public account ids of well-known bots (dependabot[bot], dependabot-preview[bot], renovate[bot], the Dependabot app). */
const BOT_IDS = ['49699333', '27856297', '29139614', '29110'];

function isBotComparison(e: Expr): boolean {
  if (e.kind !== 'binary' || e.op !== '==') return false;
  const pairs: [Expr, Expr][] = [
    [e.left, e.right],
    [e.right, e.left],
  ];
  return pairs.some(([ctxSide, litSide]) => {
    if (litSide.kind !== 'literal' || litSide.value === null) return false;
    const path = contextPath(ctxSide);
    const lit = String(litSide.value);
    if (ACTOR_NAME_CONTEXTS.some((p) => pathEquals(path, p))) return lit.toLowerCase().endsWith('[bot]');
    if (ACTOR_ID_CONTEXTS.some((p) => pathEquals(path, p))) return BOT_IDS.includes(lit);
    return false;
  });
}

/**
 * The first bot comparison in a condition, and whether it alone decides the outcome: reached
 * from the top through `||` only (then a spoofed actor is enough), or guarded by `&&`, `!` or
 * a call (then other conditions also have to hold).
 */
export function findBotCondition(expr: Expr): { at: Expr; dominating: boolean } | undefined {
  const visit = (e: Expr, dominating: boolean): { at: Expr; dominating: boolean } | undefined => {
    if (isBotComparison(e)) return { at: e, dominating };
    switch (e.kind) {
      case 'binary':
        return visit(e.left, dominating && e.op === '||') ?? visit(e.right, dominating && e.op === '||');
      case 'unary':
        return visit(e.operand, false);
      case 'call':
        for (const a of e.args) {
          const r = visit(a, false);
          if (r) return r;
        }
        return undefined;
      case 'access':
        return e.key.kind === 'index' ? visit(e.key.index, false) : undefined;
      default:
        return undefined;
    }
  };
  return visit(expr, true);
}

function auditBotConditions(w: Workflow, ctx: AuditContext): void {
  if (!w.triggers.has('pull_request_target')) return;
  const conditions: { entry: Entry | undefined; hidden: Range }[] = [];
  for (const job of w.jobs) {
    conditions.push({ entry: job.field('if'), hidden: jobRange(job) });
    for (const step of job.steps) conditions.push({ entry: step.if, hidden: stepRange(step) });
  }
  for (const { entry, hidden } of conditions) {
    const cond = conditionExpression(ctx.file, entry);
    const found = cond && findBotCondition(cond.expr);
    if (!cond || !found) continue;
    const confidence: Confidence = found.dominating ? 'high' : 'medium';
    ctx.reporter.raise({
      rule: 'bot-conditions',
      severity: 'high',
      confidence,
      at: sourceRange(cond.text, found.at.span),
      message: 'actor context may be spoofable',
      hidden: [entryRange(entry!), hidden],
    });
  }
}

// ---------------------------------------------------------------------------------------------
// self-hosted-runner

/** Labels GitHub documents for its hosted runners; anything else names a self-hosted or larger runner. */
function isSelfHostedLabel(label: string): boolean {
  return label.trim().toLowerCase() === 'self-hosted';
}

function selfHostedVerdict(job: Job, runsOn: Entry, ctx: AuditContext): string | undefined {
  const file = ctx.file;
  const single = str(file, runsOn.value);
  const labels =
    single !== null
      ? [single]
      : items(file, runsOn.value)
          .map((i) => str(file, i.value))
          .filter((l): l is string => l !== null);
  const groupLabels = items(file, entry(file, runsOn.value, 'labels')?.value).map((i) => str(file, i.value));
  if ([...labels, ...groupLabels].some((l) => l !== null && isSelfHostedLabel(l))) return 'self-hosted runner used here';
  // runs-on: ${{ matrix.os }} with `self-hosted` among the (non-excluded) values.
  const matrix = matrixOf(job);
  for (const label of labels) {
    for (const e of expressionsIn(file, runsOn.value)) {
      if (!e.expr || !label.includes('${{')) continue;
      for (const ref of allContexts(e.expr)) {
        if (ref.path?.[0] !== 'matrix' || ref.path.length !== 2 || !matrix) continue;
        if (matrixDimension(file, matrix, ref.path[1]!).some(isSelfHostedLabel)) return 'expression may expand into a self-hosted runner';
      }
    }
  }
  return undefined;
}

function auditSelfHosted(w: Workflow, ctx: AuditContext): void {
  const reachable = PUBLIC_TRIGGERS.filter((t) => w.triggers.has(t));
  for (const job of w.jobs) {
    const runsOn = job.field('runs-on');
    if (!runsOn) continue;
    const message = selfHostedVerdict(job, runsOn, ctx);
    if (!message) continue;
    // On a workflow outsiders can trigger this is a real risk; otherwise a note for auditors.
    ctx.reporter.raise({
      rule: 'self-hosted-runner',
      severity: reachable.length > 0 ? 'high' : 'medium',
      confidence: 'high',
      persona: reachable.length > 0 ? 'regular' : 'auditor',
      at: entryRange(runsOn),
      message: reachable.length > 0 ? `${message}, reachable through ${reachable.join('/')}` : message,
      hidden: [jobRange(job)],
    });
  }
}

export const triggersAudit: Audit = {
  rules: ['dangerous-triggers', 'untrusted-checkout', 'secrets-in-untrusted-context', 'bot-conditions', 'self-hosted-runner'],
  workflow(w, ctx) {
    auditDangerousTriggers(w, ctx);
    auditUntrustedCheckout(w, ctx);
    auditBotConditions(w, ctx);
    auditSelfHosted(w, ctx);
  },
};
