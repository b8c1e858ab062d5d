/**
 * cache-poisoning: a release workflow (tag push, release-branch push, `release` event, or a job
 * that runs a known publishing action) that restores a cache. Any workflow run with a
 * GITHUB_TOKEN can write the repository's caches, so what a release restores is attacker
 * influenced. Each cache-aware action is described by the input that turns its cache on or
 * off, its type and its default, as documented in the action's `action.yml`.
 */
import { contextPath, evaluate, fnName, pathEquals } from '../expr/analyze.ts';
import { parseExpression, extractExpressions, type Expr } from '../expr/parse.ts';
import { compareVersions, usesMatches, usesVersion, withInputs, type Job, type Step, type Workflow } from '../model.ts';
import { entry, entryRange, items, str, type Range } from '../yaml.ts';
import { stepRange, type Audit, type AuditContext } from './audit.ts';
import { triggerRange } from './workflow-facts.ts';

/**
 * How an input controls caching. `opt-in`: caching is on when the input is truthy (or one of
 * `values`); `opt-out`: caching is off when the input is truthy. `default` is whether caching
 * is on when the input is absent.
 */
interface Control {
  input: string;
  toggle: 'opt-in' | 'opt-out';
  type: 'boolean' | 'string' | { values: string[] };
  defaultOn: boolean;
  /** Only versions below this one have this control (setup-uv's boolish `auto`). */
  below?: string;
  /** Only versions from this one on have this control (setup-node's package-manager-cache, v5). */
  since?: string;
}

type CacheAction =
  | { pattern: string; kind: 'always' }
  | { pattern: string; kind: 'any' | 'all'; controls: Control[] };

const CACHE_ACTIONS: CacheAction[] = [
  { pattern: 'actions/cache', kind: 'any', controls: [{ input: 'lookup-only', toggle: 'opt-out', type: 'boolean', defaultOn: true }] },
  { pattern: 'actions/cache/restore', kind: 'any', controls: [{ input: 'lookup-only', toggle: 'opt-out', type: 'boolean', defaultOn: true }] },
  { pattern: 'actions/setup-java', kind: 'any', controls: [{ input: 'cache', toggle: 'opt-in', type: 'string', defaultOn: false }] },
  { pattern: 'actions/setup-go', kind: 'any', controls: [{ input: 'cache', toggle: 'opt-in', type: 'boolean', defaultOn: true }] },
  {
    pattern: 'actions/setup-node',
    kind: 'any',
    controls: [
      { input: 'cache', toggle: 'opt-in', type: { values: ['npm', 'yarn', 'pnpm'] }, defaultOn: false },
      { input: 'package-manager-cache', toggle: 'opt-in', type: 'boolean', defaultOn: true, since: 'v5' },
    ],
  },
  { pattern: 'actions/setup-python', kind: 'any', controls: [{ input: 'cache', toggle: 'opt-in', type: 'string', defaultOn: false }] },
  { pattern: 'actions/setup-dotnet', kind: 'any', controls: [{ input: 'cache', toggle: 'opt-in', type: 'boolean', defaultOn: false }] },
  {
    pattern: 'astral-sh/setup-uv',
    kind: 'any',
    controls: [
      { input: 'enable-cache', toggle: 'opt-in', type: { values: ['true'] }, defaultOn: false },
      // Before v10, `auto` (the default) enabled the cache on GitHub-hosted runners.
      { input: 'enable-cache', toggle: 'opt-in', type: 'boolean', defaultOn: true, below: 'v10' },
    ],
  },
  { pattern: 'Swatinem/rust-cache', kind: 'any', controls: [{ input: 'lookup-only', toggle: 'opt-out', type: 'boolean', defaultOn: true }] },
  { pattern: 'ruby/setup-ruby', kind: 'any', controls: [{ input: 'bundler-cache', toggle: 'opt-in', type: 'boolean', defaultOn: false }] },
  { pattern: 'PyO3/maturin-action', kind: 'any', controls: [{ input: 'sccache', toggle: 'opt-in', type: 'boolean', defaultOn: false }] },
  { pattern: 'mlugg/setup-zig', kind: 'any', controls: [{ input: 'use-cache', toggle: 'opt-in', type: 'boolean', defaultOn: true }] },
  { pattern: 'oven-sh/setup-bun', kind: 'any', controls: [{ input: 'no-cache', toggle: 'opt-out', type: 'boolean', defaultOn: true }] },
  { pattern: 'DeterminateSystems/magic-nix-cache-action', kind: 'any', controls: [{ input: 'use-gha-cache', toggle: 'opt-in', type: 'boolean', defaultOn: true }] },
  { pattern: 'graalvm/setup-graalvm', kind: 'any', controls: [{ input: 'cache', toggle: 'opt-in', type: 'string', defaultOn: false }] },
  { pattern: 'gradle/actions/setup-gradle', kind: 'any', controls: [{ input: 'cache-disabled', toggle: 'opt-out', type: 'boolean', defaultOn: true }] },
  {
    pattern: 'docker/setup-buildx-action',
    kind: 'all',
    controls: [
      { input: 'cache-binary', toggle: 'opt-in', type: 'boolean', defaultOn: true },
      { input: 'version', toggle: 'opt-in', type: 'string', defaultOn: false },
    ],
  },
  { pattern: 'actions-rust-lang/setup-rust-toolchain', kind: 'any', controls: [{ input: 'cache', toggle: 'opt-in', type: 'boolean', defaultOn: true }] },
  { pattern: 'Mozilla-Actions/sccache-action', kind: 'always' },
  { pattern: 'nix-community/cache-nix-action', kind: 'always' },
  { pattern: 'jdx/mise-action', kind: 'any', controls: [{ input: 'cache', toggle: 'opt-in', type: 'boolean', defaultOn: true }] },
  {
    pattern: 'ramsey/composer-install',
    kind: 'any',
    controls: [{ input: 'ignore-cache', toggle: 'opt-out', type: { values: ['yes', 'true', '1'] }, defaultOn: true }],
  },
  { pattern: 'awalsh128/cache-apt-pkgs-action', kind: 'always' },
];

