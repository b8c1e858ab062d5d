/**
 * Shared vocabulary of the Kyverno-compatible policy engine (src/policy/). Each concern lives in
 * its own module, after kyverno's pkg/engine split:
 *
 * - `pattern/`     validate.pattern / anyPattern: anchors, wildcards, value operators (pure).
 * - `conditions/`  preconditions and deny conditions: one handler per operator (pure).
 * - `variables/`   `{{ }}` substitution, JMESPath with Kyverno's custom functions, the JSON context.
 * - `podsecurity/` Pod Security Standards controls (baseline, restricted) per Kubernetes version.
 * - `engine/`      policy loading, match/exclude, autogen, rule handlers, mutate; composes the above.
 * - `report/`      PolicyReport output; `cli-test/` kyverno-test.yaml runner.
 *
 * Outcomes use Kyverno's RuleStatus words so that test files compare directly.
 */

/** pass: the resource satisfies the rule; fail: it violates it; warn: it violates an Audit rule
 * reported as a warning; error: the rule could not be evaluated (bad JMESPath, missing variable…);
 * skip: the rule does not apply (preconditions false, conditional anchor not met, excluded). */
export type RuleStatus = 'pass' | 'fail' | 'warn' | 'error' | 'skip';

/** Result of matching a resource (sub)tree against a validate pattern. */
export interface PatternResult {
  status: 'pass' | 'fail' | 'skip';
  /** JSON path of the element that decided, `/spec/containers/0/image/` style as Kyverno prints it. */
  path: string;
  /** Why it failed or was skipped, for rule messages. */
  reason?: string;
}

/** A Kyverno condition (`{key, operator, value, message?}`) before variable substitution. */
export interface Condition {
  key: unknown;
  operator: string;
  value?: unknown;
  message?: string;
}

/** `any`/`all` blocks, or the legacy plain list (which means all). */
export type Conditions = Condition[] | { any?: Condition[]; all?: Condition[] };

/** An error inside one rule (bad JMESPath, unresolved variable, unsupported feature): the rule reports `error`. */
export class RuleError extends Error {
  readonly code: 'VARIABLE' | 'JMESPATH' | 'UNSUPPORTED' | 'INVALID';

  constructor(code: RuleError['code'], message: string) {
    super(message);
    this.name = 'RuleError';
    this.code = code;
  }
}

/** A Kubernetes object as parsed from YAML/JSON, with where it came from. */
export interface KubeResource {
  object: Record<string, unknown>;
  /** File and 1-based line of the document start, when read from a file. */
  source?: { path: string; line?: number };
}
