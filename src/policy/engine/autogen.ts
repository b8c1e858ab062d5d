/**
 * Autogen: Kyverno rewrites rules written for Pods into rules for the pod controllers that embed a
 * pod template (pkg/autogen). Two rules per Pod rule:
 *
 * - `autogen-<rule>` for DaemonSet, Deployment, Job, StatefulSet, ReplicaSet, ReplicationController:
 *   patterns and strategic-merge patches move under `spec.template`, and every
 *   `request.object.spec` / `request.object.metadata` reference becomes the template's;
 * - `autogen-cronjob-<rule>` for CronJob, one level deeper (`spec.jobTemplate.spec.template`).
 *
 * The `pod-policies.kyverno.io/autogen-controllers` annotation narrows the controllers (`none`
 * disables autogen). Autogen is all-or-nothing per policy: a rule whose match/exclude uses names,
 * selectors or annotations (which mean something else on a controller), mixes Pod with other kinds,
 * or a generate / JSON-patch rule anywhere turns it off for the whole policy, as in Kyverno.
 */
import { ANNOTATION_AUTOGEN, type MatchBlock, type Policy, type ResourceDescription, type ResourceFilter, type Rule } from './types.ts';

const POD_CONTROLLERS = ['DaemonSet', 'Deployment', 'Job', 'StatefulSet', 'ReplicaSet', 'ReplicationController', 'CronJob'];
const TEMPLATE_CONTROLLERS = new Set(POD_CONTROLLERS.filter((c) => c !== 'CronJob'));
const AUTOGEN_KINDS = new Set([...POD_CONTROLLERS, 'Pod']);

/** The rules Kyverno evaluates for a policy: the declared rules, then the generated ones. */
export function computeRules(policy: Pick<Policy, 'annotations' | 'spec'>): Rule[] {
  const declared = policy.spec.rules ?? [];
  if (!canAutogen(declared)) return declared;
  const annotation = policy.annotations[ANNOTATION_AUTOGEN];
  const controllers = annotation === undefined ? POD_CONTROLLERS : annotation.split(',').map((c) => c.trim()).filter(Boolean);
  if (controllers.length === 0 || (controllers.length === 1 && controllers[0] === 'none')) return declared;

  const generated: Rule[] = [];
  for (const rule of declared) {
    const forControllers = controllerRule(rule, controllers.filter((c) => c !== 'CronJob'));
    if (forControllers) generated.push(shiftReferences(forControllers, 'template'));
    if (controllers.includes('CronJob') || controllers.includes('all')) {
      const base = controllerRule(rule, controllers);
      const cronJob = base && generateRule(autogenName('autogen-cronjob', rule.name), base, 'jobTemplate', ['CronJob'], (filters) =>
        filters.map((f) => withKinds(f, ['CronJob'])),
      );
      if (cronJob) generated.push(shiftReferences(cronJob, 'jobTemplate'));
    }
  }
  if (generated.length === 0) return declared;
  return [...declared.filter((r) => !isAutogenName(r.name)), ...generated];
}

export function isAutogenName(name: string): boolean {
  return name.startsWith('autogen-');
}

/** Kyverno's CanAutoGen: every rule must be translatable, and at least one must target pods. */
function canAutogen(rules: Rule[]): boolean {
  let needed = false;
  for (const rule of rules) {
    if (rule.generate !== undefined) return false;
    if (rule.mutate?.patchesJson6902 || rule.mutate?.foreach?.some((f) => f.patchesJson6902)) return false;
    for (const rd of descriptions(rule.match).concat(rule.exclude ? descriptions(rule.exclude) : [])) {
      if (rd.name || (rd.names?.length ?? 0) > 0 || rd.selector || rd.annotations || mixesPodWithOtherKinds(rd.kinds ?? [])) return false;
      if ((rd.kinds ?? []).some((k) => AUTOGEN_KINDS.has(k))) needed = true;
    }
  }
  return needed;
}

function descriptions(block: MatchBlock): ResourceDescription[] {
  const out: ResourceDescription[] = [];
  if (block.resources) out.push(block.resources);
  for (const f of [...(block.any ?? []), ...(block.all ?? [])]) if (f.resources) out.push(f.resources);
  return out;
}

function matchKinds(block: MatchBlock | undefined): string[] {
  return block ? descriptions(block).flatMap((rd) => rd.kinds ?? []) : [];
}

function mixesPodWithOtherKinds(kinds: string[]): boolean {
  return kinds.length > 1 && containsKind(kinds, 'Pod');
}

/** `Pod`, `v1/Pod`, `Pod/status`, `*\/Pod` all name the Pod kind (Kyverno's ContainsKind). */
function containsKind(kinds: string[], kind: string): boolean {
  return kinds.some((k) => kindOf(k) === kind);
}

function kindOf(selector: string): string {
  const parts = selector.split('/');
  const isVersion = (s: string) => /^(v\d+((alpha|beta)\d+)?|\*)$/.test(s);
  let kindAndSub: string;
  switch (parts.length) {
    case 1:
      kindAndSub = selector.replace('.', '/');
      break;
    case 2:
      kindAndSub = isVersion(parts[0]!) ? parts[1]!.replace('.', '/') : selector;
      break;
    case 3:
      kindAndSub = isVersion(parts[0]!) ? `${parts[1]}/${parts[2]}` : parts[2]!.replace('.', '/');
      break;
    case 4:
      kindAndSub = `${parts[2]}/${parts[3]}`;
      break;
    default:
      return '';
  }
  return kindAndSub.split('/')[0] ?? '';
}

