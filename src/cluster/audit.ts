/**
 * `palisade cluster audit` as a library: a snapshot (dump or live) in, one report out — inventory,
 * RBAC, workload posture and (optionally) audit-log review, each area with a posture score and a
 * plain statement of what it could not see.
 *
 * Score of an area (0–100): each item the area evaluates (image, RBAC subject, workload or
 * namespace, audit-log subject) weighs by its worst finding — CRITICAL 1, HIGH 0.6, MEDIUM 0.3,
 * LOW 0.1, none 0 — and the score is `round(100 × (1 − Σ weights / items))`; no items scores 100.
 * When some list the area reads failed or is missing the score is still computed from what was read
 * but the area is `incomplete` and names what is missing; when all of them are, it is
 * `not-assessed` and has no score.
 */
import type { InputIssue, Severity } from '../core/types.ts';
import { TOOL_NAME, TOOL_VERSION } from '../core/version.ts';
import { silentLogger, type Logger } from '../core/log.ts';
import { reviewAuditLog, type AuditLogOptions, type AuditLogReview } from './audit-log.ts';
import { sortClusterFindings, subjectItemKey, type ClusterFinding } from './findings.ts';
import { analyseImages, unpinnedImageFindings, type ImageAnalysis, type ImageServices } from './images.ts';
import { buildInventory, type ContainerInfo, type ImageInfo } from './inventory.ts';
import { CLUSTER_SCOPE, describeBinding, RbacModel, subjectKey, type Subject } from './rbac.ts';
import { rbacFindings } from './rbac-risks.ts';
import { AREA_RESOURCES, AREAS, type Area, type ResourceName } from './resources.ts';
import { coverageList, isComplete, missingOf, type ListCoverage, type Snapshot, type SnapshotSource } from './snapshot.ts';
import { workloadPosture, type NamespacePosture } from './workloads.ts';

export const CLUSTER_REPORT_SCHEMA_VERSION = 1;

export interface AuditOptions {
  /** Namespaces where namespaced RBAC grants weigh as much as cluster-wide ones; default kube-system. */
  privilegedNamespaces?: string[];
  /** Also report the bootstrap RBAC policy and Kubernetes' own `system:` users and groups. */
  includeSystem?: boolean;
  /** Image cataloguing, vulnerability matching, signature verification: only when given. */
  images?: ImageServices;
  /** Review this audit log. */
  auditLog?: { file: string } & AuditLogOptions;
  log?: Logger;
  /** The report's timestamp (tests fix it). */
  createdAt?: string;
}

export type AreaStatus = 'complete' | 'incomplete' | 'not-assessed';

export interface AreaResult {
  area: Area;
  status: AreaStatus;
  /** 0–100; null when not assessed. */
  score: number | null;
  /** Items evaluated (images, subjects, workloads and namespaces, audit-log subjects). */
  items: number;
  findings: Record<Severity, number>;
  /** Lists the area needed and could not read in full. */
  missing: { resource: ResourceName; status: ListCoverage['status']; message?: string }[];
  notes: string[];
}

export interface RbacSubjectSummary {
  kind: Subject['kind'];
  name: string;
  namespace?: string;
  /** `RoleBinding ns/name → ClusterRole edit` per binding, with its scope. */
  bindings: { binding: string; scope: string; bootstrap: boolean }[];
  /** Ids of this subject's RBAC findings. */
  findings: string[];
}

export interface ClusterReport {
  schemaVersion: number;
  tool: { name: string; version: string };
  createdAt: string;
  source: SnapshotSource;
  coverage: ListCoverage[];
  /** One sentence per thing the report could not see: empty when the input was complete. */
  incomplete: string[];
  issues: InputIssue[];
  unknownKinds: Record<string, number>;
  areas: AreaResult[];
  inventory: {
    namespaces: { name: string; workloads: { kind: string; name: string; serviceAccount: string; pods: number; containers: ContainerInfo[] }[] }[];
    images: (ImageInfo & Partial<Omit<ImageAnalysis['results'][number], 'image'>>)[];
    /** With image scanning: every package of every image, once per purl. */
    packages?: ImageAnalysis['packages'];
  };
  rbac: { roles: number; clusterRoles: number; roleBindings: number; clusterRoleBindings: number; subjects: RbacSubjectSummary[] };
  workloads: { namespaces: NamespacePosture[]; tokenMounts: { workload: string; serviceAccount: string }[] };
  auditLog?: AuditLogReview;
  findings: ClusterFinding[];
}

const WEIGHT: Record<Severity, number> = { CRITICAL: 1, HIGH: 0.6, MEDIUM: 0.3, LOW: 0.1, UNKNOWN: 0.1 };

