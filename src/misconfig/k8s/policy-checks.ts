/**
 * The built-in checks written as Kyverno ClusterPolicies (./policies/*.yaml), run by the policy
 * engine exactly as user policies are. A policy is one check; its annotations carry the check's
 * metadata:
 *
 *   palisade.dev/id                   PAL-K8S-020
 *   policies.kyverno.io/severity      low | medium | high | critical
 *   policies.kyverno.io/title         the finding title
 *   policies.kyverno.io/description   why it matters
 *   palisade.dev/remediation          what to do
 *   palisade.dev/references           URLs, space-separated
 *   palisade.dev/trivy                Trivy ids of the same check, space-separated (optional)
 *
 * A failing rule becomes a hit at the path Kyverno reports (`failed at path /spec/…/image/`); a
 * rule that errors becomes an input issue, so that nothing is skipped silently. Kyverno cannot
 * evaluate any rule on an object whose image references do not parse (`<YOUR-IMAGE>` placeholders):
 * that is reported once per object, as the input problem it is.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SEVERITIES, type Severity } from '../../core/types.ts';
import { applyPoliciesToResource } from '../../policy/engine/engine.ts';
import { parsePolicies } from '../../policy/engine/load.ts';
import type { MatchBlock, Policy } from '../../policy/engine/types.ts';
import type { CheckMeta, Hit } from '../check.ts';
import { formatFieldPath, parseFieldPath } from '../field-path.ts';
import type { Manifest } from '../manifests.ts';

/**
 * Where the policy files are: beside this module when running the sources, and in the source
 * tree when running the compiled `dist/` (tsc does not copy YAML); the package ships the folder.
 */
const POLICY_DIRS = [new URL('./policies/', import.meta.url), new URL('../../../src/misconfig/k8s/policies/', import.meta.url)];

interface BuiltinPolicies {
  policies: Policy[];
  meta: Map<Policy, CheckMeta>;
  /** The policies with a rule matching each kind: an object only meets those (and none, for most kinds). */
  byKind: Map<string, Policy[]>;
}

let loaded: BuiltinPolicies | undefined;

function builtinPolicies(): BuiltinPolicies {
  if (loaded) return loaded;
  const dir = POLICY_DIRS.map((u) => fileURLToPath(u)).find((d) => existsSync(d));
  if (!dir) throw new Error(`built-in misconfiguration policies not found (looked in ${POLICY_DIRS.map((u) => fileURLToPath(u)).join(', ')})`);
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
  const policies = files.flatMap((f) => parsePolicies(readFileSync(`${dir}${f}`, 'utf8'), `${dir}${f}`).policies);
  const meta = new Map(policies.map((p) => [p, policyMeta(p)] as const));
  const byKind = new Map<string, Policy[]>();
  for (const p of policies) {
    for (const kind of new Set(p.rules.flatMap((r) => matchKinds(r.match)))) byKind.set(kind, [...(byKind.get(kind) ?? []), p]);
  }
  loaded = { policies, meta, byKind };
  return loaded;
}

function matchKinds(block: MatchBlock): string[] {
  return [block, ...(block.any ?? []), ...(block.all ?? [])].flatMap((f) => f.resources?.kinds ?? []);
}

function policyMeta(p: Policy): CheckMeta {
  const a = p.annotations;
  const required = (key: string) => {
    const v = a[key]?.trim();
    if (!v) throw new Error(`built-in policy ${p.name}: annotation ${key} is missing`);
    return v;
  };
  const severity = required('policies.kyverno.io/severity').toUpperCase();
  if (!(SEVERITIES as readonly string[]).includes(severity)) throw new Error(`built-in policy ${p.name}: unknown severity ${severity}`);
  const list = (key: string) => (a[key] ?? '').split(/\s+/).filter((s) => s !== '');
  return {
    id: required('palisade.dev/id'),
    type: 'kubernetes',
    severity: severity as Severity,
    title: required('policies.kyverno.io/title'),
    description: required('policies.kyverno.io/description'),
    remediation: required('palisade.dev/remediation'),
    references: list('palisade.dev/references'),
    trivy: list('palisade.dev/trivy'),
    implementation: 'policy',
  };
}

export function policyChecks(): CheckMeta[] {
  const { policies, meta } = builtinPolicies();
  return policies.map((p) => meta.get(p)!);
}

const CONTEXT_FAILURE = 'failed to create policy context: ';

/** Runs the built-in policies that match the object's kind. */
export function policyHits(m: Manifest): { hits: Hit[]; errors: string[] } {
  const { meta, byKind } = builtinPolicies();
  const out = { hits: [] as Hit[], errors: [] as string[] };
  const policies = byKind.get(m.kind);
  if (!policies) return out;
  const { responses } = applyPoliciesToResource(policies, { object: m.object, source: { path: m.path, line: m.line } });
  const skipped = new Set<string>();
  let contextFailure: string | undefined;
  for (const response of responses) {
    const check = meta.get(response.policy)!;
    for (const rule of response.rules) {
      if (rule.status === 'error' && rule.message.startsWith(CONTEXT_FAILURE)) {
        contextFailure = rule.message.slice(CONTEXT_FAILURE.length);
        skipped.add(check.id);
      } else if (rule.status === 'error') out.errors.push(`check ${check.id} could not be evaluated (${response.policy.name}/${rule.name}): ${rule.message}`);
      if (rule.status !== 'fail') continue;
      const segments = parseFieldPath(/failed at path (\S+)/.exec(rule.message)?.[1] ?? '/');
      const declared = response.policy.rules.find((r) => r.name === rule.name)?.validate?.message;
      const object = { kind: m.kind, name: m.name, ...(m.namespace !== undefined && { namespace: m.namespace }) };
      out.hits.push({
        check,
        path: m.path,
        line: m.lineOf(segments),
        message: declared ?? rule.message,
        object,
        field: formatFieldPath(segments),
        value: describeValue(m.object, segments),
      });
    }
  }
  if (contextFailure) out.errors.push(`checks ${[...skipped].sort().join(', ')} skipped: ${contextFailure}`);
  return out;
}

/** `image=nginx:1.25`, `readOnlyRootFilesystem not set`: the value at the failing path, for evidence. */
function describeValue(object: unknown, segments: readonly (string | number)[]): string {
  let current: unknown = object;
  for (const s of segments) {
    if (current === null || typeof current !== 'object') {
      current = undefined;
      break;
    }
    current = (current as Record<string | number, unknown>)[s];
  }
  const name = String(segments[segments.length - 1] ?? '');
  if (current === undefined || current === null) return `${name} not set`;
  if (typeof current === 'object') return name;
  return `${name}=${String(current)}`;
}