/** Actions that publish what the job built; their presence makes a job a release job. */
const PUBLISHERS: { pattern: string; control?: Control }[] = [
  { pattern: 'pypa/gh-action-pypi-publish' },
  { pattern: 'rubygems/release-gem' },
  { pattern: 'jreleaser/release-action' },
  { pattern: 'goreleaser/goreleaser-action' },
  { pattern: 'softprops/action-gh-release' },
  { pattern: 'release-drafter/release-drafter' },
  { pattern: 'googleapis/release-please-action' },
  { pattern: 'docker/build-push-action', control: { input: 'push', toggle: 'opt-in', type: 'boolean', defaultOn: true } },
  { pattern: 'redhat-actions/push-to-registry' },
  { pattern: 'aws-actions/amazon-ecs-deploy-task-definition' },
  { pattern: 'aws-actions/aws-cloudformation-github-deploy' },
  { pattern: 'Azure/aci-deploy' },
  { pattern: 'Azure/container-apps-deploy-action' },
  { pattern: 'Azure/functions-action' },
  { pattern: 'Azure/sql-action' },
  { pattern: 'cloudflare/wrangler-action' },
  { pattern: 'google-github-actions/deploy-appengine' },
  { pattern: 'google-github-actions/deploy-cloudrun' },
  { pattern: 'google-github-actions/deploy-cloud-functions' },
];

/** Whether caching is on: definitely, under a condition (an expression or an unknown version), or not. */
type Usage = { state: 'on' | 'maybe'; message: string } | { state: 'off' };

const BOOLISH_TRUE = new Set(['true', 'yes', '1', 'on', 'auto']);

/** Evaluates one control. `maybe` when the input is an expression. */
function controlState(step: Step, control: Control): { state: 'on' | 'off' | 'maybe'; explicit: boolean; expression?: string } {
  const input = withInputs(step).get(control.input);
  const raw = input?.value;
  if (raw === undefined || raw === null) return { state: control.defaultOn ? 'on' : 'off', explicit: false };
  const value = raw.trim();
  if (value.includes('${{')) return { state: 'maybe', explicit: true, expression: value };
  let truthy: boolean;
  if (control.type === 'boolean') truthy = BOOLISH_TRUE.has(value.toLowerCase());
  else if (control.type === 'string') truthy = value !== '' && value.toLowerCase() !== 'false';
  else truthy = control.type.values.includes(value.toLowerCase());
  const on = control.toggle === 'opt-in' ? truthy : !truthy;
  return { state: on ? 'on' : 'off', explicit: true };
}

function cacheUsage(file: Workflow['file'], step: Step): { action: CacheAction; usage: Usage } | undefined {
  const uses = step.uses;
  if (!uses || uses.parsed.kind !== 'repository') return undefined;
  const action = CACHE_ACTIONS.find((a) => usesMatches(uses.parsed, a.pattern));
  if (!action) return undefined;
  if (action.kind === 'always') return { action, usage: { state: 'on', message: 'always restores from cache' } };
  const version = usesVersion(file, uses);
  const states = action.controls.map((c) => {
    if (c.below || c.since) {
      const explicit = withInputs(step).has(c.input);
      if (version === undefined && !explicit) return { state: 'maybe' as const, explicit: false, versionUnknown: true, control: c };
      const outside = version !== undefined && ((c.below && compareVersions(version, c.below) >= 0) || (c.since && compareVersions(version, c.since) < 0));
      if (outside) return { state: 'off' as const, explicit: false, versionUnknown: false, control: c };
    }
    return { ...controlState(step, c), versionUnknown: false, control: c };
  });
  const combine = (list: typeof states): 'on' | 'maybe' | 'off' => {
    if (action.kind === 'all') return list.every((s) => s.state === 'on') ? 'on' : list.some((s) => s.state === 'off') ? 'off' : 'maybe';
    return list.some((s) => s.state === 'on') ? 'on' : list.some((s) => s.state === 'maybe') ? 'maybe' : 'off';
  };
  const state = combine(states);
  if (state === 'off') return { action, usage: { state: 'off' } };
  const deciding = states.find((s) => s.state === state) ?? states[0]!;
  let message = 'this step';
  if (deciding.versionUnknown && !deciding.explicit) message = 'action version may enable caching';
  else if (!deciding.explicit && deciding.state === 'on') {
    message = `omitting \`${deciding.control.input}\` enables caching${deciding.control.below || deciding.control.since ? ' for this action version' : ''}`;
  }
  return { action, usage: { state, message } };
}

