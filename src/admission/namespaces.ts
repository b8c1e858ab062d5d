/**
 * Namespace labels for policies' namespaceSelector. An AdmissionRequest names the namespace but
 * carries none of its labels, and a selector matched against no labels silently skips the policy —
 * a webhook failing open on exactly the namespaces a team meant to protect. So:
 *
 * - with API access (`--watch-cluster-policies`), Namespaces are listed and watched and their labels
 *   are the real ones;
 * - without it, or for a namespace not seen yet, the label the API server itself puts on every
 *   namespace, `kubernetes.io/metadata.name: <name>`, which selectors by name rely on.
 */
import type { KubeConnection } from '../core/kube-connection.ts';
import { ResourceWatcher } from './kube-watch.ts';
import type { StructuredLog } from './log.ts';

export type NamespaceLabels = (namespace: string) => Record<string, string>;

/** The labels every namespace has (set by the API server, not forgeable by namespace editors). */
export function builtinNamespaceLabels(namespace: string): Record<string, string> {
  return { 'kubernetes.io/metadata.name': namespace };
}

export class NamespaceWatcher {
  readonly #watcher: ResourceWatcher;

  constructor(options: { connection: KubeConnection; log: StructuredLog; backoffMs?: number }) {
    this.#watcher = new ResourceWatcher({
      connection: options.connection,
      path: '/api/v1/namespaces',
      kind: 'Namespace',
      apiVersion: 'v1',
      log: options.log,
      ...(options.backoffMs !== undefined && { backoffMs: options.backoffMs }),
    });
  }

  get listed(): boolean {
    return this.#watcher.listed;
  }

  start(): Promise<void> {
    return this.#watcher.start();
  }

  close(): void {
    this.#watcher.close();
  }

  /** The namespace's labels as the cluster has them (always with the built-in name label). */
  labels: NamespaceLabels = (namespace) => {
    const metadata = this.#watcher.objects.get(`/${namespace}`)?.metadata as { labels?: Record<string, unknown> } | undefined;
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(metadata?.labels ?? {})) if (typeof v === 'string') labels[k] = v;
    return { ...labels, ...builtinNamespaceLabels(namespace) };
  };
}
