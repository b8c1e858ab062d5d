/**
 * Severity of an advisory: the CVSS base score computed from the vector (ae-cvss-calculator,
 * FIRST's formulas for v2, v3.0, v3.1 and v4.0), mapped to Trivy's scale; the ecosystem's own
 * rating (GHSA `database_specific.severity`, Ubuntu priority) when there is no usable vector;
 * UNKNOWN otherwise. A malformed vector is reported, never fatal.
 */
import cvss from 'ae-cvss-calculator';
import type { Severity } from '../core/types.ts';
import type { OsvRecord, OsvSeverity } from './osv/record.ts';

export interface CvssScore {
  version: '2.0' | '3.0' | '3.1' | '4.0';
  vector: string;
  score: number;
}

export interface SeverityRating {
  severity: Severity;
  /** The CVSS score the severity came from, if any. */
  cvss?: CvssScore;
  /** Every vector that could be scored (a finding shows them all). */
  all: CvssScore[];
  /** Where the severity came from: `cvss`, `ghsa`, `ubuntu`, … or `none`. */
  source: string;
}

const V2_METRICS = ['AV', 'AC', 'Au', 'C', 'I', 'A'];
const V3_METRICS = ['AV', 'AC', 'PR', 'UI', 'S', 'C', 'I', 'A'];
const V4_METRICS = ['AV', 'AC', 'AT', 'PR', 'UI', 'VC', 'VI', 'VA', 'SC', 'SI', 'SA'];

/** Advisories share few distinct vectors, and scoring is the costly part of rating: memoised. */
const SCORE_CACHE = new Map<string, CvssScore | { error: string }>();
const SCORE_CACHE_LIMIT = 4096;

/** Scores a vector, or explains why it cannot be scored. */
export function scoreCvss(type: string, vector: string): CvssScore | { error: string } {
  const key = `${type}\0${vector}`;
  const hit = SCORE_CACHE.get(key);
  if (hit) return hit;
  const result = computeCvss(type, vector);
  if (SCORE_CACHE.size >= SCORE_CACHE_LIMIT) SCORE_CACHE.clear();
  SCORE_CACHE.set(key, result);
  return result;
}

function computeCvss(type: string, vector: string): CvssScore | { error: string } {
  const v = vector.trim();
  let version: CvssScore['version'];
  if (type === 'CVSS_V4' || v.startsWith('CVSS:4.0/')) version = '4.0';
  else if (v.startsWith('CVSS:3.1/')) version = '3.1';
  else if (v.startsWith('CVSS:3.0/')) version = '3.0';
  else if (type === 'CVSS_V2') version = '2.0';
  else return { error: `unrecognised CVSS vector ${JSON.stringify(vector)}` };
  const metrics = new Map<string, string>();
  for (const part of v.replace(/^CVSS:\d\.\d\//, '').replace(/^\(|\)$/g, '').split('/')) {
    const [k, val] = part.split(':');
    if (!k || val === undefined) return { error: `malformed CVSS vector ${JSON.stringify(vector)}` };
    metrics.set(k, val);
  }
  const required = version === '2.0' ? V2_METRICS : version === '4.0' ? V4_METRICS : V3_METRICS;
  const missing = required.filter((m) => !metrics.has(m));
  if (missing.length > 0) return { error: `CVSS vector ${JSON.stringify(vector)} lacks base metrics ${missing.join(', ')}` };
  try {
    const calc =
      version === '2.0'
        ? new cvss.Cvss2(v)
        : version === '3.0'
          ? new cvss.Cvss3P0(v)
          : version === '3.1'
            ? new cvss.Cvss3P1(v)
            : new cvss.Cvss4P0(v);
    const score = calc.calculateScores().base;
    if (typeof score !== 'number' || Number.isNaN(score)) return { error: `CVSS vector ${JSON.stringify(vector)} could not be scored` };
    return { version, vector: v, score };
  } catch {
    return { error: `CVSS vector ${JSON.stringify(vector)} could not be scored` };
  }
}

/** Trivy's scale: v3/v4 0.1–3.9 LOW, 4.0–6.9 MEDIUM, 7.0–8.9 HIGH, 9.0–10 CRITICAL; v2 has no CRITICAL. */
export function severityOfScore(score: CvssScore): Severity {
  const s = score.score;
  if (s === 0) return 'LOW';
  if (score.version === '2.0') return s >= 7 ? 'HIGH' : s >= 4 ? 'MEDIUM' : 'LOW';
  return s >= 9 ? 'CRITICAL' : s >= 7 ? 'HIGH' : s >= 4 ? 'MEDIUM' : 'LOW';
}

/** Which vector decides: v3.x first (what NVD, GHSA and Trivy show), then v4.0, then v2. */
const PREFERENCE: CvssScore['version'][] = ['3.1', '3.0', '4.0', '2.0'];

const GHSA_SEVERITY: Record<string, Severity> = { CRITICAL: 'CRITICAL', HIGH: 'HIGH', MODERATE: 'MEDIUM', MEDIUM: 'MEDIUM', LOW: 'LOW' };
const UBUNTU_PRIORITY: Record<string, Severity> = { critical: 'CRITICAL', high: 'HIGH', medium: 'MEDIUM', low: 'LOW', negligible: 'LOW', untriaged: 'UNKNOWN' };

/**
 * Rates one advisory for one affected entry: per-package severities override the record's
 * (OSV allows both). `warnings` collects vectors that could not be scored.
 */
export function rateAdvisory(record: OsvRecord, entrySeverity: OsvSeverity[] = [], warnings: string[] = []): SeverityRating {
  const severities = entrySeverity.length > 0 ? entrySeverity : record.severity;
  const scores: CvssScore[] = [];
  let ubuntu: Severity | undefined;
  for (const s of severities) {
    if (s.type === 'Ubuntu') {
      ubuntu = UBUNTU_PRIORITY[s.score.toLowerCase()];
      continue;
    }
    if (!s.type.startsWith('CVSS_')) continue;
    const result = scoreCvss(s.type, s.score);
    if ('error' in result) warnings.push(`${record.id}: ${result.error}`);
    else scores.push(result);
  }
  const best = PREFERENCE.map((v) => scores.find((s) => s.version === v)).find((s) => s !== undefined);
  if (best) return { severity: severityOfScore(best), cvss: best, all: scores, source: 'cvss' };
  const ghsa = record.database_specific?.severity;
  if (typeof ghsa === 'string' && GHSA_SEVERITY[ghsa.toUpperCase()]) {
    return { severity: GHSA_SEVERITY[ghsa.toUpperCase()]!, all: scores, source: 'ghsa' };
  }
  if (ubuntu) return { severity: ubuntu, all: scores, source: 'ubuntu' };
  return { severity: 'UNKNOWN', all: scores, source: 'none' };
}
