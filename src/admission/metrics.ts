/**
 * Prometheus metrics in the text exposition format (version 0.0.4), written by hand: a few labelled
 * counters and one latency histogram do not justify a dependency.
 */

type Labels = Readonly<Record<string, string>>;

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

export class Counter {
  readonly #values = new Map<string, number>();
  readonly name: string;
  readonly help: string;

  constructor(name: string, help: string) {
    this.name = name;
    this.help = help;
  }

  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    this.#values.set(key, (this.#values.get(key) ?? 0) + by);
  }

  /** The value for exactly these labels (0 when never incremented). */
  get(labels: Labels = {}): number {
    return this.#values.get(labelText(labels)) ?? 0;
  }

  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} counter\n`;
    for (const [labels, value] of this.#values) out += `${this.name}${labels} ${value}\n`;
    return out;
  }
}

/** Seconds buckets from 1 ms to 10 s: admission latency is milliseconds when warm, seconds when a registry is slow. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Histogram {
  readonly name: string;
  readonly help: string;
  readonly #buckets: readonly number[];
  readonly #series = new Map<string, { counts: number[]; sum: number; count: number; labels: Labels }>();

  constructor(name: string, help: string, buckets: readonly number[] = LATENCY_BUCKETS) {
    this.name = name;
    this.help = help;
    this.#buckets = buckets;
  }

  observe(value: number, labels: Labels = {}): void {
    const key = labelText(labels);
    let series = this.#series.get(key);
    if (!series) {
      series = { counts: this.#buckets.map(() => 0), sum: 0, count: 0, labels };
      this.#series.set(key, series);
    }
    this.#buckets.forEach((bound, i) => {
      if (value <= bound) series.counts[i] = (series.counts[i] ?? 0) + 1;
    });
    series.sum += value;
    series.count++;
  }

  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} histogram\n`;
    for (const series of this.#series.values()) {
      this.#buckets.forEach((bound, i) => {
        out += `${this.name}_bucket${labelText({ ...series.labels, le: String(bound) })} ${series.counts[i] ?? 0}\n`;
      });
      out += `${this.name}_bucket${labelText({ ...series.labels, le: '+Inf' })} ${series.count}\n`;
      out += `${this.name}_sum${labelText(series.labels)} ${series.sum}\n`;
      out += `${this.name}_count${labelText(series.labels)} ${series.count}\n`;
    }
    return out;
  }
}

/** The webhook's metrics. */
export class AdmissionMetrics {
  readonly requests = new Counter('palisade_admission_requests_total', 'AdmissionReview requests by path and decision (allowed, denied, invalid)');
  readonly decisions = new Counter('palisade_admission_policy_results_total', 'Rule results that changed a decision, by policy, rule and result (deny, warn, audit)');
  readonly latency = new Histogram('palisade_admission_request_duration_seconds', 'Time to answer an AdmissionReview, by path');
  readonly cache = new Counter('palisade_admission_signature_cache_total', 'Signature verification cache lookups by result (hit, miss, coalesced)');
  readonly registryErrors = new Counter('palisade_admission_registry_errors_total', 'Signature verifications that could not complete (registry unreachable, timeout)');
  readonly reloads = new Counter('palisade_admission_policy_reloads_total', 'Policy set reloads after a file change, by result (success; failure keeps the last good set)');

  render(): string {
    return [this.requests, this.decisions, this.latency, this.cache, this.registryErrors, this.reloads].map((m) => m.render()).join('');
  }
}
