/**
 * The engine: routes each event to the rules that can match it and evaluates them.
 *
 * Rules of the event's source are selected through the index fields (sources.ts): for each
 * combination of index values seen, the rules whose conditions can match it are listed once, in
 * load order, and remembered. Evaluation follows Falco's `rule_matching`: `first` (the default)
 * stops at the first matching rule, `all` returns every match. Rules below the minimum priority,
 * disabled, or filtered out by name or tag are not run at all, as Falco does not load them.
 */
import { keySetHas } from './condition/analyze.ts';
import type { RuntimeEvent } from './event.ts';
import { atLeast, type Priority } from './priority.ts';
import type { CompiledRule, CompiledRuleset, SourceRuleset } from './rules/compile.ts';

export interface EngineOptions {
  /** Only rules at least this severe run (Falco's `priority`). Default: DEBUG (all). */
  minPriority?: Priority;
  /** Default `first`. */
  ruleMatching?: 'first' | 'all';
  /** Rules whose name contains one of these (Falco's -D); a pattern with `*` must match the whole name. */
  disabledRules?: readonly string[];
  /** Rules with any of these tags are disabled. */
  disabledTags?: readonly string[];
  /** When given, only rules with one of these tags run. */
  enabledTags?: readonly string[];
}

export interface EngineStats {
  events: number;
  /** Events of a source no loaded rule reads. */
  unmatchedSource: number;
  matches: number;
  /** Evaluations that threw (a bug, never bad input): counted, the event goes on. */
  evaluationErrors: number;
  byRule: Map<string, number>;
}

/** Index values → the next level, or (last level) the rules that can match. */
type DispatchLevel = Map<string, DispatchLevel | CompiledRule[]>;

interface SourceState {
  set: SourceRuleset;
  active: CompiledRule[];
  dispatch: DispatchLevel;
  dispatchSize: number;
}

/** Index value combinations remembered per source; beyond it rules are selected per event. */
const DISPATCH_CACHE_LIMIT = 10_000;

export class RuntimeEngine {
  readonly stats: EngineStats = { events: 0, unmatchedSource: 0, matches: 0, evaluationErrors: 0, byRule: new Map() };
  private readonly sources = new Map<string, SourceState>();
  private readonly first: boolean;

  constructor(ruleset: CompiledRuleset, options: EngineOptions = {}) {
    this.first = (options.ruleMatching ?? 'first') === 'first';
    const selected = ruleFilter(options);
    for (const [source, set] of ruleset.sources) {
      this.sources.set(source, { set, active: set.rules.filter(selected), dispatch: new Map(), dispatchSize: 0 });
    }
  }

  /** Sources with at least one rule that runs. */
  activeSources(): string[] {
    return [...this.sources].filter(([, s]) => s.active.length > 0).map(([name]) => name);
  }

  activeRules(source?: string): CompiledRule[] {
    const states = source === undefined ? [...this.sources.values()] : [this.sources.get(source)].filter((s) => s !== undefined);
    return states.flatMap((s) => s.active).sort((a, b) => a.order - b.order);
  }

  /** Slots the memo of this source's fields uses: size an event's cache with it. */
  slotCount(source: string): number {
    return this.sources.get(source)?.set.slots.size ?? 0;
  }

  /** The rules that match `evt` (at most one with `first` matching). */
  evaluate(evt: RuntimeEvent): CompiledRule[] {
    this.stats.events++;
    const state = this.sources.get(evt.source);
    if (!state || state.active.length === 0) {
      this.stats.unmatchedSource++;
      return [];
    }
    const matched: CompiledRule[] = [];
    for (const rule of this.candidates(state, evt)) {
      if (!this.holds(rule, evt)) continue;
      matched.push(rule);
      this.stats.byRule.set(rule.name, (this.stats.byRule.get(rule.name) ?? 0) + 1);
      if (this.first) break;
    }
    this.stats.matches += matched.length;
    return matched;
  }

  /** A rule that throws (a bug, never bad input) is counted and taken as not matching. */
  private holds(rule: CompiledRule, evt: RuntimeEvent): boolean {
    try {
      return rule.evaluate(evt);
    } catch {
      this.stats.evaluationErrors++;
      return false;
    }
  }

  private candidates(state: SourceState, evt: RuntimeEvent): CompiledRule[] {
    const index = state.set.index;
    if (index.length === 0) return state.active;
    // One map level per index field, keyed by the event's value: no key string to build.
    let level: DispatchLevel = state.dispatch;
    const last = index.length - 1;
    for (let i = 0; i < last; i++) {
      const k = index[i]!.key(evt);
      let next = level.get(k) as DispatchLevel | undefined;
      if (!next) {
        if (state.dispatchSize >= DISPATCH_CACHE_LIMIT) return this.select(state, evt);
        level.set(k, (next = new Map()));
      }
      level = next;
    }
    const k = index[last]!.key(evt);
    const hit = level.get(k) as CompiledRule[] | undefined;
    if (hit) return hit;
    const rules = this.select(state, evt);
    if (state.dispatchSize < DISPATCH_CACHE_LIMIT) {
      level.set(k, rules);
      state.dispatchSize++;
    }
    return rules;
  }

  private select(state: SourceState, evt: RuntimeEvent): CompiledRule[] {
    const keys = state.set.index.map((f) => f.key(evt));
    return state.active.filter((r) => r.keySets.every((ks, i) => keySetHas(ks, keys[i]!)));
  }
}

function namePattern(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  return pattern.includes('*') ? new RegExp(`^${escaped.replace(/\*/g, '.*')}$`) : new RegExp(escaped);
}

function ruleFilter(options: EngineOptions): (r: CompiledRule) => boolean {
  const min = options.minPriority ?? 'DEBUG';
  const disabledNames = (options.disabledRules ?? []).map(namePattern);
  const disabledTags = new Set(options.disabledTags ?? []);
  const enabledTags = options.enabledTags ? new Set(options.enabledTags) : undefined;
  return (r) =>
    r.enabled &&
    atLeast(r.priority, min) &&
    !disabledNames.some((rx) => rx.test(r.name)) &&
    !r.tags.some((t) => disabledTags.has(t)) &&
    (enabledTags === undefined || r.tags.some((t) => enabledTags.has(t)));
}
