/**
 * In-cluster policies: Kyverno ClusterPolicy and Policy objects read and watched through the
 * Kubernetes API (`--watch-cluster-policies`), served together with the --policies files.
 *
 * Each of the two resources is listed and watched (kube-watch.ts: resume, 410 Gone, backoff) with
 * the connection of kube.ts (the Pod's service account in a cluster, else the kubeconfig).
 *
 * Each object is parsed by the classic policy loader on its own; one the engine rejects is logged
 * and left out, and never takes the others down. The set is not ready (`current()` undefined)
 * until both lists have succeeded once.
 */
import { createHash } from 'node:crypto';
import { errorMessage } from '../core/errors.ts';
import { parsePolicies } from '../policy/engine/load.ts';
import type { Policy } from '../policy/engine/types.ts';
import type { KubeConnection } from './kube.ts';
import { ResourceWatcher } from './kube-watch.ts';
import type { StructuredLog } from './log.ts';
import { policySet, type AdmissionPolicySet } from './policy-set.ts';
import type { PolicySource } from './reload.ts';

type Json = Record<string, unknown>;

const RESOURCES = [
  { kind: 'ClusterPolicy', path: '/apis/kyverno.io/v1/clusterpolicies' },
  { kind: 'Policy', path: '/apis/kyverno.io/v1/policies' },
] as const;

export interface ClusterPolicyWatcherOptions {
  connection: KubeConnection;
  log: StructuredLog;
  /** First retry delay after a failure (doubled up to 30 s); default 1 s. */
  backoffMs?: number;
}

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function resourceVersionOf(object: Json): string {
  const meta = isRecord(object.metadata) ? object.metadata : {};
  return typeof meta.resourceVersion === 'string' ? meta.resourceVersion : JSON.stringify(object.spec);
}

export class ClusterPolicyWatcher {
  readonly #log: StructuredLog;
  readonly #watchers: ResourceWatcher[];
  /** Parsed policies by kind/key, reused while the object's resourceVersion stays the same. */
  readonly #parsed = new Map<string, { resourceVersion: string; policy: Policy | undefined }>();
  #policies: Policy[] | undefined;
  #version = '';

  constructor(options: ClusterPolicyWatcherOptions) {
    this.#log = options.log;
    this.#watchers = RESOURCES.map(
      (r) =>
        new ResourceWatcher({
          connection: options.connection,
          path: r.path,
          kind: r.kind,
          apiVersion: 'kyverno.io/v1',
          log: options.log,
          onChange: () => this.#changed(),
          ...(options.backoffMs !== undefined && { backoffMs: options.backoffMs }),
        }),
    );
  }

  /** The policies of the cluster; undefined until both resources were listed once. */
  policies(): readonly Policy[] | undefined {
    if (!this.#watchers.every((w) => w.listed)) return undefined;
    this.#policies ??= this.#parseAll();
    return this.#policies;
  }

  /** Changes with every add, update or delete (resourceVersions of the objects served). */
  version(): string {
    return this.#version;
  }

  /** Starts listing and watching both resources; resolves when both were listed once (or on close). */
  async start(): Promise<void> {
    await Promise.all(this.#watchers.map((w) => w.start()));
  }

  close(): void {
    for (const w of this.#watchers) w.close();
  }

  /** Each object parsed on its own: one the engine rejects is logged and left out. */
  #parseAll(): Policy[] {
    const out: Policy[] = [];
    const seen = new Set<string>();
    this.#watchers.forEach((watcher, i) => {
      const kind = RESOURCES[i]!.kind;
      for (const [key, object] of watcher.objects) {
        const id = `${kind}/${key}`;
        seen.add(id);
        const resourceVersion = resourceVersionOf(object);
        let entry = this.#parsed.get(id);
        if (entry?.resourceVersion !== resourceVersion) {
          let policy: Policy | undefined;
          try {
            policy = parsePolicies(JSON.stringify(object), `cluster:${id}`).policies[0];
          } catch (err) {
            this.#log.write('error', 'cluster policy not loaded', { policy: id, error: errorMessage(err) });
          }
          this.#parsed.set(id, (entry = { resourceVersion, policy }));
        }
        if (entry.policy) out.push(entry.policy);
      }
    });
    for (const id of this.#parsed.keys()) if (!seen.has(id)) this.#parsed.delete(id);
    return out;
  }

  #changed(): void {
    this.#policies = undefined;
    const h = createHash('sha256');
    this.#watchers.forEach((watcher, i) => {
      for (const [key, object] of [...watcher.objects].sort(([a], [b]) => (a < b ? -1 : 1))) h.update(`${RESOURCES[i]!.kind}/${key}\0${resourceVersionOf(object)}\0`);
    });
    this.#version = h.digest('hex').slice(0, 12);
    // Parse now, not on the first request after the change: the log names a rejected object at once.
    if (this.#watchers.every((w) => w.listed)) this.policies();
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
      const clusterPolicies = cluster.policies();
      if (!fileSet || !clusterPolicies) return undefined;
      const key = `${fileSet.version}+${cluster.version()}`;
      if (cached?.key !== key) {
        const cel = { policies: [...fileSet.validating.policies, ...fileSet.mutating.policies], bindings: fileSet.validating.bindings, exceptions: fileSet.validating.exceptions };
        cached = { key, set: policySet([...fileSet.classic, ...clusterPolicies], cel, key, fileSet.skipped, fileSet.exceptions) };
      }
      return cached.set;
    },
  };
}
