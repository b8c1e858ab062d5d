/**
 * A secrets configuration as plain data: its regexes replaced by their translations (regex/
 * compile.ts), so that it can be posted to a worker thread and stored compiled, and rebuilt
 * without parsing. A module of its own so that a worker thread, which only rebuilds, does not
 * load the TOML parser and the rest of config.ts (half of its start-up).
 */
import type { SecretsConfig } from './config.ts';
import { regexFromCompiled, type CompiledRegex, type GoRegex } from './regex/compile.ts';

type Portable<T> = T extends GoRegex ? CompiledRegex : T extends (infer U)[] ? Portable<U>[] : T extends Map<infer K, infer V> ? Map<K, Portable<V>> : T extends object ? { [P in keyof T]: Portable<T[P]> } : T;

/** A configuration whose regexes are their translations: structured-cloneable, rebuilt without parsing. */
export type PortableConfig = Portable<SecretsConfig>;

export function toPortable(config: SecretsConfig): PortableConfig {
  return mapRegexes<GoRegex, CompiledRegex>(config, (r) => r.compiled) as PortableConfig;
}

export function fromPortable(config: PortableConfig): SecretsConfig {
  const built = new Map<CompiledRegex, GoRegex>();
  return mapRegexes<CompiledRegex, GoRegex>(config, (c) => {
    let r = built.get(c);
    if (!r) built.set(c, (r = regexFromCompiled(c)));
    return r;
  }) as SecretsConfig;
}

function mapRegexes<From, To>(config: unknown, fn: (r: From) => To): unknown {
  const c = config as { rules: Map<string, Record<string, unknown>>; allowlists: Record<string, unknown>[] };
  const lists = new Map<unknown, unknown>();
  const allowlist = (a: Record<string, unknown>) => {
    let out = lists.get(a);
    if (!out) lists.set(a, (out = { ...a, paths: (a.paths as From[]).map(fn), regexes: (a.regexes as From[]).map(fn) }));
    return out;
  };
  const rules = new Map<string, unknown>();
  for (const [id, r] of c.rules) {
    rules.set(id, {
      ...r,
      ...(r.regex !== undefined && { regex: fn(r.regex as From) }),
      ...(r.path !== undefined && { path: fn(r.path as From) }),
      allowlists: (r.allowlists as Record<string, unknown>[]).map(allowlist),
    });
  }
  return { ...c, rules, allowlists: c.allowlists.map(allowlist) };
}
