/**
 * `palisade ci audit` as a library: reads CI files, runs every audit on each, applies
 * configuration and inline suppressions, and assesses each workflow against the SLSA build
 * track. One unreadable file becomes an InputIssue; the others are still audited.
 */
import { readFileSync } from 'node:fs';
import { ParseError, errorMessage } from '../core/errors.ts';
import type { InputIssue } from '../core/types.ts';
import { GITHUB_AUDITS } from './audits/index.ts';
import type { AuditContext } from './audits/audit.ts';
import { defaultConfig, ignoredByConfig, type CiConfig } from './config.ts';
import { discover, isDirectory, kindOfContent, kindOfPath, type CiFile, type CiFileKind } from './discover.ts';
import { Reporter, personaRank, severityRank, type CiFinding, type CiSeverity, type Persona } from './findings.ts';
import { auditGitlab, gitlabLocalIncludes } from './gitlab.ts';
import { parseAction, parseDependabot, parseWorkflow, type CiDocument, type Workflow } from './model.ts';
import { scorecard, type ScorecardCheck } from './scorecard.ts';
import { assessWorkflow, type SlsaAssessment } from './slsa.ts';
import { anchorNote, validateDocument } from './validate.ts';
import { loadYaml, type SourceFile } from './yaml.ts';

export interface AuditOptions {
  persona?: Persona;
  config?: CiConfig;
  /** Keep findings suppressed by inline comments or config ignores (marked `suppressed`). */
  showSuppressed?: boolean;
  /** Ignore `# palisade: ignore[…]` / `# zizmor: ignore[…]` comments. */
  noInlineIgnores?: boolean;
}

export interface AuditedFile {
  path: string;
  kind: CiFileKind;
}

export interface CiReport {
  files: AuditedFile[];
  /** Findings for the persona, sorted by path and position; suppressed ones only with showSuppressed. */
  findings: CiFinding[];
  /** How many findings the persona hid and how many were suppressed. */
  hidden: { persona: number; suppressed: number };
  /** Files that could not be audited (unreadable, invalid YAML, not a CI file). */
  issues: InputIssue[];
  /** Files audited with caveats: unknown keys, expressions that do not parse. */
  warnings: InputIssue[];
  slsa: SlsaAssessment[];
  /** OpenSSF Scorecard's workflow checks over the audited workflows. */
  scorecard: ScorecardCheck[];
}

export interface AuditedDocument {
  file: SourceFile;
  kind: CiFileKind;
  doc?: CiDocument;
  findings: CiFinding[];
  warnings: InputIssue[];
}

/** Parses one file and runs every audit that applies to its kind. Throws ParseError for unreadable input. */
export function auditDocument(path: string, text: string, kind: CiFileKind, options: AuditOptions = {}): AuditedDocument {
  const config = options.config ?? defaultConfig();
  const persona = options.persona ?? 'regular';
  const file = loadYaml(path, text, kind === 'gitlab');
  const reporter = new Reporter(file);
  const ctx: AuditContext = { file, reporter, config, persona };
  // Blank or comment-only files (a disabled workflow kept for reference) have nothing to audit.
  if (file.doc.contents === null) return { file, kind, findings: [], warnings: [{ path, line: 1, message: 'empty document: nothing to audit' }] };
  if (kind === 'gitlab') {
    auditGitlab(file, ctx);
    const note = anchorNote(file);
    return { file, kind, findings: reporter.findings, warnings: note ? [note] : [] };
  }
  const doc = kind === 'workflow' ? parseWorkflow(file) : kind === 'action' ? parseAction(file) : parseDependabot(file);
  for (const audit of GITHUB_AUDITS) {
    if (doc.kind === 'workflow') audit.workflow?.(doc, ctx);
    if (doc.kind === 'action') audit.action?.(doc, ctx);
    if (doc.kind === 'dependabot') audit.dependabot?.(doc, ctx);
    audit.raw?.(doc, ctx);
  }
  const note = anchorNote(file);
  return { file, kind, doc, findings: reporter.findings, warnings: [...validateDocument(doc), ...(note ? [note] : [])] };
}

