/**
 * Core types shared by every stage of the pipeline (catalog → SBOM → match → findings → report).
 * Keep them small: a stage that needs more detail keeps it in its own types.
 */

/** OSV ecosystem names (https://ossf.github.io/osv-schema/#affectedpackage-field), without a release suffix. */
export type Ecosystem =
  | 'npm'
  | 'PyPI'
  | 'Go'
  | 'crates.io'
  | 'RubyGems'
  | 'Packagist'
  | 'Maven'
  | 'NuGet'
  | 'Pub'
  | 'Hex'
  | 'ConanCenter'
  | 'CRAN'
  | 'Hackage'
  | 'SwiftURL'
  | 'CocoaPods'
  | 'Debian'
  | 'Ubuntu'
  | 'Alpine'
  | 'Wolfi'
  | 'Chainguard'
  | 'Red Hat'
  | 'AlmaLinux'
  | 'Rocky Linux';

/**
 * How a package is used by the project that declares it.
 * `required`: needed at run time; `optional`: installed only when possible (npm optional, extras);
 * `dev`: build/test only (devDependencies, poetry dev group, composer packages-dev, maven test scope).
 */
export type Scope = 'required' | 'optional' | 'dev';

/** Where a package was found. `path` is relative to the scan root and uses `/` separators. */
export interface Location {
  path: string;
  line?: number;
  /** Image layer that introduced the file (images only). */
  layer?: { digest: string; diffId?: string; createdBy?: string };
}

export interface Package {
  name: string;
  /** Absent when the input does not pin one (e.g. `requests>=2` in requirements.txt): the package is unresolved. */
  version?: string;
  ecosystem: Ecosystem;
  /** Package URL (https://github.com/package-url/purl-spec); also the component identity in SBOMs. */
  purl: string;
  locations: Location[];
  scope: Scope;
  /** Raw dependency groups from the lockfile (`dev`, `optional`, `bundled`, `test`, poetry groups …). */
  groups?: string[];
  /** SPDX license expressions or names, as declared by the package metadata. */
  licenses?: string[];
  /** OS packages: the source package (dpkg `Source:`, apk origin, rpm source RPM). */
  source?: { name: string; version?: string };
  /** purls of the packages this one depends on, where the input records the edges. */
  dependsOn?: string[];
  /** True when this package is a direct dependency of the scanned project. */
  direct?: boolean;
  /** VCS commit for git-sourced dependencies. */
  commit?: string;
  /**
   * OS packages: the distribution release as an OSV ecosystem (`Debian:12`, `Alpine:v3.20`,
   * `Ubuntu:22.04:LTS`); advisories of other releases never apply.
   */
  distro?: string;
}

/** `file`: a single configuration file (Kubernetes manifest, Dockerfile) scanned for misconfigurations. */
export type TargetKind = 'dir' | 'lockfile' | 'image' | 'rootfs' | 'sbom' | 'file';

export interface Target {
  kind: TargetKind;
  /** What the user named: a path or an image reference. */
  name: string;
  metadata?: Record<string, string>;
}

export type Severity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'UNKNOWN';

export const SEVERITIES: readonly Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'];

export type FindingKind = 'vuln' | 'misconfig' | 'secret' | 'policy' | 'runtime';

export interface Finding {
  kind: FindingKind;
  id: string;
  severity: Severity;
  title: string;
  target: string;
  location?: Location;
  evidence?: string;
  remediation?: string;
  references?: string[];
  /** Vulnerability findings: the package and advisory details. */
  vuln?: VulnDetails;
  /** Misconfiguration findings: the check and the object it fired on. */
  misconfig?: MisconfigDetails;
  /** Secret findings: where in history and how to suppress it (src/secrets). */
  secret?: SecretDetails;
  /** Set when a VEX statement or ignore rule applies; suppressed findings are hidden by default. */
  suppression?: { kind: 'vex' | 'ignore'; status: string; justification?: string; source: string };
}

/** A leaked credential: the rule that found it, the (redacted) secret, and the commit that added it. */
export interface SecretDetails {
  /** The secret as reported: redacted unless the user asked otherwise. */
  secret: string;
  match: string;
  entropy: number;
  tags: string[];
  /** gitleaks fingerprint (`[commit:]file:rule:line`), usable in `.gitleaksignore`. */
  fingerprint: string;
  startColumn: number;
  endLine: number;
  commit?: { sha: string; author: string; email: string; date: string; message: string };
}

export interface VulnDetails {
  aliases: string[];
  package: { name: string; version: string; ecosystem: string; purl: string; scope: Scope; locations: Location[] };
  /** Versions that fix it, the lowest above the installed one first. */
  fixedVersions: string[];
  /** `fixed`: a fixed version exists; `unfixed`: the advisory names none (yet). */
  status: 'fixed' | 'unfixed';
  cvss?: { version: string; vector: string; score: number };
  /** Every scored vector, and where the severity came from (`cvss`, `ghsa`, `ubuntu`, `none`). */
  cvssAll: { version: string; vector: string; score: number }[];
  severitySource: string;
  /** OSV records merged into this finding (one vulnerability may have several records). */
  advisories: string[];
  published?: string;
  modified?: string;
  description?: string;
}

export interface MisconfigDetails {
  /** What was checked: a Kubernetes manifest or a Dockerfile. */
  type: 'kubernetes' | 'dockerfile';
  /** The same check in other tools (Trivy `KSV-0017`/`KSV017`, `DS-0002`/`DS002`). */
  aliases: string[];
  description: string;
  /** What is wrong in this object, in one sentence. */
  message: string;
  /** The Kubernetes object (kind, namespace, name) or the Dockerfile stage (`stage`, its name or index). */
  object: { kind: string; name: string; namespace?: string };
  /** Field path of the offending (or missing) field: `spec.template.spec.containers[0].securityContext.privileged`. */
  field?: string;
}

/**
 * A problem with one input that did not stop the run: the file was skipped or read in part.
 * Shown to the user as `path:line: message`; `--strict` turns any of them into exit code 2.
 */
export interface InputIssue {
  path: string;
  line?: number;
  message: string;
}
