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
 * Output: a directory gets one YAML file per report (`clusterpolicyreport-merged.yaml`,
 * `policyreport-<namespace>-<policy>.yaml`), each replaced atomically (temp file + rename);
 * `-` writes the reports as one YAML stream to stdout at each flush.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { errorMessage } from '../core/errors.ts';
import { policyKey, type PolicyResponse } from '../policy/engine/types.ts';
import { REPORT_API_VERSION, summarize, toReportResult, type PolicyReport, type PolicyReportResult } from '../policy/report/policy-report.ts';
import type { StructuredLog } from './log.ts';

type Json = Record<string, unknown>;

export interface ReportWriterOptions {
  /** A directory, or `-` for stdout. */
  target: string;
  /** Longest time a recorded result waits before it is written; default 10 s. */
  intervalMs?: number;
  /** Most results kept; those of the least recently admitted resources are dropped beyond it. Default 20,000. */
  maxResults?: number;
  log?: StructuredLog;
  stdout?: NodeJS.WritableStream;
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
  /** Files this writer produced, so a report that became empty is removed. */
  readonly #written = new Set<string>();

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
    this.#writing = this.#writing.then(() => this.#write(reports)).catch((err: unknown) => this.#options.log?.write('error', 'cannot write policy reports', { target: this.#options.target, error: errorMessage(err) }));
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

  async #write(reports: PolicyReport[]): Promise<void> {
    const { target } = this.#options;
    if (target === '-') {
      (this.#options.stdout ?? process.stdout).write(reports.map((r) => `---\n${stringify(r)}`).join(''));
      return;
    }
    await mkdir(target, { recursive: true });
    const files = new Set<string>();
    for (const report of reports) {
      const name = report.kind === 'ClusterPolicyReport' ? `clusterpolicyreport-${report.metadata.name}.yaml` : `policyreport-${report.metadata.namespace}-${report.metadata.name}.yaml`;
      files.add(name);
      const temp = join(target, `.${name}.tmp`);
      await writeFile(temp, stringify(report));
      await rename(temp, join(target, name));
    }
    for (const old of this.#written) if (!files.has(old)) await rm(join(target, old), { force: true });
    this.#written.clear();
    for (const f of files) this.#written.add(f);
  }
}
