/**
 * The Kubernetes objects of a webhook deployment, grouped into the files `kubectl apply -f DIR`
 * applies in name order: namespace, identity and RBAC, configuration, TLS, the server, and the
 * webhook configurations last, so that the API server starts calling the webhook only once
 * everything it needs exists.
 *
 * Choices that matter for an admission webhook that must not fail open, nor lock the cluster:
 * - failurePolicy Fail by default; the webhook's own namespace and kube-system are exempted through
 *   `kubernetes.io/metadata.name`, a label the API server sets and nobody can forge, so the
 *   webhook's Pods and the control plane always start even when every replica is down.
 * - No objectSelector exemption: a label-based opt-out would let whoever creates a Pod skip the checks.
 * - `pods/ephemeralcontainers` is checked too: `kubectl debug` would otherwise add unchecked images
 *   and privileges to a running Pod.
 * - Three replicas spread across nodes, a PodDisruptionBudget, and a preStop pause so a Pod leaves
 *   the Service before it stops serving.
 * - No CPU limit: throttling turns into admission latency (Gatekeeper's field reports: p99 2 s with
 *   a 100m limit); memory is limited.
 * - The service-account token is mounted explicitly as a projected, expiring token, only for the
 *   policy watch and PolicyReports; RBAC is read-only on policies and create/update on reports.
 */
import type { WebhookTls } from './certificates.ts';

type Json = Record<string, unknown>;

export interface ConfigMapFile {
  /** ConfigMap key, and the file name where the ConfigMap is mounted (policies, keys). */
  name: string;
  text: string;
}

export interface ManifestOptions {
  /** Name of the Service, Deployment, ServiceAccount, RBAC objects and webhook configurations. */
  name: string;
  namespace: string;
  image: string;
  replicas: number;
  /** timeoutSeconds of the webhooks; the server's registry deadline is derived from it. */
  timeoutSeconds: number;
  failurePolicy: 'Fail' | 'Ignore';
  /** Policy files stored in the policies ConfigMap. */
  policies: readonly ConfigMapFile[];
  /** Public keys every Pod image must be signed with (the server's --key); none: no signature gate. */
  publicKeys: readonly ConfigMapFile[];
  /** The server's --insecure-ignore-tlog: signatures need no transparency-log entry. */
  ignoreTlog?: boolean;
  /**
   * Also enforce the cluster's Kyverno policies (the server's --watch-cluster-policies). Off by
   * default: the enforced set is then the reviewed ConfigMap, not whatever anyone allowed to create
   * Kyverno policies puts in the cluster.
   */
  watchClusterPolicies?: boolean;
  /** Write audit results as PolicyReport objects (the server's --policy-reports cluster); needs the wgpolicyk8s.io CRDs. */
  policyReports?: boolean;
  /**
   * PEM CA certificates the API server keeps trusting besides the new CA: the CA of the serving
   * certificate being replaced, so that a rotation never has a moment when the served certificate
   * and caBundle disagree.
   */
  previousCa?: string;
}

export interface ManifestFile {
  /** File name under --output DIR; the order of names is the order of application. */
  name: string;
  /** What the file is for, written as its leading comment. */
  comment: string;
  objects: Json[];
}

export const SERVER_PORT = 8443;
const MOUNT = '/etc/palisade';
/** The non-root UID/GID of distroless-style images. */
const RUN_AS = 65532;
/** The kubelet's own default for bound service-account tokens (an hour, plus jitter headroom). */
const TOKEN_SECONDS = 3607;
/** Long enough for endpoint removal to reach the API server before the server stops accepting. */
const PRE_STOP_SECONDS = 5;

/** DNS names the API server uses for the Service: the serving certificate's SANs. */
export function serviceDnsNames(options: Pick<ManifestOptions, 'name' | 'namespace'>): string[] {
  return [`${options.name}.${options.namespace}.svc`, `${options.name}.${options.namespace}.svc.cluster.local`];
}

/** The namespaces the webhooks never see (and the server admits without evaluation). */
export function exemptNamespaces(namespace: string): string[] {
  return [...new Set(['kube-system', namespace])];
}

