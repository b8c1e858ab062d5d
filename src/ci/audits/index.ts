/** The GitHub Actions and Dependabot audits, in the order they run. */
import type { Audit } from './audit.ts';
import { cacheAudit } from './cache.ts';
import { conditionsAudit } from './conditions.ts';
import { credentialsAudit } from './credentials.ts';
import { hygieneAudit } from './hygiene.ts';
import { injectionAudit } from './injection.ts';
import { permissionsAudit } from './permissions.ts';
import { pinningAudit } from './pinning.ts';
import { scriptsAudit } from './scripts.ts';
import { triggersAudit } from './triggers.ts';

export const GITHUB_AUDITS: readonly Audit[] = [
  injectionAudit,
  triggersAudit,
  permissionsAudit,
  pinningAudit,
  cacheAudit,
  credentialsAudit,
  scriptsAudit,
  conditionsAudit,
  hygieneAudit,
];
