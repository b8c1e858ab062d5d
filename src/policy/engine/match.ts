/**
 * match / exclude: does a rule apply to a resource? (Kyverno pkg/engine/utils/match.go)
 *
 * A filter matches when every field it sets matches (kinds, names, namespaces, annotations,
 * selector, namespaceSelector, operations, and the requester's subjects/roles/clusterRoles).
 * `match.any` needs one filter, `match.all` every filter; `exclude.any` drops the resource when one
 * filter matches, `exclude.all` when all do. Without a requester (no UserInfo in CLI input) the
 * user filters are ignored, as in the kyverno CLI. There is no variable substitution here.
 */
import { containsWildcard as hasWildcard, wildcardMatch } from '../pattern/wildcard.ts';
import type { LabelSelector, MatchBlock, Operation, RequestInfo, ResourceDescription, ResourceFilter, Subject, UserInfoFilter } from './types.ts';
import { isRecord } from '../../core/json.ts';

/** What matching needs to know about the admission request. */
export interface MatchRequest {
  /** The resource's group, version and kind (from apiVersion/kind, or the parent of a subresource). */
  group: string;
  version: string;
  kind: string;
  subresource: string;
  operation: Operation;
  requestInfo?: RequestInfo;
  /** Labels of the resource's namespace, for namespaceSelector. */
  namespaceLabels?: Record<string, string>;
}

/** group/version/kind of an object from its apiVersion and kind. */
export function gvkOf(object: Record<string, unknown>): { group: string; version: string; kind: string } {
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  const slash = apiVersion.indexOf('/');
  return {
    group: slash === -1 ? '' : apiVersion.slice(0, slash),
    version: slash === -1 ? apiVersion : apiVersion.slice(slash + 1),
    kind: typeof object.kind === 'string' ? object.kind : '',
  };
}

/**
 * Whether the rule's match/exclude select the resource. Returns undefined on a match, else why not
 * (for debug output). `policyNamespace` is set for namespaced Policies.
 */
export function matchRule(
  rule: { name: string; match: MatchBlock; exclude?: MatchBlock },
  object: Record<string, unknown>,
  request: MatchRequest,
  policyNamespace?: string,
): string | undefined {
  const meta = metadataOf(object);
  if (policyNamespace && policyNamespace !== (meta.namespace ?? '')) return 'policy and resource namespaces differ';
  const userInfo = hasRequester(request.requestInfo) ? request.requestInfo : undefined;
  const matchFailure = matchBlockFailure(rule.match, object, request, userInfo);
  if (matchFailure) return matchFailure;
  if (rule.exclude && isExcluded(rule.exclude, object, request, userInfo)) return 'resource excluded';
  return undefined;
}

function matchBlockFailure(block: MatchBlock, object: Record<string, unknown>, request: MatchRequest, userInfo: RequestInfo | undefined): string | undefined {
  if (block.any && block.any.length > 0) {
    return block.any.some((f) => filterMatches(f, object, request, userInfo, true)) ? undefined : 'no filter of match.any matched';
  }
  if (block.all && block.all.length > 0) {
    return block.all.every((f) => filterMatches(f, object, request, userInfo, true)) ? undefined : 'a filter of match.all did not match';
  }
  return filterMatches(block, object, request, userInfo, true) ? undefined : 'match did not select the resource';
}

function isExcluded(block: MatchBlock, object: Record<string, unknown>, request: MatchRequest, userInfo: RequestInfo | undefined): boolean {
  if (block.any && block.any.length > 0) return block.any.some((f) => filterMatches(f, object, request, userInfo, false));
  if (block.all && block.all.length > 0) return block.all.every((f) => filterMatches(f, object, request, userInfo, false));
  return filterMatches(block, object, request, userInfo, false);
}

/**
 * An empty filter never matches (a match block must say something; an empty exclude excludes
 * nothing). User-info fields count only when the request carries a requester.
 */
function filterMatches(
  filter: ResourceFilter,
  object: Record<string, unknown>,
  request: MatchRequest,
  userInfo: RequestInfo | undefined,
  isMatch: boolean,
): boolean {
  const rd = filter.resources ?? {};
  const users: UserInfoFilter = isMatch && !userInfo ? {} : filter;
  const emptyRd = isEmptyDescription(rd);
  const emptyUsers = !(users.subjects?.length || users.roles?.length || users.clusterRoles?.length);
  if (emptyRd && emptyUsers) return false;
  return descriptionMatches(rd, object, request) && userMatches(users, userInfo ?? {});
}

