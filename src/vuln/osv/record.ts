/**
 * The OSV schema (https://ossf.github.io/osv-schema/), as Palisade reads it. Records come from
 * outside (feeds, files), so `readOsvRecord` checks every field once at the boundary and reports
 * each bad field by its path; the rest of the code then works on typed values.
 */

export interface OsvSeverity {
  type: string;
  score: string;
}

export type OsvEvent = { introduced: string } | { fixed: string } | { last_affected: string } | { limit: string };

export interface OsvRange {
  type: 'SEMVER' | 'ECOSYSTEM' | 'GIT' | string;
  repo?: string;
  events: OsvEvent[];
}

export interface OsvAffected {
  package?: { ecosystem: string; name: string; purl?: string };
  ranges: OsvRange[];
  versions: string[];
  severity: OsvSeverity[];
  ecosystem_specific?: Record<string, unknown>;
  database_specific?: Record<string, unknown>;
}

export interface OsvRecord {
  id: string;
  modified: string;
  published?: string;
  withdrawn?: string;
  aliases: string[];
  upstream: string[];
  related: string[];
  summary?: string;
  details?: string;
  severity: OsvSeverity[];
  affected: OsvAffected[];
  references: { type: string; url: string }[];
  database_specific?: Record<string, unknown>;
}

export class OsvRecordError extends Error {
  readonly fields: string[];

  constructor(fields: string[]) {
    super(`invalid OSV record: ${fields.join('; ')}`);
    this.name = 'OsvRecordError';
    this.fields = fields;
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates and narrows one parsed JSON value into an OsvRecord. Fatal problems (no id, no
 * modified, wrong top-level types) throw OsvRecordError listing every bad field. Problems
 * confined to one event or entry drop just that part and are returned as `warnings`.
 */
export function readOsvRecord(value: unknown): { record: OsvRecord; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  if (!isObj(value)) throw new OsvRecordError(['(root): not a JSON object']);
  const str = (v: unknown, path: string, required: boolean): string | undefined => {
    if (v === undefined || v === null) {
      if (required) errors.push(`${path}: missing`);
      return undefined;
    }
    if (typeof v !== 'string') {
      errors.push(`${path}: not a string`);
      return undefined;
    }
    return v;
  };
  const strList = (v: unknown, path: string): string[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      errors.push(`${path}: not an array`);
      return [];
    }
    return v.filter((x, i) => {
      if (typeof x === 'string') return true;
      warnings.push(`${path}[${i}]: not a string, ignored`);
      return false;
    });
  };
  const severities = (v: unknown, path: string): OsvSeverity[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      warnings.push(`${path}: not an array, ignored`);
      return [];
    }
    return v.flatMap((s, i) =>
      isObj(s) && typeof s.type === 'string' && typeof s.score === 'string'
        ? [{ type: s.type, score: s.score }]
        : (warnings.push(`${path}[${i}]: needs string type and score, ignored`), []),
    );
  };

  const id = str(value.id, 'id', true);
  const modified = str(value.modified, 'modified', true);
  const record: OsvRecord = {
    id: id ?? '',
    modified: modified ?? '',
    aliases: strList(value.aliases, 'aliases'),
    upstream: strList(value.upstream, 'upstream'),
    related: strList(value.related, 'related'),
    severity: severities(value.severity, 'severity'),
    affected: [],
    references: [],
  };
  const published = str(value.published, 'published', false);
  if (published) record.published = published;
  const withdrawn = str(value.withdrawn, 'withdrawn', false);
  if (withdrawn) record.withdrawn = withdrawn;
  const summary = str(value.summary, 'summary', false);
  if (summary) record.summary = summary;
  const details = str(value.details, 'details', false);
  if (details) record.details = details;
  if (isObj(value.database_specific)) record.database_specific = value.database_specific;

  if (Array.isArray(value.references)) {
    value.references.forEach((r, i) => {
      if (isObj(r) && typeof r.url === 'string') record.references.push({ type: typeof r.type === 'string' ? r.type : 'WEB', url: r.url });
      else warnings.push(`references[${i}]: needs a url, ignored`);
    });
  }

  if (value.affected !== undefined && !Array.isArray(value.affected)) errors.push('affected: not an array');
  else {
    (value.affected ?? []).forEach((a: unknown, i: number) => {
      const path = `affected[${i}]`;
      if (!isObj(a)) {
        warnings.push(`${path}: not an object, ignored`);
        return;
      }
      const entry: OsvAffected = {
        ranges: [],
        versions: strList(a.versions, `${path}.versions`),
        severity: severities(a.severity, `${path}.severity`),
      };
      if (isObj(a.package)) {
        const p = a.package;
        if (typeof p.ecosystem === 'string' && typeof p.name === 'string') {
          entry.package = { ecosystem: p.ecosystem, name: p.name, ...(typeof p.purl === 'string' && { purl: p.purl }) };
        } else warnings.push(`${path}.package: needs string ecosystem and name`);
      }
      if (isObj(a.ecosystem_specific)) entry.ecosystem_specific = a.ecosystem_specific;
      if (isObj(a.database_specific)) entry.database_specific = a.database_specific;
      if (Array.isArray(a.ranges)) {
        a.ranges.forEach((r: unknown, j: number) => {
          const rpath = `${path}.ranges[${j}]`;
          if (!isObj(r) || typeof r.type !== 'string' || !Array.isArray(r.events)) {
            warnings.push(`${rpath}: needs a type and an events array, ignored`);
            return;
          }
          const events: OsvEvent[] = [];
          r.events.forEach((e: unknown, k: number) => {
            const event = readEvent(e);
            if (event) events.push(event);
            else warnings.push(`${rpath}.events[${k}]: needs exactly one of introduced/fixed/last_affected/limit as a string, ignored`);
          });
          entry.ranges.push({ type: r.type, ...(typeof r.repo === 'string' && { repo: r.repo }), events });
        });
      }
      record.affected.push(entry);
    });
  }
  if (errors.length > 0) throw new OsvRecordError(errors);
  return { record, warnings };
}

const EVENT_KEYS = ['introduced', 'fixed', 'last_affected', 'limit'] as const;

function readEvent(e: unknown): OsvEvent | undefined {
  if (!isObj(e)) return undefined;
  const keys = EVENT_KEYS.filter((k) => e[k] !== undefined);
  if (keys.length !== 1) return undefined;
  const key = keys[0]!;
  const v = e[key];
  if (typeof v !== 'string') return undefined;
  return { [key]: v } as OsvEvent;
}
