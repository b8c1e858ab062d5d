/** Kubernetes misconfiguration checks: the TypeScript checks and the built-in policies over a set of manifests. */
import type { InputIssue } from '../../core/types.ts';
import type { Hit } from '../check.ts';
import type { Manifest } from '../manifests.ts';
import { checkManifest, indexManifests } from './checks.ts';
import { policyHits } from './policy-checks.ts';

export { PSS_CONTROLS, WORKLOAD_KINDS, typescriptChecks } from './checks.ts';
export { policyChecks } from './policy-checks.ts';

/** Every check on every object; cross-object checks see the whole set. A rule that errors is an issue. */
export function checkManifests(manifests: readonly Manifest[]): { hits: Hit[]; issues: InputIssue[] } {
  const set = indexManifests(manifests);
  const hits: Hit[] = [];
  const issues: InputIssue[] = [];
  for (const m of manifests) {
    hits.push(...checkManifest(m, set));
    const evaluated = policyHits(m);
    hits.push(...evaluated.hits);
    for (const e of evaluated.errors) issues.push({ path: m.path, line: m.line, message: e });
  }
  return { hits, issues };
}
