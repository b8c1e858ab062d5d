/**
 * What ignore rules and VEX statements share: reading the file, matching a finding by its
 * vulnerability ids, and matching a package by purl.
 */
import { readFile } from 'node:fs/promises';
import { PackageURL } from 'packageurl-js';
import { PalisadeError, errorMessage } from '../../core/errors.ts';
import type { Finding } from '../../core/types.ts';

/** Read a suppression file the user named; a missing or unreadable file is a usage error. */
export async function readSuppressionFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new PalisadeError('INPUT_NOT_FOUND', `${what} not found: ${path}`, { cause: err });
    throw new PalisadeError('INPUT_UNREADABLE', `cannot read ${what} ${path}: ${errorMessage(err)}`, { cause: err });
  }
}

/** Every id the finding is known by (primary id and aliases), upper-cased for comparison. */
export function findingIds(finding: Finding): Set<string> {
  const ids = new Set([finding.id.toUpperCase()]);
  for (const alias of finding.vuln?.aliases ?? []) ids.add(alias.toUpperCase());
  // Misconfigurations answer to Trivy's check ids too (`AVD-KSV-0017`, `KSV017`), so .trivyignore files keep working.
  for (const alias of finding.misconfig?.aliases ?? []) ids.add(alias.toUpperCase());
  return ids;
}

/** A purl split into the parts matching compares, each in the canonical form of its type. */
export interface PurlParts {
  type: string;
  namespace?: string;
  name: string;
  version?: string;
  qualifiers: Record<string, string>;
  subpath?: string;
}

/**
 * Types whose names the purl spec declares case-insensitive but packageurl-js keeps as written
 * (it already lower-cases npm, pypi, composer, github and the others it knows).
 */
const CASE_INSENSITIVE_NAMES = new Set(['nuget']);

/** Parse and normalise a purl; undefined when it is not one. */
export function parsePurl(text: string): PurlParts | undefined {
  let purl: PackageURL;
  try {
    purl = PackageURL.fromString(text.trim());
  } catch {
    return undefined;
  }
  const fold = CASE_INSENSITIVE_NAMES.has(purl.type);
  const parts: PurlParts = { type: purl.type, name: fold ? purl.name.toLowerCase() : purl.name, qualifiers: { ...purl.qualifiers } };
  if (purl.namespace) parts.namespace = fold ? purl.namespace.toLowerCase() : purl.namespace;
  if (purl.version) parts.version = purl.version;
  if (purl.subpath) parts.subpath = purl.subpath;
  return parts;
}

/**
 * Whether `pattern` names the package `candidate`: same type, namespace and name; the same
 * version unless the pattern has none (then every version); every qualifier and the subpath
 * the pattern gives must be present in the candidate with the same value.
 */
export function purlCovers(pattern: PurlParts, candidate: PurlParts): boolean {
  if (pattern.type !== candidate.type || pattern.name !== candidate.name) return false;
  if ((pattern.namespace ?? '') !== (candidate.namespace ?? '')) return false;
  if (pattern.version !== undefined && pattern.version !== candidate.version) return false;
  if (pattern.subpath !== undefined && pattern.subpath !== candidate.subpath) return false;
  return Object.entries(pattern.qualifiers).every(([key, value]) => candidate.qualifiers[key] === value);
}

/** The parsed purl of a vulnerability finding's package, if it has one that parses. */
export function findingPurl(finding: Finding): PurlParts | undefined {
  const purl = finding.vuln?.package.purl;
  return purl ? parsePurl(purl) : undefined;
}
