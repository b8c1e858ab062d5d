/**
 * Reads a provenance file in the forms builders publish it:
 *  - a Sigstore bundle (`.sigstore`, `.build.slsa`, GitHub artifact attestations, v0.1–v0.3);
 *  - a DSSE envelope, or several as JSON lines (slsa-github-generator's `.intoto.jsonl`), possibly
 *    with the signing certificate inside each signature (`cert`: the generators before v1.10);
 *  - a bare in-toto statement (unsigned);
 *  - npm's attestations document (`{"attestations": [{predicateType, bundle}]}`, the registry's
 *    `dist.attestations.url`): the SLSA provenance bundle and the npm publish attestation;
 *  - `gcloud artifacts docker images describe --show-provenance` output (Google Cloud Build).
 */
import { ProvenanceError } from './errors.ts';
import { isRecord } from '../../core/json.ts';

export type ProvenanceDocument =
  | { kind: 'bundle'; bundles: unknown[] }
  | { kind: 'envelope'; envelopes: Record<string, unknown>[] }
  | { kind: 'statement'; statement: unknown }
  | { kind: 'npm'; provenance: unknown; publish?: unknown }
  | { kind: 'gcb'; document: Record<string, unknown> };

export const NPM_PUBLISH_PREDICATE = 'https://github.com/npm/attestation/tree/main/specs/publish/v0.1';

export function loadProvenance(input: string | Uint8Array): ProvenanceDocument {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
  const values = parseJsonOrLines(text);
  const kinds = values.map(kindOf);
  const first = kinds[0];
  if (values.length > 1) {
    // JSON lines hold one kind of thing: several envelopes or several bundles.
    if (kinds.every((k) => k === 'envelope')) return { kind: 'envelope', envelopes: values as Record<string, unknown>[] };
    if (kinds.every((k) => k === 'bundle')) return { kind: 'bundle', bundles: values };
    throw new ProvenanceError('MALFORMED_PROVENANCE', 'the JSON lines are not all DSSE envelopes or all Sigstore bundles');
  }
  const value = values[0] as Record<string, unknown>;
  switch (first) {
    case 'bundle':
      return { kind: 'bundle', bundles: [value] };
    case 'envelope':
      return { kind: 'envelope', envelopes: [value] };
    case 'statement':
      return { kind: 'statement', statement: value };
    case 'npm':
      return npmDocument(value);
    case 'gcb':
      return { kind: 'gcb', document: value };
    default:
      throw new ProvenanceError(
        'MALFORMED_PROVENANCE',
        'not a provenance: expected a Sigstore bundle, a DSSE envelope (or JSON lines of them), an in-toto statement, ' +
          "npm's attestations or gcloud's provenance output",
      );
  }
}

type Kind = 'bundle' | 'envelope' | 'statement' | 'npm' | 'gcb' | undefined;

function kindOf(value: unknown): Kind {
  if (!isRecord(value)) return undefined;
  if (typeof value.mediaType === 'string' && value.mediaType.startsWith('application/vnd.dev.sigstore.bundle')) return 'bundle';
  if ('payloadType' in value && 'payload' in value) return 'envelope';
  if ('_type' in value && 'predicateType' in value) return 'statement';
  if (Array.isArray(value.attestations)) return 'npm';
  if (typeof value.provenance_summary === 'object' && value.provenance_summary !== null) return 'gcb';
  return undefined;
}

function parseJsonOrLines(text: string): unknown[] {
  try {
    return [JSON.parse(text)];
  } catch {
    const lines = text.split('\n').filter((line) => line.trim() !== '');
    if (lines.length < 2) throw new ProvenanceError('MALFORMED_PROVENANCE', 'the provenance is not valid JSON');
    return lines.map((line, i) => {
      try {
        return JSON.parse(line) as unknown;
      } catch {
        throw new ProvenanceError('MALFORMED_PROVENANCE', `line ${i + 1} of the provenance is not valid JSON`);
      }
    });
  }
}

function npmDocument(value: Record<string, unknown>): ProvenanceDocument {
  const attestations = (value.attestations as unknown[]).filter(isRecord);
  const provenance = attestations.find((a) => typeof a.predicateType === 'string' && a.predicateType.startsWith('https://slsa.dev/provenance/'));
  if (!provenance) throw new ProvenanceError('MALFORMED_PROVENANCE', 'the npm attestations hold no SLSA provenance');
  const publish = attestations.find((a) => a.predicateType === NPM_PUBLISH_PREDICATE);
  const document: ProvenanceDocument = { kind: 'npm', provenance: provenance.bundle };
  if (publish) document.publish = publish.bundle;
  return document;
}
