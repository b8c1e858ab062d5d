/**
 * Configuration of `palisade ci audit`, in zizmor's `zizmor.yml` format so existing
 * configurations keep working (https://docs.zizmor.sh/configuration/):
 *
 *   rules:
 *     <rule-id>:
 *       disable: true
 *       ignore: [ci.yml, ci.yml:12, ci.yml:12:7]
 *       config: { … rule-specific … }
 *
 * Rule-specific settings: unpinned-uses `policies` (pattern → hash-pin | ref-pin | any),
 * forbidden-uses `allow` or `deny` (patterns), dependabot-cooldown `days`, secrets-outside-env
 * and known-vulnerable-actions `allow`. Invalid settings are errors: a typo must not silently
 * turn a rule off.
 */
import { parse } from 'yaml';
import { ParseError } from '../core/errors.ts';
import { canonicalRuleId } from './rules.ts';

export type PinPolicy = 'hash-pin' | 'ref-pin' | 'any';

export interface IgnoreSpec {
  /** File name or path suffix. */
  file: string;
  line?: number;
  column?: number;
}

export interface CiConfig {
  disabled: Set<string>;
  ignores: Map<string, IgnoreSpec[]>;
  /** Most specific first. */
  pinPolicies: { pattern: string; policy: PinPolicy }[];
  forbiddenUses?: { mode: 'allow' | 'deny'; patterns: string[] };
  cooldownDays: number;
  secretsOutsideEnvAllow: string[];
  vulnerabilityAllow: string[];
}

export function defaultConfig(): CiConfig {
  return {
    disabled: new Set(),
    ignores: new Map(),
    pinPolicies: [],
    cooldownDays: 7,
    secretsOutsideEnvAllow: [],
    vulnerabilityAllow: [],
  };
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringList(v: unknown, where: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new ParseError(`${where}: expected a list of strings`);
  return v as string[];
}

/**
 * A repository pattern: `*`, `owner/*`, `owner/repo`, `owner/repo/sub/path`, each optionally
 * `@ref` when `allowRef`. Globs only as a whole component at the end.
 */
export function validatePattern(pattern: string, allowRef: boolean, where: string): void {
  const [path, ref, extra] = pattern.split('@');
  if (extra !== undefined || (ref !== undefined && (!allowRef || ref === ''))) {
    throw new ParseError(`${where}: invalid pattern '${pattern}'${ref !== undefined && !allowRef ? ' (no @ref allowed here)' : ''}`);
  }
  if (path === '*') return;
  const parts = path!.split('/');
  const bad =
    parts.length < 2 ||
    parts.some((p) => p === '') ||
    parts.some((p, i) => p.includes('*') && !(p === '*' && i === parts.length - 1 && i === 1));
  if (bad) throw new ParseError(`${where}: invalid pattern '${pattern}'`);
}

/** How specific a pattern is: exact subpath > exact repository > owner/* > *. */
export function patternSpecificity(pattern: string): number {
  if (pattern === '*') return 0;
  const parts = pattern.split('@')[0]!.split('/');
  if (parts[1] === '*') return 1;
  return parts.length > 2 ? 3 : 2;
}

export function parseConfig(text: string, source: string): CiConfig {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new ParseError(`${source}: invalid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const config = defaultConfig();
  if (doc === null || doc === undefined) return config;
  if (!isObject(doc)) throw new ParseError(`${source}: expected a mapping with a rules: key`);
  const rules = doc.rules ?? {};
  if (!isObject(rules)) throw new ParseError(`${source}: rules: must be a mapping`);
  for (const [name, body] of Object.entries(rules)) {
    const id = canonicalRuleId(name) ?? name;
    const where = `${source}: rules.${name}`;
    if (body === null) continue;
    if (!isObject(body)) throw new ParseError(`${where}: must be a mapping`);
    if (body.disable === true) config.disabled.add(id);
    if (body.ignore !== undefined) config.ignores.set(id, stringList(body.ignore, `${where}.ignore`).map(parseIgnore));
    if (body.config !== undefined) applyRuleConfig(config, id, body.config, `${where}.config`);
  }
  return config;
}

function parseIgnore(spec: string): IgnoreSpec {
  const m = /^(.*?)(?::(\d+))?(?::(\d+))?$/.exec(spec)!;
  const out: IgnoreSpec = { file: m[1]! };
  if (m[2]) out.line = Number(m[2]);
  if (m[3]) out.column = Number(m[3]);
  return out;
}

function applyRuleConfig(config: CiConfig, id: string, body: unknown, where: string): void {
  if (!isObject(body)) throw new ParseError(`${where}: must be a mapping`);
  switch (id) {
    case 'unpinned-uses': {
      const policies = body.policies;
      if (policies === undefined) return;
      if (!isObject(policies)) throw new ParseError(`${where}.policies: must be a mapping of pattern to policy`);
      config.pinPolicies = Object.entries(policies).map(([pattern, policy]) => {
        validatePattern(pattern, false, `${where}.policies`);
        if (policy !== 'hash-pin' && policy !== 'ref-pin' && policy !== 'any') {
          throw new ParseError(`${where}.policies.${pattern}: unknown policy '${String(policy)}' (hash-pin, ref-pin or any)`);
        }
        return { pattern, policy };
      });
      config.pinPolicies.sort((a, b) => patternSpecificity(b.pattern) - patternSpecificity(a.pattern));
      return;
    }
    case 'forbidden-uses': {
      const keys = Object.keys(body);
      if (keys.length !== 1 || (keys[0] !== 'allow' && keys[0] !== 'deny')) {
        throw new ParseError(`${where}: expected exactly one of allow: or deny:`);
      }
      const mode = keys[0];
      const patterns = stringList(body[mode], `${where}.${mode}`);
      for (const p of patterns) validatePattern(p, true, `${where}.${mode}`);
      config.forbiddenUses = { mode, patterns };
      return;
    }
    case 'dependabot-cooldown': {
      const days = body.days;
      if (days === undefined) return;
      if (typeof days !== 'number' || !Number.isInteger(days) || days <= 0) {
        throw new ParseError(`${where}.days: must be a positive whole number of days`);
      }
      config.cooldownDays = days;
      return;
    }
    case 'secrets-outside-env':
      if (body.allow !== undefined) config.secretsOutsideEnvAllow = stringList(body.allow, `${where}.allow`);
      return;
    case 'known-vulnerable-actions':
      if (body.allow !== undefined) config.vulnerabilityAllow = stringList(body.allow, `${where}.allow`);
      return;
    default:
      return;
  }
}

/** Does a `rules.<id>.ignore` entry cover this finding? `file` matches the path or its tail. */
export function ignoredByConfig(config: CiConfig, rule: string, path: string, line: number, column: number): IgnoreSpec | undefined {
  return config.ignores.get(rule)?.find(
    (s) =>
      (path === s.file || path.endsWith(`/${s.file}`)) &&
      (s.line === undefined || s.line === line) &&
      (s.column === undefined || s.column === column),
  );
}
