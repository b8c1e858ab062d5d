/**
 * Smoke test against the public Kyverno policy library (kyverno/policies): for every classic ClusterPolicy rule that
 * is a plain `pattern`/`anyPattern` (no variables, preconditions, context or foreach), match the pattern against
 * the resources of its `.kyverno-test/` folder and compare with the result kyverno-test.yaml expects. Pod rules
 * applied to controllers are wrapped the way Kyverno's autogen does.
 */

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { matchAnyPattern, matchPattern } from '../../../src/policy/pattern/validate.ts';

const ROOT = '/work/shared/corpus/kyverno/policies';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface PlainRule {
  validate: { pattern?: unknown; anyPattern?: unknown[] };
  kinds: string[];
}

function yamlDocs(file: string): Json[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJSON() as Json | null)
    .filter((d): d is Json => d !== null && typeof d === 'object');
}

function findTests(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) findTests(p, out);
    else if (name === 'kyverno-test.yaml') out.push(p);
  }
  return out;
}

function plainRules(testFile: string, test: Json): Map<string, PlainRule> {
  const rules = new Map<string, PlainRule>();
  for (const rel of test.policies ?? []) {
    const file = resolve(dirname(testFile), rel);
    // cheap text filter first: most library policies are CEL or use variables
    if (!existsSync(file) || !/^\s+(any)?[pP]attern:/m.test(readFileSync(file, 'utf8'))) continue;
    for (const policy of yamlDocs(file)) {
      if (policy.kind !== 'ClusterPolicy' && policy.kind !== 'Policy') continue;
      for (const rule of policy.spec?.rules ?? []) {
        const v = rule.validate;
        if (!v || (v.pattern === undefined && v.anyPattern === undefined)) continue;
        if (JSON.stringify(rule).includes('{{') || rule.preconditions || rule.context || v.foreach) continue;
        const kinds = [...JSON.stringify(rule.match ?? {}).matchAll(/"kinds":\[([^\]]*)\]/g)].flatMap((m) => JSON.parse(`[${m[1]}]`));
        rules.set(`${policy.metadata.name}/${rule.name}`, { validate: v, kinds });
      }
    }
  }
  return rules;
}

/** Kyverno's autogen: a Pod pattern applied to a controller is nested under its pod template. */
function autogenWrap(ruleName: string, resourceKind: string, kinds: string[]): (p: unknown) => unknown {
  const cronjob = (p: unknown) => ({ spec: { jobTemplate: { spec: { template: p } } } });
  const template = (p: unknown) => ({ spec: { template: p } });
  if (ruleName.startsWith('autogen-cronjob-')) return cronjob;
  if (ruleName.startsWith('autogen-')) return template;
  if (kinds.includes(resourceKind) || !kinds.includes('Pod')) return (p) => p;
  return resourceKind === 'CronJob' ? cronjob : template;
}

interface Outcome {
  where: string;
  want: string;
  got: string;
  detail?: string;
}

function runTest(testFile: string): Outcome[] {
  const test = yamlDocs(testFile)[0] ?? {};
  const rules = plainRules(testFile, test);
  if (rules.size === 0) return [];
  const resources = (test.resources ?? []).flatMap((rel: string) => {
    const file = resolve(dirname(testFile), rel);
    return existsSync(file) ? yamlDocs(file) : [];
  });
  const outcomes: Outcome[] = [];
  for (const expected of test.results ?? []) {
    const ruleName: string = expected.rule ?? '';
    const baseName = ruleName.replace(/^autogen-(cronjob-)?/, '');
    const rule = rules.get(`${expected.policy}/${baseName}`);
    if (!rule) continue;
    const names: string[] = expected.resources ?? (expected.resource ? [expected.resource] : []);
    for (const ref of names) {
      const name = ref.split('/').pop();
      const obj = resources.find((r: Json) => r.metadata?.name === name && (!expected.kind || r.kind === expected.kind));
      if (!obj) continue;
      const wrap = autogenWrap(ruleName, obj.kind, rule.kinds);
      const r =
        rule.validate.pattern !== undefined
          ? matchPattern(obj, wrap(rule.validate.pattern))
          : matchAnyPattern(obj, (rule.validate.anyPattern ?? []).map(wrap), baseName);
      const got = r.status === 'fail' && r.path === '' ? 'error' : r.status;
      const want = expected.result === 'warn' ? 'fail' : expected.result;
      outcomes.push({ where: `${relative(ROOT, testFile)} ${expected.policy}/${ruleName} ${ref}`, want, got, detail: r.reason });
    }
  }
  return outcomes;
}

describe.skipIf(!existsSync(ROOT))('kyverno/policies pattern rules', () => {
  it('match the expected results of their kyverno-test.yaml', () => {
    const outcomes = findTests(ROOT).flatMap(runTest);
    const mismatches = outcomes.filter((o) => o.want !== o.got);
    expect(mismatches).toEqual([]);
    // the library holds several hundred such checks; make sure the scan found them
    expect(outcomes.length).toBeGreaterThan(700);
    expect(new Set(outcomes.map((o) => o.want))).toEqual(new Set(['pass', 'fail', 'skip']));
  });
});
