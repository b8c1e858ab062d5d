/**
 * Admission matching (k8s.io/apiserver's policy matching, as Kyverno reuses it): does a request
 * fall under a policy's `matchConstraints` or a binding's `matchResources`?
 *
 * - `resourceRules`: one rule must match the operation, API group, version, resource (plural,
 *   `pods/status` for subresources, and the wildcards `*`, `pods/*` and `*` with a subresource), resource name and scope;
 * - `excludeResourceRules`: none may match;
 * - `namespaceSelector`: labels of the object's namespace (a Namespace object is matched by its
 *   own labels; other cluster-scoped objects always match);
 * - `objectSelector`: labels of the object (or the old object, for DELETE);
 * - `matchPolicy: Equivalent` (the default) also accepts the same group and resource in another
 *   version, as the API server does for resources served in several versions.
 */
import { selectorMatches } from '../engine/match.ts';
import type { LabelSelector } from '../engine/types.ts';
import type { MatchResources, ResourceRule } from './types.ts';

/** What matching needs to know about the request. */
export interface AdmissionAttributes {
  group: string;
  version: string;
  kind: string;
  /** Plural resource name (`deployments`). */
  resource: string;
  subresource: string;
  operation: string;
  name: string;
  namespace: string;
  namespaced: boolean;
  /** Labels of the object (new, else old). */
  labels: Record<string, string>;
  /** Labels of the object's namespace, when known. */
  namespaceLabels?: Record<string, string>;
}

function listMatches(list: readonly string[] | undefined, value: string): boolean {
  return (list ?? []).some((x) => x === '*' || x === value);
}

function resourceMatches(patterns: readonly string[] | undefined, resource: string, subresource: string): boolean {
  const full = subresource ? `${resource}/${subresource}` : resource;
  return (patterns ?? []).some((p) => {
    if (p === '*/*' || p === full) return true;
    if (p === '*') return subresource === '';
    const [res, sub] = p.split('/') as [string, string | undefined];
    if (sub === undefined) return false;
    return (res === '*' || res === resource) && (sub === '*' || sub === subresource) && subresource !== '';
  });
}

function ruleMatches(rule: ResourceRule, a: AdmissionAttributes, equivalent: boolean): boolean {
  if (!listMatches(rule.operations, a.operation)) return false;
  if (!listMatches(rule.apiGroups, a.group)) return false;
  if (!equivalent && !listMatches(rule.apiVersions, a.version)) return false;
  if (!resourceMatches(rule.resources, a.resource, a.subresource)) return false;
  if ((rule.resourceNames ?? []).length > 0 && !rule.resourceNames!.includes(a.name)) return false;
  const scope = rule.scope ?? '*';
  if (scope === 'Cluster' && a.namespaced) return false;
  if (scope === 'Namespaced' && !a.namespaced) return false;
  return true;
}

function selectorSet(selector: LabelSelector | undefined): boolean {
  return selector !== undefined && (Object.keys(selector.matchLabels ?? {}).length > 0 || (selector.matchExpressions ?? []).length > 0);
}

/** Why the request does not match, or undefined when it does. */
export function matchFailure(match: MatchResources | undefined, a: AdmissionAttributes): string | undefined {
  if (!match) return 'no match constraints';
  const equivalent = match.matchPolicy !== 'Exact';
  const rules = match.resourceRules ?? [];
  if (!rules.some((r) => ruleMatches(r, a, false)) && !(equivalent && rules.some((r) => ruleMatches(r, a, true)))) return 'no resource rule matches';
  if ((match.excludeResourceRules ?? []).some((r) => ruleMatches(r, a, false))) return 'excluded by a resource rule';
  if (selectorSet(match.namespaceSelector)) {
    const labels = a.kind === 'Namespace' && a.group === '' ? a.labels : a.namespaced ? (a.namespaceLabels ?? {}) : undefined;
    if (labels !== undefined && !selectorMatches(match.namespaceSelector!, labels)) return 'namespace selector does not match';
  }
  if (selectorSet(match.objectSelector) && !selectorMatches(match.objectSelector!, a.labels)) return 'object selector does not match';
  return undefined;
}
