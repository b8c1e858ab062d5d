/**
 * The audit contract and the helpers most audits share: ranges of steps and jobs, expressions
 * inside scalars mapped back to source, environment and matrix lookups.
 */
import { isMap, isScalar, type Node } from 'yaml';
import type { CiConfig } from '../config.ts';
import { extractExpressions, parseExpression, type Expr, type FencedExpression, type Span } from '../expr/parse.ts';
import type { Persona, Reporter } from '../findings.ts';
import type { Action, CiDocument, DependabotConfig, Job, Step, Workflow } from '../model.ts';
import { fileOfStep, hasExpression } from '../model.ts';
import {
  entries,
  entry,
  entryRange,
  items,
  nodeRange,
  scalarText,
  str,
  textRangeToSource,
  type Entry,
  type Range,
  type ScalarText,
  type SourceFile,
} from '../yaml.ts';

export interface AuditContext {
  file: SourceFile;
  reporter: Reporter;
  config: CiConfig;
  /** The persona asked for: audits that are expensive and only pedantic may skip work. */
  persona: Persona;
}

/** One audit; it implements the hooks for the documents it understands. */
export interface Audit {
  /** The rules it can raise. */
  rules: string[];
  workflow?(w: Workflow, ctx: AuditContext): void;
  action?(a: Action, ctx: AuditContext): void;
  dependabot?(d: DependabotConfig, ctx: AuditContext): void;
  /** Runs on every document, with the raw text. */
  raw?(doc: CiDocument, ctx: AuditContext): void;
}

const PERSONA_ORDER: Persona[] = ['regular', 'pedantic', 'auditor'];

/** Does the persona asked for see findings of `persona`? Audits that only raise such findings skip work otherwise. */
export function wants(ctx: AuditContext, persona: Persona): boolean {
  return PERSONA_ORDER.indexOf(ctx.persona) >= PERSONA_ORDER.indexOf(persona);
}

export function stepsOf(doc: CiDocument): Step[] {
  if (doc.kind === 'workflow') return doc.jobs.flatMap((j) => j.steps);
  if (doc.kind === 'action') return doc.steps;
  return [];
}

/** The step as written, from its anchor (`- &checkout`) when it has one. */
export function stepRange(step: Step): Range {
  const r = nodeRange(step.at);
  const anchor = (step.at as { anchor?: string }).anchor;
  if (!anchor) return r;
  const text = fileOfStep(step).text;
  const at = text.lastIndexOf(`&${anchor}`, r.start);
  return at >= 0 && !text.slice(at, r.start).includes('-') ? { start: at, end: r.end } : r;
}

/** The step as users name it: its `name:` entry when present, else the whole step. */
export function stepLabelRange(step: Step): Range {
  const name = entry(fileOfStep(step), step.node, 'name');
  return name ? entryRange(name) : stepRange(step);
}

/** The job key with its body: where job-level findings point. */
export function jobRange(job: Job): Range {
  return entryRange(job.entry);
}

export function jobLabelRange(job: Job): Range {
  const name = job.field('name');
  return name ? entryRange(name) : { start: job.entry.keyNode.range![0], end: job.entry.keyNode.range![1] };
}

export function rootRange(doc: CiDocument): Range {
  return nodeRange(doc.root);
}

// ---------------------------------------------------------------------------------------------
// Expressions inside scalars

export interface ScalarExpression {
  fenced: FencedExpression;
  /** undefined when the expression does not parse. */
  expr?: Expr;
  text: ScalarText;
}

/** Every `${{ }}` in a scalar node, parsed, with spans in the scalar's logical text. */
export function expressionsIn(file: SourceFile, node: Node | null | undefined): ScalarExpression[] {
  if (!isScalar(node) || typeof node.value !== 'string' || !node.value.includes('${{')) return [];
  const text = scalarText(file, node);
  return extractExpressions(text.text).map((fenced) => {
    const out: ScalarExpression = { fenced, text };
    try {
      out.expr = parseExpression(fenced.bare, fenced.bareStart);
    } catch {
      // Unparseable expressions are skipped by the audits that need a tree.
    }
    return out;
  });
}

/**
 * Every scalar value under a node (mapping values and sequence items, aliases followed), each
 * node visited once: an alias may point back at its own ancestor.
 */
export function scalarsUnder(file: SourceFile, node: Node | null | undefined, seen = new Set<Node>()): Node[] {
  if (!node || seen.has(node)) return [];
  seen.add(node);
  if (isScalar(node)) return [node];
  if (isMap(node)) return entries(file, node).flatMap((e) => scalarsUnder(file, e.value, seen));
  return items(file, node).flatMap((i) => scalarsUnder(file, i.value, seen));
}

