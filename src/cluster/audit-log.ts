/**
 * Audit-log review: an API-server audit log (JSON lines, EventList) run through the runtime rule
 * engine with Falco's k8saudit rules (or the rules files given), and summarised per subject — who
 * exec'd into which pods, read which Secrets, changed RBAC, which requests came in anonymously
 * and which were denied — plus the rule alerts.
 *
 * The subject of a request is the identity it was authorised as: the impersonated user when there
 * is one (the impersonator is kept beside it). A request is counted once, at its response stage
 * (long-running requests log ResponseStarted and ResponseComplete with one auditID).
 *
 * Falco's `Disallowed K8s User` rule is off with the default rules: it needs the cluster's own
 * list of allowed users and otherwise fires on every request by a person.
 */
import { createReadStream, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PalisadeError, errorMessage } from '../core/errors.ts';
import type { Severity } from '../core/types.ts';
import { isRecord } from '../core/json.ts';
import type { Priority, ReadCounters } from '../runtime/index.ts';
import type { ClusterFinding } from './findings.ts';

export interface AuditLogOptions {
  /** Rules files in load order; default: the bundled Falco k8saudit rules. */
  rules?: readonly string[];
  /** Rules to switch off (`*` wildcards); default with the bundled rules: `Disallowed K8s User`. */
  disabledRules?: readonly string[];
  /** Alerts below this priority are counted, not reported as findings; default NOTICE. */
  findingPriority?: Priority;
}

export interface SubjectActivity {
  /** The identity the requests were authorised as. */
  user: string;
  /** Who impersonated it, when someone did. */
  impersonatedBy: string[];
  requests: number;
  /** 401/403 answers. */
  denied: number;
  anonymous: boolean;
  exec: { pod: string; subresource: string; count: number }[];
  secretReads: { secret: string; verb: string; count: number }[];
  rbacChanges: { verb: string; object: string; count: number }[];
  /** Rule alerts by rule name. */
  alerts: Record<string, number>;
}

export interface AuditLogReview {
  file: string;
  rules: string[];
  events: number;
  /** Requests counted (one per auditID). */
  requests: number;
  read: ReadCounters;
  firstEvent?: string;
  lastEvent?: string;
  subjects: SubjectActivity[];
  alerts: { rule: string; priority: string; count: number }[];
}

const DEFAULT_RULES = [new URL('./rules/k8s_audit_rules.yaml', import.meta.url), new URL('../../src/cluster/rules/k8s_audit_rules.yaml', import.meta.url)];
const DEFAULT_DISABLED = ['Disallowed K8s User'];
const PUBLIC_URLS = /^\/(healthz|livez|readyz|version)(\/|$|\?)/;
const SAMPLE = 20;

const PRIORITY_SEVERITY: Record<Priority, Severity> = {
  EMERGENCY: 'CRITICAL',
  ALERT: 'CRITICAL',
  CRITICAL: 'CRITICAL',
  ERROR: 'HIGH',
  WARNING: 'MEDIUM',
  NOTICE: 'LOW',
  INFORMATIONAL: 'LOW',
  DEBUG: 'LOW',
};

export function defaultAuditRules(): string {
  const found = DEFAULT_RULES.find((u) => existsSync(u));
  if (!found) throw new Error(`bundled k8s audit rules not found (looked in ${DEFAULT_RULES.map((u) => fileURLToPath(u)).join(', ')})`);
  return fileURLToPath(found);
}

interface Activity extends SubjectActivity {
  execMap: Map<string, { pod: string; subresource: string; count: number }>;
  secretMap: Map<string, { secret: string; verb: string; count: number }>;
  rbacMap: Map<string, { verb: string; object: string; count: number }>;
  anonymousAllowed: Map<string, number>;
}