export function webhookManifests(options: ManifestOptions, tls: WebhookTls): ManifestFile[] {
  const { name, namespace } = options;
  const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': 'admission-webhook', 'app.kubernetes.io/part-of': 'palisade' };
  const selector = { 'app.kubernetes.io/name': name };
  const meta = (objectName: string, namespaced = true): Json => ({ name: objectName, ...(namespaced && { namespace }), labels });
  const caBundle = base64(tls.caCert + (options.previousCa ?? ''));

  return [
    {
      name: '00-namespace.yaml',
      comment: `The webhook's namespace: its Pods are never sent to the webhook (see namespaceSelector in\n50-webhooks.yaml), so they start even when every replica is down; they meet Pod Security "restricted".`,
      objects: [
        {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: namespace, labels: { ...labels, 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' } },
        },
      ],
    },
    {
      name: '10-rbac.yaml',
      comment: 'Identity of the webhook: read-only access to Kyverno policies and Namespaces (in-cluster policy watch),\ncreate/update of PolicyReports (audit results).',
      objects: [
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(name), automountServiceAccountToken: false },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: meta(name, false),
          rules: [
            { apiGroups: ['kyverno.io'], resources: ['clusterpolicies', 'policies', 'policyexceptions'], verbs: ['get', 'list', 'watch'] },
            {
              apiGroups: ['policies.kyverno.io'],
              resources: ['validatingpolicies', 'namespacedvalidatingpolicies', 'imagevalidatingpolicies', 'namespacedimagevalidatingpolicies', 'mutatingpolicies', 'namespacedmutatingpolicies', 'policyexceptions'],
              verbs: ['get', 'list', 'watch'],
            },
            // Namespace labels, for the namespaceSelector of policies.
            { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] },
            // Reports are written with an unconditional PUT (POST when missing), never read or deleted.
            { apiGroups: ['wgpolicyk8s.io'], resources: ['policyreports', 'clusterpolicyreports'], verbs: ['create', 'update'] },
          ],
        },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRoleBinding',
          metadata: meta(name, false),
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
          subjects: [{ kind: 'ServiceAccount', name, namespace }],
        },
      ],
    },
    {
      name: '20-policies.yaml',
      comment: `Policies the webhook enforces (mounted at ${MOUNT}/policies)${options.publicKeys.length > 0 ? ` and the public keys images must be signed with (${MOUNT}/keys)` : ''}.`,
      objects: [
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`${name}-policies`), data: fileData(options.policies) },
        ...(options.publicKeys.length > 0 ? [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`${name}-keys`), data: fileData(options.publicKeys) }] : []),
      ],
    },
    {
      name: '30-tls.yaml',
      comment:
        'Serving certificate and key (SANs ' + serviceDnsNames(options).join(', ') + '), signed by a CA whose\n' +
        'private key was discarded after signing: nothing can mint more certificates the API server trusts.\n' +
        'To rotate: generate again with --previous-ca set to the current ca.crt, apply 50-webhooks.yaml\n' +
        '(caBundle then holds both CAs), then this file (the server reloads the new pair).',
      objects: [
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: meta(`${name}-tls`),
          type: 'kubernetes.io/tls',
          data: { 'ca.crt': base64(tls.caCert), 'tls.crt': base64(tls.cert), 'tls.key': base64(tls.key) },
        },
      ],
    },
    {
      name: '40-server.yaml',
      comment: `The HTTPS server: ${options.replicas} replicas spread across nodes, Service 443 -> ${SERVER_PORT}.`,
      objects: [
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: meta(name),
          spec: { type: 'ClusterIP', selector, ports: [{ name: 'https', protocol: 'TCP', port: 443, targetPort: 'https' }] },
        },
        deployment(options, meta(name), labels, selector),
        {
          apiVersion: 'policy/v1',
          kind: 'PodDisruptionBudget',
          metadata: meta(name),
          // One replica at a time: draining nodes never takes the webhook (and so admission) down.
          spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
        },
        {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          metadata: meta(name),
          // Only the webhook port is open. The API server's source address depends on the cluster
          // (host network, konnectivity), so no portable `from` can name it.
          spec: { podSelector: { matchLabels: selector }, policyTypes: ['Ingress'], ingress: [{ ports: [{ protocol: 'TCP', port: SERVER_PORT }] }] },
        },
      ],
    },
    {
      name: '50-webhooks.yaml',
      comment:
        `Registers the webhook with the API server (failurePolicy ${options.failurePolicy}). No objectSelector exemption: a label\n` +
        'anyone can set would let them skip the checks. Break glass when the webhook is down and blocks changes:\n' +
        `  kubectl delete validatingwebhookconfiguration ${name}\n` +
        `  kubectl delete mutatingwebhookconfiguration ${name}\n` +
        '(the API server never sends requests about webhook configurations to webhooks, so this always works).',
      objects: [
        {
          apiVersion: 'admissionregistration.k8s.io/v1',
          kind: 'ValidatingWebhookConfiguration',
          metadata: meta(name, false),
          webhooks: [webhook(options, 'validate', caBundle)],
        },
        {
          apiVersion: 'admissionregistration.k8s.io/v1',
          kind: 'MutatingWebhookConfiguration',
          metadata: meta(name, false),
          // IfNeeded: when a later mutating webhook changes an image, the digest pin is checked again.
          webhooks: [{ ...webhook(options, 'mutate', caBundle), reinvocationPolicy: 'IfNeeded' }],
        },
      ],
    },
  ];
}