/** Converts a span in a scalar's logical text to a source range. */
export function sourceRange(text: ScalarText, span: Span): Range {
  return textRangeToSource(text, span.start, span.end);
}

/**
 * A condition (`if:`) as an expression: fenced (`${{ … }}`) or bare. Returns the tree with
 * spans in the scalar's logical text, or undefined when it does not parse.
 */
export function conditionExpression(file: SourceFile, e: Entry | undefined): { expr: Expr; text: ScalarText } | undefined {
  if (!e || !isScalar(e.value) || typeof e.value.value !== 'string') return undefined;
  const text = scalarText(file, e.value);
  const trimmed = text.text.trim();
  try {
    if (trimmed.startsWith('${{') && trimmed.endsWith('}}') && extractExpressions(trimmed).length === 1) {
      const fenced = extractExpressions(text.text)[0]!;
      return { expr: parseExpression(fenced.bare, fenced.bareStart), text };
    }
    if (trimmed.includes('${{')) return undefined;
    return { expr: parseExpression(text.text, 0), text };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Environment and matrix

/** The env entries visible to a step, innermost first: step, job, workflow. */
export function envScopes(step: Step): Entry[][] {
  const file = fileOfStep(step);
  const scopes: Entry[][] = [entries(file, step.env?.value)];
  if (step.job) {
    scopes.push(entries(file, step.job.field('env')?.value));
    scopes.push(entries(file, step.job.workflow.field('env')?.value));
  }
  return scopes;
}

/**
 * Is `env.NAME` a constant for this step? True when the innermost definition is a literal
 * without expressions; false when it is computed or defined nowhere (it may come from a
 * GITHUB_ENV write).
 */
export function envIsStatic(step: Step, name: string): boolean {
  const file = fileOfStep(step);
  for (const scope of envScopes(step)) {
    const e = scope.find((x) => x.key.toLowerCase() === name.toLowerCase());
    if (e) return isScalar(e.value) && !hasExpression(str(file, e.value));
  }
  return false;
}

/** Does any env scope of the step set `name`? Returns the entry. */
export function envEntry(step: Step, name: string): Entry | undefined {
  for (const scope of envScopes(step)) {
    const e = scope.find((x) => x.key === name);
    if (e) return e;
  }
  return undefined;
}

/** `strategy.matrix` of a job, or undefined. */
export function matrixOf(job: Job | undefined): Entry | undefined {
  if (!job) return undefined;
  return entry(job.workflow.file, job.field('strategy')?.value, 'matrix');
}

/**
 * Values `matrix.<key>` can take: from the dimension of that name and from `include:` entries.
 * `dynamic` is true when the matrix, the dimension or an include comes from an expression.
 */
export function matrixValues(file: SourceFile, matrix: Entry, key: string): { values: Node[]; dynamic: boolean } {
  const out: { values: Node[]; dynamic: boolean } = { values: [], dynamic: false };
  if (!isMap(matrix.value)) {
    out.dynamic = true;
    return out;
  }
  for (const e of entries(file, matrix.value)) {
    if (e.key === 'include') {
      if (isScalar(e.value)) out.dynamic ||= hasExpression(str(file, e.value));
      for (const inc of items(file, e.value)) {
        if (!isMap(inc.value)) {
          out.dynamic ||= hasExpression(str(file, inc.value));
          continue;
        }
        const v = entries(file, inc.value).find((x) => x.key.toLowerCase() === key.toLowerCase());
        if (v?.value) out.values.push(v.value);
      }
    } else if (e.key !== 'exclude' && e.key.toLowerCase() === key.toLowerCase()) {
      const listed = items(file, e.value);
      if (listed.length === 0 && e.value) out.values.push(e.value);
      for (const i of listed) if (i.value) out.values.push(i.value);
    }
  }
  out.dynamic ||= out.values.some((v) => !isScalar(v) ? containsExpression(file, v) : hasExpression(str(file, v)));
  return out;
}

function containsExpression(file: SourceFile, node: Node): boolean {
  const r = nodeRange(node);
  return file.text.slice(r.start, r.end).includes('${{');
}

/** Values of the `matrix.<key>` dimension after removing `exclude:` entries. */
export function matrixDimension(file: SourceFile, matrix: Entry, key: string): string[] {
  const dim = entries(file, matrix.value).find((e) => e.key === key);
  const values = items(file, dim?.value)
    .map((i) => str(file, i.value))
    .filter((v): v is string => v !== null);
  const excluded = items(file, entry(file, matrix.value, 'exclude')?.value)
    .map((i) => str(file, entry(file, i.value, key)?.value))
    .filter((v): v is string => v !== null);
  return values.filter((v) => !excluded.includes(v));
}
