/**
 * `validate.pattern` / `validate.anyPattern`: walk a resource against a pattern tree the way Kyverno's
 * `pkg/engine/validate` does, carrying the JSON path (`/spec/containers/0/image/`) so every result says where it
 * was decided.
 *
 * Maps: anchor keys first (conditions, equality, negation and existence anchors, in sorted key order), then the
 * other keys (global anchors and keys whose values hold anchors first). An error stops the map, except a skipped
 * list below it (see validateMap).
 * Arrays: an array pattern whose first element is a map applies that map to every resource element; elements whose
 * conditional (or global) anchors do not hold are skipped, and when no element applied the array is skipped. A
 * scalar first element must match every resource element; other arrays match position by position.
 *
 * Outcome of an error: conditional and global anchor errors skip the rule, a negation anchor error fails it, and
 * every other mismatch fails it at the element's path. As in Kyverno, skips are recognised by error text once they
 * have been folded into a parent message (an array whose elements were all skipped).
 */

import { type Anchor, formatAnchor, isLeadingAnchor, isTrackedAnchor, parseAnchor } from './anchors.ts';
import { goSprint, goTypeName } from './gofmt.ts';
import { matchValue } from './value.ts';
import { containsWildcard, wildcardMatch } from './wildcard.ts';
import type { PatternResult } from '../types.ts';
import { RuleError } from '../types.ts';
import { isRecord } from '../../core/json.ts';

const CONDITIONAL_MSG = 'conditional anchor mismatch';
const GLOBAL_MSG = 'global anchor mismatch';
const NEGATION_MSG = 'negation anchor matched in resource';

type AnchorErrorKind = 'conditional' | 'global' | 'negation';

/** A walk error: the anchor that raised it (if any) and Kyverno's message. */
interface WalkError {
  anchor?: AnchorErrorKind;
  message: string;
}

/** Where and why an element did not match; undefined means it matched. */
interface Mismatch {
  path: string;
  err: WalkError;
}

type Step = Mismatch | undefined;

function isAnchorError(err: WalkError, kind: AnchorErrorKind, text: string): boolean {
  return err.anchor !== undefined ? err.anchor === kind : err.message.includes(text);
}

function isSkip(err: WalkError): boolean {
  return isAnchorError(err, 'conditional', CONDITIONAL_MSG) || isAnchorError(err, 'global', GLOBAL_MSG);
}

function isNegationFailure(err: WalkError): boolean {
  return isAnchorError(err, 'negation', NEGATION_MSG);
}

/** State of one walk: which tracked anchor keys were ever present in the resource (Kyverno's AnchorMap). */
class Walk {
  private seen: Map<string, boolean> | undefined;

  noteAnchors(plan: MapPlan, resource: Record<string, unknown>): void {
    if (plan.tracked.length === 0) return;
    this.seen ??= new Map();
    for (const { raw, anchor } of plan.tracked) {
      if (this.seen.get(raw) === true) continue;
      this.seen.set(raw, Object.hasOwn(resource, anchor.key));
    }
  }

  /** True when a tracked (non-negation) anchor key was never found in the resource. */
  keysAreMissing(): boolean {
    if (!this.seen) return false;
    for (const [raw, present] of this.seen) {
      if (!present && parseAnchor(raw)?.type !== 'negation') return true;
    }
    return false;
  }
}

/** A pattern map prepared once: its keys in Kyverno's evaluation order, with parsed anchors. */
interface PlanEntry {
  raw: string;
  anchor: Anchor | undefined;
  value: unknown;
}

interface MapPlan {
  /** Leading anchors (sorted), then global anchors, keys holding anchors, and the other keys. */
  entries: PlanEntry[];
  tracked: { raw: string; anchor: Anchor }[];
  /** The `metadata` key, when its labels/annotations have wildcard keys to expand per resource. */
  wildcardMetadataKey: string | undefined;
}

const plans = new WeakMap<object, MapPlan>();

