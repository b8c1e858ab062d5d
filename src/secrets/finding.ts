/**
 * A secret finding with gitleaks' fields (report/finding.go), so gitleaks reports and baselines
 * can be read and written unchanged, and the fragments findings come from.
 */

export interface CommitInfo {
  sha: string;
  author: string;
  email: string;
  /** RFC 3339, UTC (`2021-11-02T23:37:53Z`), as gitleaks writes it. */
  date: string;
  message: string;
}

/** A piece of text to scan: a file, the added lines of one hunk of a commit, or stdin. */
export interface Fragment {
  raw: string;
  /** The UTF-8 bytes `raw` was decoded from, when at hand: lets the pre-filter skip re-encoding. */
  bytes?: Uint8Array;
  /** `/`-separated, relative to the scan root; '' for stdin. */
  filePath: string;
  symlinkFile?: string;
  /** Line number of the first line of `raw` (1 for a whole file; the hunk's first new line in git mode). */
  startLine: number;
  commit?: CommitInfo;
}

export interface SecretFinding {
  ruleId: string;
  description: string;
  startLine: number;
  endLine: number;
  /**
   * 1-based byte columns as gitleaks computes them: exact on a fragment's first line, one more
   * than the character position on later lines (gitleaks counts from the preceding newline).
   * Kept as is so that gitleaks baselines, which compare columns, keep matching.
   */
  startColumn: number;
  endColumn: number;
  /** The line(s) around the match (not serialised in gitleaks reports). */
  line: string;
  match: string;
  secret: string;
  file: string;
  symlinkFile: string;
  commit: string;
  /** Shannon entropy of the secret, rounded to float32 like gitleaks'. */
  entropy: number;
  author: string;
  email: string;
  date: string;
  message: string;
  tags: string[];
  fingerprint: string;
  link?: string;
}

/** `commit:file:rule:line` in git mode, `file:rule:line` otherwise (detect.go AddFinding). */
export function fingerprintOf(f: Pick<SecretFinding, 'commit' | 'file' | 'ruleId' | 'startLine'>): string {
  return f.commit ? `${f.commit}:${f.file}:${f.ruleId}:${f.startLine}` : `${f.file}:${f.ruleId}:${f.startLine}`;
}

/**
 * report/finding.go `Redact`: with 100 % the secret becomes `REDACTED`; with less, its first
 * (100 - percent) % of bytes are kept, followed by `...`. The match and line are masked too.
 */
export function redactFinding(f: SecretFinding, percent: number): void {
  if (percent <= 0) return;
  const masked = percent >= 100 ? 'REDACTED' : maskSecret(f.secret, percent);
  if (f.secret !== '') {
    f.line = f.line.split(f.secret).join(masked);
    f.match = f.match.split(f.secret).join(masked);
  }
  f.secret = masked;
}

function maskSecret(secret: string, percent: number): string {
  const bytes = Buffer.from(secret, 'utf8');
  if (bytes.length === 0) return secret;
  const keep = roundHalfEven((bytes.length * (100 - Math.min(percent, 100))) / 100);
  return bytes.subarray(0, keep).toString('utf8') + '...';
}

function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
