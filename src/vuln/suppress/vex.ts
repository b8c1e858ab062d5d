/**
 * VEX documents (`--vex FILE`): OpenVEX and CycloneDX VEX, read into one statement model and
 * applied to vulnerability findings.
 *
 * A statement covers a finding when one of its vulnerability ids equals the finding's id or an
 * alias, and one of its product purls covers the finding's package purl (see `purlCovers`).
 * Of the statements covering a finding, the newest wins (its own time, else its document's;
 * statements without any time are older than those with one); equal times go to the later
 * statement in the order the documents were given. not_affected, false_positive, fixed,
 * resolved and resolved_with_pedigree suppress the finding; affected, exploitable,
 * under_investigation and in_triage leave it visible and are returned as decisions so reports
 * can show the status.
 *
 * A document that breaks its format's rules (no vulnerability, an unknown status) is an
 * error; one that is valid but names something Palisade cannot match (a product that is not a
 * purl, a bom-ref that resolves to no purl) yields warnings.
 */
import { PalisadeError } from '../../core/errors.ts';
import type { Finding, InputIssue } from '../../core/types.ts';
import { findingIds, findingPurl, parsePurl, purlCovers, readSuppressionFile, type PurlParts } from './common.ts';

export type VexFormat = 'openvex' | 'cyclonedx';

export interface VexStatement {
  /** The vulnerability id the statement names first. */
  vulnerability: string;
  aliases: string[];
  /** Purls of the packages the statement is about, as written; a purl without version covers every version. */
  products: string[];
  /** As the document writes it: OpenVEX or CycloneDX `analysis.state` vocabulary. */
  status: string;
  /** Whether the status hides the finding. */
  suppresses: boolean;
  justification?: string;
  /** OpenVEX `impact_statement`, CycloneDX `analysis.detail`. */
  impact?: string;
  /** OpenVEX `action_statement`, CycloneDX `analysis.response` or `recommendation`. */
  action?: string;
  /** Milliseconds since the epoch: the statement's time, else its document's. */
  timestamp?: number;
  /** Where the statement is written: `file#/statements/2` (a JSON pointer). */
  source: string;
}

export interface VexDocument {
  path: string;
  format: VexFormat;
  statements: VexStatement[];
  /** Parts of the document that can never match a package. */
  warnings: InputIssue[];
}

/** The statement that decided a finding's VEX status; `suppressed` when that status hides it. */
export interface VexDecision {
  finding: Finding;
  statement: VexStatement;
  suppressed: boolean;
}

const OPENVEX_STATUSES = ['not_affected', 'affected', 'fixed', 'under_investigation'];
const CYCLONEDX_STATES = ['not_affected', 'false_positive', 'resolved', 'resolved_with_pedigree', 'exploitable', 'in_triage'];
const SUPPRESSING = new Set(['not_affected', 'false_positive', 'fixed', 'resolved', 'resolved_with_pedigree']);

export async function loadVex(path: string): Promise<VexDocument> {
  return parseVex(await readSuppressionFile(path, 'VEX document'), path);
}

/** Detect the format of a VEX document's text and read it. */
export function parseVex(text: string, path: string): VexDocument {
  const unsupported = (why: string) =>
    new PalisadeError('UNSUPPORTED_FORMAT', `${path}: ${why}; Palisade reads OpenVEX and CycloneDX VEX (JSON)`);
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    throw unsupported('not a JSON document');
  }
  const root = asRecord(json);
  if (!root) throw unsupported('not a VEX document');
  const context = root['@context'];
  if (typeof context === 'string' && context.startsWith('https://openvex.dev/ns')) return readOpenVex(root, path);
  if (root.bomFormat === 'CycloneDX') {
    if (!Array.isArray(root.vulnerabilities)) throw unsupported('a CycloneDX document without "vulnerabilities" (an SBOM, not VEX)');
    return readCycloneDx(root, path);
  }
  const doc = asRecord(root.document);
  if (doc && (doc.category === 'csaf_vex' || typeof doc.csaf_version === 'string')) throw unsupported('CSAF VEX is not supported');
  throw unsupported('not a VEX document');
}

