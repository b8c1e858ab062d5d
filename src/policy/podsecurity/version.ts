/**
 * Policy versions as namespaces label them (`pod-security.kubernetes.io/enforce-version`) and
 * Kyverno's `podSecurity.version` takes them: `latest` or `v1.<minor>`. As in admission, a version
 * newer than the newest rule change known here means the newest rules; one before v1.0 is an error.
 */
import { RuleError } from '../types.ts';

/** The newest Kubernetes minor whose rules are implemented (v1.37: two more safe sysctls). */
export const LATEST_MINOR = 37;

export const LATEST_VERSION = `v1.${LATEST_MINOR}`;

/** The Kubernetes 1.x minor version a policy version selects. */
export function resolveVersion(version: string | undefined): number {
  const trimmed = (version ?? '').trim();
  if (trimmed === '' || trimmed === 'latest') return LATEST_MINOR;
  const match = /^v?(\d+)\.(\d+)(?:\.\d+)?$/.exec(trimmed);
  if (!match) {
    throw new RuleError('INVALID', `pod security: invalid version "${version}" (expected "latest" or "v1.<minor>")`);
  }
  const major = Number(match[1]);
  const minor = Number(match[2]);
  if (major < 1) throw new RuleError('INVALID', `pod security: version "${version}" is older than v1.0`);
  if (major > 1) return LATEST_MINOR;
  return Math.min(minor, LATEST_MINOR);
}
