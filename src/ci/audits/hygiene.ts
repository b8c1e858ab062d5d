/**
 * Pedantic hygiene (concurrency-limits, anonymous-definition) and Dependabot configuration
 * (dependabot-execution, dependabot-cooldown).
 */
import { isMap } from 'yaml';
import type { Workflow } from '../model.ts';
import { entry, entryRange, nodeRange, str, type Entry } from '../yaml.ts';
import { jobLabelRange, rootRange, wants, type Audit, type AuditContext } from './audit.ts';
import { triggerRange } from './workflow-facts.ts';
import { assessWorkflow } from '../slsa.ts';

/** A concurrency setting that cancels superseded runs (or may, when computed). */
function cancels(ctx: AuditContext, e: Entry | undefined): boolean {
  if (!e || !isMap(e.value)) return false;
  const cancel = str(ctx.file, entry(ctx.file, e.value, 'cancel-in-progress')?.value);
  return cancel !== null && cancel !== 'false';
}

function auditConcurrency(w: Workflow, ctx: AuditContext): void {
  // Callers manage the concurrency of reusable workflows.
  if (w.triggers.size === 1 && w.triggers.has('workflow_call')) return;
  const top = w.field('concurrency');
  const at = triggerRange(w) ?? rootRange(w);
  if (top) {
    if (cancels(ctx, top)) return;
    ctx.reporter.raise({
      rule: 'concurrency-limits',
      severity: 'low',
      confidence: 'high',
      persona: 'pedantic',
      at: entryRange(top),
      message: 'concurrency group does not cancel superseded runs',
    });
    return;
  }
  for (const job of w.jobs) {
    if (cancels(ctx, job.field('concurrency'))) continue;
    ctx.reporter.raise({
      rule: 'concurrency-limits',
      severity: 'low',
      confidence: 'high',
      persona: 'pedantic',
      at,
      message: 'workflow is missing concurrency setting',
      related: [{ at: jobLabelRange(job), message: 'job affected by missing workflow concurrency' }],
    });
  }
}

function auditAnonymous(doc: Workflow | { kind: 'action'; field: Workflow['field']; root: Workflow['root'] }, ctx: AuditContext): void {
  if (!doc.field('name')) {
    ctx.reporter.raise({
      rule: 'anonymous-definition',
      severity: 'low',
      confidence: 'high',
      persona: 'pedantic',
      at: nodeRange(doc.root),
      message: doc.kind === 'action' ? 'this action' : 'this workflow',
    });
  }
  if (doc.kind !== 'workflow') return;
  for (const job of doc.jobs) {
    if (job.field('name')) continue;
    ctx.reporter.raise({
      rule: 'anonymous-definition',
      severity: 'info',
      confidence: 'high',
      persona: 'pedantic',
      at: { start: job.entry.keyNode.range![0], end: job.entry.keyNode.range![1] },
      message: 'this job',
    });
  }
}

/** A release workflow (publishing steps or release triggers) at SLSA Build L0. */
function auditProvenance(w: Workflow, ctx: AuditContext): void {
  const assessment = assessWorkflow(w);
  const at = triggerRange(w);
  if (!assessment.release || assessment.level > 0 || !at) return;
  ctx.reporter.raise({
    rule: 'missing-provenance',
    severity: 'low',
    confidence: 'medium',
    at,
    message: 'artifacts are published without provenance (SLSA Build L0)',
  });
}

export const hygieneAudit: Audit = {
  rules: ['concurrency-limits', 'anonymous-definition', 'missing-provenance', 'dependabot-execution', 'dependabot-cooldown'],
  workflow(w, ctx) {
    auditProvenance(w, ctx);
    if (!wants(ctx, 'pedantic')) return;
    auditConcurrency(w, ctx);
    auditAnonymous(w, ctx);
  },
  action(a, ctx) {
    if (wants(ctx, 'pedantic')) auditAnonymous(a, ctx);
  },
  dependabot(d, ctx) {
    const days = ctx.config.cooldownDays;
    for (const update of d.updates) {
      const exec = entry(ctx.file, update.node, 'insecure-external-code-execution');
      if (exec && str(ctx.file, exec.value) === 'allow') {
        ctx.reporter.raise({ rule: 'dependabot-execution', severity: 'high', confidence: 'high', at: entryRange(exec), message: 'enabled here' });
      }
      const cooldown = entry(ctx.file, update.node, 'cooldown');
      if (!cooldown) {
        ctx.reporter.raise({
          rule: 'dependabot-cooldown',
          severity: 'medium',
          confidence: 'high',
          at: nodeRange(update.at),
          message: 'missing cooldown configuration',
        });
        continue;
      }
      const defaultDays = entry(ctx.file, cooldown.value, 'default-days');
      const value = Number(str(ctx.file, defaultDays?.value));
      if (!defaultDays) {
        ctx.reporter.raise({
          rule: 'dependabot-cooldown',
          severity: 'medium',
          confidence: 'high',
          at: entryRange(cooldown),
          message: `insufficient implicit default-days (less than ${days})`,
        });
      } else if (!(value >= days)) {
        ctx.reporter.raise({
          rule: 'dependabot-cooldown',
          severity: 'low',
          confidence: 'high',
          at: entryRange(defaultDays),
          message: `insufficient default-days configured (less than ${days})`,
        });
      }
    }
  },
};
