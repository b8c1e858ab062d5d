/** What every SBOM writer consumes: the target, its packages, and what could not be read. */
import type { InputIssue, Package, Target } from '../../core/types.ts';

export interface SbomDocument {
  target: Target;
  packages: Package[];
  /** Non-empty means the package list may be incomplete; writers must say so. */
  issues: InputIssue[];
}
