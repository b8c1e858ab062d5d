/**
 * The workload inventory: every workload with its containers and images, per namespace, and the
 * unique images across the cluster with the digests the nodes actually pulled.
 *
 * A workload is a top-level owner of pods: a Deployment (not its ReplicaSets), a CronJob (not its
 * Jobs), a DaemonSet, a StatefulSet, or a Pod that no listed controller owns. Pods are joined to
 * their top-level owner through `ownerReferences` (by uid, else by kind and name), which is how
 * their `status.containerStatuses[].imageID` — the digest the runtime pulled — reaches the
 * workload's containers.
 */
import { isRecord } from '../core/json.ts';
import type { Manifest } from '../misconfig/manifests.ts';
import { asArray, asObj, POD_TEMPLATE_PATHS } from '../policy/podsecurity/pod.ts';
import { metadataOf } from './snapshot.ts';

export const WORKLOAD_KINDS = new Set(['Pod', 'Deployment', 'DaemonSet', 'StatefulSet', 'ReplicaSet', 'Job', 'CronJob', 'ReplicationController']);

export type ContainerKind = 'container' | 'init' | 'ephemeral';

export interface ContainerInfo {
  name: string;
  kind: ContainerKind;
  /** As the spec writes it. */
  image: string;
  /** Repository digests (`sha256:…`) the pod status reports, or the one the reference pins. */
  digests: string[];
}

export interface Workload {
  kind: string;
  name: string;
  namespace: string;
  manifest: Manifest;
  /** `spec.serviceAccountName`, `default` when unset. */
  serviceAccount: string;
  /** The pod spec's `automountServiceAccountToken`, when set. */
  automount?: boolean;
  containers: ContainerInfo[];
  /** Pods of this workload in the snapshot. */
  pods: Manifest[];
}

export interface ImageInfo {
  image: string;
  digests: string[];
  /** `Kind namespace/name` of every workload that runs it. */
  workloads: string[];
  namespaces: string[];
}

export interface Inventory {
  workloads: Workload[];
  images: ImageInfo[];
  /** Namespace → its workloads. */
  byNamespace: Map<string, Workload[]>;
}

/** The pod template of a workload object (the Pod itself for a Pod). */
export function podTemplateOf(m: Manifest): Record<string, unknown> | undefined {
  let node: unknown = m.object;
  for (const key of POD_TEMPLATE_PATHS[m.kind] ?? []) node = asObj(node)?.[key];
  return asObj(node);
}

/** The pod spec of a workload object (its own spec for a Pod). */
export function podSpecOf(m: Manifest): Record<string, unknown> | undefined {
  return asObj(podTemplateOf(m)?.spec);
}

const DIGEST = /@(sha256:[0-9a-f]{64})$/;

/** The repository digest in an imageID (`docker-pullable://nginx@sha256:…`, `docker.io/library/nginx@sha256:…`); a bare image id is no repository digest. */
export function digestOfImageId(imageId: string): string | undefined {
  return DIGEST.exec(imageId)?.[1];
}

function ownerRefs(m: Manifest): { kind: string; name: string; uid?: string; controller?: boolean }[] {
  return asArray(metadataOf(m).ownerReferences)
    .filter(isRecord)
    .flatMap((r) => (typeof r.kind === 'string' && typeof r.name === 'string' ? [{ kind: r.kind, name: r.name, ...(typeof r.uid === 'string' && { uid: r.uid }), ...(r.controller === true && { controller: true }) }] : []));
}