function compareFindings(a: CiFinding, b: CiFinding): number {
  return (
    (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) ||
    a.start.line - b.start.line ||
    a.start.column - b.start.column ||
    (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0) ||
    (a.message < b.message ? -1 : a.message > b.message ? 1 : 0)
  );
}

/** Audits a list of files (already classified); the heart of `auditPath`. */
export function auditFiles(files: CiFile[], options: AuditOptions = {}): CiReport {
  const config = options.config ?? defaultConfig();
  const persona = options.persona ?? 'regular';
  const report: CiReport = { files: [], findings: [], hidden: { persona: 0, suppressed: 0 }, issues: [], warnings: [], slsa: [], scorecard: [] };
  const workflows: Workflow[] = [];
  const queue = [...files];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const f = queue.shift()!;
    if (seen.has(f.abs)) continue;
    seen.add(f.abs);
    let text: string;
    try {
      text = readFileSync(f.abs, 'utf8');
    } catch (err) {
      report.issues.push({ path: f.path, message: `cannot read: ${errorMessage(err)}` });
      continue;
    }
    let audited: AuditedDocument;
    try {
      audited = auditDocument(f.path, text, f.kind, options);
    } catch (err) {
      if (err instanceof ParseError) report.issues.push({ path: f.path, ...(err.line !== undefined && { line: err.line }), message: err.message });
      // A bug tripped by one odd file must not hide the findings of the others.
      else report.issues.push({ path: f.path, message: `internal error while auditing (please report): ${errorMessage(err)}` });
      continue;
    }
    report.files.push({ path: f.path, kind: f.kind });
    report.warnings.push(...audited.warnings);
    if (f.kind === 'gitlab') queue.push(...gitlabLocalIncludes(audited.file, f));
    if (audited.doc?.kind === 'workflow') {
      workflows.push(audited.doc);
      report.slsa.push(assessWorkflow(audited.doc));
    }
    for (const finding of audited.findings) {
      if (config.disabled.has(finding.rule)) continue;
      if (options.noInlineIgnores && finding.suppressed?.kind === 'inline') delete finding.suppressed;
      const ignored = ignoredByConfig(config, finding.rule, finding.path, finding.start.line, finding.start.column);
      if (ignored && !finding.suppressed) finding.suppressed = { kind: 'config', source: `rules.${finding.rule}.ignore` };
      if (personaRank(finding.persona) > personaRank(persona)) {
        report.hidden.persona++;
        continue;
      }
      if (finding.suppressed) {
        report.hidden.suppressed++;
        if (!options.showSuppressed) continue;
      }
      report.findings.push(finding);
    }
  }
  report.findings.sort(compareFindings);
  report.scorecard = scorecard(workflows);
  return report;
}

/**
 * Audits a directory (discovering CI files) or one file (classified by its path, else its
 * content). Throws ParseError when the path holds nothing to audit.
 */
export function auditPath(target: string, options: AuditOptions = {}): CiReport {
  if (isDirectory(target)) return auditFiles(discover(target), options);
  // A YAML file named explicitly is read as a workflow unless its name or content says otherwise,
  // so that a broken one is reported with its line rather than as "not a CI file".
  const kind = kindOfPath(target) ?? kindOfContent(safeRead(target)) ?? (/\.ya?ml$/i.test(target) ? 'workflow' : undefined);
  if (!kind) throw new ParseError(`${target}: not a GitHub Actions workflow, action, Dependabot or GitLab CI file`);
  return auditFiles([{ abs: target, path: target.replace(/\\/g, '/'), kind }], options);
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Findings at or above a severity. */
export function atLeast(findings: CiFinding[], min: CiSeverity): CiFinding[] {
  return findings.filter((f) => severityRank(f.severity) >= severityRank(min));
}