// ---------------------------------------------------------------------------------------------
// OpenVEX (https://github.com/openvex/spec): v0.2.0, and the earlier form where the
// vulnerability, products and subcomponents are plain strings.

function readOpenVex(root: Record<string, unknown>, path: string): VexDocument {
  const doc: VexDocument = { path, format: 'openvex', statements: [], warnings: [] };
  if (!Array.isArray(root.statements)) throw invalid(path, '', 'OpenVEX document has no "statements" list');
  const docTime = readTime(root.last_updated ?? root.timestamp, doc, '/timestamp');
  root.statements.forEach((raw, i) => {
    const pointer = `/statements/${i}`;
    const s = asRecord(raw);
    if (!s) throw invalid(path, pointer, 'statement is not an object');
    const { name, aliases } = openVexVulnerability(s.vulnerability, path, pointer);
    const status = s.status;
    if (typeof status !== 'string' || !OPENVEX_STATUSES.includes(status)) {
      throw invalid(path, pointer, `status ${JSON.stringify(status)} is not one of ${OPENVEX_STATUSES.join(', ')}`);
    }
    // The spec does not require products (an attestation's subject can stand in), but without
    // them nothing here can match.
    const products = Array.isArray(s.products) ? s.products : [];
    if (products.length === 0) warn(doc, pointer, `statement for ${name} has no products; it cannot match a package`);
    const statement: VexStatement = {
      vulnerability: name,
      aliases,
      products: openVexProducts(products, s.subcomponents, doc, pointer),
      status,
      suppresses: SUPPRESSING.has(status),
      source: `${path}#${pointer}`,
    };
    setText(statement, 'justification', s.justification);
    setText(statement, 'impact', s.impact_statement);
    setText(statement, 'action', s.action_statement);
    const time = readTime(s.last_updated ?? s.timestamp, doc, `${pointer}/timestamp`) ?? docTime;
    if (time !== undefined) statement.timestamp = time;
    doc.statements.push(statement);
  });
  return doc;
}

function openVexVulnerability(value: unknown, path: string, pointer: string): { name: string; aliases: string[] } {
  if (typeof value === 'string' && value.trim() !== '') return { name: value.trim(), aliases: [] };
  const v = asRecord(value);
  const name = v?.name;
  if (typeof name !== 'string' || name.trim() === '') throw invalid(path, pointer, 'statement has no vulnerability name');
  const aliases = Array.isArray(v?.aliases) ? v.aliases.filter((a): a is string => typeof a === 'string') : [];
  return { name: name.trim(), aliases };
}

/**
 * The purls a statement covers. A product with subcomponents is the artifact (an image, an
 * application) that ships them: the statement is about the subcomponents, which are what a
 * finding's package can be. Without subcomponents the product itself is the package.
 */
function openVexProducts(products: unknown[], legacySubcomponents: unknown, doc: VexDocument, pointer: string): string[] {
  const purls: string[] = [];
  products.forEach((product, i) => {
    const own = asRecord(product)?.subcomponents ?? legacySubcomponents;
    const subs = Array.isArray(own) ? own : [];
    if (subs.length === 0) {
      pushPurl(purls, product, doc, `${pointer}/products/${i}`);
      return;
    }
    const where = asRecord(product)?.subcomponents ? `${pointer}/products/${i}/subcomponents` : `${pointer}/subcomponents`;
    subs.forEach((sub, j) => pushPurl(purls, sub, doc, `${where}/${j}`));
  });
  return purls;
}

/** A product or subcomponent: a purl string, or `{@id, identifiers: {purl}}`. */
function pushPurl(purls: string[], component: unknown, doc: VexDocument, pointer: string): void {
  const c = asRecord(component);
  const candidates = [c ? c['@id'] : component, asRecord(c?.identifiers)?.purl];
  const purl = candidates.find((v): v is string => typeof v === 'string' && parsePurl(v) !== undefined);
  if (purl) purls.push(purl);
  else warn(doc, pointer, `product ${JSON.stringify(candidates[0] ?? null)} is not a purl; it cannot match a package`);
}

