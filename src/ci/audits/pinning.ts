/**
 * What `uses:` and `image:` pull in: unpinned actions and reusable workflows, unpinned container
 * images, known-vulnerable, archived, typosquatted, superfluous or forbidden actions, actions
 * that fetch unpinned tools, obfuscated paths and workspace-relative references.
 */
import { isScalar, type Node } from 'yaml';
import { dataflowContexts, evaluate, walk } from '../expr/analyze.ts';
import type { Expr } from '../expr/parse.ts';
import { patternSpecificity, type PinPolicy } from '../config.ts';
import {
  compareVersions,
  fileOfStep,
  isFullSha,
  usesMatches,
  usesVersion,
  withInputs,
  type CiDocument,
  type Job,
  type Step,
  type UsesRef,
} from '../model.ts';
import { entries, entry, entryRange, nodeRange, str, valueRange, type Entry, type Range } from '../yaml.ts';
import { ACTION_ADVISORIES, ARCHIVED_REPOSITORIES, POPULAR_ACTIONS, SUPERFLUOUS_ACTIONS, TOOL_INSTALLERS } from './data.ts';
import {
  conditionExpression,
  expressionsIn,
  jobRange,
  matrixOf,
  matrixValues,
  sourceRange,
  stepRange,
  stepsOf,
  type Audit,
  type AuditContext,
} from './audit.ts';

interface UsesSite {
  ref: UsesRef;
  /** The whole step or job, for ignore comments. */
  hidden: Range;
  step?: Step;
}

function usesSites(doc: CiDocument): UsesSite[] {
  const sites: UsesSite[] = stepsOf(doc)
    .filter((s) => s.uses)
    .map((s) => ({ ref: s.uses!, hidden: stepRange(s), step: s }));
  if (doc.kind === 'workflow') {
    for (const job of doc.jobs) if (job.uses) sites.push({ ref: job.uses, hidden: jobRange(job) });
  }
  return sites;
}

function usesValueRange(ctx: AuditContext, ref: UsesRef): Range {
  return ref.entry.value ? valueRange(ctx.file, ref.entry.value) : entryRange(ref.entry);
}

/** The `owner/repo` part of a `uses:` value (where typosquat and archived findings point). */
function slugRange(ctx: AuditContext, ref: UsesRef): Range {
  const r = usesValueRange(ctx, ref);
  if (ref.parsed.kind !== 'repository') return r;
  const slug = `${ref.parsed.owner}/${ref.parsed.repo}`;
  return { start: r.start, end: Math.min(r.end, r.start + slug.length) };
}

function slugOf(ref: UsesRef): string | undefined {
  return ref.parsed.kind === 'repository' ? `${ref.parsed.owner}/${ref.parsed.repo}`.toLowerCase() : undefined;
}

// ---------------------------------------------------------------------------------------------
// unpinned-uses

/** The most specific configured policy for a reference, or the default: hash-pin everything. */
function pinPolicy(ctx: AuditContext, ref: UsesRef): { policy: PinPolicy; pattern?: string } {
  for (const p of ctx.config.pinPolicies) {
    if (p.pattern === '*' || usesMatches(ref.parsed, p.pattern) || ownerMatches(ref, p.pattern)) return p;
  }
  return { policy: 'hash-pin' };
}

function ownerMatches(ref: UsesRef, pattern: string): boolean {
  return patternSpecificity(pattern) === 1 && ref.parsed.kind === 'repository' && pattern.split('/')[0]!.toLowerCase() === ref.parsed.owner.toLowerCase();
}

