/**
 * Runs kyverno-test.yaml files the way `kyverno test` does: load the test's policies, resources,
 * values and user info, apply every policy to every resource, then check each expected result.
 *
 * Checking follows the kyverno CLI (commands/test): for each expected (policy, rule, resource) the
 * engine responses of that policy for that resource are looked up (by kind, and by name or
 * `namespace/name`); each rule response named `rule`, `autogen-rule` or `autogen-cronjob-rule`
 * gives one row, passing when its report status equals the expected one (and, for mutations, the
 * patched resource equals the expected file). A response without such a rule means the resource
 * was excluded, which counts as passed; no response at all is "not found", a failure.
 */
import { join } from 'node:path';
import { errorMessage, type PalisadeErrorCode } from '../../core/errors.ts';
import { stableJson } from '../../core/json.ts';
import type { Logger } from '../../core/log.ts';
import { silentLogger } from '../../core/log.ts';
import { wildcardMatch } from '../pattern/wildcard.ts';
import { applyPolicies } from '../engine/engine.ts';
import { evaluateWithImageVerification, type TrustImageVerifier } from '../engine/verify-images-trust.ts';
import { loadPolicies, loadResources, parseResources, withDefaultNamespace, type ForeignPolicy } from '../engine/load.ts';
import { readText } from '../engine/documents.ts';
import { policyKey, type PolicyResponse, type RequestInfo, type RuleResponse } from '../engine/types.ts';
import { reportStatus } from '../report/policy-report.ts';
import type { KubeResource } from '../types.ts';
import { readTestFile, type TestFile, type TestResult } from './test-file.ts';
import { CliValues, parseUserInfo, parseValues } from './values.ts';
import { applyCelPolicies } from '../cel/apply.ts';
import { loadCelCliInputs } from '../cel/cli-inputs.ts';
import { prepareImageVerification, type ImageVerificationOptions } from '../cel/image-verify.ts';
import type { ClusterData } from '../cel/lib/cluster.ts';
import { clusterData, type ExternalData } from '../variables/context.ts';
import { loadCelPolicies } from '../cel/load.ts';
import { celPolicyKey } from '../cel/types.ts';

/** One checked (policy, rule, resource) expectation, as a row of the kyverno CLI's table. */
export interface TestRow {
  policy: string;
  rule: string;
  resource: string;
  /** Expected result. */
  expected: string;
  /** What the engine reported (report status), when a rule response was found. */
  actual?: string;
  passed: boolean;
  /** `Ok`, `Want fail, got pass`, `Excluded`, `Not found`, `Resource diff`… */
  reason: string;
  message: string;
  /** Set when the row failed because of a feature this engine does not implement. */
  unsupported?: string;
  /** The rule's error code, when the row failed on one callers act on (REGISTRY_ACCESS_REQUIRED: the --registry hint). */
  code?: PalisadeErrorCode;
}

export interface TestCaseReport {
  test: TestFile;
  rows: TestRow[];
  /** Set when the test could not be run at all (bad input). */
  error?: string;
}

export interface TestSelector {
  policy: string;
  rule: string;
  resource: string;
}

/** Parses kyverno's `--test-case-selector "policy=*,rule=*,resource=*"`. */
export function parseSelector(text: string | undefined): TestSelector {
  const selector: TestSelector = { policy: '*', rule: '*', resource: '*' };
  for (const part of (text ?? '').split(',')) {
    const [key, value] = part.split('=').map((s) => s.trim());
    if (value !== undefined && (key === 'policy' || key === 'rule' || key === 'resource')) selector[key] = value;
  }
  return selector;
}

function selected(result: TestResult, selector: TestSelector): boolean {
  return (
    wildcardMatch(selector.policy, result.policy) &&
    wildcardMatch(selector.rule, result.rule) &&
    (selector.resource === '*' || result.resources.some((r) => wildcardMatch(selector.resource, r)))
  );
}