type ReleaseTrigger = 'tag-push' | 'release-branch' | 'release';

function releaseTriggers(w: Workflow): ReleaseTrigger[] {
  const out: ReleaseTrigger[] = [];
  if (w.triggers.has('release')) out.push('release');
  const push = w.triggers.get('push');
  if (push) {
    if (entry(w.file, push, 'tags')) out.push('tag-push');
    const branches = items(w.file, entry(w.file, push, 'branches')?.value).map((i) => str(w.file, i.value) ?? '');
    if (branches.some((b) => b.toLowerCase().includes('release'))) out.push('release-branch');
  }
  return out;
}

function publisherStep(job: Job): Step | undefined {
  return job.steps.find((s) => {
    const uses = s.uses;
    if (!uses) return false;
    const p = PUBLISHERS.find((x) => usesMatches(uses.parsed, x.pattern));
    if (!p) return false;
    return !p.control || controlState(s, p.control).state !== 'off';
  });
}

/**
 * `enable-cache: ${{ !startsWith(github.ref, 'refs/tags/') }}` in a workflow that only runs on
 * tag pushes and releases: evaluates the guard for that case. Undefined when it cannot tell.
 */
function guardForTagPush(expression: string): boolean | undefined {
  const fenced = extractExpressions(expression)[0];
  if (!fenced) return undefined;
  let expr: Expr;
  try {
    expr = parseExpression(fenced.bare);
  } catch {
    return undefined;
  }
  return tagPushValue(expr);
}

function tagPushValue(e: Expr): boolean | undefined {
  switch (e.kind) {
    case 'literal': {
      const v = evaluate(e);
      return typeof v === 'boolean' ? v : undefined;
    }
    case 'unary': {
      const v = tagPushValue(e.operand);
      return v === undefined ? undefined : !v;
    }
    case 'call': {
      const [subject, prefix] = e.args;
      const isTagPrefix = prefix?.kind === 'literal' && typeof prefix.value === 'string' && prefix.value.toLowerCase() === 'refs/tags/';
      return fnName(e) === 'startswith' && !!subject && pathEquals(contextPath(subject), ['github', 'ref']) && isTagPrefix ? true : undefined;
    }
    case 'binary': {
      const sides = [e.left, e.right];
      const isPushTag =
        e.op === '&&' &&
        sides.some((x) => isComparison(x, ['github', 'event_name'], 'push')) &&
        sides.some((x) => isComparison(x, ['github', 'ref_type'], 'tag'));
      return isPushTag ? true : undefined;
    }
    default:
      return undefined;
  }
}

/** `ctx == 'value'` in either order. */
function isComparison(e: Expr, path: string[], value: string): boolean {
  if (e.kind !== 'binary' || e.op !== '==') return false;
  return [
    [e.left, e.right],
    [e.right, e.left],
  ].some(([c, l]) => pathEquals(contextPath(c!), path) && l!.kind === 'literal' && String(l!.value).toLowerCase() === value);
}

function auditJob(w: Workflow, job: Job, ctx: AuditContext, triggers: ReleaseTrigger[]): void {
  const publisher = triggers.length === 0 ? publisherStep(job) : undefined;
  if (triggers.length === 0 && !publisher) return;
  const scenario: { at: Range; message: string } = publisher
    ? { at: entryRange(publisher.uses!.entry), message: 'runtime artifacts usually published here' }
    : { at: triggerRange(w)!, message: 'generally used when publishing artifacts generated at runtime' };
  const tagOnly = triggers.length > 0 && triggers.every((t) => t === 'tag-push' || t === 'release');
  for (const step of job.steps) {
    const found = cacheUsage(w.file, step);
    if (!found || found.usage.state === 'off') continue;
    if (found.usage.state === 'maybe' && tagOnly && found.action.kind !== 'always') {
      // Guards such as `${{ !startsWith(github.ref, 'refs/tags/') }}` switch caching off for releases.
      const control = found.action.controls.find((c) => c.type === 'boolean' && withInputs(step).get(c.input)?.value?.includes('${{'));
      const value = control && guardForTagPush(withInputs(step).get(control.input)!.value!);
      if (control && value !== undefined && (control.toggle === 'opt-in' ? !value : value)) continue;
    }
    ctx.reporter.raise({
      rule: 'cache-poisoning',
      severity: 'high',
      confidence: 'low',
      at: entryRange(step.uses!.entry),
      message: found.usage.message,
      related: [scenario],
      hidden: [stepRange(step)],
    });
  }
}

export const cacheAudit: Audit = {
  rules: ['cache-poisoning'],
  workflow(w, ctx) {
    const triggers = releaseTriggers(w);
    for (const job of w.jobs) auditJob(w, job, ctx, triggers);
  },
};
