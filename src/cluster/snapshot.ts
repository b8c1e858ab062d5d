/**
 * What the audit knows about a cluster: the objects read (from a dump or the API), and for each
 * resource the audit needs whether it was read in full. Every later stage looks at `coverage`
 * before concluding anything from an absence ("no NetworkPolicy") — a list that could not be read
 * is not an empty list.
 *
 * Objects are kept as misconfig `Manifest`s (object + file:line map), so the misconfiguration
 * checks run on them unchanged. Live objects have no file: their `path` is `kind/namespace/name`
 * and their line 0, which renderers leave out.
 */
import type { InputIssue } from '../core/types.ts';
import type { Manifest } from '../misconfig/manifests.ts';
import { RESOURCES, type ResourceName } from './resources.ts';
import { isRecord } from '../core/json.ts';

/**
 * - `ok`: read in full (possibly empty).
 * - `not-served`: the API server does not serve it (404): nothing of that kind can exist.
 * - `forbidden`: 401/403 — the credentials may not list it.
 * - `failed`: any other error (5xx, bad response, timeout).
 * - `unreachable`: the API server could not be reached.
 * - `absent`: an offline dump holds no object of that kind and no file named after it.
 */
export type ListStatus = 'ok' | 'not-served' | 'forbidden' | 'failed' | 'unreachable' | 'absent';

export interface ListCoverage {
  resource: ResourceName;
  status: ListStatus;
  /** Objects read. */
  count: number;
  message?: string;
}

export type SnapshotSource =
  | { kind: 'dump'; path: string; files: number }
  | { kind: 'live'; server: string; context?: string };

export interface Snapshot {
  source: SnapshotSource;
  /** Objects of the audited kinds, in input order. */
  objects: Manifest[];
  coverage: Map<ResourceName, ListCoverage>;
  /** Objects of other kinds in a dump (Ingress, Node, CRDs…): counted, not audited. */
  unknownKinds: Map<string, number>;
  /** Files that could not be read or parsed, objects that were dropped. */
  issues: InputIssue[];
}

/** A list status that leaves what exists unknown. */
export function isComplete(status: ListStatus): boolean {
  return status === 'ok' || status === 'not-served';
}

export function objectsOf(snapshot: Snapshot, ...kinds: string[]): Manifest[] {
  const wanted = new Set(kinds);
  return snapshot.objects.filter((o) => wanted.has(o.kind));
}

/** Resources of `needed` that were not read in full, with their status. */
export function missingOf(snapshot: Snapshot, needed: readonly ResourceName[]): ListCoverage[] {
  return needed.map((r) => snapshot.coverage.get(r) ?? { resource: r, status: 'absent' as const, count: 0 }).filter((c) => !isComplete(c.status));
}

/** Coverage in resource order, for reports. */
export function coverageList(snapshot: Snapshot): ListCoverage[] {
  return RESOURCES.map((r) => snapshot.coverage.get(r.resource) ?? { resource: r.resource, status: 'absent' as const, count: 0 });
}

/** `default` is where the API server puts a namespaced object that names no namespace. */
export const DEFAULT_NAMESPACE = 'default';

/**
 * Keeps what the audit may hold: Secret values are dropped on the spot (only metadata and type
 * are needed), and, when `configMapKeysOnly`, ConfigMap values too (the live audit promises to
 * read names and keys only).
 */
export function redactObject(kind: string, object: Record<string, unknown>, configMapKeysOnly: boolean): Record<string, unknown> {
  if (kind === 'Secret') {
    const { data, stringData, ...rest } = object;
    const keys = [...Object.keys(isRecord(data) ? data : {}), ...Object.keys(isRecord(stringData) ? stringData : {})];
    return { ...rest, ...(keys.length > 0 && { data: Object.fromEntries([...new Set(keys)].map((k) => [k, ''])) }) };
  }
  if (kind === 'ConfigMap' && configMapKeysOnly) {
    const { data, binaryData, ...rest } = object;
    const keys = [...Object.keys(isRecord(data) ? data : {}), ...Object.keys(isRecord(binaryData) ? binaryData : {})];
    return { ...rest, ...(keys.length > 0 && { data: Object.fromEntries(keys.map((k) => [k, ''])) }) };
  }
  return object;
}

export function labelsOf(m: Manifest): Record<string, string> {
  const metadata = isRecord(m.object.metadata) ? m.object.metadata : {};
  const labels = isRecord(metadata.labels) ? metadata.labels : {};
  return Object.fromEntries(Object.entries(labels).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

export function metadataOf(m: Manifest): Record<string, unknown> {
  return isRecord(m.object.metadata) ? m.object.metadata : {};
}