export interface RunOptions {
  selector?: TestSelector;
  log?: Logger;
  /**
   * Registry access (`policy test --registry`): `verifier` serves verifyImages rules (without it
   * they report unsupported) and, with the rest, ImageValidatingPolicies (without it they answer offline).
   */
  images?: ImageVerificationOptions & { verifier: TrustImageVerifier };
}

/** Runs one test file. Input errors (missing files, invalid policies) fail every expected result of the test. */
export async function runTestFile(path: string, options: RunOptions = {}): Promise<TestCaseReport | undefined> {
  const test = await readTestFile(path);
  if (!test) return undefined;
  const expectations = test.results.filter((r) => selected(r, options.selector ?? parseSelector(undefined)));
  try {
    return { test, rows: await checkTest(test, expectations, options.log ?? silentLogger, options.images) };
  } catch (err) {
    const message = errorMessage(err);
    const rows = expectations.flatMap((r) =>
      r.resources.map((resource) => ({ policy: r.policy, rule: r.rule, resource, expected: r.result, passed: false, reason: 'Test error', message })),
    );
    return { test, rows, error: message };
  }
}

async function checkTest(
  test: TestFile,
  expectations: TestResult[],
  log: Logger,
  images: RunOptions['images'],
): Promise<TestRow[]> {
  const at = (p: string) => join(test.dir, p);
  const values = test.variables ? parseValues(await readText(at(test.variables)), at(test.variables)) : new CliValues(test.values ?? {});
  const requestInfo: RequestInfo | undefined = test.userinfo ? parseUserInfo(await readText(at(test.userinfo)), at(test.userinfo)) : undefined;
  const set = await loadPolicies(test.policies.map(at), log);
  // CEL policy kinds (src/policy/cel) run beside the classic engine.
  const cel = await loadCelPolicies(test.policies.map(at));
  const celNames = new Set(cel.policies.map(celPolicyKey));
  // Results of policy kinds this engine does not evaluate are unsupported, whatever else the test holds.
  const checks = expectations.map((expected) => ({ expected, foreign: celNames.has(expected.policy) ? undefined : foreignPolicy(expected, set.foreign) }));
  const foreignRows = (expected: TestResult, kind: string) => expected.resources.map((resource) => unsupportedRow(expected, resource, kind));
  if (checks.every((c) => c.foreign !== undefined)) return checks.flatMap(({ expected, foreign }) => (foreign === undefined ? [] : foreignRows(expected, foreign)));
  const exceptions = test.exceptions.length > 0 ? (await loadPolicies(test.exceptions.map(at), log)).exceptions : [];
  const resources = uniqueResources(withDefaultNamespace(await loadResources(test.resources.map(at), log)));
  const celInputs = () =>
    loadCelCliInputs({
      dir: test.dir,
      test: { path: test.path, mocks: test.mocks },
      ...(test.variables && { valuesPath: test.variables }),
      ...(test.context && { context: test.context }),
      clusterResources: test.clusterResources,
      paramResources: test.paramResources,
      globalValues: values.globalValues,
      namespaceLabels: (ns) => values.namespaceLabels(ns),
      ...(requestInfo && { requestInfo }),
    });
  // The simulated cluster (clusterResources, global context entries, API call responses) also serves the classic rules' context entries.
  const hasMocks = test.mocks.globalContextEntries.length > 0 || test.mocks.apiCallResponses.length > 0;
  const inputs = test.clusterResources.length > 0 || test.context !== undefined || hasMocks ? await celInputs() : undefined;
  const external = inputs?.cluster ? externalData(inputs.cluster) : undefined;
  const engineOptions = {
    values,
    ...(requestInfo && { requestInfo }),
    ...(external && { external }),
    exceptions: [...set.exceptions, ...exceptions],
  };
  const responses = images
    ? await evaluateWithImageVerification(images.verifier.session(), (imageVerification) => applyPolicies(set.policies, resources, { ...engineOptions, imageVerification }))
    : applyPolicies(set.policies, resources, engineOptions);
  if (cel.policies.length > 0) {
    if (test.exceptions.length > 0) cel.exceptions.push(...(await loadCelPolicies(test.exceptions.map(at))).exceptions);
    const celOptions = inputs ?? (await celInputs());
    const imageVerifier = images ? await prepareImageVerification(cel, resources, { ...images, request: celOptions }) : undefined;
    responses.push(...applyCelPolicies(cel, resources, { ...celOptions, ...(imageVerifier && { imageVerifier }) }));
  }
  const unsupportedInput = test.unsupportedInputs[0];
  const rows: TestRow[] = [];
  for (const { expected, foreign } of checks) rows.push(...(foreign === undefined ? await checkExpectation(test, expected, responses) : foreignRows(expected, foreign)));
  if (unsupportedInput) {
    for (const row of rows) if (!row.passed && !row.unsupported) row.unsupported = `test input ${unsupportedInput}`;
  }
  return rows;
}