function isEmptyDescription(rd: ResourceDescription): boolean {
  return (
    !rd.kinds?.length &&
    !rd.name &&
    !rd.names?.length &&
    !rd.namespaces?.length &&
    !(rd.annotations && Object.keys(rd.annotations).length > 0) &&
    !rd.selector &&
    !rd.namespaceSelector &&
    !rd.operations?.length
  );
}

function descriptionMatches(rd: ResourceDescription, object: Record<string, unknown>, request: MatchRequest): boolean {
  if (rd.operations?.length && !rd.operations.includes(request.operation)) return false;
  if (rd.kinds?.length && !checkKind(rd.kinds, request)) return false;
  const meta = metadataOf(object);
  const name = meta.name || meta.generateName || '';
  if (rd.name && !wildcardMatch(rd.name, name)) return false;
  if (rd.names?.length && !rd.names.some((n) => wildcardMatch(n, name))) return false;
  if (rd.namespaces?.length) {
    const namespace = request.kind === 'Namespace' ? name : (meta.namespace ?? '');
    if (!rd.namespaces.some((n) => wildcardMatch(n, namespace))) return false;
  }
  if (rd.annotations && !annotationsMatch(rd.annotations, meta.annotations)) return false;
  if (rd.selector && !selectorMatches(rd.selector, meta.labels)) return false;
  if (rd.namespaceSelector) {
    if (request.kind === 'Namespace') return false;
    if (!selectorMatches(rd.namespaceSelector, request.namespaceLabels ?? {})) return false;
  }
  return true;
}

/** Every user-info field that is set must match (the filter's lists are ORs). */
function userMatches(filter: UserInfoFilter, info: RequestInfo): boolean {
  if (filter.roles?.length && !(info.roles ?? []).some((r) => filter.roles!.includes(r))) return false;
  if (filter.clusterRoles?.length && !(info.clusterRoles ?? []).some((r) => filter.clusterRoles!.includes(r))) return false;
  if (filter.subjects?.length && !filter.subjects.some((s) => subjectMatches(s, info))) return false;
  return true;
}

function subjectMatches(subject: Subject, info: RequestInfo): boolean {
  const username = info.userInfo?.username ?? '';
  switch (subject.kind) {
    case 'ServiceAccount':
      return wildcardMatch(`system:serviceaccount:${subject.namespace ?? ''}:${subject.name}`, username);
    case 'Group':
      return (info.userInfo?.groups ?? []).some((g) => wildcardMatch(subject.name, g));
    case 'User':
      return wildcardMatch(subject.name, username);
    default:
      return false;
  }
}

function hasRequester(info: RequestInfo | undefined): boolean {
  if (!info) return false;
  const u = info.userInfo;
  return Boolean(info.roles?.length || info.clusterRoles?.length || u?.username || u?.uid || u?.groups?.length || (u?.extra && Object.keys(u.extra).length));
}

/* ─────────────────────────── kinds ─────────────────────────── */

const VERSION = /^(v\d+((alpha|beta)\d+)?|\*)$/;

/** Kyverno's kind selector grammar: Kind, Version/Kind, Group/Version/Kind, each optionally /subresource (or Kind.subresource). */
export function parseKindSelector(input: string): { group: string; version: string; kind: string; subresource: string } {
  let parts = input.split('/');
  const last = parts.pop() ?? '';
  parts = [...parts, ...last.split('.')];
  const [a = '', b = '', c = '', d = ''] = parts;
  switch (parts.length) {
    case 1:
      return { group: '*', version: '*', kind: a, subresource: '' };
    case 2:
      if (a === '*' && b === '*') return { group: '*', version: '*', kind: '*', subresource: '*' };
      if (a === '*' && b.toLowerCase() === b) return { group: '*', version: '*', kind: a, subresource: b };
      if (VERSION.test(a)) return { group: '*', version: a, kind: b, subresource: '' };
      return { group: '*', version: '*', kind: a, subresource: b };
    case 3:
      if (VERSION.test(a)) return { group: '*', version: a, kind: b, subresource: c };
      return { group: a, version: b, kind: c, subresource: '' };
    case 4:
      return { group: a, version: b, kind: c, subresource: d };
    default:
      return { group: '', version: '', kind: '', subresource: '' };
  }
}