// ---------------------------------------------------------------------------------------------
// CycloneDX VEX: `vulnerabilities[]` with `analysis` and `affects[].ref`; refs are purls,
// bom-refs of the document's own components, or BOM-Links `urn:cdx:<serial>/<version>#<ref>`.

function readCycloneDx(root: Record<string, unknown>, path: string): VexDocument {
  const doc: VexDocument = { path, format: 'cyclonedx', statements: [], warnings: [] };
  const bomRefs = componentPurls(root);
  const docTime = readTime(asRecord(root.metadata)?.timestamp, doc, '/metadata/timestamp');
  (root.vulnerabilities as unknown[]).forEach((raw, i) => {
    const pointer = `/vulnerabilities/${i}`;
    const v = asRecord(raw);
    if (!v) throw invalid(path, pointer, 'vulnerability is not an object');
    if (typeof v.id !== 'string' || v.id.trim() === '') throw invalid(path, pointer, 'vulnerability has no id');
    const analysis = asRecord(v.analysis);
    if (analysis?.state === undefined) {
      // A vulnerability report (VDR) entry without an assessment says nothing to apply.
      warn(doc, pointer, `${v.id} has no analysis.state; it is not a VEX statement`);
      return;
    }
    const state = analysis.state;
    if (typeof state !== 'string' || !CYCLONEDX_STATES.includes(state)) {
      throw invalid(path, pointer, `analysis.state ${JSON.stringify(state)} is not one of ${CYCLONEDX_STATES.join(', ')}`);
    }
    if (!Array.isArray(v.affects) || v.affects.length === 0) throw invalid(path, pointer, 'vulnerability has no affects');
    const statement: VexStatement = {
      vulnerability: v.id.trim(),
      aliases: Array.isArray(v.references)
        ? v.references.map((r) => asRecord(r)?.id).filter((id): id is string => typeof id === 'string')
        : [],
      products: v.affects.flatMap((a, j) => affectedPurls(asRecord(a), bomRefs, doc, `${pointer}/affects/${j}`)),
      status: state,
      suppresses: SUPPRESSING.has(state),
      source: `${path}#${pointer}`,
    };
    setText(statement, 'justification', analysis.justification);
    setText(statement, 'impact', analysis.detail);
    const response = Array.isArray(analysis.response) ? analysis.response.filter((r) => typeof r === 'string').join(', ') : '';
    setText(statement, 'action', response || v.recommendation);
    const time = readTime(analysis.lastUpdated ?? analysis.firstIssued ?? v.updated ?? v.published, doc, pointer) ?? docTime;
    if (time !== undefined) statement.timestamp = time;
    doc.statements.push(statement);
  });
  return doc;
}

/** bom-ref → purl for every component of the document, nested ones and metadata.component included. */
function componentPurls(root: Record<string, unknown>): Map<string, string> {
  const refs = new Map<string, string>();
  const visit = (component: unknown): void => {
    const c = asRecord(component);
    if (!c) return;
    if (typeof c['bom-ref'] === 'string' && typeof c.purl === 'string') refs.set(c['bom-ref'], c.purl);
    if (Array.isArray(c.components)) c.components.forEach(visit);
  };
  visit(asRecord(root.metadata)?.component);
  if (Array.isArray(root.components)) root.components.forEach(visit);
  return refs;
}

/**
 * The purls one `affects` entry covers. The serial number of a BOM-Link is not checked: the
 * scan may not come from that SBOM, and the element part identifies the package either way.
 * When the ref has no version, exact `versions[].version` values narrow it; ranges are not
 * evaluated, so an entry with only ranges is skipped rather than applied to every version.
 */
