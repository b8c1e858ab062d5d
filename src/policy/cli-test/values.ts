/**
 * The kyverno CLI's offline inputs: the values file (`kind: Values`, `-f/--values-file`, or a
 * test's `variables:`) and the user-info file (`kind: UserInfo`, `-u`, a test's `userinfo:`).
 *
 * Values stand in for what a cluster would provide: `globalValues` and per-resource `values` are
 * variables added to every policy context (dotted keys such as `request.object.metadata.name`
 * set nested fields, and may even change the resource); per-rule `values` (and `foreachValues`,
 * indexed by foreach element) replace the rule's context entries (ConfigMap, API call, registry);
 * `namespaceSelector`/`namespaces` give namespace labels; `subresources` map subresource kinds to
 * their parent.
 */
import { PalisadeError } from '../../core/errors.ts';
import { parseDocuments } from '../engine/documents.ts';
import { isRecord } from '../../core/json.ts';
import type { RequestInfo } from '../engine/types.ts';

export interface SubresourceMapping {
  /** e.g. `deployments/scale` with kind Scale, group autoscaling, version v1. */
  subresource: { name: string; kind: string; group: string; version: string };
  parentResource: { name: string; kind: string; group: string; version: string };
}

interface PolicyValues {
  name: string;
  rules: { name: string; values?: Record<string, unknown>; foreachValues?: Record<string, unknown[]> }[];
  resources: { name: string; values?: Record<string, unknown> }[];
}

/** Parsed values file with the lookups the engine needs. */
export class CliValues {
  readonly globalValues: Record<string, unknown>;
  private readonly policies: PolicyValues[];
  private readonly namespaces: Map<string, Record<string, string>>;
  readonly subresources: SubresourceMapping[];

  constructor(spec: Record<string, unknown> = {}) {
    this.globalValues = isRecord(spec.globalValues) ? spec.globalValues : {};
    this.policies = Array.isArray(spec.policies) ? (spec.policies.filter(isRecord) as unknown as PolicyValues[]).map(normalizePolicy) : [];
    this.namespaces = new Map();
    for (const n of Array.isArray(spec.namespaceSelector) ? spec.namespaceSelector : []) {
      if (isRecord(n) && typeof n.name === 'string') this.namespaces.set(n.name, stringMap(n.labels));
    }
    // Full Namespace objects take precedence over namespaceSelector entries.
    for (const n of Array.isArray(spec.namespaces) ? spec.namespaces : []) {
      const meta = isRecord(n) && isRecord(n.metadata) ? n.metadata : undefined;
      if (meta && typeof meta.name === 'string') this.namespaces.set(meta.name, stringMap(meta.labels));
    }
    this.subresources = Array.isArray(spec.subresources) ? (spec.subresources.filter(isRecord) as unknown as SubresourceMapping[]) : [];
  }

  /** Global values, then the values given for this resource under this policy. */
  resourceValues(policy: string, resourceName: string): Record<string, unknown> {
    const out: Record<string, unknown> = { ...this.globalValues };
    for (const p of this.policies) {
      if (p.name !== policy) continue;
      for (const r of p.resources) if (r.name === resourceName) Object.assign(out, r.values ?? {});
    }
    return out;
  }

  /** Values that replace the context entries of one rule (also given to its autogen rules, as in the kyverno CLI). */
  ruleValues(policy: string, rule: string): { values: Record<string, unknown>; foreachValues: Record<string, unknown[]> } | undefined {
    const p = this.policies.find((x) => x.name === policy);
    const r = p?.rules.find((x) => rule === x.name || rule === `autogen-${x.name}` || rule === `autogen-cronjob-${x.name}`);
    if (!r) return undefined;
    return { values: r.values ?? {}, foreachValues: r.foreachValues ?? {} };
  }

  namespaceLabels(namespace: string): Record<string, string> | undefined {
    return this.namespaces.get(namespace);
  }
}

function normalizePolicy(p: PolicyValues): PolicyValues {
  return {
    name: String(p.name ?? ''),
    rules: Array.isArray(p.rules) ? p.rules.filter(isRecord).map((r) => ({
      name: String(r.name ?? ''),
      ...(isRecord(r.values) && { values: r.values }),
      ...(isRecord(r.foreachValues) && { foreachValues: r.foreachValues as Record<string, unknown[]> }),
    })) : [],
    resources: Array.isArray(p.resources) ? p.resources.filter(isRecord).map((r) => ({
      name: String(r.name ?? ''),
      ...(isRecord(r.values) && { values: r.values }),
    })) : [],
  };
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isRecord(value)) for (const [k, v] of Object.entries(value)) out[k] = String(v);
  return out;
}

/** Parses a values file; `kind: Values` or the legacy form without apiVersion/kind. */
export function parseValues(text: string, path: string): CliValues {
  const doc = parseDocuments(text, path)[0];
  if (!doc) return new CliValues();
  const value = doc.value;
  if (!isRecord(value)) throw new PalisadeError('PARSE_ERROR', `${path}:${doc.line}: a values file must be an object`);
  // `kind: Value` appears in kyverno's own test data and is accepted there.
  if (value.kind !== undefined && value.kind !== 'Values' && value.kind !== 'Value') {
    throw new PalisadeError('PARSE_ERROR', `${path}:${doc.line}: expected kind Values, found ${String(value.kind)}`);
  }
  return new CliValues(value);
}

/** Parses a user-info file (`kind: UserInfo`: roles, clusterRoles, userInfo {username, groups}). */
export function parseUserInfo(text: string, path: string): RequestInfo {
  const doc = parseDocuments(text, path)[0];
  const value = doc?.value;
  if (!isRecord(value)) throw new PalisadeError('PARSE_ERROR', `${path}: a user info file must be an object`);
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : undefined);
  const user = isRecord(value.userInfo) ? value.userInfo : {};
  return {
    ...(list(value.roles) && { roles: list(value.roles) }),
    ...(list(value.clusterRoles) && { clusterRoles: list(value.clusterRoles) }),
    userInfo: {
      ...(typeof user.username === 'string' && { username: user.username }),
      ...(typeof user.uid === 'string' && { uid: user.uid }),
      ...(list(user.groups) && { groups: list(user.groups) }),
    },
  };
}
