/**
 * Kubernetes' regex library (`find`, `findAll`) and Kyverno's `regex.replace`, with RE2 syntax, translated by the policy
 * engine's Go-regex module. Compiled patterns are cached there.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { compileGoRegex, expandGoTemplate, goReplaceAll } from '../../../core/goregex.ts';
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

export class RegexNamespace {}

/** Kyverno's `regex.replace(s, pattern, replacement)`: Go's ReplaceAllString; `\\1` is accepted for `${1}`. */
function replace(s: string, pattern: string, replacement: string): string {
  charge(Math.ceil(s.length / 10));
  goRegex(pattern);
  const template = replacement.replace(/\\(\d+)/g, '$${$1}');
  return goReplaceAll(pattern, s, (m) => expandGoTemplate(template, m));
}

export function registerRegex(env: Environment): void {
  env
    .registerType('RegexNamespace', RegexNamespace)
    .registerConstant('regex', 'RegexNamespace', new RegexNamespace())
    .registerFunction('RegexNamespace.replace(string, string, string): string', (_ns: RegexNamespace, s: string, p: string, r: string) => replace(s, p, r))
    .registerFunction('string.find(string): string', (s: string, pattern: string) => {
      charge(Math.ceil(s.length / 10));
      return firstMatch(s, pattern)?.[0] ?? '';
    })
    .registerFunction('string.findAll(string): list<string>', (s: string, pattern: string) => findAll(s, pattern, -1))
    .registerFunction('string.findAll(string, int): list<string>', (s: string, pattern: string, n: bigint) => findAll(s, pattern, Number(n)));
}