export function buildInventory(objects: readonly Manifest[]): Inventory {
  const candidates = objects.filter((o) => WORKLOAD_KINDS.has(o.kind));
  const byUid = new Map<string, Manifest>();
  const byName = new Map<string, Manifest>();
  for (const o of candidates) {
    const uid = metadataOf(o).uid;
    if (typeof uid === 'string') byUid.set(uid, o);
    byName.set(`${o.kind}/${o.namespace ?? ''}/${o.name}`, o);
  }
  const ownerOf = (m: Manifest): Manifest | undefined => {
    const refs = ownerRefs(m);
    const ref = refs.find((r) => r.controller) ?? refs[0];
    if (!ref) return undefined;
    return (ref.uid !== undefined ? byUid.get(ref.uid) : undefined) ?? byName.get(`${ref.kind}/${m.namespace ?? ''}/${ref.name}`);
  };
  // Thousands of pods share a few hundred owners: each object's top is worked out once.
  const tops = new Map<Manifest, Manifest>();
  const topOf = (m: Manifest): Manifest => {
    let top = tops.get(m);
    if (top) return top;
    top = m;
    for (let depth = 0; depth < 5; depth++) {
      const owner = ownerOf(top);
      if (!owner || owner === top) break;
      top = owner;
    }
    tops.set(m, top);
    return top;
  };

  const workloads = new Map<Manifest, Workload>();
  for (const o of candidates) {
    if (topOf(o) !== o) continue;
    workloads.set(o, workloadOf(o));
  }
  for (const pod of candidates.filter((o) => o.kind === 'Pod')) {
    const top = workloads.get(topOf(pod));
    if (!top) continue;
    if (top.manifest !== pod) top.pods.push(pod);
    addPodDigests(top, pod);
  }
  const list = [...workloads.values()];
  const byNamespace = new Map<string, Workload[]>();
  for (const w of list) {
    const ns = byNamespace.get(w.namespace);
    if (ns) ns.push(w);
    else byNamespace.set(w.namespace, [w]);
  }
  return { workloads: list, images: imagesOf(list), byNamespace };
}

function workloadOf(m: Manifest): Workload {
  const spec = podSpecOf(m) ?? {};
  const containers: ContainerInfo[] = [];
  const groups: [string, ContainerKind][] = [['initContainers', 'init'], ['containers', 'container'], ['ephemeralContainers', 'ephemeral']];
  for (const [key, kind] of groups) {
    for (const c of asArray(spec[key]).filter(isRecord)) {
      const image = typeof c.image === 'string' ? c.image : '';
      const pinned = DIGEST.exec(image)?.[1];
      containers.push({ name: typeof c.name === 'string' ? c.name : '', kind, image, digests: pinned ? [pinned] : [] });
    }
  }
  const sa = typeof spec.serviceAccountName === 'string' && spec.serviceAccountName !== '' ? spec.serviceAccountName : typeof spec.serviceAccount === 'string' && spec.serviceAccount !== '' ? spec.serviceAccount : 'default';
  return {
    kind: m.kind,
    name: m.name,
    namespace: m.namespace ?? '',
    manifest: m,
    serviceAccount: sa,
    ...(typeof spec.automountServiceAccountToken === 'boolean' && { automount: spec.automountServiceAccountToken }),
    containers,
    pods: [],
  };
}

/** Digests from the pod's container statuses, matched to the workload's containers by name. */
function addPodDigests(w: Workload, pod: Manifest): void {
  const status = asObj(pod.object.status);
  if (!status) return;
  const keys: [string, ContainerKind][] = [['initContainerStatuses', 'init'], ['containerStatuses', 'container'], ['ephemeralContainerStatuses', 'ephemeral']];
  for (const [key, kind] of keys) {
    for (const s of asArray(status[key]).filter(isRecord)) {
      const digest = typeof s.imageID === 'string' ? digestOfImageId(s.imageID) : undefined;
      if (!digest) continue;
      const container = w.containers.find((c) => c.kind === kind && c.name === s.name) ?? w.containers.find((c) => c.name === s.name);
      if (container && !container.digests.includes(digest)) container.digests.push(digest);
    }
  }
}

function imagesOf(workloads: readonly Workload[]): ImageInfo[] {
  const images = new Map<string, ImageInfo>();
  for (const w of workloads) {
    for (const c of w.containers) {
      if (c.image === '') continue;
      const info = images.get(c.image) ?? { image: c.image, digests: [], workloads: [], namespaces: [] };
      for (const d of c.digests) if (!info.digests.includes(d)) info.digests.push(d);
      const label = `${w.kind} ${w.namespace}/${w.name}`;
      if (!info.workloads.includes(label)) info.workloads.push(label);
      if (!info.namespaces.includes(w.namespace)) info.namespaces.push(w.namespace);
      images.set(c.image, info);
    }
  }
  return [...images.values()]
    .map((i) => ({ ...i, digests: i.digests.sort(), workloads: i.workloads.sort(), namespaces: i.namespaces.sort() }))
    .sort((a, b) => (a.image < b.image ? -1 : a.image > b.image ? 1 : 0));
}
