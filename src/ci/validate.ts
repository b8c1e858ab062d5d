/**
 * Warnings about input the auditor reads but GitHub would reject or that it cannot analyse:
 * unknown keys, jobs without `runs-on`, expressions that do not parse. They do not stop the
 * audit; they tell the user where the picture may be incomplete.
 */
import { isMap, isScalar, visit } from 'yaml';
import type { InputIssue } from '../core/types.ts';
import { ExprSyntaxError, extractExpressions, parseExpression } from './expr/parse.ts';
import type { Action, CiDocument, Step, Workflow } from './model.ts';
import { entries, expressionScalars, position, scalarText, textRangeToSource, type Entry, type SourceFile } from './yaml.ts';

const WORKFLOW_KEYS = new Set(['name', 'run-name', 'on', 'permissions', 'env', 'defaults', 'concurrency', 'jobs']);
const JOB_KEYS = new Set([
  'name', 'permissions', 'needs', 'if', 'runs-on', 'snapshot', 'environment', 'concurrency', 'outputs', 'env', 'defaults',
  'steps', 'timeout-minutes', 'strategy', 'continue-on-error', 'container', 'services', 'uses', 'with', 'secrets',
]);
const STEP_KEYS = new Set(['id', 'if', 'name', 'uses', 'run', 'working-directory', 'shell', 'with', 'env', 'continue-on-error', 'timeout-minutes', 'parallel']);
const ACTION_KEYS = new Set(['name', 'author', 'description', 'inputs', 'outputs', 'runs', 'branding']);

function warn(file: SourceFile, offset: number, message: string): InputIssue {
  return { path: file.path, line: position(file, offset).line, message };
}

function unknownKeys(file: SourceFile, node: unknown, allowed: Set<string>, what: string): InputIssue[] {
  return entries(file, node)
    .filter((e) => !allowed.has(e.key))
    .map((e: Entry) => warn(file, e.keyNode.range![0], `unknown ${what} key '${e.key}'`));
}

function stepWarnings(file: SourceFile, steps: Step[]): InputIssue[] {
  const out: InputIssue[] = [];
  for (const s of steps) {
    out.push(...unknownKeys(file, s.node, STEP_KEYS, 'step'));
    if (!s.uses && !s.run && !entries(file, s.node).some((e) => e.key === 'parallel')) {
      out.push(warn(file, s.at.range![0], 'step has neither uses: nor run:'));
    }
  }
  return out;
}

function workflowWarnings(w: Workflow): InputIssue[] {
  const out = unknownKeys(w.file, w.root, WORKFLOW_KEYS, 'workflow');
  if (!w.on) out.push(warn(w.file, w.root.range![0], 'workflow has no on: triggers'));
  for (const job of w.jobs) {
    out.push(...unknownKeys(w.file, job.node, JOB_KEYS, 'job'));
    if (job.kind === 'normal' && !job.field('runs-on')) out.push(warn(w.file, job.entry.keyNode.range![0], `job '${job.id}' has no runs-on:`));
    if (job.kind === 'reusable' && job.field('steps')) out.push(warn(w.file, job.entry.keyNode.range![0], `job '${job.id}' has both uses: and steps:`));
    out.push(...stepWarnings(w.file, job.steps));
  }
  return out;
}

function actionWarnings(a: Action): InputIssue[] {
  return [...unknownKeys(a.file, a.root, ACTION_KEYS, 'action'), ...stepWarnings(a.file, a.steps)];
}

/** Every `${{ }}` that does not parse, with its line. */
function expressionWarnings(file: SourceFile): InputIssue[] {
  const out: InputIssue[] = [];
  for (const node of expressionScalars(file)) {
    const text = scalarText(file, node);
    const fenced = extractExpressions(text.text);
    for (const f of fenced) {
      try {
        parseExpression(f.bare, f.bareStart);
      } catch (err) {
        const offset = err instanceof ExprSyntaxError ? err.offset : f.bareStart;
        const at = textRangeToSource(text, Math.min(offset, text.text.length - 1), offset + 1).start;
        out.push(warn(file, at, `expression does not parse: ${err instanceof ExprSyntaxError ? err.message : 'nesting too deep'}`));
      }
    }
    // An opening fence without a closing one is silently literal text for GitHub.
    if (text.text.split('${{').length - 1 > fenced.length) out.push(warn(file, node.range![0], 'unterminated ${{ expression'));
  }
  return out;
}

/** Warnings for one parsed document. */
export function validateDocument(doc: CiDocument): InputIssue[] {
  const out: InputIssue[] = [];
  if (doc.kind === 'workflow') out.push(...workflowWarnings(doc));
  if (doc.kind === 'action') out.push(...actionWarnings(doc));
  if (doc.kind !== 'dependabot') out.push(...expressionWarnings(doc.file));
  return out.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

/** YAML anchors are legal but hide what a step really contains from reviewers; note their use once. */
export function anchorNote(file: SourceFile): InputIssue | undefined {
  if (!/(^|[\s:-])&[\w-]/m.test(file.text)) return undefined;
  let first: number | undefined;
  visit(file.doc, {
    Node(_k, node) {
      if (first === undefined && (isMap(node) || isScalar(node)) && (node as { anchor?: string }).anchor) first = node.range?.[0];
    },
  });
  return first === undefined ? undefined : warn(file, first, 'YAML anchors in use: findings inside aliased content point at the anchor');
}
