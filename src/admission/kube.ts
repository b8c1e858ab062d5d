/**
 * The webhook's connection to the Kubernetes API (core/kube-connection.ts): the Pod's service
 * account in a cluster, else a kubeconfig.
 */
import { connectKube, type KubeConnection } from '../core/kube-connection.ts';

/** The webhook's API server and credentials: the in-cluster service account, or a kubeconfig (and context). */
export function kubeConnection(kubeconfig?: string, context?: string): Promise<KubeConnection> {
  return connectKube({ kubeconfig, context, noServer: 'no Kubernetes API server: not in a cluster and the kubeconfig has no current context with a server' });
}
