/**
 * gitleaks' report formats (report/json.go, csv.go, sarif.go, junit.go), byte for byte: Go's JSON
 * encoder (one-space indent, HTML-safe escapes, float32 entropy in shortest form), encoding/csv
 * quoting, encoding/xml escaping. A gitleaks JSON report is also what `--baseline-path` reads.
 */
import { shortestFloat32 } from '../core/float32.ts';
import type { SecretFinding } from './finding.ts';

export type GitleaksFormat = 'json' | 'csv' | 'sarif' | 'junit';

export interface ReportTool {
  name: string;
  version: string;
  informationUri: string;
}

/** Rule ids and descriptions for SARIF's rule list, in configuration order. */
export type RuleList = readonly { id: string; description: string }[];

export function renderGitleaksReport(format: GitleaksFormat, findings: readonly SecretFinding[], rules: RuleList, tool: ReportTool): string {
  switch (format) {
    case 'json':
      return goJson(findings.map(findingObject), 1) + '\n';
    case 'csv':
      return renderCsv(findings);
    case 'sarif':
      return goJson(sarifObject(findings, rules, tool), 1) + '\n';
    case 'junit':
      return renderJunit(findings, tool.name);
  }
}

/** The JSON object gitleaks writes for a finding (field order of report.Finding; `Line` is not written). */
function findingObject(f: SecretFinding): Record<string, unknown> {
  return {
    RuleID: f.ruleId,
    Description: f.description,
    StartLine: f.startLine,
    EndLine: f.endLine,
    StartColumn: f.startColumn,
    EndColumn: f.endColumn,
    Match: f.match,
    Secret: f.secret,
    File: f.file,
    SymlinkFile: f.symlinkFile,
    Commit: f.commit,
    ...(f.link && { Link: f.link }),
    Entropy: new Float32(f.entropy),
    Author: f.author,
    Email: f.email,
    Date: f.date,
    Message: f.message,
    Tags: f.tags,
    Fingerprint: f.fingerprint,
  };
}

/* ── CSV ── */

const CSV_COLUMNS = ['RuleID', 'Commit', 'File', 'SymlinkFile', 'Secret', 'Match', 'StartLine', 'EndLine', 'StartColumn', 'EndColumn', 'Author', 'Message', 'Date', 'Email', 'Fingerprint', 'Tags'];

function renderCsv(findings: readonly SecretFinding[]): string {
  if (findings.length === 0) return '';
  const withLink = Boolean(findings[0]!.link);
  const rows = [withLink ? [...CSV_COLUMNS, 'Link'] : CSV_COLUMNS];
  for (const f of findings) {
    const row = [f.ruleId, f.commit, f.file, f.symlinkFile, f.secret, f.match, String(f.startLine), String(f.endLine), String(f.startColumn), String(f.endColumn), f.author, f.message, f.date, f.email, f.fingerprint, f.tags.join(' ')];
    if (withLink) row.push(f.link ?? '');
    rows.push(row);
  }
  return rows.map((r) => r.map(csvField).join(',')).join('\n') + '\n';
}

/** encoding/csv `fieldNeedsQuotes`. */
function csvField(field: string): string {
  if (field === '') return field;
  const quote = field === '\\.' || /[",\r\n]/.test(field) || /^\s/u.test(field);
  return quote ? `"${field.replaceAll('"', '""')}"` : field;
}

/* ── SARIF ── */

function sarifObject(findings: readonly SecretFinding[], rules: RuleList, tool: ReportTool): Record<string, unknown> {
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: tool.name,
            semanticVersion: tool.version,
            informationUri: tool.informationUri,
            rules: rules.map((r) => ({ id: r.id, shortDescription: { text: r.description } })),
          },
        },
        results: findings.map((f) => ({
          message: { text: f.commit ? `${f.ruleId} has detected secret for file ${f.file} at commit ${f.commit}.` : `${f.ruleId} has detected secret for file ${f.file}.` },
          ruleId: f.ruleId,
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: f.symlinkFile || f.file },
                region: { startLine: f.startLine, startColumn: f.startColumn, endLine: f.endLine, endColumn: f.endColumn, snippet: { text: f.secret } },
              },
            },
          ],
          partialFingerprints: { commitSha: f.commit, email: f.email, author: f.author, date: f.date, commitMessage: f.message },
          properties: { tags: f.tags },
        })),
      },
    ],
  };
}