function webhook(options: ManifestOptions, path: 'validate' | 'mutate', caBundle: string): Json {
  return {
    name: `${path}.admission.palisade.dev`,
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    failurePolicy: options.failurePolicy,
    // Equivalent: a Deployment sent as another apps version is converted and still checked.
    matchPolicy: 'Equivalent',
    timeoutSeconds: options.timeoutSeconds,
    clientConfig: { caBundle, service: { name: options.name, namespace: options.namespace, path: `/${path}`, port: 443 } },
    namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: exemptNamespaces(options.namespace) }] },
    objectSelector: {},
    rules: [
      { apiGroups: [''], apiVersions: ['v1'], resources: ['pods', 'pods/ephemeralcontainers', 'replicationcontrollers'] },
      { apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments', 'replicasets', 'statefulsets', 'daemonsets'] },
      { apiGroups: ['batch'], apiVersions: ['v1'], resources: ['jobs', 'cronjobs'] },
    ].map((rule) => ({ operations: ['CREATE', 'UPDATE'], ...rule, scope: 'Namespaced' })),
  };
}

function deployment(options: ManifestOptions, metadata: Json, labels: Record<string, string>, selector: Record<string, string>): Json {
  const keys = options.publicKeys.length > 0;
  const args = [
    'admission',
    'serve',
    `--policies=${MOUNT}/policies`,
    `--tls-cert=${MOUNT}/tls/tls.crt`,
    `--tls-key=${MOUNT}/tls/tls.key`,
    ...options.publicKeys.map((k) => `--key=${MOUNT}/keys/${k.name}`),
    ...(options.ignoreTlog ? ['--insecure-ignore-tlog'] : []),
    `--port=${SERVER_PORT}`,
    `--timeout=${options.timeoutSeconds}`,
    ...(options.watchClusterPolicies ? ['--watch-cluster-policies'] : []),
    ...(options.policyReports ? ['--policy-reports=cluster'] : []),
  ];
  const probe = (path: string, periodSeconds: number): Json => ({ httpGet: { path, port: 'https', scheme: 'HTTPS' }, periodSeconds, timeoutSeconds: 2, failureThreshold: 3 });
  // Secret and ConfigMap files are root-owned: readable by the container's group through fsGroup.
  const readOnlyFiles = 0o440;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata,
    spec: {
      replicas: options.replicas,
      revisionHistoryLimit: 3,
      // Surge first: a rollout never runs with fewer serving replicas than asked for.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      selector: { matchLabels: selector },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: options.name,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: { runAsNonRoot: true, runAsUser: RUN_AS, runAsGroup: RUN_AS, fsGroup: RUN_AS, seccompProfile: { type: 'RuntimeDefault' } },
          affinity: {
            podAntiAffinity: {
              // Preferred, not required: a cluster with fewer nodes than replicas still runs them all.
              preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } } }],
            },
          },
          containers: [
            {
              name: 'webhook',
              image: options.image,
              imagePullPolicy: 'IfNotPresent',
              args,
              env: [
                { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                // Each replica names its own PolicyReports after its Pod.
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              ],
              ports: [{ name: 'https', containerPort: SERVER_PORT, protocol: 'TCP' }],
              readinessProbe: probe('/readyz', 5),
              livenessProbe: probe('/healthz', 10),
              lifecycle: { preStop: { sleep: { seconds: PRE_STOP_SECONDS } } },
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '384Mi' } },
              securityContext: {
                allowPrivilegeEscalation: false,
                privileged: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ['ALL'] },
                seccompProfile: { type: 'RuntimeDefault' },
              },
              volumeMounts: [
                { name: 'tls', mountPath: `${MOUNT}/tls`, readOnly: true },
                { name: 'policies', mountPath: `${MOUNT}/policies`, readOnly: true },
                ...(keys ? [{ name: 'keys', mountPath: `${MOUNT}/keys`, readOnly: true }] : []),
                { name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
              ],
            },
          ],
          volumes: [
            { name: 'tls', secret: { secretName: `${options.name}-tls`, defaultMode: readOnlyFiles } },
            { name: 'policies', configMap: { name: `${options.name}-policies`, defaultMode: readOnlyFiles } },
            ...(keys ? [{ name: 'keys', configMap: { name: `${options.name}-keys`, defaultMode: readOnlyFiles } }] : []),
            {
              name: 'kube-api-access',
              projected: {
                defaultMode: readOnlyFiles,
                sources: [
                  { serviceAccountToken: { path: 'token', expirationSeconds: TOKEN_SECONDS } },
                  { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
                  { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
                ],
              },
            },
          ],
        },
      },
    },
  };
}

function fileData(files: readonly ConfigMapFile[]): Record<string, string> {
  return Object.fromEntries(files.map((f) => [f.name, f.text]));
}

function base64(text: string): string {
  return Buffer.from(text).toString('base64');
}
