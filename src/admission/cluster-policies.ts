/**
 * In-cluster policies (`--watch-cluster-policies`): the policy objects of the cluster, read and
 * watched through the Kubernetes API, served together with the --policies files — Kyverno
 * ClusterPolicy, Policy and PolicyException (kyverno.io), and the CEL kinds ValidatingPolicy,
 * MutatingPolicy, ImageValidatingPolicy (and their Namespaced variants) and PolicyException
 * (policies.kyverno.io).
 * ValidatingAdmissionPolicies are not read: the API server enforces those itself.
 *
 * Each resource is listed and watched (kube-watch.ts: resume, 410 Gone, backoff; a resource whose
 * CRD is not installed is empty) with the connection of kube.ts (the Pod's service account in a
 * cluster, else the kubeconfig). Each object is parsed (and its CEL compiled) on its own, once per
 * resourceVersion; one the engines reject is logged and left out, and never takes the others down.
 * The set is not ready (`contribution()` undefined) until every resource was listed once.
 */
import { createHash } from 'node:crypto';
import { errorMessage } from '../core/errors.ts';
import { parseCelPolicies } from '../policy/cel/load.ts';
import type { CelPolicySet } from '../policy/cel/types.ts';
import { parsePolicies } from '../policy/engine/load.ts';
import type { Policy, PolicyException } from '../policy/engine/types.ts';
import type { KubeConnection } from '../core/kube-connection.ts';
import { ResourceWatcher } from './kube-watch.ts';
import type { StructuredLog } from './log.ts';
import { policySet, type AdmissionPolicySet } from './policy-set.ts';
import type { PolicySource } from './reload.ts';
import { isRecord } from '../core/json.ts';

type Json = Record<string, unknown>;

const KYVERNO = '/apis/kyverno.io';
const CEL = '/apis/policies.kyverno.io/v1';

const RESOURCES: readonly { kind: string; apiVersion: string; path: string }[] = [
  { kind: 'ClusterPolicy', apiVersion: 'kyverno.io/v1', path: `${KYVERNO}/v1/clusterpolicies` },
  { kind: 'Policy', apiVersion: 'kyverno.io/v1', path: `${KYVERNO}/v1/policies` },
  { kind: 'PolicyException', apiVersion: 'kyverno.io/v2', path: `${KYVERNO}/v2/policyexceptions` },
  { kind: 'ValidatingPolicy', apiVersion: 'policies.kyverno.io/v1', path: `${CEL}/validatingpolicies` },
  { kind: 'NamespacedValidatingPolicy', apiVersion: 'policies.kyverno.io/v1', path: `${CEL}/namespacedvalidatingpolicies` },
  { kind: 'MutatingPolicy', apiVersion: 'policies.kyverno.io/v1', path: `${CEL}/mutatingpolicies` },
  { kind: 'NamespacedMutatingPolicy', apiVersion: 'policies.kyverno.io/v1', path: `${CEL}/namespacedmutatingpolicies` },
  { kind: 'ImageValidatingPolicy', apiVersion: 'policies.kyverno.io/v1', path: `${CEL}/imagevalidatingpolicies` },
  { kind: 'NamespacedImageValidatingPolicy', apiVersion: 'policies.kyverno.io/v1', path: `${CEL}/namespacedimagevalidatingpolicies` },
  { kind: 'PolicyException', apiVersion: 'policies.kyverno.io/v1', path: `${CEL}/policyexceptions` },
];

/** What the cluster adds to the served set. */
export interface ClusterContribution {
  classic: Policy[];
  exceptions: PolicyException[];
  cel: CelPolicySet;
}

function emptyContribution(): ClusterContribution {
  return { classic: [], exceptions: [], cel: { policies: [], bindings: [], exceptions: [] } };
}

/** One object through the loader of its kind (classic engine or CEL). */
function parseObject(object: Json, source: string): ClusterContribution {
  const text = JSON.stringify(object);
  const out = emptyContribution();
  if (String(object.apiVersion).startsWith('kyverno.io/')) {
    const parsed = parsePolicies(text, source);
    out.classic.push(...parsed.policies);
    out.exceptions.push(...parsed.exceptions);
  } else {
    const parsed = parseCelPolicies(text, source);
    out.cel.policies.push(...parsed.policies);
    out.cel.exceptions.push(...parsed.exceptions);
  }
  return out;
}

export interface ClusterPolicyWatcherOptions {
  connection: KubeConnection;
  log: StructuredLog;
  /** First retry delay after a failure (doubled up to 30 s); default 1 s. */
  backoffMs?: number;
}

function resourceVersionOf(object: Json): string {
  const meta = isRecord(object.metadata) ? object.metadata : {};
  return typeof meta.resourceVersion === 'string' ? meta.resourceVersion : JSON.stringify(object.spec);
}