const parsedSelectors = new Map<string, ReturnType<typeof parseKindSelector>>();

export function checkKind(kinds: readonly string[], request: Pick<MatchRequest, 'group' | 'version' | 'kind' | 'subresource'>): boolean {
  return kinds.some((selector) => {
    let k = parsedSelectors.get(selector);
    if (!k) {
      k = parseKindSelector(selector);
      if (parsedSelectors.size > 10_000) parsedSelectors.clear();
      parsedSelectors.set(selector, k);
    }
    if (!wildcardMatch(k.group, request.group) || !wildcardMatch(k.version, request.version) || !wildcardMatch(k.kind, request.kind)) return false;
    // A plain kind matches the resource itself, never its subresources (`Pod` is not `pods/status`),
    // as in Kyverno's CheckKind — except that Pod rules also see ephemeral containers being added.
    if (k.subresource === '' ? request.subresource === '' : wildcardMatch(k.subresource, request.subresource)) return true;
    return request.group === '' && request.version === 'v1' && request.kind === 'Pod' && request.subresource === 'ephemeralcontainers';
  });
}

const selectableKinds = new WeakMap<MatchBlock, ReadonlySet<string> | null>();

/**
 * The kinds a match block can select, when its filters name them without wildcards (null when it
 * may select any kind). Most rules name their kinds, so the engine passes over a rule for other
 * kinds without matching it; computed once per block (rules do not change once loaded).
 */
export function kindsSelectedBy(block: MatchBlock): ReadonlySet<string> | null {
  let kinds = selectableKinds.get(block);
  if (kinds === undefined) {
    kinds = blockKinds(block);
    selectableKinds.set(block, kinds);
  }
  return kinds;
}

/** As matchBlockFailure reads a block: `any` when it has filters, else `all`, else the block as one filter. */
function blockKinds(block: MatchBlock): Set<string> | null {
  if (block.any && block.any.length > 0) {
    const out = new Set<string>();
    for (const filter of block.any) {
      const kinds = filterKinds(filter);
      if (!kinds) return null;
      for (const kind of kinds) out.add(kind);
    }
    return out;
  }
  if (block.all && block.all.length > 0) {
    // Every filter must match, so any one of them bounds the kinds.
    for (const filter of block.all) {
      const kinds = filterKinds(filter);
      if (kinds) return new Set(kinds);
    }
    return null;
  }
  const kinds = filterKinds(block);
  return kinds ? new Set(kinds) : null;
}

function filterKinds(filter: ResourceFilter): string[] | null {
  const selectors = filter.resources?.kinds;
  if (!selectors?.length) return null;
  const kinds: string[] = [];
  for (const selector of selectors) {
    const { kind } = parseKindSelector(selector);
    if (hasWildcard(kind)) return null;
    kinds.push(kind);
  }
  return kinds;
}

/* ─────────────────────────── labels and annotations ─────────────────────────── */

function annotationsMatch(expected: Record<string, string>, actual: Record<string, string> | undefined): boolean {
  const entries = Object.entries(actual ?? {});
  return Object.entries(expected).every(([k, v]) => entries.some(([k1, v1]) => wildcardMatch(k, k1) && wildcardMatch(v, String(v1))));
}

/**
 * Kubernetes label selector semantics, plus Kyverno's wildcards in matchLabels keys and values
 * (an entry with `*`/`?` matches when some label matches both).
 */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const actual = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (hasWildcard(key) || hasWildcard(value)) {
      if (!Object.entries(actual).some(([k, v]) => wildcardMatch(key, k) && wildcardMatch(value, String(v)))) return false;
    } else if (actual[key] !== value) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const present = Object.hasOwn(actual, req.key);
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (!present || !values.includes(actual[req.key]!)) return false;
        break;
      case 'NotIn':
        if (present && values.includes(actual[req.key]!)) return false;
        break;
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/* ─────────────────────────── metadata ─────────────────────────── */

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function metadataOf(object: Record<string, unknown>): ObjectMeta {
  const meta = object.metadata;
  return isRecord(meta) ? (meta as ObjectMeta) : {};
}
