/**
 * Cluster audit: a baseline of a Kubernetes cluster from a dump or the live API — workload and
 * image inventory, RBAC risks resolved to subjects, Pod Security / NetworkPolicy / token posture,
 * audit-log review — with a posture score per area that says when its data was incomplete.
 *
 *   const snapshot = await loadDump('cluster-dump/');          // or collectLive({ context })
 *   const report = await auditCluster(snapshot, { auditLog: { file: 'audit.log' } });
 *   process.stdout.write(renderClusterTable(report));
 *   whoCan(RbacModel.fromObjects(snapshot.objects), { verb: 'create', resource: 'pods/exec' });
 */
export { auditCluster, CLUSTER_REPORT_SCHEMA_VERSION, type AreaResult, type AreaStatus, type AuditOptions, type ClusterReport, type RbacSubjectSummary } from './audit.ts';
export { defaultAuditRules, reviewAuditLog, type AuditLogOptions, type AuditLogReview, type SubjectActivity } from './audit-log.ts';
export { loadDump, snapshotOfDump, type DumpOptions } from './dump.ts';
export { compareClusterFindings, describeFindingSubject, type ClusterFinding, type Controls, type FindingSubject } from './findings.ts';
export { analyseImages, repositoryOf, runningReference, type CatalogedImage, type ImageAnalysis, type ImageResult, type ImageServices, type SignatureStatus } from './images.ts';
export { buildInventory, digestOfImageId, type ContainerInfo, type ImageInfo, type Inventory, type Workload } from './inventory.ts';
export { collectLive, type LiveOptions } from './live.ts';
export { grantAllows, isClusterScoped, RbacModel, ruleAllows, type Binding, type Grant, type PolicyRule, type Request, type Role, type Subject } from './rbac.ts';
export { rbacCheckCatalog, rbacFindings, RISK_PATTERNS, type RbacRiskOptions, type RiskPattern } from './rbac-risks.ts';
export { renderClusterJson, renderClusterSarif, renderClusterTable, type ClusterTableOptions } from './report.ts';
export { AREA_RESOURCES, AREAS, RESOURCES, type Area, type ResourceName, type ResourceSpec } from './resources.ts';
export { coverageList, isComplete, type ListCoverage, type ListStatus, type Snapshot, type SnapshotSource } from './snapshot.ts';
export { parseResource, renderWhoCan, whoCan, type WhoCanAnswer, type WhoCanQuery } from './who-can.ts';
export { podSecurityLevelOf, workloadPosture, type NamespacePosture } from './workloads.ts';