function planFor(pattern: Record<string, unknown>): MapPlan {
  let plan = plans.get(pattern);
  if (plan) return plan;
  const leading: PlanEntry[] = [];
  const global: PlanEntry[] = [];
  const nested: PlanEntry[] = [];
  const plain: PlanEntry[] = [];
  const tracked: MapPlan['tracked'] = [];
  for (const raw of Object.keys(pattern)) {
    const anchor = parseAnchor(raw);
    const entry = { raw, anchor, value: pattern[raw] };
    if (anchor && isTrackedAnchor(anchor)) tracked.push({ raw, anchor });
    if (isLeadingAnchor(anchor)) leading.push(entry);
    else if (anchor?.type === 'global') global.push(entry);
    else if (hasNestedAnchors(entry.value)) nested.push(entry);
    else plain.push(entry);
  }
  leading.sort((a, b) => (a.raw < b.raw ? -1 : a.raw > b.raw ? 1 : 0));
  plan = { entries: [...leading, ...global, ...nested, ...plain], tracked, wildcardMetadataKey: wildcardMetadataKey(pattern) };
  plans.set(pattern, plan);
  return plan;
}

/** Does a pattern subtree contain any anchor key (the keys Kyverno moves to the front)? */
function hasNestedAnchors(pattern: unknown): boolean {
  if (Array.isArray(pattern)) return pattern.some(hasNestedAnchors);
  if (!isRecord(pattern)) return false;
  for (const [k, v] of Object.entries(pattern)) {
    const a = parseAnchor(k);
    if (a && a.type !== 'addIfNotPresent') return true;
    if (hasNestedAnchors(v)) return true;
  }
  return false;
}

/**
 * Match a resource (the Kubernetes object) against a `validate.pattern`.
 *
 * - `pass`: the resource satisfies the pattern.
 * - `skip`: a conditional or global anchor did not hold; `reason` has Kyverno's message.
 * - `fail`: `path` is where it failed. A `fail` with an empty `path` is what Kyverno reports as a rule **error**
 *   (an anchor key was missing from the resource while another part failed, or an array was shorter than a
 *   positional array pattern); the engine should map it to `error`.
 *
 * Throws RuleError('INVALID') for an add-if-not-present anchor `+(key)`, which only mutate patterns accept.
 */
export function matchPattern(resource: unknown, pattern: unknown): PatternResult {
  const walk = new Walk();
  const miss = validateElement(resource, pattern, '/', walk);
  if (!miss) return { status: 'pass', path: '' };
  if (isSkip(miss.err)) return { status: 'skip', path: '', reason: miss.err.message };
  if (isNegationFailure(miss.err)) return { status: 'fail', path: miss.path, reason: miss.err.message };
  if (walk.keysAreMissing()) return { status: 'fail', path: '', reason: miss.err.message };
  return { status: 'fail', path: miss.path, reason: miss.err.message };
}

/**
 * Match a resource against `validate.anyPattern`: pass as soon as one pattern passes; skip when every pattern was
 * skipped; otherwise fail (never an error, even for a pattern that failed without a path). `reason` is Kyverno's
 * joined text (`rule <name>[<i>] failed at path <path>` for each failed pattern, or `rule <name>[<i>] skipped:
 * <why>` when all were skipped; Kyverno's pass message naming the pattern that passed); `path` is the first failure
 * path that is not empty ("/" when none is). An empty list passes, as in Kyverno.
 */
export function matchAnyPattern(resource: unknown, patterns: readonly unknown[], ruleName = 'anyPattern'): PatternResult {
  const failed: string[] = [];
  const skipped: string[] = [];
  let firstPath: string | undefined;
  for (const [i, pattern] of patterns.entries()) {
    const r = matchPattern(resource, pattern);
    if (r.status === 'pass') return { status: 'pass', path: '', reason: `validation rule '${ruleName}' anyPattern[${i}] passed.` };
    if (r.status === 'skip') {
      skipped.push(`rule ${ruleName}[${i}] skipped: ${r.reason ?? ''}`);
      continue;
    }
    if (r.path !== '') firstPath ??= r.path;
    failed.push(r.path === '' ? `rule ${ruleName}[${i}] failed: ${r.reason ?? ''}` : `rule ${ruleName}[${i}] failed at path ${r.path}`);
  }
  if (failed.length > 0) return { status: 'fail', path: firstPath ?? '/', reason: failed.join(' ') };
  if (skipped.length > 0) return { status: 'skip', path: '', reason: skipped.join(' ') };
  return { status: 'pass', path: '' };
}

/**
 * Anchor errors Kyverno's policy validation reports for a pattern: anchors the rule kind does not support
 * (`+()` in validate; `X()`, `^()` and `=()` in mutate) and existence anchors whose value is not a non-empty list.
 * Returns the first problem as `{path, message}`, or undefined when the pattern is well formed.
 */