export class ClusterPolicyWatcher {
  readonly #log: StructuredLog;
  readonly #watchers: ResourceWatcher[];
  /** Parsed objects by path/key, reused while the object's resourceVersion stays the same. */
  readonly #parsed = new Map<string, { resourceVersion: string; parsed: ClusterContribution }>();
  #contribution: ClusterContribution | undefined;
  #version = '';

  constructor(options: ClusterPolicyWatcherOptions) {
    this.#log = options.log;
    this.#watchers = RESOURCES.map(
      (r) =>
        new ResourceWatcher({
          connection: options.connection,
          path: r.path,
          kind: r.kind,
          apiVersion: r.apiVersion,
          log: options.log,
          onChange: () => this.#changed(),
          ...(options.backoffMs !== undefined && { backoffMs: options.backoffMs }),
        }),
    );
  }

  /** The cluster's policies and exceptions; undefined until every resource was listed once. */
  contribution(): ClusterContribution | undefined {
    if (!this.#watchers.every((w) => w.listed)) return undefined;
    this.#contribution ??= this.#parseAll();
    return this.#contribution;
  }

  /** Changes with every add, update or delete (resourceVersions of the objects served). */
  version(): string {
    return this.#version;
  }

  /** Starts listing and watching; resolves when every resource was listed once (or on close). */
  async start(): Promise<void> {
    await Promise.all(this.#watchers.map((w) => w.start()));
  }

  close(): void {
    for (const w of this.#watchers) w.close();
  }

  /** Each object parsed on its own: one the engines reject is logged and left out. */
  #parseAll(): ClusterContribution {
    const out = emptyContribution();
    const seen = new Set<string>();
    this.#watchers.forEach((watcher, i) => {
      const resource = RESOURCES[i]!;
      for (const [key, object] of watcher.objects) {
        const id = `${resource.kind}/${key}`;
        // By path, not kind: kyverno.io and policies.kyverno.io both have a PolicyException.
        const cacheKey = `${resource.path}${key}`;
        seen.add(cacheKey);
        const resourceVersion = resourceVersionOf(object);
        let entry = this.#parsed.get(cacheKey);
        if (entry?.resourceVersion !== resourceVersion) {
          let parsed = emptyContribution();
          try {
            parsed = parseObject(object, `cluster:${id}`);
          } catch (err) {
            this.#log.write('error', 'cluster policy not loaded', { policy: id, apiVersion: resource.apiVersion, error: errorMessage(err) });
          }
          this.#parsed.set(cacheKey, (entry = { resourceVersion, parsed }));
        }
        out.classic.push(...entry.parsed.classic);
        out.exceptions.push(...entry.parsed.exceptions);
        out.cel.policies.push(...entry.parsed.cel.policies);
        out.cel.exceptions.push(...entry.parsed.cel.exceptions);
      }
    });
    for (const id of this.#parsed.keys()) if (!seen.has(id)) this.#parsed.delete(id);
    return out;
  }

  #changed(): void {
    this.#contribution = undefined;
    const h = createHash('sha256');
    this.#watchers.forEach((watcher, i) => {
      for (const [key, object] of [...watcher.objects].sort(([a], [b]) => (a < b ? -1 : 1))) h.update(`${RESOURCES[i]!.path}${key}\0${resourceVersionOf(object)}\0`);
    });
    this.#version = h.digest('hex').slice(0, 12);
    // Parse now, not on the first request after the change: the log names a rejected object at once.
    if (this.#watchers.every((w) => w.listed)) this.contribution();
  }
}

/**
 * The served set: the files' set with the cluster's ClusterPolicies/Policies added; undefined
 * (not ready) until both have one. Rebuilt only when either changes.
 */
export function withClusterPolicies(files: PolicySource, cluster: ClusterPolicyWatcher): PolicySource {
  let cached: { key: string; set: AdmissionPolicySet } | undefined;
  return {
    current() {
      const fileSet = files.current();
      const fromCluster = cluster.contribution();
      if (!fileSet || !fromCluster) return undefined;
      const key = `${fileSet.version}+${cluster.version()}`;
      if (cached?.key !== key) {
        const cel: CelPolicySet = {
          policies: [...fileSet.mutating.policies, ...fileSet.validating.policies, ...fromCluster.cel.policies],
          bindings: fileSet.validating.bindings,
          exceptions: [...fileSet.validating.exceptions, ...fromCluster.cel.exceptions],
        };
        cached = { key, set: policySet([...fileSet.classic, ...fromCluster.classic], cel, key, { skipped: fileSet.skipped, exceptions: [...fileSet.exceptions, ...fromCluster.exceptions], unevaluated: fileSet.unevaluated }) };
      }
      return cached.set;
    },
  };
}
