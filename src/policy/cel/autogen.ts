/**
 * Autogen for Kyverno CEL policies (ValidatingPolicy, ImageValidatingPolicy, MutatingPolicy): a
 * policy written for Pods also runs on the Pod templates of controllers, as Kyverno computes it
 * (pkg/cel/autogen):
 *
 * - only when the policy matches exactly `pods` in core `v1` with one resource rule, no resource
 *   names, no namespace/object selector and no exclusions;
 * - controllers: `spec.autogen.podControllers.controllers` when set (an empty list disables it),
 *   else Kyverno's `pod-policies.kyverno.io/autogen-controllers` annotation (`none` disables
 *   it), else all of daemonsets, deployments, jobs, statefulsets, replicasets, cronjobs;
 * - two rule sets: `autogen` for the template controllers, `autogen-cronjobs` for CronJobs,
 *   matching those resources with the policy's operations;
 * - in every expression `object.spec` → `object.spec.template.spec` and `object.metadata` →
 *   `object.spec.template.metadata` (CronJobs: under `spec.jobTemplate.spec.template`), likewise
 *   for `oldObject`, except `object.metadata.name` / `.namespace`, which stay the controller's.
 */
import type { MatchResources, ResourceRule } from './types.ts';

interface Target {
  group: string;
  resource: string;
}

const TARGETS: Readonly<Record<string, Target & { cronjob: boolean }>> = {
  daemonsets: { group: 'apps', resource: 'daemonsets', cronjob: false },
  deployments: { group: 'apps', resource: 'deployments', cronjob: false },
  jobs: { group: 'batch', resource: 'jobs', cronjob: false },
  statefulsets: { group: 'apps', resource: 'statefulsets', cronjob: false },
  replicasets: { group: 'apps', resource: 'replicasets', cronjob: false },
  cronjobs: { group: 'batch', resource: 'cronjobs', cronjob: true },
};

const KIND_TO_RESOURCE: Readonly<Record<string, string>> = {
  DaemonSet: 'daemonsets',
  Deployment: 'deployments',
  Job: 'jobs',
  StatefulSet: 'statefulsets',
  ReplicaSet: 'replicasets',
  CronJob: 'cronjobs',
};

export interface AutogenVariant {
  name: 'autogen' | 'autogen-cronjobs';
  match: MatchResources;
  /** Rewrites one expression (or any JSON text holding expressions). */
  rewrite(expression: string): string;
}

/** Whether the match constraints allow autogen (Kyverno's CanAutoGen). */
export function canAutogen(match: MatchResources | undefined): boolean {
  if (!match) return false;
  const selects = (s: MatchResources['namespaceSelector']) => s && (Object.keys(s.matchLabels ?? {}).length > 0 || (s.matchExpressions ?? []).length > 0);
  if (selects(match.namespaceSelector) || selects(match.objectSelector)) return false;
  if ((match.excludeResourceRules ?? []).length > 0) return false;
  const rules = match.resourceRules ?? [];
  if (rules.length !== 1) return false;
  const r = rules[0]!;
  if ((r.resourceNames ?? []).length > 0) return false;
  return same(r.apiGroups, ['']) && same(r.apiVersions, ['v1']) && same(r.resources, ['pods']);
}

function same(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return (a ?? []).length === b.length && (a ?? []).every((x, i) => x === b[i]);
}

/** The controllers to generate for: from the policy's autogen settings, else the annotation, else all. */
export function autogenControllers(configured: readonly string[] | undefined, annotation: string | undefined): string[] {
  if (configured) return configured.map((c) => KIND_TO_RESOURCE[c] ?? c.toLowerCase()).filter((c) => c in TARGETS);
  if (annotation !== undefined) {
    if (annotation === 'none') return [];
    return annotation.split(',').map((c) => KIND_TO_RESOURCE[c.trim()] ?? c.trim().toLowerCase()).filter((c) => c in TARGETS);
  }
  return Object.keys(TARGETS);
}

const PROTECTED = ['.namespace', '.name'];

/** Replaces `from` by `to` except where a protected suffix (`.name`, `.namespace`) follows as a whole segment. */
function replaceProtected(text: string, from: string, to: string): string {
  let out = '';
  let rest = text;
  for (let i = rest.indexOf(from); i >= 0; i = rest.indexOf(from)) {
    out += rest.slice(0, i);
    const after = rest.slice(i + from.length);
    const protectedHere = PROTECTED.some((s) => after.startsWith(s) && !/^[\w]/.test(after.slice(s.length)));
    out += protectedHere ? from : to;
    rest = after;
  }
  return out + rest;
}

function rewriter(prefix: string): (expression: string) => string {
  return (expression) => {
    let text = expression;
    for (const [from, to] of [['spec', `${prefix}.spec`], ['metadata', `${prefix}.metadata`]] as const) {
      text = replaceProtected(text, `object.${from}`, `object.${to}`);
      text = replaceProtected(text, `oldObject.${from}`, `oldObject.${to}`);
    }
    return text;
  };
}

function matchFor(controllers: readonly string[], operations: string[] | undefined): MatchResources {
  const byGroup = new Map<string, string[]>();
  for (const c of controllers) {
    const t = TARGETS[c]!;
    byGroup.set(t.group, [...(byGroup.get(t.group) ?? []), t.resource]);
  }
  const resourceRules: ResourceRule[] = [...byGroup.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([group, resources]) => ({ apiGroups: [group], apiVersions: ['v1'], resources: resources.sort(), ...(operations && { operations }) }));
  return { resourceRules };
}

/** The autogen variants of a Pod policy (none when autogen does not apply). */
export function autogenVariants(match: MatchResources | undefined, controllers: readonly string[]): AutogenVariant[] {
  if (!canAutogen(match) || controllers.length === 0) return [];
  const operations = match!.resourceRules![0]!.operations;
  const templates = controllers.filter((c) => !TARGETS[c]!.cronjob);
  const out: AutogenVariant[] = [];
  if (templates.length > 0) out.push({ name: 'autogen', match: matchFor(templates, operations), rewrite: rewriter('spec.template') });
  if (controllers.includes('cronjobs')) {
    out.push({ name: 'autogen-cronjobs', match: matchFor(['cronjobs'], operations), rewrite: rewriter('spec.jobTemplate.spec.template') });
  }
  return out;
}
