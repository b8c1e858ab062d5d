/** Secret findings as Palisade's common `Finding` (kind `secret`), for the shared renderers. */
import type { Finding, Severity } from '../core/types.ts';
import type { SecretFinding } from './finding.ts';

/**
 * Every leaked credential is HIGH, except the catch-all rules that fire on a name and a
 * random-looking value (generic-…), which guess more often: MEDIUM.
 */
export function secretSeverity(ruleId: string): Severity {
  return ruleId.toLowerCase().includes('generic') ? 'MEDIUM' : 'HIGH';
}

export function toCoreFinding(f: SecretFinding, target: string): Finding {
  return {
    kind: 'secret',
    id: f.ruleId,
    severity: secretSeverity(f.ruleId),
    title: f.description || f.ruleId,
    target,
    location: { path: f.file || '(stdin)', ...(f.startLine > 0 && { line: f.startLine }) },
    evidence: f.match,
    remediation: 'Revoke and rotate the credential, then remove it from the code (and from history if it was committed); load it from a secret store or the environment.',
    secret: {
      secret: f.secret,
      match: f.match,
      entropy: f.entropy,
      tags: f.tags,
      fingerprint: f.fingerprint,
      startColumn: f.startColumn,
      endLine: f.endLine,
      ...(f.commit && { commit: { sha: f.commit, author: f.author, email: f.email, date: f.date, message: f.message } }),
    },
  };
}
