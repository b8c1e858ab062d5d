/**
 * The pod a Kubernetes object describes, as the Pod Security Standards checks read it: a Pod's own
 * metadata and spec, or the pod template of a workload controller. Checks see a `PodView` and
 * report field paths relative to the pod (`spec.containers[0]...`); `prefix` turns those into
 * paths relative to the object (`spec.template.spec.containers[0]...`).
 *
 * Values are read the way the API server would decode them: a field that is absent or `null` is
 * unset (Go's nil pointer), booleans count only when they are real booleans.
 */
import { isRecord } from '../../core/json.ts';
import { RuleError } from '../types.ts';

export type Obj = Record<string, unknown>;

export type ContainerKind = 'initContainers' | 'containers' | 'ephemeralContainers';

export interface ContainerRef {
  kind: ContainerKind;
  index: number;
  name: string;
  image: string;
  /** `spec.<kind>[<index>]`, relative to the pod. */
  path: string;
  securityContext: Obj | undefined;
  raw: Obj;
}

export interface PodView {
  annotations: Obj;
  spec: Obj;
  securityContext: Obj | undefined;
  /** Init containers, then containers, then ephemeral containers: pod-security admission's visiting order. */
  containers: ContainerRef[];
  /** `spec.os.name: windows`: several restricted checks exempt Windows pods from v1.25. */
  windows: boolean;
  /** `spec.hostUsers: false` (a user namespace): some checks relax for it from v1.35. */
  userNamespace: boolean;
  /** What turns a pod-relative path into one relative to the object: `''` for a Pod, `spec.template.` for a Deployment. */
  prefix: string;
}

/** Where each workload kind keeps its pod template (PSA's default pod spec extractor covers the same kinds). */
export const POD_TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
  Pod: [],
  PodTemplate: ['template'],
  Deployment: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

const CONTAINER_KINDS: readonly ContainerKind[] = ['initContainers', 'containers', 'ephemeralContainers'];

export function asObj(value: unknown): Obj | undefined {
  return isRecord(value) ? value : undefined;
}

/** `value.k1.k2…`, or undefined as soon as a step is not an object. */
export function dig(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    const o = asObj(current);
    if (o === undefined) return undefined;
    current = o[key];
  }
  return current;
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Go's `*string` deref: absent, null or non-string read as the empty string. */
export function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** A value as a Kyverno `values` entry compares it: strings as they are, other scalars in their JSON spelling. */
export function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value) ?? '';
}

/** Finds the pod template of a Pod or workload object; throws a RuleError when the object has none. */
export function podViewOf(object: Obj): PodView {
  const kind = typeof object.kind === 'string' ? object.kind : '';
  const steps = POD_TEMPLATE_PATHS[kind] ?? guessTemplatePath(object);
  if (steps === undefined) {
    throw new RuleError('INVALID', `pod security: ${kind || 'the object'} is neither a Pod nor a workload with a pod template`);
  }
  const template = steps.length === 0 ? object : asObj(dig(object, ...steps)) ?? {};
  const spec = asObj(template.spec) ?? {};
  return {
    annotations: asObj(dig(template, 'metadata', 'annotations')) ?? {},
    spec,
    securityContext: asObj(spec.securityContext),
    containers: containersOf(spec),
    windows: dig(spec, 'os', 'name') === 'windows',
    userNamespace: spec.hostUsers === false,
    prefix: steps.length === 0 ? '' : `${steps.join('.')}.`,
  };
}

/** An object of a kind we do not know: recognise it by shape (a pod spec, a template, a job template). */
function guessTemplatePath(object: Obj): readonly string[] | undefined {
  if (Array.isArray(dig(object, 'spec', 'containers'))) return [];
  if (asObj(dig(object, 'spec', 'template', 'spec'))) return ['spec', 'template'];
  if (asObj(dig(object, 'spec', 'jobTemplate', 'spec', 'template', 'spec'))) return ['spec', 'jobTemplate', 'spec', 'template'];
  if (asObj(dig(object, 'template', 'spec'))) return ['template'];
  return undefined;
}

function containersOf(spec: Obj): ContainerRef[] {
  const refs: ContainerRef[] = [];
  for (const kind of CONTAINER_KINDS) {
    asArray(spec[kind]).forEach((item, index) => {
      const raw = asObj(item);
      if (raw === undefined) return;
      refs.push({
        kind,
        index,
        name: str(raw.name),
        image: str(raw.image),
        path: `spec.${kind}[${index}]`,
        securityContext: asObj(raw.securityContext),
        raw,
      });
    });
  }
  return refs;
}
