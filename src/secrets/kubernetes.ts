/**
 * Kubernetes Secret manifests: every non-empty value under `data` (base64, decoded here) or
 * `stringData` (plain) of a `kind: Secret` document, with its place in the file. The detector
 * reports each one under the `kubernetes-secret-manifest` rule and scans the decoded text with the
 * other rules, so an AWS key hidden in base64 is found as an AWS key.
 */
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import type { Pair } from 'yaml';

let yaml: typeof Yaml | undefined;

/** The YAML parser, loaded when a Secret manifest first turns up (most scans have none). */
function loadYaml(): typeof Yaml {
  yaml ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return yaml;
}

export const SECRET_MANIFEST_RULE = 'kubernetes-secret-manifest';

export interface ManifestValue {
  /** The key under data/stringData. */
  key: string;
  /** Offsets of the value in the file (UTF-16 units). */
  start: number;
  end: number;
  /** The value as written. */
  text: string;
  /** The base64-decoded value (data only, when it decodes to text). */
  decoded?: string;
}

/** Values that only stand in for a secret supplied at deploy time. */
const PLACEHOLDER = /^(?:\{\{.*\}\}|\$\{[^}]*\}|\$\([^)]*\)|<[^>]*>|%[A-Za-z_]+%)$/s;

export function analyzeSecretManifests(text: string): ManifestValue[] {
  const { isMap, parseAllDocuments } = loadYaml();
  let docs;
  try {
    docs = parseAllDocuments(text, { keepSourceTokens: false, uniqueKeys: false });
  } catch {
    return [];
  }
  const out: ManifestValue[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    const root = doc.contents;
    if (!isMap(root)) continue;
    if (root.get('kind') !== ('Secret' as unknown)) continue;
    for (const section of ['data', 'stringData'] as const) {
      const map = root.get(section, true);
      if (!isMap(map)) continue;
      for (const pair of map.items as Pair[]) {
        const value = valueOf(pair, text, section === 'data');
        if (value) out.push(value);
      }
    }
  }
  return out;
}

function valueOf(pair: Pair, text: string, base64: boolean): ManifestValue | undefined {
  const { isScalar } = loadYaml();
  const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
  const node = pair.value;
  if (key === undefined || !isScalar(node) || !node.range) return undefined;
  const raw = node.value === null || node.value === undefined ? '' : String(node.value).trim();
  if (raw === '' || PLACEHOLDER.test(raw)) return undefined;
  const [start, end] = node.range;
  const value: ManifestValue = { key, start, end: Math.min(end, text.length), text: raw };
  if (base64) {
    const decoded = decodeBase64Text(raw);
    if (decoded !== undefined) {
      if (decoded.trim() === '') return undefined;
      value.decoded = decoded;
    }
  }
  return value;
}

/** Strict base64 (standard alphabet, optional padding, whitespace ignored) that decodes to UTF-8 text. */
export function decodeBase64Text(value: string): string | undefined {
  const compact = value.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) return undefined;
  const bytes = Buffer.from(compact, 'base64');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
