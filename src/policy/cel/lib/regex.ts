/**
 * Kubernetes' regex library (`find`, `findAll`) with RE2 syntax, translated by the policy
 * engine's Go-regex module. Compiled patterns are cached there.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { compileGoRegex } from '../../variables/goregex.ts';
import { charge } from '../cost.ts';
import { CelEvalError } from '../errors.ts';

/** The compiled (global, cached) RegExp of an RE2 pattern. */
export function goRegex(pattern: string): RegExp {
  try {
    return compileGoRegex(pattern);
  } catch (err) {
    throw new CelEvalError(`invalid regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
}

/** The first match, or undefined (the shared RegExp is global, so its position is reset). */
export function firstMatch(s: string, pattern: string): RegExpExecArray | undefined {
  const re = goRegex(pattern);
  re.lastIndex = 0;
  const m = re.exec(s);
  re.lastIndex = 0;
  return m ?? undefined;
}

function findAll(s: string, pattern: string, limit: number): string[] {
  charge(Math.ceil(s.length / 10));
  if (limit === 0) return [];
  const out: string[] = [];
  for (const m of s.matchAll(goRegex(pattern))) {
    out.push(m[0]);
    if (limit > 0 && out.length >= limit) break;
  }
  return out;
}

export function registerRegex(env: Environment): void {
  env
    .registerFunction('string.find(string): string', (s: string, pattern: string) => {
      charge(Math.ceil(s.length / 10));
      return firstMatch(s, pattern)?.[0] ?? '';
    })
    .registerFunction('string.findAll(string): list<string>', (s: string, pattern: string) => findAll(s, pattern, -1))
    .registerFunction('string.findAll(string, int): list<string>', (s: string, pattern: string, n: bigint) => findAll(s, pattern, Number(n)));
}