export function patternAnchorError(pattern: unknown, kind: 'validate' | 'mutate', path = '/'): { path: string; message: string } | undefined {
  if (Array.isArray(pattern)) {
    for (const [i, el] of pattern.entries()) {
      const e = patternAnchorError(el, kind, `${path}${i}/`);
      if (e) return e;
    }
    return undefined;
  }
  if (!isRecord(pattern)) return undefined;
  for (const [key, value] of Object.entries(pattern)) {
    const a = parseAnchor(key);
    if (a) {
      const supported =
        kind === 'validate' ? a.type !== 'addIfNotPresent' : a.type === 'condition' || a.type === 'global' || a.type === 'addIfNotPresent';
      if (!supported) return { path: `${path}${key}/`, message: `unsupported anchor ${key}` };
      if (a.type === 'existence') {
        if (!Array.isArray(value)) return { path: `${path}${key}/`, message: 'existence anchor should have value of type list' };
        if (value.length === 0) return { path: `${path}${key}/`, message: 'existence anchor: should have atleast one value' };
      }
    }
    const e = patternAnchorError(value, kind, `${path}${key}/`);
    if (e) return e;
  }
  return undefined;
}

// --- the walk ------------------------------------------------------------------------------------------------

function mismatch(path: string, message: string, anchor?: AnchorErrorKind): Mismatch {
  return { path, err: anchor ? { anchor, message } : { message } };
}

/** `validateResourceElement`: dispatch on the pattern's type. */
function validateElement(resource: unknown, pattern: unknown, path: string, walk: Walk): Step {
  if (isRecord(pattern)) {
    if (!isRecord(resource)) {
      return mismatch(
        path,
        `pattern and resource have different structures. Path: ${path}. Expected ${goTypeName(pattern)}, found ${goTypeName(resource)}`,
      );
    }
    return validateMap(resource, pattern, path, walk);
  }
  if (Array.isArray(pattern)) {
    if (!Array.isArray(resource)) {
      return mismatch(path, `validation rule failed at path ${path}, resource does not satisfy the expected overlay pattern`);
    }
    return validateArray(resource, pattern, path, walk);
  }
  if (!isScalar(pattern)) return mismatch(path, `failed at '${path}', pattern contains unknown type`);
  const ok = Array.isArray(resource) ? resource.every((el) => matchValue(el, pattern)) : matchValue(resource, pattern);
  if (ok) return undefined;
  return mismatch(path, `resource value '${goSprint(resource)}' does not match '${goSprint(pattern)}' at path ${path}`);
}