/**
 * ExternalData for configMap/apiCall/imageRegistry/globalReference entries: Kubernetes API paths
 * and ConfigMaps from the cluster resources, canned responses for service calls, image data and
 * global context entries by name.
 */
function externalData(cluster: ClusterData): ExternalData {
  const api = clusterData(cluster.resources ?? []);
  const { http, imageData, globalContext } = cluster;
  return {
    configMap: api.configMap,
    apiCall: (request) => {
      if (request.serviceUrl) {
        // apiCallResponses hold `{statusCode, body}`: the entry's jmesPath applies to the body.
        const mock = http?.[`${request.method.toUpperCase()} ${request.serviceUrl}`];
        return typeof mock === 'object' && mock !== null && 'body' in mock ? (mock as { body: unknown }).body : mock;
      }
      return api.apiCall(request);
    },
    ...(imageData && { imageData: (reference: string) => imageData[reference] as Record<string, unknown> | undefined }),
    ...(globalContext && { globalContext: (name: string) => globalContext[name] }),
  };
}

function foreignPolicy(expected: TestResult, foreign: ForeignPolicy[]): string | undefined {
  const [flag] = expected.foreignKinds;
  if (flag !== undefined) return flag.replace(/^is/, '');
  const hit = foreign.find((f) => (f.namespace ? `${f.namespace}/${f.name}` : f.name) === expected.policy || f.name === expected.policy);
  return hit?.kind;
}

function unsupportedRow(expected: TestResult, resource: string, kind: string): TestRow {
  const message = `unsupported: ${kind} policies in ${expected.policy}`;
  return { policy: expected.policy, rule: expected.rule, resource, expected: expected.result, passed: false, reason: 'Unsupported', message, unsupported: kind };
}

