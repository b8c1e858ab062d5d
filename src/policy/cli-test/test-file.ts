/**
 * `kyverno-test.yaml`: the kyverno CLI's test declaration (`apiVersion: cli.kyverno.io/v1alpha1,
 * kind: Test`, or the legacy form with a top-level `name`). Paths inside are relative to the file.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PalisadeError } from '../../core/errors.ts';
import type { RuleStatus } from '../types.ts';
import type { TestMocks } from '../cel/cli-inputs.ts';
import { fieldLocation, parseDocuments, readText } from '../engine/documents.ts';
import { isRecord } from '../../core/json.ts';

export const TEST_FILE_NAME = 'kyverno-test.yaml';

/** One expected result: a policy/rule pair and the resources it should give `result` for. */
export interface TestResult {
  policy: string;
  rule: string;
  resources: string[];
  kind?: string;
  namespace?: string;
  result: RuleStatus;
  /** File with the expected mutated resource(s), relative to the test file. */
  patchedResource?: string;
  generatedResource?: string;
  cloneSourceResource?: string;
  /** Results of CEL/admission policy kinds (isValidatingPolicy, isMutatingPolicy…): the flag names. */
  foreignKinds: string[];
}

export interface TestFile {
  name: string;
  /** Absolute path of the kyverno-test.yaml. */
  path: string;
  dir: string;
  policies: string[];
  resources: string[];
  exceptions: string[];
  variables?: string;
  /** Inline values (`values:` in the test file). */
  values?: Record<string, unknown>;
  userinfo?: string;
  results: TestResult[];
  /** CEL policy inputs: a `kind: Context` file, cluster resources and params (paths relative to the test). */
  context?: string;
  clusterResources: string[];
  /** `globalContextEntries` and `apiCallResponses`: offline stand-ins for the cluster, as parsed. */
  mocks: TestMocks;
  paramResources: string[];
  /** Inputs this runner cannot honour offline (clusterResources, targetResources, apiCallResponses…), by field name. */
  unsupportedInputs: string[];
}

const RESULT_STATUSES = new Set(['pass', 'fail', 'skip', 'warn', 'error']);
const UNSUPPORTED_INPUTS = ['targetResources', 'paramResources', 'jsonPayloads', 'jsonPayload', 'envoyPayloads', 'httpPayloads', 'checks'];

/** Parses a test file. A file that is not a Test (a policy named kyverno-test.yaml) yields undefined. */
export function parseTestFile(text: string, path: string, dir: string): TestFile | undefined {
  const doc = parseDocuments(text, path)[0];
  if (doc === undefined || !isRecord(doc.value)) return undefined;
  const value = doc.value;
  const legacy = value.apiVersion === undefined && value.kind === undefined;
  if (!legacy && !(value.kind === 'Test' && typeof value.apiVersion === 'string' && /^(cli\.)?kyverno\.io\//.test(value.apiVersion))) return undefined;
  const invalid = (field: (string | number)[], message: string): never => {
    throw new PalisadeError('PARSE_ERROR', `${fieldLocation(doc, field)}: ${message}`);
  };
  /** A path or a list of paths; anything else is an error naming the field. */
  const paths = (v: unknown, field: (string | number)[]): string[] => {
    if (v === undefined || v === null) return [];
    if (typeof v === 'string') return [v];
    if (!Array.isArray(v)) return invalid(field, 'must be a list of file paths');
    return v.map((x, i) => (typeof x === 'string' ? x : invalid([...field, i], 'must be a file path')));
  };
  /** A list of mappings, each with a string `key` (globalContextEntries' name, apiCallResponses' url). */
  const mocks = <K extends string>(field: string, key: K): (Record<string, unknown> & Record<K, string>)[] => {
    const v = value[field];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) return invalid([field], 'must be a list');
    return v.map((entry, i) => {
      if (!isRecord(entry)) return invalid([field, i], 'must be a mapping');
      if (typeof entry[key] !== 'string') return invalid([field, i, key], 'required');
      return entry as Record<string, unknown> & Record<K, string>;
    });
  };
  const meta = isRecord(value.metadata) ? value.metadata : {};
  const policies = paths(value.policies, ['policies']);
  if (policies.length === 0) invalid(['policies'], 'required: the policy files the test applies');
  if (!Array.isArray(value.results)) invalid(['results'], 'required: a list of expected results');
  const results = (value.results as unknown[]).map((r, i): TestResult => {
    if (!isRecord(r)) return invalid(['results', i], 'must be a mapping');
    const result = String(r.result ?? r.status ?? '');
    if (!RESULT_STATUSES.has(result)) invalid(['results', i, 'result'], 'must be pass, fail, skip, warn or error');
    if (typeof r.policy !== 'string' || r.policy === '') invalid(['results', i, 'policy'], 'required: the policy the result is for');
    const resources = paths(r.resources, ['results', i, 'resources']);
    if (resources.length === 0 && typeof r.resource === 'string') resources.push(r.resource);
    const patched = r.patchedResources ?? r.patchedResource;
    return {
      policy: String(r.policy),
      rule: String(r.rule ?? ''),
      resources,
      ...(typeof r.kind === 'string' && { kind: r.kind }),
      ...(typeof r.namespace === 'string' && r.namespace && { namespace: r.namespace }),
      result: result as RuleStatus,
      ...(typeof patched === 'string' && patched && { patchedResource: patched }),
      ...(typeof r.generatedResource === 'string' && r.generatedResource && { generatedResource: r.generatedResource }),
      ...(typeof r.cloneSourceResource === 'string' && r.cloneSourceResource && { cloneSourceResource: r.cloneSourceResource }),
      foreignKinds: Object.keys(r).filter((k) => /^is[A-Z]\w*Policy$/.test(k) && r[k] === true),
    };
  });
  return {
    name: String(meta.name ?? value.name ?? path),
    path,
    dir,
    policies,
    resources: paths(value.resources, ['resources']),
    exceptions: paths(value.exceptions, ['exceptions']),
    ...(typeof value.variables === 'string' && value.variables && { variables: value.variables }),
    ...(isRecord(value.values) && { values: value.values }),
    ...(typeof value.userinfo === 'string' && value.userinfo && { userinfo: value.userinfo }),
    ...(typeof value.context === 'string' && value.context && { context: value.context }),
    clusterResources: paths(value.clusterResources, ['clusterResources']),
    mocks: { globalContextEntries: mocks('globalContextEntries', 'name'), apiCallResponses: mocks('apiCallResponses', 'url') },
    paramResources: paths(value.paramResources, ['paramResources']),
    results,
    unsupportedInputs: UNSUPPORTED_INPUTS.filter((k) => value[k] !== undefined && value[k] !== null && !(Array.isArray(value[k]) && (value[k] as unknown[]).length === 0)),
  };
}

/** Finds test files named `fileName` under each directory (recursively, hidden directories included), sorted. */
export async function findTestFiles(dirs: readonly string[], fileName = TEST_FILE_NAME): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      throw new PalisadeError('INPUT_NOT_FOUND', `${dir}: ${(err as Error).message}`, { cause: err });
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const full = join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile() && e.name === fileName) out.push(full);
    }
  };
  for (const dir of dirs) {
    if (dir.endsWith(fileName)) out.push(dir);
    else await walk(dir);
  }
  return out;
}

export async function readTestFile(path: string): Promise<TestFile | undefined> {
  const dir = path.slice(0, Math.max(path.lastIndexOf('/'), 0)) || '.';
  return parseTestFile(await readText(path), path, dir);
}
