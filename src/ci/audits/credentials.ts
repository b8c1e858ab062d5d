/**
 * Credentials in and around jobs: persisted checkout tokens (artipacked), blanket secret
 * forwarding (secrets-inherit, overprovisioned-secrets), values that escape log masking
 * (unredacted-secrets), secrets outside protected environments, registry passwords written in
 * the workflow and over-broad GitHub App tokens.
 */
import type { Node } from 'yaml';
import { allContexts, chainRoot, fnName, walk } from '../expr/analyze.ts';
import { usesMatches, withInputs, type CiDocument, type Job, type Step } from '../model.ts';
import { entries, entry, entryRange, expressionScalars, str, valueRange } from '../yaml.ts';
import { expressionsIn, jobRange, scalarsUnder, sourceRange, stepRange, stepsOf, wants, type Audit, type AuditContext } from './audit.ts';

// ---------------------------------------------------------------------------------------------
// artipacked

/** Upload paths that include the checkout (and so its .git/config). */
function uploadsWorkspace(step: Step): boolean {
  if (!step.uses || !usesMatches(step.uses.parsed, 'actions/upload-artifact')) return false;
  const path = withInputs(step).get('path')?.value ?? '';
  return path.split('\n').some((p) => ['.', './', '..', '../'].includes(p.trim()) || /\$\{\{[^}]*github\.workspace/.test(p));
}

function auditArtipacked(steps: Step[], ctx: AuditContext): void {
  const checkouts: { step: Step; persona: 'regular' | 'auditor' }[] = [];
  for (const step of steps) {
    if (!step.uses || !usesMatches(step.uses.parsed, 'actions/checkout')) continue;
    const persist = withInputs(step).get('persist-credentials')?.value?.trim();
    if (persist === 'false') continue;
    // An explicit `true` is probably deliberate (a later step pushes).
    checkouts.push({ step, persona: persist === 'true' ? 'auditor' : 'regular' });
  }
  const uploads = steps.filter(uploadsWorkspace);
  for (const { step, persona } of checkouts) {
    const leak = uploads.find((u) => u.index > step.index);
    ctx.reporter.raise({
      rule: 'artipacked',
      severity: leak ? 'high' : 'medium',
      confidence: leak ? 'high' : 'low',
      persona,
      at: stepRange(step),
      message: 'does not set persist-credentials: false',
      ...(leak && { related: [{ at: stepRange(leak), message: 'may leak the credentials persisted above' }] }),
    });
  }
}

// ---------------------------------------------------------------------------------------------
// secrets-inherit

function auditSecretsInherit(job: Job, ctx: AuditContext): void {
  const secrets = job.field('secrets');
  if (!job.uses || !secrets || str(ctx.file, secrets.value) !== 'inherit') return;
  ctx.reporter.raise({
    rule: 'secrets-inherit',
    severity: 'medium',
    confidence: 'high',
    at: job.uses.entry.value ? valueRange(ctx.file, job.uses.entry.value) : entryRange(job.uses.entry),
    message: 'this reusable workflow',
    related: [{ at: entryRange(secrets), message: 'inherits all parent secrets' }],
    hidden: [jobRange(job)],
  });
}

// ---------------------------------------------------------------------------------------------
// overprovisioned-secrets and unredacted-secrets (every expression in the file)

function auditSecretExpressions(doc: CiDocument, ctx: AuditContext): void {
  for (const scalar of expressionScalars(doc.file)) {
    for (const occurrence of expressionsIn(ctx.file, scalar)) {
      const expr = occurrence.expr;
      if (!expr) continue;
      const whole = sourceRange(occurrence.text, { start: occurrence.fenced.start, end: occurrence.fenced.end });
      // `secrets` itself, or `secrets[<computed>]`: every secret becomes reachable.
      const overprovisioned = allContexts(expr).some((c) => {
        if (c.path) return c.path.length === 1 && c.path[0] === 'secrets';
        const root = chainRoot(c.expr);
        return root.kind === 'ident' && root.name.toLowerCase() === 'secrets';
      });
      if (overprovisioned) {
        ctx.reporter.raise({
          rule: 'overprovisioned-secrets',
          severity: 'medium',
          confidence: 'high',
          at: whole,
          message: 'injects the entire secrets context into the runner',
        });
      }
      let unredacted = false;
      walk(expr, (e) => {
        if (e.kind === 'call' && fnName(e) === 'fromjson' && e.args.some((a) => allContexts(a).some((c) => c.path?.[0] === 'secrets'))) unredacted = true;
      });
      if (unredacted) {
        ctx.reporter.raise({
          rule: 'unredacted-secrets',
          severity: 'medium',
          confidence: 'high',
          at: whole,
          message: 'bypasses secret redaction',
        });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// secrets-outside-env

function auditSecretsOutsideEnv(job: Job, ctx: AuditContext): void {
  if (!wants(ctx, 'auditor') || job.kind !== 'normal' || job.field('environment')) return;
  const allow = ctx.config.secretsOutsideEnvAllow.map((s) => s.toLowerCase());
  for (const scalar of scalarsUnder(ctx.file, job.node)) {
    for (const occurrence of expressionsIn(ctx.file, scalar)) {
      if (!occurrence.expr) continue;
      for (const ref of allContexts(occurrence.expr)) {
        const name = ref.path?.[0] === 'secrets' ? ref.path[1] : undefined;
        if (!name || name === 'github_token' || allow.includes(name)) continue;
        ctx.reporter.raise({
          rule: 'secrets-outside-env',
          severity: 'medium',
          confidence: 'high',
          persona: 'auditor',
          at: sourceRange(occurrence.text, ref.span),
          message: 'secret is accessed outside of a dedicated environment',
          hidden: [jobRange(job)],
        });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// hardcoded-container-credentials

function auditContainerCredentials(job: Job, ctx: AuditContext): void {
  const containers: (Node | null)[] = [job.field('container')?.value ?? null];
  for (const service of entries(ctx.file, job.field('services')?.value)) containers.push(service.value);
  for (const container of containers) {
    const credentials = entry(ctx.file, container, 'credentials');
    const password = entry(ctx.file, credentials?.value, 'password');
    const value = str(ctx.file, password?.value);
    if (!password || value === null || value.includes('${{')) continue;
    ctx.reporter.raise({
      rule: 'hardcoded-container-credentials',
      severity: 'high',
      confidence: 'high',
      at: entryRange(password),
      message: 'container registry password is hard-coded',
      hidden: [jobRange(job)],
    });
  }
}

// ---------------------------------------------------------------------------------------------
// github-app

/** App permissions that concern the organisation, not its repositories. */
function isOrganizationPermission(input: string): boolean {
  const name = input.slice('permission-'.length);
  return name === 'members' || name.startsWith('organization-') || name === 'team-discussions';
}

function auditGithubApp(step: Step, ctx: AuditContext): void {
  if (!step.uses || !usesMatches(step.uses.parsed, 'actions/create-github-app-token')) return;
  const inputs = withInputs(step);
  const hidden = [stepRange(step)];
  const raise = (at: ReturnType<typeof entryRange>, message: string, confidence: 'high' | 'medium'): void =>
    ctx.reporter.raise({ rule: 'github-app', severity: 'high', confidence, at, message, hidden, related: [{ at: entryRange(step.uses!.entry), message: 'app token requested here' }] });
  const skip = inputs.get('skip-token-revoke');
  if (skip?.value?.trim() === 'true') raise(entryRange(skip.entry), 'token revocation disabled here', 'high');
  else if (skip?.value?.includes('${{')) raise(entryRange(skip.entry), 'token revocation conditionally disabled here', 'medium');
  const permissions = [...inputs.keys()].filter((k) => k.startsWith('permission-'));
  const owner = inputs.get('owner');
  if (owner && !inputs.has('repositories') && (permissions.length === 0 || permissions.some((p) => !isOrganizationPermission(p)))) {
    raise(entryRange(owner.entry), "token granted access to all repositories for this owner's app installation", 'high');
  }
  if (permissions.length === 0) {
    const at = step.uses.entry.value ? valueRange(ctx.file, step.uses.entry.value) : entryRange(step.uses.entry);
    raise(at, 'app token inherits blanket installation permissions', 'high');
  }
}

export const credentialsAudit: Audit = {
  rules: [
    'artipacked',
    'secrets-inherit',
    'overprovisioned-secrets',
    'unredacted-secrets',
    'secrets-outside-env',
    'hardcoded-container-credentials',
    'github-app',
  ],
  workflow(w, ctx) {
    for (const job of w.jobs) {
      auditArtipacked(job.steps, ctx);
      auditSecretsInherit(job, ctx);
      auditSecretsOutsideEnv(job, ctx);
      auditContainerCredentials(job, ctx);
    }
  },
  action(a, ctx) {
    auditArtipacked(a.steps, ctx);
  },
  raw(doc, ctx) {
    if (doc.kind === 'dependabot') return;
    auditSecretExpressions(doc, ctx);
    for (const step of stepsOf(doc)) auditGithubApp(step, ctx);
  },
};