/* ── JUnit ── */

function renderJunit(findings: readonly SecretFinding[], suiteName: string): string {
  const n = String(findings.length);
  let out = '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n';
  out += `\t<testsuite failures="${n}" name="${xmlEscape(suiteName)}" tests="${n}" time="">`;
  for (const f of findings) {
    const message = f.commit
      ? `${f.ruleId} has detected a secret in file ${f.file}, line ${f.startLine}, at commit ${f.commit}.`
      : `${f.ruleId} has detected a secret in file ${f.file}, line ${f.startLine}.`;
    const data = goJson(findingObject(f), '\t');
    out += `\n\t\t<testcase classname="${xmlEscape(f.description)}" file="${xmlEscape(f.file)}" name="${xmlEscape(message)}" time="">`;
    out += `\n\t\t\t<failure message="${xmlEscape(message)}" type="${xmlEscape(f.description)}">${xmlEscape(data)}</failure>`;
    out += '\n\t\t</testcase>';
  }
  out += findings.length > 0 ? '\n\t</testsuite>\n</testsuites>' : '</testsuite>\n</testsuites>';
  return out;
}

/** encoding/xml `EscapeText`. */
function xmlEscape(s: string): string {
  return s.replace(/["'&<>\t\n\r]/g, (c) => XML_ESCAPES[c]!);
}

const XML_ESCAPES: Record<string, string> = { '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;', '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;' };

/* ── Go's JSON encoder ── */

/** A number Go holds as float32 and prints in its shortest float32 form (3.0841837, not 3.084183692932129). */
export class Float32 {
  readonly value: number;
  constructor(value: number) {
    this.value = Math.fround(value);
  }

  toString(): string {
    const v = this.value;
    if (v === 0 || !Number.isFinite(v)) return '0';
    return String(Number(shortestFloat32(v)));
  }

  /** The double that JSON.stringify writes as toString() does (at most nine digits: it round-trips). */
  toJSON(): number {
    return Number(this.toString());
  }
}

/**
 * MarshalIndent-style output: `indent` per level (a count of spaces or a string). JSON.stringify
 * lays values out as MarshalIndent does, and writes \b, \f, \n, \r and \t as Go does since 1.22
 * (current gitleaks releases are built with a later Go); only a few escapes differ, and they are rewritten after: Go
 * escapes <, >, & and U+2028/9 (HTML-safe), and writes a lone surrogate (invalid UTF-8 to Go) as
 * \ufffd. Escaped backslashes are matched whole, so that `\\ud800` stays a backslash and text.
 * Native, it is some ten times faster than writing the text here, which a report of a thousand
 * findings paid at the end of every scan.
 */
export function goJson(value: unknown, indent: number | string): string {
  const json = JSON.stringify(value, null, indent);
  // Each of these is a quick search of the text; the rewrite is one pass where one occurs.
  return GO_ESCAPE_MARKS.some((mark) => json.includes(mark)) ? json.replace(GO_ESCAPES, goEscape) : json;
}

/** What JSON.stringify writes that Go writes otherwise (GO_ESCAPES), or starts it. */
const GO_ESCAPE_MARKS = ['\\ud', '<', '>', '&', '\u2028', '\u2029'];

const GO_ESCAPES = /\\\\|\\ud[89a-f][0-9a-f]{2}|[<>&\u2028\u2029]/g;

const GO_ESCAPE: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

function goEscape(match: string): string {
  if (match.length === 6) return '\\ufffd';
  return GO_ESCAPE[match] ?? match;
}