/** The `autogen-<rule>` rule for `controllers`, or undefined when the rule does not target pods. */
function controllerRule(rule: Rule, controllers: string[]): Rule | undefined {
  if (isAutogenName(rule.name) || controllers.length === 0) return undefined;
  const excludeKinds = matchKinds(rule.exclude);
  if (!containsKind(matchKinds(rule.match), 'Pod') || (excludeKinds.length > 0 && !containsKind(excludeKinds, 'Pod'))) return undefined;
  let kinds = controllers;
  if (controllers.includes('all')) kinds = [...TEMPLATE_CONTROLLERS];
  else {
    const known = controllers.filter((c) => TEMPLATE_CONTROLLERS.has(c));
    if (known.length > 0) kinds = known;
  }
  kinds = [...kinds].sort();
  return generateRule(autogenName('autogen', rule.name), rule, 'template', kinds, (filters) =>
    filters.map((f) => (containsKind(f.resources?.kinds ?? [], 'Pod') ? withKinds(f, kinds) : f)),
  );
}

type FilterRewrite = (filters: ResourceFilter[]) => ResourceFilter[];

function withKinds(filter: ResourceFilter, kinds: string[]): ResourceFilter {
  return { ...filter, resources: { ...filter.resources, kinds } };
}

function rewriteBlock(block: MatchBlock, kinds: string[], rewrite: FilterRewrite, onlyIfKinds: boolean): MatchBlock {
  if (block.any && block.any.length > 0) return { ...block, any: rewrite(block.any) };
  if (block.all && block.all.length > 0) return { ...block, all: rewrite(block.all) };
  if (onlyIfKinds && !(block.resources?.kinds?.length)) return block;
  return { ...block, resources: { ...block.resources, kinds } };
}

/** Wraps a pod-level pattern or patch so that it applies to the pod template under `spec.<tplKey>`. */
function wrap(value: unknown, tplKey: string): unknown {
  return { spec: { [tplKey]: value } };
}

function generateRule(name: string, source: Rule, tplKey: string, kinds: string[], rewrite: FilterRewrite): Rule | undefined {
  const rule: Rule = structuredClone(source);
  rule.name = name;
  rule.match = rewriteBlock(rule.match, kinds, rewrite, false);
  if (rule.exclude) rule.exclude = rewriteBlock(rule.exclude, kinds, rewrite, true);

  const mutate = rule.mutate;
  if (mutate) {
    if (mutate.patchStrategicMerge !== undefined) {
      rule.mutate = { patchStrategicMerge: wrap(mutate.patchStrategicMerge, tplKey) };
      return rule;
    }
    if (mutate.foreach && mutate.foreach.length > 0) {
      rule.mutate = {
        foreach: mutate.foreach.map((fe) => ({
          list: fe.list,
          ...(fe.context && { context: fe.context }),
          ...(fe.preconditions && { preconditions: fe.preconditions }),
          patchStrategicMerge: wrap(fe.patchStrategicMerge, tplKey),
        })),
      };
      return rule;
    }
  }
  const v = rule.validate;
  if (v) {
    const common = {
      ...(v.message !== undefined && { message: v.message }),
      ...(v.failureAction !== undefined && { failureAction: v.failureAction }),
      ...(v.allowExistingViolations !== undefined && { allowExistingViolations: v.allowExistingViolations }),
    };
    if (v.pattern !== undefined) rule.validate = { ...common, pattern: wrap(v.pattern, tplKey) };
    else if (v.deny !== undefined) rule.validate = { ...common, deny: v.deny };
    else if (v.podSecurity !== undefined) rule.validate = { ...common, podSecurity: v.podSecurity };
    else if (v.anyPattern !== undefined) rule.validate = { ...common, anyPattern: v.anyPattern.map((p) => wrap(p, tplKey)) };
    else if (v.foreach !== undefined) rule.validate = { ...common, foreach: v.foreach };
    else if (v.cel === undefined && v.assert === undefined) return undefined;
    return rule;
  }
  if (rule.verifyImages) return rule;
  return undefined;
}

function autogenName(prefix: string, name: string): string {
  return `${prefix}-${name}`.slice(0, 63);
}

const TEMPLATE_SHIFTS: [string, string][] = [
  ['request.object.spec', 'request.object.spec.template.spec'],
  ['request.oldObject.spec', 'request.oldObject.spec.template.spec'],
  ['request.object.metadata', 'request.object.spec.template.metadata'],
  ['request.oldObject.metadata', 'request.oldObject.spec.template.metadata'],
];
const CRONJOB_SHIFTS: [string, string][] = [
  ['request.object.spec', 'request.object.spec.jobTemplate.spec.template.spec'],
  ['request.oldObject.spec', 'request.oldObject.spec.jobTemplate.spec.template.spec'],
  ['request.object.metadata', 'request.object.spec.jobTemplate.spec.template.metadata'],
  ['request.oldObject.metadata', 'request.oldObject.spec.jobTemplate.spec.template.metadata'],
];

/**
 * Kyverno rewrites the generated rule's serialized text, so every reference moves: variables in
 * messages and conditions, foreach lists, context entries.
 */
function shiftReferences(rule: Rule, tplKey: 'template' | 'jobTemplate'): Rule {
  let text = JSON.stringify(rule);
  for (const [from, to] of tplKey === 'template' ? TEMPLATE_SHIFTS : CRONJOB_SHIFTS) text = text.split(from).join(to);
  return JSON.parse(text) as Rule;
}