export async function auditCluster(snapshot: Snapshot, options: AuditOptions = {}): Promise<ClusterReport> {
  const log = options.log ?? silentLogger;
  const complete = (r: ResourceName) => isComplete(snapshot.coverage.get(r)?.status ?? 'absent');

  const inventory = buildInventory(snapshot.objects);
  const model = RbacModel.fromObjects(snapshot.objects);
  const rbac = rbacFindings(model, {
    ...(options.privilegedNamespaces && { privilegedNamespaces: options.privilegedNamespaces }),
    ...(options.includeSystem && { includeSystem: true }),
    rolesComplete: complete('roles'),
    clusterRolesComplete: complete('clusterroles'),
  });
  const rbacBySubject = new Map<string, ClusterFinding[]>();
  for (const f of rbac) {
    const key = `${f.subject.kind}:${f.subject.namespace ?? ''}/${f.subject.name}`;
    const list = rbacBySubject.get(key);
    if (list) list.push(f);
    else rbacBySubject.set(key, [f]);
  }
  const accountFindings = (namespace: string, name: string) =>
    [`ServiceAccount:${namespace}/${name}`, 'Group:/system:serviceaccounts', `Group:/system:serviceaccounts:${namespace}`, 'Group:/system:authenticated'].flatMap((k) => rbacBySubject.get(k) ?? []);
  const posture = workloadPosture(snapshot, inventory, accountFindings);

  const imageFindings: ClusterFinding[] = complete('pods') ? unpinnedImageFindings(inventory.images) : [];
  let analysis: ImageAnalysis | undefined;
  if (options.images && (options.images.catalog || options.images.verify)) {
    analysis = await analyseImages(inventory.images, options.images, { log });
    imageFindings.push(...analysis.findings);
  }

  let auditLog: AuditLogReview | undefined;
  const auditFindings: ClusterFinding[] = [];
  if (options.auditLog) {
    const { file, ...rest } = options.auditLog;
    const reviewed = await reviewAuditLog(file, rest);
    auditLog = reviewed.review;
    auditFindings.push(...reviewed.findings);
  }

  const findings = sortClusterFindings([...imageFindings, ...rbac, ...posture.findings, ...auditFindings]);
  const rbacSubjects = model.allSubjects().filter((s) => options.includeSystem || model.grantsOf(s).some((g) => !g.binding.bootstrap));
  const items: Record<Area, Set<string>> = {
    inventory: new Set(inventory.images.map((i) => subjectItemKey({ kind: 'Image', name: i.image }))),
    rbac: new Set(rbacSubjects.map((s) => subjectItemKey({ kind: s.kind, name: s.name, ...(s.namespace !== undefined && { namespace: s.namespace }) }))),
    workloads: new Set([
      ...inventory.workloads.map((w) => subjectItemKey({ kind: w.kind, name: w.name, namespace: w.namespace })),
      ...posture.namespaces.filter((n) => n.workloads > 0).map((n) => subjectItemKey({ kind: 'Namespace', name: n.name })),
    ]),
    'audit-log': new Set((auditLog?.subjects ?? []).map((s) => subjectItemKey(s.user.startsWith('system:serviceaccount:') ? { kind: 'ServiceAccount', name: s.user.split(':')[3] ?? '', namespace: s.user.split(':')[2] ?? '' } : { kind: 'User', name: s.user }))),
  };

  const areas = AREAS.map((area) => areaResult(area, snapshot, findings, items[area], area === 'audit-log' ? auditLog !== undefined : true, analysis));
  const resultsByImage = new Map((analysis?.results ?? []).map((r) => [r.image, r]));
  return {
    schemaVersion: CLUSTER_REPORT_SCHEMA_VERSION,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    createdAt: options.createdAt ?? new Date().toISOString(),
    source: snapshot.source,
    coverage: coverageList(snapshot),
    incomplete: incompleteNotes(snapshot, areas),
    issues: snapshot.issues,
    unknownKinds: Object.fromEntries([...snapshot.unknownKinds].sort(([a], [b]) => (a < b ? -1 : 1))),
    areas,
    inventory: {
      namespaces: [...inventory.byNamespace]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, ws]) => ({
          name,
          workloads: ws.map((w) => ({ kind: w.kind, name: w.name, serviceAccount: w.serviceAccount, pods: w.pods.length, containers: w.containers })),
        })),
      images: inventory.images.map((i) => {
        const r = resultsByImage.get(i.image);
        if (!r) return i;
        const { image: _image, ...rest } = r;
        return { ...i, ...rest };
      }),
      ...(analysis && options.images?.catalog && { packages: analysis.packages }),
    },
    rbac: {
      roles: model.roles.filter((r) => r.kind === 'Role').length,
      clusterRoles: model.roles.filter((r) => r.kind === 'ClusterRole').length,
      roleBindings: model.bindings.filter((b) => b.kind === 'RoleBinding').length,
      clusterRoleBindings: model.bindings.filter((b) => b.kind === 'ClusterRoleBinding').length,
      subjects: rbacSubjects.map((s) => ({
        kind: s.kind,
        name: s.name,
        ...(s.namespace !== undefined && { namespace: s.namespace }),
        bindings: model.grantsOf(s).map((g) => ({ binding: describeBinding(g.binding), scope: g.scope === CLUSTER_SCOPE ? 'cluster' : g.scope, bootstrap: g.binding.bootstrap })),
        findings: [...new Set((rbacBySubject.get(`${s.kind}:${s.namespace ?? ''}/${s.name}`) ?? []).map((f) => f.id))].sort(),
      })).sort((a, b) => (subjectKey(a) < subjectKey(b) ? -1 : subjectKey(a) > subjectKey(b) ? 1 : 0)),
    },
    workloads: { namespaces: posture.namespaces, tokenMounts: posture.tokenMounts },
    ...(auditLog && { auditLog }),
    findings,
  };
}