export async function reviewAuditLog(file: string, options: AuditLogOptions = {}): Promise<{ review: AuditLogReview; findings: ClusterFinding[] }> {
  // The rule engine loads only for audits with a log: every audit imports this module.
  const { formatLoadMessage, loadRulesFiles, makeAlert, newCounters, readEvents, RuntimeEngine } = await import('../runtime/index.ts');
  const rules = options.rules && options.rules.length > 0 ? [...options.rules] : [defaultAuditRules()];
  const loaded = await loadRulesFiles(rules);
  if (!loaded.ok || !loaded.ruleset) {
    throw new PalisadeError('PARSE_ERROR', `audit rules do not load: ${loaded.errors.slice(0, 3).map(formatLoadMessage).join('; ')}`);
  }
  const disabled = options.disabledRules ?? (options.rules && options.rules.length > 0 ? [] : DEFAULT_DISABLED);
  const engine = new RuntimeEngine(loaded.ruleset, { disabledRules: disabled });
  const findingPriority = options.findingPriority ?? 'NOTICE';
  const counters = newCounters();
  const subjects = new Map<string, Activity>();
  const alertCounts = new Map<string, { rule: string; priority: Priority; count: number; bySubject: Map<string, { count: number; samples: string[] }> }>();
  const counted = new Set<string>();
  let events = 0;
  let requests = 0;
  let first: string | undefined;
  let last: string | undefined;
  const input = createReadStream(file);
  try {
    for await (const evt of readEvents(input, counters, { source: 'k8s_audit' })) {
      events++;
      const e = evt.data;
      const time = typeof e.stageTimestamp === 'string' ? e.stageTimestamp : typeof e.requestReceivedTimestamp === 'string' ? e.requestReceivedTimestamp : typeof e.timestamp === 'string' ? e.timestamp : undefined;
      if (time !== undefined) {
        if (first === undefined || time < first) first = time;
        if (last === undefined || time > last) last = time;
      }
      const who = identityOf(e);
      for (const rule of engine.evaluate(evt)) {
        const entry = alertCounts.get(rule.name) ?? { rule: rule.name, priority: rule.priority, count: 0, bySubject: new Map() };
        entry.count++;
        const per = entry.bySubject.get(who.user) ?? { count: 0, samples: [] };
        per.count++;
        if (per.samples.length < 5) per.samples.push(makeAlert(rule, evt).output);
        entry.bySubject.set(who.user, per);
        alertCounts.set(rule.name, entry);
        const activity = activityOf(subjects, who);
        activity.alerts[rule.name] = (activity.alerts[rule.name] ?? 0) + 1;
      }
      if (!isResponse(e, counted)) continue;
      requests++;
      record(activityOf(subjects, who), e, who);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== undefined) throw new PalisadeError('INPUT_NOT_FOUND', `cannot read the audit log ${file}: ${errorMessage(err)}`, { cause: err });
    throw err;
  }
  const review: AuditLogReview = {
    file,
    rules,
    events,
    requests,
    read: counters,
    ...(first !== undefined && { firstEvent: first }),
    ...(last !== undefined && { lastEvent: last }),
    subjects: [...subjects.values()].map(publicActivity).sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0)),
    alerts: [...alertCounts.values()].map((a) => ({ rule: a.rule, priority: parsePriorityName(a.priority), count: a.count })).sort((a, b) => b.count - a.count || (a.rule < b.rule ? -1 : 1)),
  };
  const findings = [...activityFindings([...subjects.values()]), ...alertFindings(alertCounts, findingPriority)];
  return { review, findings };
}

function parsePriorityName(p: Priority): string {
  return p.charAt(0) + p.slice(1).toLowerCase();
}

interface Identity {
  user: string;
  impersonator?: string;
  anonymous: boolean;
}

function identityOf(e: Record<string, unknown>): Identity {
  const user = isRecord(e.user) ? e.user : {};
  const impersonated = isRecord(e.impersonatedUser) ? e.impersonatedUser : undefined;
  const effective = impersonated && typeof impersonated.username === 'string' ? impersonated : user;
  const name = typeof effective.username === 'string' ? effective.username : '(unknown)';
  const groups = Array.isArray(effective.groups) ? effective.groups : [];
  return {
    user: name,
    ...(effective === impersonated && typeof user.username === 'string' && { impersonator: user.username }),
    anonymous: name === 'system:anonymous' || groups.includes('system:unauthenticated'),
  };
}

/** True once per request: at its response stage (or at its only event when the log keeps no stages). */
function isResponse(e: Record<string, unknown>, counted: Set<string>): boolean {
  const stage = typeof e.stage === 'string' ? e.stage : undefined;
  if (stage === 'RequestReceived') return false;
  const id = typeof e.auditID === 'string' ? e.auditID : undefined;
  if (id === undefined) return true;
  if (counted.has(id)) return false;
  counted.add(id);
  return true;
}

