/**
 * The condition operators as a table (Kyverno's `CreateOperatorHandler`): canonical name → handler. Names are
 * matched case-insensitively, as Kyverno's factory does; `Equal`/`NotEqual`, `In`/`NotIn` and the `Duration*`
 * operators are deprecated spellings or operators that still work.
 */

import { RuleError } from '../../types.ts';
import type { OperatorHandler } from './common.ts';
import {
  durationGreaterThan,
  durationGreaterThanOrEquals,
  durationLessThan,
  durationLessThanOrEquals,
} from './duration.ts';
import { equals, notEquals } from './equals.ts';
import { inOperator, notIn } from './in.ts';
import { allIn, allNotIn, anyIn, anyNotIn } from './membership.ts';
import { greaterThan, greaterThanOrEquals, lessThan, lessThanOrEquals } from './numeric.ts';

export type { OperatorHandler } from './common.ts';

export interface OperatorEntry {
  name: string;
  handler: OperatorHandler;
  /** The operators to use instead, when this one is deprecated. */
  deprecatedFor?: string[];
}

export const CONDITION_OPERATORS: readonly OperatorEntry[] = [
  { name: 'Equals', handler: equals },
  { name: 'Equal', handler: equals, deprecatedFor: ['Equals'] },
  { name: 'NotEquals', handler: notEquals },
  { name: 'NotEqual', handler: notEquals, deprecatedFor: ['NotEquals'] },
  { name: 'AnyIn', handler: anyIn },
  { name: 'AllIn', handler: allIn },
  { name: 'AnyNotIn', handler: anyNotIn },
  { name: 'AllNotIn', handler: allNotIn },
  { name: 'In', handler: inOperator, deprecatedFor: ['AllIn', 'AnyIn'] },
  { name: 'NotIn', handler: notIn, deprecatedFor: ['AllNotIn', 'AnyNotIn'] },
  { name: 'GreaterThan', handler: greaterThan },
  { name: 'GreaterThanOrEquals', handler: greaterThanOrEquals },
  { name: 'LessThan', handler: lessThan },
  { name: 'LessThanOrEquals', handler: lessThanOrEquals },
  { name: 'DurationGreaterThan', handler: durationGreaterThan, deprecatedFor: ['GreaterThan'] },
  { name: 'DurationGreaterThanOrEquals', handler: durationGreaterThanOrEquals, deprecatedFor: ['GreaterThanOrEquals'] },
  { name: 'DurationLessThan', handler: durationLessThan, deprecatedFor: ['LessThan'] },
  { name: 'DurationLessThanOrEquals', handler: durationLessThanOrEquals, deprecatedFor: ['LessThanOrEquals'] },
];

const BY_LOWER_NAME = new Map(CONDITION_OPERATORS.map((e) => [e.name.toLowerCase(), e]));

/** The operator entry for a name (any letter case), or undefined when Kyverno has no such operator. */
export function findOperator(name: string): OperatorEntry | undefined {
  return BY_LOWER_NAME.get(name.toLowerCase());
}

/** The handler for an operator name; throws RuleError('INVALID') for an unknown operator. */
export function operatorHandler(name: unknown): OperatorHandler {
  const entry = typeof name === 'string' ? findOperator(name) : undefined;
  if (!entry) throw new RuleError('INVALID', `unknown condition operator ${JSON.stringify(name)}`);
  return entry.handler;
}
