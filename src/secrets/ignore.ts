/**
 * What keeps a finding out of a report after detection (detect.go `AddFinding`): `.gitleaksignore`
 * fingerprints and a baseline report (detect/baseline.go `IsNew`).
 */
import { readFileSync } from 'node:fs';
import { fingerprintOf, type SecretFinding } from './finding.ts';
import { SecretsConfigError } from './config.ts';
import { errorMessage } from '../core/errors.ts';

export interface IgnoreList {
  entries: Set<string>;
  /** Lines that are not `file:rule:line` or `commit:file:rule:line` (still honoured, as gitleaks does). */
  invalid: string[];
}

/** Parses a `.gitleaksignore`: one fingerprint per line, `#` comments; Windows separators normalised. */
export function parseGitleaksIgnore(text: string): IgnoreList {
  const entries = new Set<string>();
  const invalid: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const parts = line.split(':');
    if (parts.length === 3) parts[0] = parts[0]!.replaceAll('\\', '/');
    else if (parts.length === 4) parts[1] = parts[1]!.replaceAll('\\', '/');
    else invalid.push(line);
    entries.add(parts.join(':'));
  }
  return { entries, invalid };
}

/** Whether a finding's global (`file:rule:line`) or commit fingerprint is listed. */
export function isIgnoredFinding(f: SecretFinding, list: IgnoreList): boolean {
  if (list.entries.has(`${f.file}:${f.ruleId}:${f.startLine}`)) return true;
  return f.commit !== '' && list.entries.has(fingerprintOf(f));
}

/** A previous gitleaks JSON report: the fields baselines compare. */
export interface BaselineFinding {
  RuleID: string;
  Description: string;
  StartLine: number;
  EndLine: number;
  StartColumn: number;
  EndColumn: number;
  Match: string;
  Secret: string;
  File: string;
  Commit: string;
  Author: string;
  Email: string;
  Date: string;
  Message: string;
  Entropy: number;
}

export function loadBaseline(path: string): BaselineFinding[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SecretsConfigError(`could not open ${path}: ${errorMessage(err)}`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed)) throw new SecretsConfigError(`the format of the file ${path} is not supported (expected a gitleaks JSON report)`);
  return parsed.map((b: Record<string, unknown>) => ({
    RuleID: String(b.RuleID ?? ''),
    Description: String(b.Description ?? ''),
    StartLine: Number(b.StartLine ?? 0),
    EndLine: Number(b.EndLine ?? 0),
    StartColumn: Number(b.StartColumn ?? 0),
    EndColumn: Number(b.EndColumn ?? 0),
    Match: String(b.Match ?? ''),
    Secret: String(b.Secret ?? ''),
    File: String(b.File ?? ''),
    Commit: String(b.Commit ?? ''),
    Author: String(b.Author ?? ''),
    Email: String(b.Email ?? ''),
    Date: String(b.Date ?? ''),
    Message: String(b.Message ?? ''),
    Entropy: Math.fround(Number(b.Entropy ?? 0)),
  }));
}

/**
 * True when the baseline already holds this finding: every field equal (entropy at float32
 * precision), match and secret only compared when nothing is redacted; the fingerprint is
 * deliberately not compared, as in gitleaks.
 */
export function inBaseline(f: SecretFinding, baseline: readonly BaselineFinding[], redact: number): boolean {
  return baseline.some(
    (b) =>
      f.ruleId === b.RuleID &&
      f.description === b.Description &&
      f.startLine === b.StartLine &&
      f.endLine === b.EndLine &&
      f.startColumn === b.StartColumn &&
      f.endColumn === b.EndColumn &&
      (redact > 0 || (f.match === b.Match && f.secret === b.Secret)) &&
      f.file === b.File &&
      f.commit === b.Commit &&
      f.author === b.Author &&
      f.email === b.Email &&
      f.date === b.Date &&
      f.message === b.Message &&
      f.entropy === b.Entropy,
  );
}