/** Duplicated resources (same kind, namespace and name) are applied once, like kyverno's RemoveDuplicates. */
function uniqueResources(resources: KubeResource[]): KubeResource[] {
  const seen = new Set<string>();
  return resources.filter((r) => {
    const meta = (r.object.metadata ?? {}) as { name?: string; namespace?: string };
    const key = `${String(r.object.apiVersion)}|${String(r.object.kind)}|${meta.namespace ?? ''}|${meta.name ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function resourceNames(response: PolicyResponse): { name: string; qualified: string; kind: string; namespace: string } {
  const object = response.resource.object;
  const meta = (object.metadata ?? {}) as { name?: string; namespace?: string };
  const name = meta.name ?? '';
  const namespace = meta.namespace ?? '';
  return { name, qualified: namespace ? `${namespace}/${name}` : name, kind: String(object.kind ?? ''), namespace };
}

async function checkExpectation(test: TestFile, expected: TestResult, responses: PolicyResponse[]): Promise<TestRow[]> {
  const forPolicy = responses.filter((r) => {
    const names = resourceNames(r);
    if (policyKey(r.policy) !== expected.policy) return false;
    if (expected.kind !== undefined && expected.kind !== names.kind) return false;
    return expected.namespace === undefined || expected.namespace === names.namespace;
  });
  const rows: TestRow[] = [];
  for (const resource of expected.resources) {
    const base = { policy: expected.policy, rule: expected.rule, resource, expected: expected.result };
    const found: TestRow[] = [];
    for (const response of forPolicy) {
      const names = resourceNames(response);
      if (names.qualified !== resource && names.name !== resource) continue;
      // CEL policy results (isValidatingPolicy…) have no rule names to look up: every rule response counts.
      const ruleNames = [expected.rule, `autogen-${expected.rule}`, `autogen-cronjob-${expected.rule}`];
      for (const rule of response.rules.filter((r) => expected.foreignKinds.length > 0 || ruleNames.includes(r.name))) {
        found.push({ ...base, ...(await checkRule(test, expected, response, rule)) });
      }
      if (found.length === 0) found.push({ ...base, passed: true, reason: 'Excluded', message: 'Excluded' });
    }
    rows.push(...(found.length > 0 ? found : [{ ...base, passed: false, reason: 'Not found', message: 'Not found' }]));
  }
  return rows;
}

async function checkRule(
  test: TestFile,
  expected: TestResult,
  response: PolicyResponse,
  rule: RuleResponse,
): Promise<Pick<TestRow, 'actual' | 'passed' | 'reason' | 'message' | 'unsupported' | 'code'>> {
  const unsupported = /^unsupported: (.+?) in /.exec(rule.message)?.[1];
  const withUnsupported = { ...(unsupported && { unsupported }), ...(rule.code && { code: rule.code }) };
  if (expected.patchedResource) {
    const diff = await comparePatched(join(test.dir, expected.patchedResource), response.patchedResource);
    // A `fail` expectation with a patched resource asserts the mutation does not produce it (kyverno's test semantics).
    if (diff && expected.result === 'fail') return { passed: true, reason: 'Ok', message: diff.message };
    if (diff) return { passed: false, reason: diff.reason, message: diff.message, ...withUnsupported };
  }
  if (expected.generatedResource) {
    return { passed: false, reason: 'Unsupported', message: `unsupported: generate in ${expected.policy}/${expected.rule}`, unsupported: 'generate' };
  }
  const actual = reportStatus(response, rule);
  if (actual !== expected.result) return { actual, passed: false, reason: `Want ${expected.result}, got ${actual}`, message: rule.message, ...withUnsupported };
  return { actual, passed: true, reason: 'Ok', message: rule.message };
}

/** Compares the patched resource with the one of the same kind/name in `path`, ignoring empty fields (kyverno's Tidy). */
async function comparePatched(path: string, actual: Record<string, unknown>): Promise<{ reason: string; message: string } | undefined> {
  let candidates: KubeResource[];
  try {
    candidates = withDefaultNamespace(parseResources(await readText(path), path));
  } catch (err) {
    return { reason: 'Resource error', message: errorMessage(err) };
  }
  const meta = (o: Record<string, unknown>) => (o.metadata ?? {}) as { name?: string; namespace?: string };
  const same = (o: Record<string, unknown>) => o.kind === actual.kind && meta(o).name === meta(actual).name;
  const expected =
    candidates.find((c) => same(c.object) && (meta(c.object).namespace ?? '') === (meta(actual).namespace ?? '')) ??
    candidates.find((c) => same(c.object)) ??
    (candidates.length === 1 ? candidates[0] : undefined);
  if (!expected) return { reason: 'Resource error', message: `no ${String(actual.kind)} ${meta(actual).name ?? ''} in ${path}` };
  if (stableJson(tidy(actual)) !== stableJson(tidy(expected.object))) {
    return { reason: 'Resource diff', message: "Patched resource didn't match the patched resource in the test result" };
  }
  return undefined;
}

function tidy(value: unknown): unknown {
  if (Array.isArray(value)) {
    const out = value.map(tidy).filter((v) => v !== undefined);
    return out.length === 0 ? undefined : out;
  }
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const t = tidy(v);
      if (t !== undefined) out[k] = t;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return value === null ? undefined : value;
}

