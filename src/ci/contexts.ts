/**
 * How much of a context's value an attacker controls. `arbitrary`: any text (titles, bodies,
 * branch names, commit messages); `structured`: text with a fixed shape (URLs); `fixed`: ids,
 * numbers, booleans, dates, SHAs and values GitHub itself sets. Event payload fields are
 * classified by their name the way the webhook schemas type them (integers and booleans are
 * fixed, `*_url` is a URI, free strings are arbitrary), with explicit lists for the fields and
 * contexts whose type their name does not reveal.
 */

export type Capability = 'arbitrary' | 'structured' | 'fixed';

/** Contexts GitHub sets that cannot carry a payload (documented in the "Contexts" reference). */
const FIXED_CONTEXTS = [
  'github.action_path',
  'github.action_ref',
  'github.action_repository',
  'github.api_url',
  'github.event_name',
  'github.event.after',
  'github.event.before',
  'github.event.merge_group.base_sha',
  'github.event.merge_group.head_sha',
  'github.event.pull_request.base.sha',
  'github.event.pull_request.head.sha',
  'github.event.workflow_run.head_sha',
  'github.graphql_url',
  'github.job',
  'github.ref_protected',
  'github.ref_type',
  'github.repository',
  'github.repository_id',
  'github.repositoryurl',
  'github.repository_owner',
  'github.repository_owner_id',
  'github.retention_days',
  'github.run_attempt',
  'github.run_id',
  'github.run_number',
  'github.server_url',
  'github.sha',
  'github.token',
  'github.triggering_actor',
  'github.workflow_sha',
  'github.workspace',
  'runner.arch',
  'runner.debug',
  'runner.environment',
  'runner.os',
  'runner.temp',
  'runner.tool_cache',
  'job.status',
  'job.container.id',
  'job.container.network',
  'job.services.*.id',
  'job.services.*.network',
  'job.services.*.ports',
  'steps.*.outcome',
  'steps.*.conclusion',
  'needs.*.result',
  'strategy.fail-fast',
  'strategy.job-index',
  'strategy.job-total',
  'strategy.max-parallel',
].map((c) => c.split('.'));

/** Payload fields that are booleans (the name does not say so). */
const BOOLEAN_FIELDS = new Set([
  'fork', 'private', 'draft', 'merged', 'locked', 'site_admin', 'deleted', 'default', 'protected', 'mergeable',
  'rebaseable', 'maintainer_can_modify', 'archived', 'disabled', 'created', 'forced', 'prerelease', 'answered',
  'distinct', 'is_template', 'allow_forking', 'web_commit_signoff_required', 'admin_enforced', 'public',
]);

/** Payload fields that are numbers or enumerations. */
const FIXED_FIELDS = new Set([
  'id', 'number', 'comments', 'commits', 'additions', 'deletions', 'changed_files', 'review_comments', 'position',
  'line', 'original_line', 'original_position', 'start_line', 'size', 'run_attempt', 'run_number', 'check_suite_id',
  'state', 'state_reason', 'author_association', 'type', 'visibility', 'conclusion', 'mergeable_state',
  'active_lock_reason', 'side', 'start_side', 'subject_type', 'user_view_type', 'event', 'score',
]);

function matches(path: string[], pattern: string[]): boolean {
  return path.length === pattern.length && pattern.every((p, i) => p === '*' || p === path[i]);
}

/** Capability of a normalised context path (see `contextPath`), or undefined when unknown. */
export function capabilityOf(path: string[]): Capability | undefined {
  if (FIXED_CONTEXTS.some((p) => matches(path, p))) return 'fixed';
  if (path[0] !== 'github' || path[1] !== 'event' || path.length < 3) return undefined;
  return eventFieldCapability(path);
}

function eventFieldCapability(path: string[]): Capability {
  const last = path[path.length - 1]!;
  if (last === '*') return 'arbitrary';
  // Reactions are counters; labels' colours are hex.
  if (path.includes('reactions')) return 'fixed';
  if (FIXED_FIELDS.has(last) || BOOLEAN_FIELDS.has(last)) return 'fixed';
  if (/(^|_)(id|count|sha)$/.test(last) && last !== 'node_id' && last !== 'gravatar_id') return 'fixed';
  if (/_at$|^due_on$/.test(last)) return 'fixed';
  if (/^(has|is|allow)_/.test(last)) return 'fixed';
  if (last === 'url' || last.endsWith('_url')) return 'structured';
  return 'arbitrary';
}
