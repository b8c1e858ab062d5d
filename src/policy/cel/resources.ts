/**
 * Kinds and resources. Admission policies match *resources* (`pods`, `deployments`), but
 * manifests name *kinds* (`Pod`, `Deployment`); without a cluster's discovery API the mapping
 * comes from this table of built-in kinds, and from the English plural rule the API machinery
 * uses for everything else (custom resources normally follow it: `Foo` → `foos`).
 */

const IRREGULAR: Readonly<Record<string, string>> = {
  Endpoints: 'endpoints',
  PodSecurityPolicy: 'podsecuritypolicies',
  NetworkPolicy: 'networkpolicies',
  PriorityClass: 'priorityclasses',
  StorageClass: 'storageclasses',
  IngressClass: 'ingressclasses',
  RuntimeClass: 'runtimeclasses',
  ResourceClass: 'resourceclasses',
  DeviceClass: 'deviceclasses',
  ResourceClaimTemplate: 'resourceclaimtemplates',
  PodDisruptionBudget: 'poddisruptionbudgets',
  Ingress: 'ingresses',
  ComponentStatus: 'componentstatuses',
  Policy: 'policies',
  ClusterPolicy: 'clusterpolicies',
  ValidatingPolicy: 'validatingpolicies',
  MutatingPolicy: 'mutatingpolicies',
  ImageValidatingPolicy: 'imagevalidatingpolicies',
  GeneratingPolicy: 'generatingpolicies',
  DeletingPolicy: 'deletingpolicies',
  ValidatingAdmissionPolicy: 'validatingadmissionpolicies',
  MutatingAdmissionPolicy: 'mutatingadmissionpolicies',
  PolicyException: 'policyexceptions',
  ServiceEntry: 'serviceentries',
  Gateway: 'gateways',
  Proxy: 'proxies',
};

/** The plural resource name of a kind (`Pod` → `pods`, `Ingress` → `ingresses`, `NetworkPolicy` → `networkpolicies`). */
export function resourceOf(kind: string): string {
  const irregular = IRREGULAR[kind];
  if (irregular) return irregular;
  const lower = kind.toLowerCase();
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  return `${lower}s`;
}

/** Whether `resource` (plural, possibly with `/subresource`, or `*`) names this kind. */
export function resourceMatches(pattern: string, kind: string, subresource = ''): boolean {
  if (pattern === '*' || pattern === '*/*') return true;
  const [res, sub = ''] = pattern.split('/') as [string, string | undefined];
  const plural = resourceOf(kind);
  if (res !== '*' && res !== plural) return false;
  return sub === '*' || sub === subresource;
}

/** group and version of an apiVersion (`apps/v1` → apps, v1; `v1` → "", v1). */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}
