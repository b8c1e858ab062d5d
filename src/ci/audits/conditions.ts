/**
 * Expressions that do not mean what they say: `if:` conditions that are always true
 * (unsound-condition), substring `contains()` used as a membership test (unsound-contains),
 * `a && b || c` pseudo-ternaries with a falsy `b` (unsound-ternary) and expressions that hide
 * constants or indices (obfuscation).
 */
import { isScalar } from 'yaml';
import { contextPath, evaluate, fnName, isConstant, truthy, walk } from '../expr/analyze.ts';
import { extractExpressions, trimmedBareSpan, type Expr } from '../expr/parse.ts';
import type { CiDocument } from '../model.ts';
import { entryRange, expressionScalars, str, type Entry } from '../yaml.ts';
import { conditionExpression, expressionsIn, sourceRange, stepsOf, type Audit, type AuditContext } from './audit.ts';

/** Every `if:` of jobs and steps. */
function conditions(doc: CiDocument): Entry[] {
  const out: Entry[] = [];
  if (doc.kind === 'workflow') for (const job of doc.jobs) if (job.field('if')) out.push(job.field('if')!);
  for (const step of stepsOf(doc)) if (step.if) out.push(step.if);
  return out;
}

// ---------------------------------------------------------------------------------------------
// unsound-condition

/**
 * GitHub evaluates an `if:` that is exactly one `${{ }}` as that expression and anything else
 * as a string, which is truthy unless empty: `${{ false }} lol`, `" ${{ false }}"` and a `|`
 * block (its value ends with a newline) always pass.
 */
function alwaysTrue(e: Entry): boolean {
  if (!isScalar(e.value) || typeof e.value.value !== 'string') return false;
  const value = e.value.value;
  const fenced = extractExpressions(value);
  if (fenced.length === 0) return false;
  return !(fenced.length === 1 && fenced[0]!.start === 0 && fenced[0]!.end === value.length);
}

function auditUnsoundCondition(doc: CiDocument, ctx: AuditContext): void {
  for (const e of conditions(doc)) {
    if (!alwaysTrue(e)) continue;
    ctx.reporter.raise({
      rule: 'unsound-condition',
      severity: 'high',
      confidence: 'high',
      at: entryRange(e),
      message: 'condition always evaluates to true',
    });
  }
}

// ---------------------------------------------------------------------------------------------
// unsound-contains

function auditUnsoundContains(doc: CiDocument, ctx: AuditContext): void {
  for (const e of conditions(doc)) {
    const cond = conditionExpression(ctx.file, e);
    if (!cond) continue;
    walk(cond.expr, (node) => {
      if (node.kind !== 'call' || fnName(node) !== 'contains' || node.args.length !== 2) return;
      const [haystack, needle] = node.args as [Expr, Expr];
      if (haystack.kind !== 'literal' || typeof haystack.value !== 'string') return;
      const path = contextPath(needle);
      if (!path) return;
      const written = cond.text.text.slice(needle.span.start, needle.span.end);
      ctx.reporter.raise({
        rule: 'unsound-contains',
        severity: path[0] === 'runner' ? 'info' : 'high',
        confidence: 'high',
        at: entryRange(e),
        message: `contains(..) condition can be bypassed if attacker can control '${written}'`,
      });
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Expressions anywhere in the file: unsound-ternary and obfuscation

/** `cond && <falsy literal> || fallback`: returns the falsy middle. */
function falsyTernaryArm(e: Expr): Expr | undefined {
  if (e.kind !== 'binary' || e.op !== '||' || e.left.kind !== 'binary' || e.left.op !== '&&') return undefined;
  const arm = e.left.right;
  if (arm.kind !== 'literal') return undefined;
  const v = evaluate(arm);
  return v !== undefined && !truthy(v) ? arm : undefined;
}

/** Non-literal sub-expressions that fold to a constant, outermost only. */
function constantSubexpressions(e: Expr): Expr[] {
  if (e.kind !== 'literal' && isConstant(e)) return [e];
  switch (e.kind) {
    case 'call':
      return e.args.flatMap(constantSubexpressions);
    case 'binary':
      return [...constantSubexpressions(e.left), ...constantSubexpressions(e.right)];
    case 'unary':
      return constantSubexpressions(e.operand);
    default:
      return [];
  }
}

function auditExpressions(doc: CiDocument, ctx: AuditContext): void {
  for (const scalar of expressionScalars(doc.file)) {
    for (const occurrence of expressionsIn(ctx.file, scalar)) {
      const expr = occurrence.expr;
      if (!expr) continue;
      walk(expr, (node) => {
        const arm = falsyTernaryArm(node);
        if (arm) {
          ctx.reporter.raise({
            rule: 'unsound-ternary',
            severity: 'low',
            confidence: 'high',
            at: sourceRange(occurrence.text, arm.span),
            message: 'pseudo-ternary has falsy true value',
          });
        }
        if (node.kind === 'access' && node.key.kind === 'index' && node.key.index.kind !== 'literal') {
          ctx.reporter.raise({
            rule: 'obfuscation',
            severity: 'low',
            confidence: 'high',
            persona: 'pedantic',
            at: sourceRange(occurrence.text, { start: node.key.index.span.start - 1, end: node.span.end }),
            message: 'index expression is computed',
          });
        }
      });
      if (isConstant(expr)) {
        ctx.reporter.raise({
          rule: 'obfuscation',
          severity: 'low',
          confidence: 'high',
          at: sourceRange(occurrence.text, trimmedBareSpan(occurrence.fenced)),
          message: 'can be replaced by its static evaluation',
        });
      } else {
        for (const sub of constantSubexpressions(expr)) {
          ctx.reporter.raise({
            rule: 'obfuscation',
            severity: 'low',
            confidence: 'high',
            at: sourceRange(occurrence.text, sub.span),
            message: 'can be reduced to a constant',
          });
        }
      }
    }
  }
}

/** `with: ${{ fromJSON(…) }}` hides every input from the audits that read them. */
function auditWithExpressions(doc: CiDocument, ctx: AuditContext): void {
  for (const step of stepsOf(doc)) {
    const w = step.with;
    if (w && isScalar(w.value) && (str(ctx.file, w.value) ?? '').includes('${{')) {
      ctx.reporter.raise({
        rule: 'obfuscation',
        severity: 'info',
        confidence: 'high',
        at: entryRange(w),
        message: 'use of an expression for `with:` prevents analysis',
      });
    }
  }
}

export const conditionsAudit: Audit = {
  rules: ['unsound-condition', 'unsound-contains', 'unsound-ternary', 'obfuscation'],
  raw(doc, ctx) {
    if (doc.kind === 'dependabot') return;
    auditUnsoundCondition(doc, ctx);
    auditUnsoundContains(doc, ctx);
    auditExpressions(doc, ctx);
    auditWithExpressions(doc, ctx);
  },
};