function isScalar(v: unknown): boolean {
  return v === null || v === undefined || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

function validateMap(resource: Record<string, unknown>, pattern: Record<string, unknown>, path: string, walk: Walk): Step {
  const plan = planFor(pattern);
  walk.noteAnchors(plan, resource);
  const metaKey = plan.wildcardMetadataKey;
  const expandedMeta = metaKey === undefined ? undefined : expandMetadataWildcards(pattern[metaKey], resource);
  // A list below this map whose elements were all skipped does not decide the map by itself: when another key
  // applied and nothing failed, the map passes (Kyverno's tests: `=(initContainers)` all exempt and `=(containers)`
  // checked → pass). Once such a skip is recorded it outranks a later failure. Anchor errors raised at this level
  // (conditions, globals, negations) and failures before any skip stop the map at once.
  let skipped: WalkError[] | undefined;
  let applied = 0;
  let failedAfterSkip = false;
  for (const planned of plan.entries) {
    const entry = expandedMeta !== undefined && planned.raw === metaKey ? { ...planned, value: expandedMeta } : planned;
    const miss = handleEntry(resource, entry, path, walk);
    if (!miss) applied++;
    else if (miss.err.anchor === undefined && isSkip(miss.err)) (skipped ??= []).push(miss.err);
    else if (skipped) failedAfterSkip = true;
    else return miss;
  }
  if (!skipped || (applied > 0 && !failedAfterSkip)) return undefined;
  return mismatch(path, skipped.map((e) => e.message).join('; '));
}

/** One pattern key against the resource map (Kyverno's anchor handlers and default handler). */
function handleEntry(resource: Record<string, unknown>, entry: PlanEntry, path: string, walk: Walk): Step {
  const { anchor, value } = entry;
  if (!anchor) return handlePlainKey(resource, entry.raw, value, path, walk);
  const key = anchor.key;
  const current = `${path}${key}/`;
  const present = Object.hasOwn(resource, key);
  switch (anchor.type) {
    case 'condition': {
      if (!present) return mismatch(current, `${CONDITIONAL_MSG}: conditional anchor key doesn't exist in the resource`, 'conditional');
      const miss = validateElement(resource[key], value, current, walk);
      return miss && mismatch(miss.path, `${CONDITIONAL_MSG}: ${miss.err.message}`, 'conditional');
    }
    case 'global': {
      if (!present) return undefined;
      const miss = validateElement(resource[key], value, current, walk);
      return miss && mismatch(miss.path, `${GLOBAL_MSG}: ${miss.err.message}`, 'global');
    }
    case 'equality':
      return present ? validateElement(resource[key], value, current, walk) : undefined;
    case 'negation':
      return present ? mismatch(current, `${NEGATION_MSG}: ${current} is not allowed`, 'negation') : undefined;
    case 'existence':
      return present ? validateExistence(resource[key], value, current, walk) : undefined;
    case 'addIfNotPresent':
      throw new RuleError('INVALID', `anchor ${entry.raw} at ${current} is only supported in mutate patterns`);
  }
}

/** Kyverno's default handler: `"*"` requires a present, non-null value; anything else recurses. */
function handlePlainKey(resource: Record<string, unknown>, key: string, value: unknown, path: string, walk: Walk): Step {
  if (value === '*') {
    const v = resource[key];
    return v === undefined || v === null ? mismatch(path, `${path}/${key} not found`) : undefined;
  }
  return validateElement(resource[key], value, `${path}${key}/`, walk);
}

/** `^(key)`: every map in the pattern list must match at least one element of the resource list. */
function validateExistence(resourceValue: unknown, pattern: unknown, path: string, walk: Walk): Step {
  if (!Array.isArray(resourceValue)) {
    return mismatch(path, `invalid resource type ${goTypeName(resourceValue)}: Existence ^ () anchor can be used only on list/array type resource`);
  }
  if (!Array.isArray(pattern)) {
    return mismatch(path, `invalid pattern type ${goTypeName(pattern)}: Pattern has to be of list to compare against resource`);
  }
  for (const patternMap of pattern) {
    if (!isRecord(patternMap)) {
      return mismatch(path, `invalid pattern type ${goTypeName(pattern)}: Pattern has to be of type map to compare against items in resource`);
    }
    const found = resourceValue.some((el, i) => validateElement(el, patternMap, `${path}${i}/`, walk) === undefined);
    if (!found) return mismatch(path, `existence anchor validation failed at path ${path}`);
  }
  return undefined;
}

function validateArray(resource: unknown[], pattern: unknown[], path: string, walk: Walk): Step {
  if (pattern.length === 0) return mismatch(path, 'pattern Array empty');
  const first = pattern[0];
  if (isRecord(first)) return validateArrayOfMaps(resource, first, path, walk);
  if (isScalar(first)) return validateElement(resource, first, path, walk);
  if (resource.length < pattern.length) {
    return mismatch(
      '',
      `validate Array failed, array length mismatch, resource Array len is ${resource.length} and pattern Array len is ${pattern.length}`,
    );
  }
  return validateElements(pattern.length, (i) => resource[i], (i) => pattern[i], path, walk);
}

/** Apply one map pattern to every element; elements whose anchors do not hold are skipped. */
function validateArrayOfMaps(resource: unknown[], pattern: Record<string, unknown>, path: string, walk: Walk): Step {
  return validateElements(resource.length, (i) => resource[i], () => pattern, path, walk);
}

/**
 * Validates `count` elements in order against their patterns: the first mismatch that is not an anchor skip ends
 * the walk. When no element applied, the array is skipped with the combined reasons (multierr joins with "; ").
 * Kyverno wraps them in a PatternError, which later checks recognise by message text only, so the anchor kind is
 * dropped.
 */
function validateElements(count: number, resourceAt: (i: number) => unknown, patternAt: (i: number) => unknown, path: string, walk: Walk): Step {
  const skips: WalkError[] = [];
  let applied = 0;
  for (let i = 0; i < count; i++) {
    const miss = validateElement(resourceAt(i), patternAt(i), `${path}${i}/`, walk);
    if (miss) {
      if (!isSkip(miss.err)) return miss;
      skips.push(miss.err);
      continue;
    }
    applied++;
  }
  if (applied > 0 || skips.length === 0) return undefined;
  return mismatch(path, skips.map((e) => e.message).join('; '));
}

// --- metadata wildcard keys ------------------------------------------------------------------------------------

/** Find `tag` or an anchored `tag` among a map's keys (Kyverno's getPatternValue). */
function findTagged(map: Record<string, unknown>, tag: string): string | undefined {
  for (const k of Object.keys(map)) {
    if (k === tag || parseAnchor(k)?.key === tag) return k;
  }
  return undefined;
}

/** The key holding `metadata` when its labels or annotations use wildcard keys; undefined otherwise. */
function wildcardMetadataKey(pattern: Record<string, unknown>): string | undefined {
  const metaKey = findTagged(pattern, 'metadata');
  const meta = metaKey === undefined ? undefined : pattern[metaKey];
  if (!isRecord(meta)) return undefined;
  const wild = ['labels', 'annotations'].some((tag) => {
    const k = findTagged(meta, tag);
    const m = k === undefined ? undefined : meta[k];
    return isRecord(m) && Object.keys(m).some(containsWildcard);
  });
  return wild ? metaKey : undefined;
}

/**
 * `wildcards.ExpandInMetadata`: label and annotation keys with wildcards in a pattern's `metadata` are replaced by
 * the first resource key they match (anchors kept), so `app.kubernetes.io/*: "?*"` checks a real label. Unmatched
 * keys stay as written and so are looked up literally (missing). Returns the expanded metadata pattern, or undefined
 * when nothing changes; the pattern itself is never modified.
 */
function expandMetadataWildcards(patternMeta: unknown, resource: Record<string, unknown>): Record<string, unknown> | undefined {
  const resourceMeta = resource.metadata;
  if (!isRecord(patternMeta) || !isRecord(resourceMeta)) return undefined;
  // Reuse the expansion for resources with the same label and annotation keys (keeps the walk's plan cache warm).
  const signature = ['labels', 'annotations']
    .map((tag) => {
      const k = findTagged(resourceMeta, tag);
      const m = k === undefined ? undefined : resourceMeta[k];
      return isRecord(m) ? `${k}\u0001${Object.keys(m).join('\u0000')}` : '';
    })
    .join('\u0002');
  let perPattern = expansions.get(patternMeta);
  if (!perPattern) expansions.set(patternMeta, (perPattern = new Map()));
  if (perPattern.has(signature)) return perPattern.get(signature);
  const expanded = expandMetadata(patternMeta, resourceMeta);
  if (perPattern.size >= 64) perPattern.clear();
  perPattern.set(signature, expanded);
  return expanded;
}

const expansions = new WeakMap<object, Map<string, Record<string, unknown> | undefined>>();

function expandMetadata(patternMeta: Record<string, unknown>, resourceMeta: Record<string, unknown>): Record<string, unknown> | undefined {
  let newMeta: Record<string, unknown> | undefined;
  for (const tag of ['labels', 'annotations']) {
    const tagKey = findTagged(patternMeta, tag);
    const patternTags = tagKey === undefined ? undefined : patternMeta[tagKey];
    const resourceTagKey = findTagged(resourceMeta, tag);
    const resourceTags = resourceTagKey === undefined ? undefined : resourceMeta[resourceTagKey];
    if (tagKey === undefined || !isRecord(patternTags) || !isRecord(resourceTags)) continue;
    newMeta ??= { ...patternMeta };
    newMeta[tagKey] = expandKeys(patternTags, Object.keys(resourceTags));
  }
  return newMeta;
}

function expandKeys(patternTags: Record<string, unknown>, resourceKeys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(patternTags)) {
    if (!containsWildcard(k)) {
      out[k] = v;
      continue;
    }
    const a = parseAnchor(k);
    const wanted = a ? a.key : k;
    const match = resourceKeys.find((rk) => wildcardMatch(wanted, rk));
    if (match === undefined) out[k] = v;
    else out[a ? formatAnchor(a.type, match) : match] = v;
  }
  return out;
}