function activityOf(subjects: Map<string, Activity>, who: Identity): Activity {
  let a = subjects.get(who.user);
  if (!a) {
    a = {
      user: who.user,
      impersonatedBy: [],
      requests: 0,
      denied: 0,
      anonymous: who.anonymous,
      exec: [],
      secretReads: [],
      rbacChanges: [],
      alerts: {},
      execMap: new Map(),
      secretMap: new Map(),
      rbacMap: new Map(),
      anonymousAllowed: new Map(),
    };
    subjects.set(who.user, a);
  }
  if (who.impersonator !== undefined && !a.impersonatedBy.includes(who.impersonator)) a.impersonatedBy.push(who.impersonator);
  return a;
}

function record(a: Activity, e: Record<string, unknown>, who: Identity): void {
  a.requests++;
  const status = isRecord(e.responseStatus) && typeof e.responseStatus.code === 'number' ? e.responseStatus.code : undefined;
  const allowed = status === undefined || status < 400;
  if (status === 401 || status === 403) a.denied++;
  const verb = typeof e.verb === 'string' ? e.verb : '';
  const ref = isRecord(e.objectRef) ? e.objectRef : {};
  const resource = typeof ref.resource === 'string' ? ref.resource : '';
  const sub = typeof ref.subresource === 'string' ? ref.subresource : '';
  const group = typeof ref.apiGroup === 'string' ? ref.apiGroup : '';
  const ns = typeof ref.namespace === 'string' ? ref.namespace : '';
  const name = typeof ref.name === 'string' ? ref.name : '';
  const object = ns ? `${ns}/${name || '*'}` : name || '*';
  if (who.anonymous && allowed) {
    const uri = typeof e.requestURI === 'string' ? e.requestURI : '';
    if (!PUBLIC_URLS.test(uri)) bump(a.anonymousAllowed, `${verb} ${uri}`);
  }
  if (!allowed) return;
  if (resource === 'pods' && (sub === 'exec' || sub === 'attach') && (verb === 'create' || verb === 'get')) {
    const key = `${object}\0${sub}`;
    const entry = a.execMap.get(key) ?? { pod: object, subresource: sub, count: 0 };
    entry.count++;
    a.execMap.set(key, entry);
  } else if (resource === 'secrets' && group === '' && (verb === 'get' || verb === 'list' || verb === 'watch')) {
    const key = `${object}\0${verb}`;
    const entry = a.secretMap.get(key) ?? { secret: object, verb, count: 0 };
    entry.count++;
    a.secretMap.set(key, entry);
  } else if (group === 'rbac.authorization.k8s.io' && ['create', 'update', 'patch', 'delete', 'deletecollection'].includes(verb)) {
    const label = `${resource} ${object}`;
    const key = `${verb}\0${label}`;
    const entry = a.rbacMap.get(key) ?? { verb, object: label, count: 0 };
    entry.count++;
    a.rbacMap.set(key, entry);
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function publicActivity(a: Activity): SubjectActivity {
  const byCount = <T extends { count: number }>(items: Iterable<T>, label: (t: T) => string) => [...items].sort((x, y) => y.count - x.count || (label(x) < label(y) ? -1 : 1));
  return {
    user: a.user,
    impersonatedBy: a.impersonatedBy.sort(),
    requests: a.requests,
    denied: a.denied,
    anonymous: a.anonymous,
    exec: byCount(a.execMap.values(), (x) => x.pod),
    secretReads: byCount(a.secretMap.values(), (x) => x.secret),
    rbacChanges: byCount(a.rbacMap.values(), (x) => x.object),
    alerts: Object.fromEntries(Object.entries(a.alerts).sort(([x], [y]) => (x < y ? -1 : 1))),
  };
}

function subjectOf(user: string): ClusterFinding['subject'] {
  const sa = /^system:serviceaccount:([^:]+):(.+)$/.exec(user);
  return sa ? { kind: 'ServiceAccount', name: sa[2]!, namespace: sa[1]! } : { kind: 'User', name: user };
}

function isPerson(user: string): boolean {
  return !user.startsWith('system:');
}

const AUDIT_DOC = 'https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/';

function activityFindings(subjects: readonly Activity[]): ClusterFinding[] {
  const out: ClusterFinding[] = [];
  for (const a of subjects) {
    const subject = subjectOf(a.user);
    const by = a.impersonatedBy.length > 0 ? ` (impersonated by ${a.impersonatedBy.join(', ')})` : '';
    if (a.anonymousAllowed.size > 0) {
      const total = [...a.anonymousAllowed.values()].reduce((x, y) => x + y, 0);
      out.push({
        id: 'PAL-AUDIT-001',
        area: 'audit-log',
        severity: 'HIGH',
        title: 'Anonymous requests were allowed',
        subject,
        message: `${total} request${total === 1 ? '' : 's'} without credentials were answered (not counting health and version endpoints)`,
        evidence: [...a.anonymousAllowed].slice(0, SAMPLE).map(([k, n]) => `${k} ×${n}`),
        locations: [],
        controls: { kubescape: ['C-0262'], falco: ['Anonymous Request Allowed'] },
        remediation: 'Remove the RBAC bindings of system:anonymous / system:unauthenticated, or start the API server with --anonymous-auth=false.',
        references: [AUDIT_DOC],
      });
    }
    if (a.execMap.size > 0) {
      const total = [...a.execMap.values()].reduce((x, y) => x + y.count, 0);
      out.push({
        id: 'PAL-AUDIT-002',
        area: 'audit-log',
        severity: 'MEDIUM',
        title: 'Commands run in containers (exec/attach)',
        subject,
        message: `${a.user}${by} exec'd or attached into ${a.execMap.size} pod${a.execMap.size === 1 ? '' : 's'} (${total} time${total === 1 ? '' : 's'})`,
        evidence: [...a.execMap.values()].slice(0, SAMPLE).map((x) => `pods/${x.subresource} ${x.pod} ×${x.count}`),
        locations: [],
        controls: { kubescape: ['C-0002'], falco: ['Attach/Exec Pod'] },
        remediation: 'Check that each session was expected; restrict pods/exec to debugging roles.',
        references: [AUDIT_DOC],
      });
    }
    if (a.rbacMap.size > 0) {
      out.push({
        id: 'PAL-AUDIT-003',
        area: 'audit-log',
        severity: 'LOW',
        title: 'RBAC objects changed',
        subject,
        message: `${a.user}${by} changed ${a.rbacMap.size} RBAC object${a.rbacMap.size === 1 ? '' : 's'}`,
        evidence: [...a.rbacMap.values()].slice(0, SAMPLE).map((x) => `${x.verb} ${x.object} ×${x.count}`),
        locations: [],
        controls: { falco: ['K8s Role Created', 'K8s RoleBinding Created', 'Attach to cluster-admin Role'] },
        remediation: 'Check the changes against your change records; RBAC should change through reviewed manifests.',
        references: [AUDIT_DOC],
      });
    }
    if (a.secretMap.size > 0 && isPerson(a.user)) {
      const total = [...a.secretMap.values()].reduce((x, y) => x + y.count, 0);
      out.push({
        id: 'PAL-AUDIT-004',
        area: 'audit-log',
        severity: 'MEDIUM',
        title: 'Secrets read by a person',
        subject,
        message: `${a.user}${by} read Secrets ${total} time${total === 1 ? '' : 's'} (${a.secretMap.size} distinct reads)`,
        evidence: [...a.secretMap.values()].slice(0, SAMPLE).map((x) => `${x.verb} ${x.secret} ×${x.count}`),
        locations: [],
        controls: { kubescape: ['C-0015'], falco: ['K8s Secret Get Successfully'], cis: ['5.1.2'] },
        remediation: 'People rarely need Secret values: check why, and restrict get/list on Secrets.',
        references: [AUDIT_DOC],
      });
    }
  }
  return out;
}

function alertFindings(
  alerts: Map<string, { rule: string; priority: Priority; count: number; bySubject: Map<string, { count: number; samples: string[] }> }>,
  min: Priority,
): ClusterFinding[] {
  const order = ['EMERGENCY', 'ALERT', 'CRITICAL', 'ERROR', 'WARNING', 'NOTICE', 'INFORMATIONAL', 'DEBUG'];
  const out: ClusterFinding[] = [];
  for (const a of alerts.values()) {
    if (order.indexOf(a.priority) > order.indexOf(min)) continue;
    for (const [user, per] of a.bySubject) {
      out.push({
        id: `falco:${a.rule}`,
        area: 'audit-log',
        severity: PRIORITY_SEVERITY[a.priority],
        title: a.rule,
        subject: subjectOf(user),
        message: `rule "${a.rule}" (${parsePriorityName(a.priority)}) fired ${per.count} time${per.count === 1 ? '' : 's'} on requests by ${user}`,
        evidence: per.samples,
        locations: [],
        controls: { falco: [a.rule] },
      });
    }
  }
  return out;
}