function areaResult(area: Area, snapshot: Snapshot, findings: readonly ClusterFinding[], evaluated: Set<string>, requested: boolean, analysis: ImageAnalysis | undefined): AreaResult {
  const own = findings.filter((f) => f.area === area);
  const counts: Record<Severity, number> = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0 };
  for (const f of own) counts[f.severity]++;
  const needed = AREA_RESOURCES[area];
  const missing = missingOf(snapshot, needed).map((c) => ({ resource: c.resource, status: c.status, ...(c.message !== undefined && { message: c.message }) }));
  const notes: string[] = [];
  if (!requested) {
    notes.push('no audit log given (--audit-log FILE)');
    return { area, status: 'not-assessed', score: null, items: 0, findings: counts, missing, notes };
  }
  if (needed.length > 0 && missing.length === needed.length) {
    notes.push(`none of the lists it reads could be read (${needed.join(', ')})`);
    return { area, status: 'not-assessed', score: null, items: 0, findings: counts, missing, notes };
  }
  if (area === 'inventory') {
    if (!analysis) notes.push('images not scanned or verified (--images, --verify-signatures)');
    else if (analysis.results.some((r) => r.scanError || r.signature?.status === 'error')) notes.push('some images could not be scanned or verified: see inventory.images');
  }
  if (area === 'workloads' && missingOf(snapshot, AREA_RESOURCES.rbac).length > 0) notes.push('workload tokens are weighed without all RBAC lists (PAL-SA-003 may miss powerful service accounts)');
  const keys = new Set([...evaluated, ...own.map((f) => subjectItemKey(f.subject))]);
  const worst = new Map<string, number>();
  for (const f of own) {
    const key = subjectItemKey(f.subject);
    worst.set(key, Math.max(worst.get(key) ?? 0, WEIGHT[f.severity]));
  }
  const penalty = [...worst.values()].reduce((a, b) => a + b, 0);
  const score = keys.size === 0 ? 100 : Math.round(100 * (1 - penalty / keys.size));
  const incomplete = missing.length > 0 || (area === 'inventory' && analysis?.results.some((r) => r.scanError || r.signature?.status === 'error') === true);
  return { area, status: incomplete ? 'incomplete' : 'complete', score, items: keys.size, findings: counts, missing, notes };
}

/** One sentence per gap: lists that failed, areas that could not be assessed. */
function incompleteNotes(snapshot: Snapshot, areas: readonly AreaResult[]): string[] {
  const notes: string[] = [];
  for (const c of coverageList(snapshot)) {
    if (isComplete(c.status)) continue;
    notes.push(`${c.resource}: ${c.status}${c.message ? ` (${c.message})` : ''}`);
  }
  for (const a of areas) {
    if (a.area === 'audit-log' && a.status === 'not-assessed') continue;
    if (a.status === 'not-assessed') notes.push(`${a.area}: not assessed — ${a.notes.join('; ')}`);
    else if (a.status === 'incomplete') notes.push(`${a.area}: score ${a.score} is computed without ${a.missing.map((m) => m.resource).join(', ') || 'some image results'}`);
  }
  if (snapshot.issues.length > 0) notes.push(`${snapshot.issues.length} input issue${snapshot.issues.length === 1 ? '' : 's'} (files unreadable or objects dropped): see issues`);
  return notes;
}