function auditUnpinnedUses(site: UsesSite, ctx: AuditContext): void {
  const { ref } = site;
  if (ref.parsed.kind !== 'repository' || ref.raw.includes('${{')) return;
  const { policy, pattern } = pinPolicy(ctx, ref);
  const by = pattern && pattern !== '*' ? `${pattern} policy` : 'blanket policy';
  let message: string | undefined;
  if (!ref.parsed.ref) message = 'action is not pinned to a tag, branch, or hash ref';
  else if (policy === 'hash-pin' && !isFullSha(ref.parsed.ref)) message = `action is not pinned to a hash (required by ${by})`;
  if (!message || policy === 'any') return;
  ctx.reporter.raise({
    rule: 'unpinned-uses',
    severity: 'high',
    confidence: 'high',
    at: usesValueRange(ctx, ref),
    message,
    hidden: [site.hidden],
  });
}

// ---------------------------------------------------------------------------------------------
// unpinned-images

interface ImageVerdict {
  message: string;
  persona: 'regular' | 'pedantic';
}

/** Splits `registry:port/name:tag@sha256:…`. */
export function parseImage(image: string): { name: string; tag?: string; digest?: string } {
  const at = image.indexOf('@');
  const digest = at >= 0 ? image.slice(at + 1) : undefined;
  const rest = at >= 0 ? image.slice(0, at) : image;
  const colon = rest.lastIndexOf(':');
  const tag = colon > rest.lastIndexOf('/') ? rest.slice(colon + 1) : undefined;
  const name = tag !== undefined ? rest.slice(0, colon) : rest;
  return { name, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

export function imageVerdict(image: string): ImageVerdict | undefined {
  const { tag, digest } = parseImage(image.trim());
  if (digest?.startsWith('sha256:')) return undefined;
  if (tag === undefined) return { message: 'container image is unpinned', persona: 'regular' };
  if (tag === 'latest') return { message: "container image uses the floating 'latest' tag", persona: 'regular' };
  return { message: 'container image is not pinned to a SHA256 hash', persona: 'pedantic' };
}

function raiseImage(ctx: AuditContext, verdict: ImageVerdict, at: Range, hidden: Range, related?: { at: Range; message: string }[]): void {
  ctx.reporter.raise({
    rule: 'unpinned-images',
    severity: 'high',
    confidence: 'high',
    persona: verdict.persona,
    at,
    message: verdict.message,
    hidden: [hidden],
    ...(related && { related }),
  });
}

/** Literal values an image expression can produce (`a && 'img:1' || ''` → img:1). */
function literalOutcomes(expr: Expr): string[] {
  const out: string[] = [];
  const visit = (e: Expr): void => {
    if (e.kind === 'literal') {
      if (typeof e.value === 'string' && e.value !== '') out.push(e.value);
    } else if (e.kind === 'binary' && (e.op === '&&' || e.op === '||')) {
      if (e.op === '||') visit(e.left);
      visit(e.right);
    }
  };
  visit(expr);
  return out;
}

function auditImage(ctx: AuditContext, job: Job, at: Entry, image: Node | null): void {
  const value = str(ctx.file, image);
  if (value === null || value.trim() === '') return;
  const hidden = jobRange(job);
  if (!value.includes('${{')) {
    const verdict = imageVerdict(value);
    if (verdict) raiseImage(ctx, verdict, entryRange(at), hidden);
    return;
  }
  for (const occurrence of expressionsIn(ctx.file, image)) {
    if (!occurrence.expr) continue;
    const literalSpans: { value: string; at: Range }[] = [];
    walk(occurrence.expr, (e) => {
      if (e.kind === 'literal' && typeof e.value === 'string' && literalOutcomes(occurrence.expr!).includes(e.value)) {
        literalSpans.push({ value: e.value, at: sourceRange(occurrence.text, e.span) });
      }
    });
    for (const lit of literalSpans) {
      const verdict = imageVerdict(lit.value);
      if (verdict) raiseImage(ctx, verdict, lit.at, hidden);
    }
    for (const ref of dataflowContexts(occurrence.expr)) {
      const matrix = matrixOf(job);
      if (ref.path?.[0] === 'matrix' && ref.path.length === 2 && matrix) {
        const { values } = matrixValues(ctx.file, matrix, ref.path[1]!);
        for (const v of values) {
          const s = str(ctx.file, v);
          const verdict = s === null || s.trim() === '' || s.includes('${{') ? undefined : imageVerdict(s);
          if (verdict) {
            raiseImage(ctx, verdict, entryRange(at), hidden, [{ at: nodeRange(v), message: `this expansion of ${ref.path.join('.')}` }]);
          }
        }
        continue;
      }
      ctx.reporter.raise({
        rule: 'unpinned-images',
        severity: 'high',
        confidence: 'low',
        persona: 'pedantic',
        at: sourceRange(occurrence.text, ref.span),
        message: 'container image may be unpinned',
        hidden: [hidden],
      });
    }
  }
}

function auditJobImages(job: Job, ctx: AuditContext): void {
  const container = job.field('container');
  if (container) {
    if (isScalar(container.value)) auditImage(ctx, job, container, container.value);
    else {
      const image = entry(ctx.file, container.value, 'image');
      if (image) auditImage(ctx, job, image, image.value);
    }
  }
  for (const service of entries(ctx.file, job.field('services')?.value)) {
    const image = entry(ctx.file, service.value, 'image');
    if (image) auditImage(ctx, job, image, image.value);
  }
}

function auditDockerUses(site: UsesSite, ctx: AuditContext): void {
  if (site.ref.parsed.kind !== 'docker') return;
  const verdict = imageVerdict(site.ref.raw.trim().slice('docker://'.length));
  if (!verdict) return;
  // Point at the image, after the `docker://` scheme.
  const r = usesValueRange(ctx, site.ref);
  const offset = ctx.file.text.indexOf('docker://', r.start);
  raiseImage(ctx, verdict, offset >= 0 && offset < r.end ? { start: offset + 'docker://'.length, end: r.end } : r, site.hidden);
}

// ---------------------------------------------------------------------------------------------
// known-vulnerable-actions

function auditKnownVulnerable(site: UsesSite, ctx: AuditContext): void {
  const slug = slugOf(site.ref);
  if (!slug) return;
  const advisories = Object.entries(ACTION_ADVISORIES).find(([k]) => k.toLowerCase() === slug)?.[1] ?? [];
  const sha = isFullSha(site.ref.parsed.kind === 'repository' ? site.ref.parsed.ref : undefined) ? (site.ref.parsed as { ref: string }).ref.toLowerCase() : undefined;
  const version = usesVersion(ctx.file, site.ref);
  for (const adv of advisories) {
    if (ctx.config.vulnerabilityAllow.includes(adv.id)) continue;
    const badCommit = sha !== undefined && adv.commits?.includes(sha);
    const inRange =
      version !== undefined &&
      ((adv.fixed !== undefined && compareVersions(version, adv.fixed) < 0) ||
        (adv.lastAffected !== undefined && compareVersions(version, adv.lastAffected) <= 0 && sameMajorOrBelow(version, adv.lastAffected)));
    if (!badCommit && !inRange) continue;
    ctx.reporter.raise({
      rule: 'known-vulnerable-actions',
      severity: adv.severity,
      confidence: badCommit || !sha ? 'high' : 'medium',
      at: entryRange(site.ref.entry),
      message: `${adv.id}: ${adv.summary}${adv.fixed ? ` (fixed in ${adv.fixed})` : ''}`,
      hidden: [site.hidden],
    });
  }
}

/** `v1` is within `lastAffected: 1`; `v2` is not. */
function sameMajorOrBelow(version: string, last: string): boolean {
  return compareVersions(version.split('.')[0]!, last.split('.')[0]!) <= 0;
}

// ---------------------------------------------------------------------------------------------
// obfuscation (uses paths) and self-repository

function auditUsesShape(site: UsesSite, ctx: AuditContext): void {
  const { ref } = site;
  if (ref.parsed.kind === 'repository' && ref.parsed.subpath !== undefined) {
    const notes = new Set<string>();
    for (const component of ref.parsed.subpath.split('/')) {
      if (component === '.') notes.add("actions reference contains '.'");
      else if (component === '..') notes.add("actions reference contains '..'");
      else if (component === '') notes.add('actions reference contains empty component');
    }
    for (const message of notes) {
      ctx.reporter.raise({ rule: 'obfuscation', severity: 'low', confidence: 'high', at: entryRange(ref.entry), message, hidden: [site.hidden] });
    }
  }
  if (ref.parsed.kind === 'local' && ref.parsed.path.startsWith('./')) {
    ctx.reporter.raise({
      rule: 'self-repository',
      severity: 'low',
      confidence: 'high',
      at: usesValueRange(ctx, ref),
      message: "use '$/...' instead of './...'",
      hidden: [site.hidden],
    });
  }
}

// ---------------------------------------------------------------------------------------------
// forbidden-uses, archived-uses, typosquat-uses, superfluous-actions

function auditForbidden(site: UsesSite, ctx: AuditContext): void {
  const rules = ctx.config.forbiddenUses;
  if (!rules || site.ref.parsed.kind !== 'repository') return;
  const matched = rules.patterns.some((p) => p === '*' || usesMatches(site.ref.parsed, p) || ownerMatches(site.ref, p));
  if (rules.mode === 'allow' ? matched : !matched) return;
  ctx.reporter.raise({
    rule: 'forbidden-uses',
    severity: 'high',
    confidence: 'high',
    at: usesValueRange(ctx, site.ref),
    message: 'use of this action is forbidden',
    hidden: [site.hidden],
  });
}

function auditArchived(site: UsesSite, ctx: AuditContext): void {
  const slug = slugOf(site.ref);
  if (!slug || !ARCHIVED_REPOSITORIES.includes(slug)) return;
  ctx.reporter.raise({
    rule: 'archived-uses',
    severity: 'medium',
    confidence: 'high',
    at: slugRange(ctx, site.ref),
    message: 'repository is archived',
    hidden: [site.hidden],
  });
}

const COMMON_TYPOS: Record<string, string[]> = { o: ['0'], l: ['1', 'i'], i: ['1', 'l'], e: ['3'], s: ['5'], a: ['4'], m: ['rn'] };

/** How `candidate` differs from `target` by one typo, or undefined. */
export function typoKind(candidate: string, target: string): string | undefined {
  if (candidate === target) return undefined;
  if (candidate.length === target.length - 1) {
    for (let i = 0; i < target.length; i++) if (target.slice(0, i) + target.slice(i + 1) === candidate) return 'omits characters in';
  }
  if (candidate.length === target.length + 1) {
    for (let i = 1; i < candidate.length; i++) {
      if (candidate[i] === candidate[i - 1] && candidate.slice(0, i) + candidate.slice(i + 1) === target) return 'repeats characters in';
    }
  }
  if (candidate.length === target.length) {
    for (let i = 0; i + 1 < target.length; i++) {
      const swapped = target.slice(0, i) + target[i + 1] + target[i] + target.slice(i + 2);
      if (swapped === candidate) return 'swaps characters in';
    }
  }
  for (const [from, tos] of Object.entries(COMMON_TYPOS)) {
    for (const to of tos) {
      let i = target.indexOf(from);
      while (i >= 0) {
        if (target.slice(0, i) + to + target.slice(i + from.length) === candidate) return 'uses a common typo for';
        i = target.indexOf(from, i + 1);
      }
    }
  }
  return undefined;
}

/** slug → the popular action it imitates and how, or null; slugs repeat across files. */
const typoCache = new Map<string, { target: string; kind: string } | null>();

function resemblance(slug: string): { target: string; kind: string } | null {
  let hit = typoCache.get(slug);
  if (hit !== undefined) return hit;
  hit = null;
  const owner = slug.split('/')[0];
  for (const target of POPULAR_ACTIONS) {
    // A near-miss inside the legitimate owner's namespace fails to resolve rather than run foreign code.
    if (Math.abs(target.length - slug.length) > 1 || target.split('/')[0] === owner) continue;
    const kind = typoKind(slug, target);
    if (kind) {
      hit = { target, kind };
      break;
    }
  }
  typoCache.set(slug, hit);
  return hit;
}

function auditTyposquat(site: UsesSite, ctx: AuditContext): void {
  const slug = slugOf(site.ref);
  if (!slug || POPULAR_ACTIONS.includes(slug) || site.ref.parsed.kind !== 'repository') return;
  const hit = resemblance(slug);
  if (!hit) return;
  ctx.reporter.raise({
    rule: 'typosquat-uses',
    severity: 'high',
    confidence: 'low',
    at: slugRange(ctx, site.ref),
    message: `${site.ref.parsed.owner}/${site.ref.parsed.repo} ${hit.kind} ${hit.target}`,
    hidden: [site.hidden],
  });
}

function auditSuperfluous(site: UsesSite, ctx: AuditContext): void {
  const hit = SUPERFLUOUS_ACTIONS.find((s) => usesMatches(site.ref.parsed, s.pattern));
  if (!hit || !site.step) return;
  ctx.reporter.raise({
    rule: 'superfluous-actions',
    severity: 'info',
    confidence: hit.confidence,
    persona: 'pedantic',
    at: usesValueRange(ctx, site.ref),
    message: `use ${hit.replacement} in a script step`,
    hidden: [site.hidden],
  });
}

// ---------------------------------------------------------------------------------------------
// unpinned-tools

/** `if: false` (or `${{ false }}`): the step never runs; allow-list workflows use it to track SHAs. */
export function stepNeverRuns(step: Step): boolean {
  if (isScalar(step.if?.value) && step.if.value.value === false) return true;
  const cond = conditionExpression(fileOfStep(step), step.if);
  return !!cond && cond.expr.kind === 'literal' && evaluate(cond.expr) === false;
}

function auditUnpinnedTools(site: UsesSite, ctx: AuditContext): void {
  const step = site.step;
  if (!step || !TOOL_INSTALLERS.some((p) => usesMatches(site.ref.parsed, p)) || stepNeverRuns(step)) return;
  const version = withInputs(step).get('version');
  const raise = (at: Range, message: string, confidence: 'low' | 'high'): void =>
    ctx.reporter.raise({ rule: 'unpinned-tools', severity: 'medium', confidence, at, message, hidden: [site.hidden] });
  if (!version) raise(usesValueRange(ctx, site.ref), 'action implicitly uses an unpinned latest version', 'high');
  else if (version.value?.trim() === 'latest') raise(entryRange(version.entry), 'specifies `version: latest` which is unpinned', 'high');
  else if (version.value?.includes('${{')) raise(entryRange(version.entry), 'specifies `version` dynamically, which may be unpinned', 'low');
}

export const pinningAudit: Audit = {
  rules: [
    'unpinned-uses',
    'unpinned-images',
    'known-vulnerable-actions',
    'obfuscation',
    'self-repository',
    'forbidden-uses',
    'archived-uses',
    'typosquat-uses',
    'superfluous-actions',
    'unpinned-tools',
  ],
  workflow(w, ctx) {
    for (const site of usesSites(w)) auditSite(site, ctx);
    for (const job of w.jobs) auditJobImages(job, ctx);
  },
  action(a, ctx) {
    for (const site of usesSites(a)) auditSite(site, ctx);
  },
};

function auditSite(site: UsesSite, ctx: AuditContext): void {
  auditUnpinnedUses(site, ctx);
  auditDockerUses(site, ctx);
  auditKnownVulnerable(site, ctx);
  auditUsesShape(site, ctx);
  auditForbidden(site, ctx);
  auditArchived(site, ctx);
  auditTyposquat(site, ctx);
  auditSuperfluous(site, ctx);
  auditUnpinnedTools(site, ctx);
}