function affectedPurls(entry: Record<string, unknown> | undefined, bomRefs: Map<string, string>, doc: VexDocument, pointer: string): string[] {
  const ref = entry?.ref;
  if (typeof ref !== 'string') {
    warn(doc, pointer, 'affects entry has no ref');
    return [];
  }
  const purl = resolveRef(ref, bomRefs);
  const parts = purl === undefined ? undefined : parsePurl(purl);
  if (purl === undefined || parts === undefined) {
    warn(doc, pointer, `ref ${ref} is neither a purl nor the bom-ref of a component with one; it cannot match a package`);
    return [];
  }
  const versions = Array.isArray(entry?.versions) ? entry.versions.map(asRecord) : [];
  if (parts.version !== undefined || versions.length === 0) return [purl];
  const exact = versions.map((v) => v?.version).filter((v): v is string => typeof v === 'string');
  if (exact.length === 0) warn(doc, pointer, `${ref} lists only version ranges, which Palisade does not evaluate; entry skipped`);
  return exact.map((version) => withVersion(purl, version));
}

function resolveRef(ref: string, bomRefs: Map<string, string>): string | undefined {
  const link = /^urn:cdx:[^/#]+\/\d+#(.+)$/.exec(ref);
  const element = link?.[1] ?? ref;
  // The element part of a BOM-Link may be percent-encoded; a purl is already encoded as it is.
  for (const candidate of [element, safeDecode(element)]) {
    if (candidate.startsWith('pkg:')) return candidate;
    const purl = bomRefs.get(candidate);
    if (purl !== undefined) return purl;
  }
  return undefined;
}

/** Insert a version into a purl that has none (before qualifiers and subpath). */
function withVersion(purl: string, version: string): string {
  const end = purl.search(/[?#]/);
  const head = end === -1 ? purl : purl.slice(0, end);
  return `${head}@${encodeURIComponent(version)}${end === -1 ? '' : purl.slice(end)}`;
}

// ---------------------------------------------------------------------------------------------
// Applying statements

interface CompiledStatement {
  statement: VexStatement;
  ids: Set<string>;
  purls: PurlParts[];
}

/**
 * Decide each finding's VEX status from all documents, in the order given. Suppressing
 * statuses set `finding.suppression` unless another source already did; every decision,
 * suppressing or not, is returned in finding order.
 */
export function applyVex(findings: Finding[], docs: VexDocument[]): VexDecision[] {
  const compiled: CompiledStatement[] = docs.flatMap((doc) =>
    doc.statements.map((statement) => ({
      statement,
      ids: new Set([statement.vulnerability, ...statement.aliases].map((id) => id.toUpperCase())),
      purls: statement.products.map(parsePurl).filter((p): p is PurlParts => p !== undefined),
    })),
  );
  const decisions: VexDecision[] = [];
  for (const finding of findings) {
    const purl = findingPurl(finding);
    if (!purl) continue;
    const ids = findingIds(finding);
    let best: VexStatement | undefined;
    for (const c of compiled) {
      if (![...c.ids].some((id) => ids.has(id)) || !c.purls.some((p) => purlCovers(p, purl))) continue;
      // Later in order wins ties, so `>=`.
      if (!best || (c.statement.timestamp ?? -Infinity) >= (best.timestamp ?? -Infinity)) best = c.statement;
    }
    if (!best) continue;
    decisions.push({ finding, statement: best, suppressed: best.suppresses });
    if (best.suppresses) {
      const justification = best.justification ?? best.impact;
      finding.suppression ??= {
        kind: 'vex',
        status: best.status,
        ...(justification === undefined ? {} : { justification }),
        source: best.source,
      };
    }
  }
  return decisions;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function setText(statement: VexStatement, key: 'justification' | 'impact' | 'action', value: unknown): void {
  if (typeof value === 'string' && value.trim() !== '') statement[key] = value.trim();
}

function readTime(value: unknown, doc: VexDocument, pointer: string): number | undefined {
  if (value === undefined) return undefined;
  const time = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(time)) warn(doc, pointer, `timestamp ${JSON.stringify(value)} is not a date; ignored`);
  return Number.isNaN(time) ? undefined : time;
}

function warn(doc: VexDocument, pointer: string, message: string): void {
  doc.warnings.push({ path: `${doc.path}#${pointer}`, message });
}

function invalid(path: string, pointer: string, message: string): PalisadeError {
  return new PalisadeError('PARSE_ERROR', `${path}#${pointer}: ${message}`);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
