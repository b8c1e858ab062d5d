/**
 * The policies a deployment carries when none are given: Pod Security Standards the way
 * pod-security admission recommends rolling them out, baseline enforced (it blocks known privilege
 * escalations and breaks few workloads) and restricted audited (its failures come back as
 * warnings, showing what would break before it is enforced). Pod controllers are covered through
 * Kyverno's autogen rules.
 */
import type { ConfigMapFile } from './objects.ts';

function podSecurityPolicy(level: 'baseline' | 'restricted', action: 'Enforce' | 'Audit'): ConfigMapFile {
  const title = level[0]?.toUpperCase() + level.slice(1);
  return {
    name: `pod-security-${level}.yaml`,
    text: `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: pod-security-${level}
  annotations:
    policies.kyverno.io/title: Pod Security Standards (${title})
    policies.kyverno.io/category: Pod Security Standards (${title})
    policies.kyverno.io/severity: ${level === 'baseline' ? 'high' : 'medium'}
spec:
  validationFailureAction: ${action}
  background: true
  rules:
    - name: ${level}
      match:
        any:
          - resources:
              kinds: [Pod]
      validate:
        podSecurity:
          level: ${level}
          version: latest
`,
  };
}

export const DEFAULT_POLICY_FILES: readonly ConfigMapFile[] = [podSecurityPolicy('baseline', 'Enforce'), podSecurityPolicy('restricted', 'Audit')];
