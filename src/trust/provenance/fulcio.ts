/**
 * The GitHub Actions identity in a Fulcio signing certificate (sigstore/fulcio docs/oid-info.md):
 * the SAN URI is the workflow that signed (`job_workflow_ref`: a reusable workflow such as
 * slsa-github-generator's builders, or the repository's own workflow), and the extensions record the
 * repository, ref, commit and event that started the run. Arc 1.3.6.1.4.1.57264.1: .1–.6 are the
 * deprecated raw-string extensions, .8 onwards DER UTF8Strings; the newer ones win when both exist.
 */
import type { X509Certificate } from '@sigstore/core';

export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';

export interface WorkflowIdentity {
  /** OIDC issuer (`https://token.actions.githubusercontent.com` for GitHub Actions). */
  issuer?: string;
  /** SAN URI: `https://github.com/<owner>/<repo>/<path>@<ref>`. */
  signer: string;
  /** `https://github.com/<owner>/<repo>` of the source repository. */
  sourceRepository?: string;
  sourceRef?: string;
  sourceDigest?: string;
  trigger?: string;
  runnerEnvironment?: string;
}

const ARC = '1.3.6.1.4.1.57264.1';

/** Fulcio extensions by dotted OID, decoded to text (the form verifyBundle reports them in). */
export type FulcioExtensions = Readonly<Record<string, string>>;

export function workflowIdentity(san: string, extensions: FulcioExtensions): WorkflowIdentity {
  const identity: WorkflowIdentity = { signer: san };
  const ext = (n: number): string | undefined => {
    const value = extensions[`${ARC}.${n}`];
    return value ? value : undefined;
  };
  const server = /^(https:\/\/[^/]+)\//.exec(san)?.[1] ?? 'https://github.com';
  const legacyRepo = ext(5);
  set(identity, 'issuer', ext(8) ?? ext(1));
  set(identity, 'sourceRepository', ext(12) ?? (legacyRepo ? `${server}/${legacyRepo}` : undefined));
  set(identity, 'sourceRef', ext(14) ?? ext(6));
  set(identity, 'sourceDigest', ext(13) ?? ext(3));
  set(identity, 'trigger', ext(20) ?? ext(2));
  set(identity, 'runnerEnvironment', ext(11));
  return identity;
}

/** The SAN URI and decoded Fulcio extensions of a certificate. */
export function certificateIdentity(cert: X509Certificate): WorkflowIdentity | undefined {
  const san = cert.extSubjectAltName?.uri;
  if (!san) return undefined;
  const extensions: Record<string, string> = {};
  for (let n = 1; n <= 22; n++) {
    const ext = cert.extension(`${ARC}.${n}`);
    if (!ext) continue;
    // Up to .6 the extension value is the string itself, from .8 on a DER UTF8String.
    const text = n <= 6 ? ext.value.toString('utf8') : decodeUtf8String(() => ext.valueObj.subs[0]?.value);
    if (text) extensions[`${ARC}.${n}`] = text;
  }
  return workflowIdentity(san, extensions);
}

function decodeUtf8String(read: () => Buffer | undefined): string | undefined {
  try {
    return read()?.toString('utf8');
  } catch {
    return undefined;
  }
}

function set<K extends keyof WorkflowIdentity>(identity: WorkflowIdentity, key: K, value: WorkflowIdentity[K] | undefined): void {
  if (value !== undefined) identity[key] = value;
}
