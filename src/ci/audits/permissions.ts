/**
 * GITHUB_TOKEN least privilege: excessive-permissions (no `permissions:` block, `write-all`,
 * write scopes granted to every job at the workflow level) and undocumented-permissions.
 */
import { isScalar } from 'yaml';
import type { CiSeverity, Persona } from '../findings.ts';
import type { Job, Workflow } from '../model.ts';
import { entries, entryRange, str, type Entry } from '../yaml.ts';
import { jobRange, jobLabelRange, rootRange, wants, type Audit, type AuditContext } from './audit.ts';

/** How much a `write` grant of each scope can do to the repository and its users. */
const WRITE_SEVERITY: Record<string, CiSeverity> = {
  actions: 'high',
  attestations: 'high',
  checks: 'medium',
  contents: 'high',
  deployments: 'high',
  discussions: 'medium',
  'id-token': 'high',
  issues: 'high',
  models: 'low',
  packages: 'high',
  pages: 'high',
  'pull-requests': 'high',
  'repository-projects': 'medium',
  'security-events': 'medium',
  statuses: 'low',
};

export type PermissionsKind = 'default' | 'read-all' | 'write-all' | 'explicit' | 'expression';

/** What a `permissions:` entry grants. */
export function permissionsKind(ctx: { file: Parameters<typeof str>[0] }, e: Entry | undefined): PermissionsKind {
  if (!e) return 'default';
  if (isScalar(e.value)) {
    const v = str(ctx.file, e.value);
    if (v === 'write-all') return 'write-all';
    if (v === 'read-all') return 'read-all';
    if (v !== null && v.includes('${{')) return 'expression';
    return 'explicit';
  }
  return 'explicit';
}

/** The `write` scopes of an explicit permissions mapping. */
export function writeScopes(ctx: { file: Parameters<typeof str>[0] }, e: Entry | undefined): Entry[] {
  return entries(ctx.file, e?.value).filter((p) => str(ctx.file, p.value) === 'write');
}

function raiseBase(ctx: AuditContext, kind: PermissionsKind, e: Entry | undefined, at: ReturnType<typeof rootRange>, persona: Persona, hidden: ReturnType<typeof rootRange>[]): void {
  if (kind === 'default') {
    ctx.reporter.raise({
      rule: 'excessive-permissions',
      severity: 'medium',
      confidence: 'medium',
      persona,
      at,
      message: 'default permissions used due to no permissions: block',
      hidden,
    });
  } else if (kind === 'write-all' || kind === 'read-all') {
    ctx.reporter.raise({
      rule: 'excessive-permissions',
      severity: kind === 'write-all' ? 'high' : 'medium',
      confidence: 'high',
      persona,
      at: entryRange(e!),
      message: `uses ${kind} permissions`,
      hidden,
    });
  }
}

function auditWorkflowPermissions(w: Workflow, ctx: AuditContext): void {
  const top = w.field('permissions');
  const topKind = permissionsKind(ctx, top);
  const allJobsExplicit = w.jobs.length > 0 && w.jobs.every((j) => j.field('permissions') !== undefined);
  const reusableOnly = w.triggers.size === 1 && w.triggers.has('workflow_call');
  // A workflow-level grant is only noise when one job (or every job's own block) decides anyway,
  // or when the callers of a reusable workflow decide.
  const topPersona: Persona = w.jobs.length === 1 || allJobsExplicit || reusableOnly ? 'pedantic' : 'regular';
  raiseBase(ctx, topKind, top, rootRange(w), topPersona, []);
  if (topKind === 'explicit') {
    for (const scope of writeScopes(ctx, top)) {
      ctx.reporter.raise({
        rule: 'excessive-permissions',
        severity: WRITE_SEVERITY[scope.key] ?? 'medium',
        confidence: 'high',
        persona: topPersona,
        at: entryRange(scope),
        message: `${scope.key}: write is overly broad at the workflow level`,
      });
    }
  }
  for (const job of w.jobs) auditJobPermissions(job, ctx, topKind !== 'default', reusableOnly);
}

function auditJobPermissions(job: Job, ctx: AuditContext, parentExplicit: boolean, reusableOnly: boolean): void {
  const e = job.field('permissions');
  const kind = permissionsKind(ctx, e);
  if (kind === 'default' && parentExplicit) return;
  // Callers of a reusable workflow set its permissions, except for the jobs that call further.
  const persona: Persona = reusableOnly && job.kind === 'normal' ? 'pedantic' : 'regular';
  raiseBase(ctx, kind, e, kind === 'default' ? jobRange(job) : entryRange(e!), persona, [jobLabelRange(job)]);
}

// ---------------------------------------------------------------------------------------------
// undocumented-permissions

function hasTrailingComment(text: string, e: Entry): boolean {
  const end = e.at?.range?.[1] ?? e.keyNode.range![1];
  const lineEnd = text.indexOf('\n', end);
  return /#\s*\S/.test(text.slice(end, lineEnd < 0 ? undefined : lineEnd));
}

/** One finding per permissions block, pointing at its first undocumented scope and naming the others. */
function auditUndocumented(block: Entry | undefined, ctx: AuditContext): void {
  const scopes = entries(ctx.file, block?.value);
  const undocumented = scopes.filter(
    (s) => !(s.key === 'contents' && str(ctx.file, s.value) === 'read') && !hasTrailingComment(ctx.file.text, s),
  );
  const [first, ...others] = undocumented;
  if (!first) return;
  ctx.reporter.raise({
    rule: 'undocumented-permissions',
    severity: 'low',
    confidence: 'high',
    persona: 'pedantic',
    at: entryRange(first),
    message: 'needs an explanatory comment',
    related: others.map((o) => ({ at: entryRange(o), message: 'needs an explanatory comment' })),
  });
}

export const permissionsAudit: Audit = {
  rules: ['excessive-permissions', 'undocumented-permissions'],
  workflow(w, ctx) {
    auditWorkflowPermissions(w, ctx);
    if (!wants(ctx, 'pedantic')) return;
    auditUndocumented(w.field('permissions'), ctx);
    for (const job of w.jobs) auditUndocumented(job.field('permissions'), ctx);
  },
};
