/**
 * Admission results as PolicyReports (wgpolicyk8s.io/v1alpha2), for a webhook running outside a
 * cluster's report machinery (`--policy-reports DIR|-`).
 *
 * Design: the webhook keeps, in memory, the latest result of every validation rule for every
 * resource it admitted (keyed by policy, rule and resource; a DELETE drops the resource's
 * results), and writes the reports at most once per interval and only when something changed —
 * one write per burst of Pod creations, not one per request. Denied requests are not reported
 * (the resource was never stored, and the deny message already went to the user), and dryRun
 * requests are not recorded at all (they must have no side effects). Reports are shaped by the
 * policy engine's builder (src/policy/report): the ClusterPolicyReport `merged` for cluster-wide
 * policies, one PolicyReport per namespaced policy.
 *
 * Output (a ReportSink): a directory gets one YAML file per report
 * (`clusterpolicyreport-merged.yaml`, `policyreport-<namespace>-<policy>.yaml`), each replaced
 * atomically (temp file + rename); a stream (stdout) gets the reports as one YAML stream at each
 * flush; in a cluster they become API objects (report-api.ts).
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { errorMessage } from '../core/errors.ts';
import { policyKey, type PolicyResponse } from '../policy/engine/types.ts';
import { REPORT_API_VERSION, summarize, toReportResult, type PolicyReport, type PolicyReportResult } from '../policy/report/policy-report.ts';
import type { StructuredLog } from './log.ts';

type Json = Record<string, unknown>;

/** Where a flush puts the reports: all of them, as they stand. */
export interface ReportSink {
  /** Names the destination in logs. */
  readonly target: string;
  write(reports: readonly PolicyReport[]): Promise<void>;
}

export interface ReportWriterOptions {
  sink: ReportSink;
  /** Longest time a recorded result waits before it is written; default 10 s. */
  intervalMs?: number;
  /** Most results kept; those of the least recently admitted resources are dropped beyond it. Default 20,000. */
  maxResults?: number;
  log?: StructuredLog;
  now?: () => Date;
}

interface Entry {
  /** `ns/name` of a namespaced policy, '' for cluster-wide ones. */
  report: string;
  namespace?: string;
  policyName: string;
  result: PolicyReportResult;
}

function resourceKey(object: Json): string {
  const meta = (object.metadata ?? {}) as { name?: string; namespace?: string };
  return `${String(object.apiVersion ?? '')}/${String(object.kind ?? '')}/${meta.namespace ?? ''}/${meta.name ?? ''}`;
}

export class PolicyReportWriter {
  readonly #options: ReportWriterOptions;
  /** Latest result by resource, then by policy + rule; Map order is insertion order, so the first resource is the oldest. */
  readonly #entries = new Map<string, Map<string, Entry>>();
  #count = 0;
  #dirty = false;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(options: ReportWriterOptions) {
    this.#options = options;
  }

  /** Records the validation results of one admitted request (CREATE/UPDATE/CONNECT). */
  record(responses: readonly PolicyResponse[]): void {
    for (const response of responses) {
      const key = resourceKey(response.resource.object);
      for (const rule of response.rules) {
        if ((rule.type !== 'Validation' && rule.type !== 'ImageVerify') || rule.status === 'skip') continue;
        let byRule = this.#entries.get(key);
        // Re-inserting keeps the map ordered from least to most recently admitted.
        if (byRule) this.#entries.delete(key);
        this.#entries.set(key, (byRule ??= new Map()));
        const id = `${policyKey(response.policy)}\0${rule.name}`;
        if (!byRule.has(id)) this.#count++;
        byRule.set(id, {
          report: response.policy.namespace ? `${response.policy.namespace}/${response.policy.name}` : '',
          ...(response.policy.namespace && { namespace: response.policy.namespace }),
          policyName: response.policy.name,
          result: toReportResult(response, rule, { ...(this.#options.now && { now: this.#options.now }) }),
        });
        this.#changed();
      }
    }
    this.#evict();
  }

  /** Forgets a deleted resource. */
  forget(object: Json): void {
    const byRule = this.#entries.get(resourceKey(object));
    if (!byRule) return;
    this.#count -= byRule.size;
    this.#entries.delete(resourceKey(object));
    this.#changed();
  }

  /** The reports as they stand. */
  reports(): PolicyReport[] {
    const groups = new Map<string, { namespace?: string; name: string; results: PolicyReportResult[] }>([['', { name: 'merged', results: [] }]]);
    for (const byRule of this.#entries.values()) {
      for (const entry of byRule.values()) {
        let group = groups.get(entry.report);
        if (!group) groups.set(entry.report, (group = { ...(entry.namespace && { namespace: entry.namespace }), name: entry.policyName, results: [] }));
        group.results.push(entry.result);
      }
    }
    return [...groups].map(([key, g]) => ({
      apiVersion: REPORT_API_VERSION,
      kind: key === '' ? 'ClusterPolicyReport' : 'PolicyReport',
      metadata: { name: g.name, ...(g.namespace && { namespace: g.namespace }) },
      results: g.results,
      summary: summarize(g.results),
    }));
  }

  /** Writes pending changes now (shutdown, tests); resolves when written. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#dirty) return this.#writing;
    this.#dirty = false;
    const reports = this.reports();
    const { sink, log } = this.#options;
    this.#writing = this.#writing
      .then(() => sink.write(reports))
      .catch((err: unknown) => {
        log?.write('error', 'cannot write policy reports; retrying after the interval', { target: sink.target, error: errorMessage(err) });
        this.#changed();
      });
    return this.#writing;
  }

  /** Stops the timer after writing what is pending. */
  async close(): Promise<void> {
    await this.flush();
  }

  #changed(): void {
    this.#dirty = true;
    this.#timer ??= setTimeout(() => void this.flush(), this.#options.intervalMs ?? 10_000);
    this.#timer.unref();
  }

  #evict(): void {
    const max = this.#options.maxResults ?? 20_000;
    for (const [key, byRule] of this.#entries) {
      // The most recent resource stays even when it alone exceeds the bound.
      if (this.#count <= max || this.#entries.size === 1) break;
      this.#count -= byRule.size;
      this.#entries.delete(key);
    }
  }
}

/** The reports as one YAML stream per flush (stdout). */
export function streamSink(stream: NodeJS.WritableStream, target = '-'): ReportSink {
  return {
    target,
    write: async (reports) => {
      stream.write(reports.map((r) => `---\n${stringify(r)}`).join(''));
    },
  };
}

/** One YAML file per report in `dir`, each replaced atomically; files of reports that became empty are removed. */
export function directorySink(dir: string): ReportSink {
  const written = new Set<string>();
  return {
    target: dir,
    async write(reports) {
      await mkdir(dir, { recursive: true });
      const files = new Set<string>();
      for (const report of reports) {
        const name = report.kind === 'ClusterPolicyReport' ? `clusterpolicyreport-${report.metadata.name}.yaml` : `policyreport-${report.metadata.namespace}-${report.metadata.name}.yaml`;
        files.add(name);
        const temp = join(dir, `.${name}.tmp`);
        await writeFile(temp, stringify(report));
        await rename(temp, join(dir, name));
      }
      for (const old of written) if (!files.has(old)) await rm(join(dir, old), { force: true });
      written.clear();
      for (const f of files) written.add(f);
    },
  };
}
