/**
 * PolicyReports as Kubernetes API objects (`--policy-reports cluster`), for the webhook running in
 * a cluster.
 *
 * Every replica sees only the requests routed to it, so each writes its own reports, named with a
 * replica suffix (`merged-<replica>`, `<policy>-<replica>`; the replica is $POD_NAME, else the host
 * name) and labelled `app.kubernetes.io/managed-by: palisade-admission` and
 * `palisade.dev/replica: <replica>`; writing one shared name would let replicas erase each other's
 * results. Owner references cannot tie them to the replica's Pod (a report lives in the resource's
 * namespace or at cluster scope, and Kubernetes only accepts owners in the same namespace), so the
 * reports of a replica that is gone stay until deleted by label.
 *
 * A write is an unconditional PUT, and a POST when the report does not exist yet (RBAC: `create`
 * and `update` on policyreports and clusterpolicyreports). A report that became empty is written
 * empty rather than deleted, so no `delete` permission is needed.
 */
import { hostname } from 'node:os';
import { kubeJson, KubeHttpError, type KubeConnection } from '../core/kube-connection.ts';
import type { ReportSink } from './reports.ts';
import { REPORT_API_VERSION, summarize, type PolicyReport } from '../policy/report/policy-report.ts';

export const MANAGED_BY = 'palisade-admission';

export interface ApiReportSinkOptions {
  connection: KubeConnection;
  /** This replica's name; default $POD_NAME, else the host name (a Pod's host name is its name). */
  replica?: string;
  /** Per request; default 10 s. */
  timeoutMs?: number;
}

/** A report as written to the API: the builder's report with an object name and labels. */
type ReportObject = Omit<PolicyReport, 'metadata'> & { metadata: PolicyReport['metadata'] & { labels: Record<string, string> } };

function pathOf(report: PolicyReport): string {
  const base = `/apis/${REPORT_API_VERSION}`;
  return report.kind === 'ClusterPolicyReport' ? `${base}/clusterpolicyreports/${report.metadata.name}` : `${base}/namespaces/${report.metadata.namespace}/policyreports/${report.metadata.name}`;
}

/** A DNS-1123 subdomain name of at most 253 characters. */
function objectName(name: string, replica: string): string {
  const cleaned = `${name}-${replica}`.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return cleaned.slice(0, 253).replace(/[^a-z0-9]+$/, '');
}

/** A label value: at most 63 characters of [A-Za-z0-9_.-], starting and ending alphanumeric. */
function labelValue(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '') || 'unknown';
}

export function apiReportSink(options: ApiReportSinkOptions): ReportSink {
  const replica = options.replica ?? process.env.POD_NAME ?? hostname();
  const timeoutMs = options.timeoutMs ?? 10_000;
  /** Paths written before, so a report that disappeared from the set is emptied. */
  const written = new Map<string, ReportObject>();
  const labels = { 'app.kubernetes.io/managed-by': MANAGED_BY, 'palisade.dev/replica': labelValue(replica) };

  async function put(report: ReportObject): Promise<void> {
    const path = pathOf(report);
    try {
      await kubeJson(options.connection, path, { method: 'PUT', body: report, timeoutMs });
    } catch (err) {
      if (!(err instanceof KubeHttpError && err.status === 404)) throw err;
      await kubeJson(options.connection, path.slice(0, path.lastIndexOf('/')), { method: 'POST', body: report, timeoutMs });
    }
  }

  return {
    target: `${options.connection.server} (replica ${replica})`,
    async write(reports) {
      const current = new Map<string, ReportObject>();
      for (const r of reports) {
        const object: ReportObject = { ...r, metadata: { ...r.metadata, name: objectName(r.metadata.name, replica), labels } };
        current.set(pathOf(object), object);
      }
      for (const [path, old] of written) if (!current.has(path)) current.set(path, { ...old, results: [], summary: summarize([]) });
      const failures: string[] = [];
      for (const report of current.values()) {
        try {
          await put(report);
        } catch (err) {
          failures.push(err instanceof Error ? err.message : String(err));
        }
      }
      written.clear();
      for (const [path, r] of current) if (r.results.length > 0 || r.kind === 'ClusterPolicyReport') written.set(path, r);
      if (failures.length > 0) throw new Error(`${failures.length} of ${current.size} reports not written: ${failures[0]}`);
    },
  };
}
