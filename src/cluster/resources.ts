/**
 * The Kubernetes resources the cluster audit reads, as the API serves them: the list endpoint of
 * each (all namespaces at once), the kind its items have, and which audit areas need it. A live
 * audit issues exactly these GET (list) calls and nothing else; an offline dump is mapped onto the
 * same resources by kind, so that both inputs report coverage the same way.
 */

export type ResourceName =
  | 'namespaces'
  | 'pods'
  | 'deployments'
  | 'daemonsets'
  | 'statefulsets'
  | 'replicasets'
  | 'jobs'
  | 'cronjobs'
  | 'services'
  | 'networkpolicies'
  | 'serviceaccounts'
  | 'roles'
  | 'clusterroles'
  | 'rolebindings'
  | 'clusterrolebindings'
  | 'configmaps'
  | 'secrets';

export interface ResourceSpec {
  resource: ResourceName;
  kind: string;
  /** API group; `''` is the core group. */
  group: string;
  version: string;
  namespaced: boolean;
}

export const RESOURCES: readonly ResourceSpec[] = [
  { resource: 'namespaces', kind: 'Namespace', group: '', version: 'v1', namespaced: false },
  { resource: 'pods', kind: 'Pod', group: '', version: 'v1', namespaced: true },
  { resource: 'deployments', kind: 'Deployment', group: 'apps', version: 'v1', namespaced: true },
  { resource: 'daemonsets', kind: 'DaemonSet', group: 'apps', version: 'v1', namespaced: true },
  { resource: 'statefulsets', kind: 'StatefulSet', group: 'apps', version: 'v1', namespaced: true },
  { resource: 'replicasets', kind: 'ReplicaSet', group: 'apps', version: 'v1', namespaced: true },
  { resource: 'jobs', kind: 'Job', group: 'batch', version: 'v1', namespaced: true },
  { resource: 'cronjobs', kind: 'CronJob', group: 'batch', version: 'v1', namespaced: true },
  { resource: 'services', kind: 'Service', group: '', version: 'v1', namespaced: true },
  { resource: 'networkpolicies', kind: 'NetworkPolicy', group: 'networking.k8s.io', version: 'v1', namespaced: true },
  { resource: 'serviceaccounts', kind: 'ServiceAccount', group: '', version: 'v1', namespaced: true },
  { resource: 'roles', kind: 'Role', group: 'rbac.authorization.k8s.io', version: 'v1', namespaced: true },
  { resource: 'clusterroles', kind: 'ClusterRole', group: 'rbac.authorization.k8s.io', version: 'v1', namespaced: false },
  { resource: 'rolebindings', kind: 'RoleBinding', group: 'rbac.authorization.k8s.io', version: 'v1', namespaced: true },
  { resource: 'clusterrolebindings', kind: 'ClusterRoleBinding', group: 'rbac.authorization.k8s.io', version: 'v1', namespaced: false },
  { resource: 'configmaps', kind: 'ConfigMap', group: '', version: 'v1', namespaced: true },
  { resource: 'secrets', kind: 'Secret', group: '', version: 'v1', namespaced: true },
];

export const RESOURCE_BY_KIND: ReadonlyMap<string, ResourceSpec> = new Map(RESOURCES.map((r) => [r.kind, r]));

export const RESOURCE_BY_NAME: ReadonlyMap<ResourceName, ResourceSpec> = new Map(RESOURCES.map((r) => [r.resource, r]));

/** `/api/v1/pods`, `/apis/apps/v1/deployments`: the all-namespaces list endpoint. */
export function listPath(spec: ResourceSpec): string {
  return spec.group === '' ? `/api/${spec.version}/${spec.resource}` : `/apis/${spec.group}/${spec.version}/${spec.resource}`;
}

export function apiVersionOf(spec: ResourceSpec): string {
  return spec.group === '' ? spec.version : `${spec.group}/${spec.version}`;
}

/** Kinds that run containers: a pod, or a controller with a pod template. */
export const WORKLOAD_RESOURCES: readonly ResourceName[] = ['pods', 'deployments', 'daemonsets', 'statefulsets', 'replicasets', 'jobs', 'cronjobs'];

export type Area = 'inventory' | 'rbac' | 'workloads' | 'audit-log';

export const AREAS: readonly Area[] = ['inventory', 'rbac', 'workloads', 'audit-log'];

/**
 * What each area reads. When one of these lists failed or is missing, the area's results (and its
 * score) are marked incomplete; when all of them are, the area is not assessed at all.
 */
export const AREA_RESOURCES: Record<Area, readonly ResourceName[]> = {
  inventory: WORKLOAD_RESOURCES,
  rbac: ['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings'],
  workloads: [...WORKLOAD_RESOURCES, 'namespaces', 'networkpolicies', 'serviceaccounts', 'services', 'configmaps'],
  'audit-log': [],
};
