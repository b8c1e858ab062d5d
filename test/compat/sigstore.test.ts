/**
 * Compatibility suite: Sigstore bundle verification against ../shared/corpus/sigstore.
 *
 * 1. sigstore-conformance's bundle-verify cases: a case must fail iff its directory name ends in
 *    `_fail`; optional per-case files (artifact, identity, issuer, key.pub, trusted_root.json)
 *    override the defaults in bundle-verify/expected.json (default trusted root: the public-good
 *    instance's). Floor: every `_fail` case fails, and ≥ 95% of the positive cases pass.
 * 2. Bundles from sigstore-js, sigstore-python, sigstore-go and cosign whose expectation is clear
 *    from their names and the tests that use them (listed in EXTRA_CASES with the reason). Floor:
 *    every one behaves as expected. Left out: sigstore-python's a.dsse.staging-rekor-v2 as a positive
 *    case (its certificate's SCT comes from a staging CT log newer than the staging trusted root in
 *    the corpus, so it cannot verify offline), sigstore-go's othername bundle (a private test
 *    instance), and bundles whose artifact the corpus does not hold as message signatures
 *    (Python-3.12.5.tgz, bundle_v3_github.whl).
 *
 * Prints the pass rate and, for each failure, the TrustError reason and message.
 */
import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publicGoodTrustedRoot, readTrustedRoot, verifyBundle, type BundleArtifact, type BundlePolicy } from '../../src/trust/bundle/index.ts';
import { TrustError, type TrustFailure } from '../../src/trust/errors.ts';
import { loadPublicKey } from '../../src/trust/keys.ts';
import { corpusDir } from '../helpers/corpus.ts';

const base = corpusDir('sigstore');

interface Outcome {
  name: string;
  expectFailure: boolean;
  /** undefined: verified; else "REASON message". */
  error?: string;
  /** Failed the wrong way: a crash instead of a TrustError, or another reason than the case requires. */
  wrongFailure?: boolean;
}

const passed = (o: Outcome) => !o.wrongFailure && (o.error === undefined) !== o.expectFailure;

function attempt(name: string, expectFailure: boolean, reason: TrustFailure | undefined, run: () => unknown): Outcome {
  try {
    run();
    return { name, expectFailure };
  } catch (err) {
    if (!(err instanceof TrustError)) return { name, expectFailure, error: `CRASH ${String(err)}`, wrongFailure: true };
    const error = `${err.reason} ${err.message}`;
    // A failure for another reason than the one the case is about does not count as the expected failure.
    if (reason !== undefined && err.reason !== reason) return { name, expectFailure, error: `expected ${reason}, got ${error}`, wrongFailure: true };
    return { name, expectFailure, error };
  }
}

function report(title: string, outcomes: Outcome[]): void {
  const positives = outcomes.filter((o) => !o.expectFailure);
  const negatives = outcomes.filter((o) => o.expectFailure);
  const lines = [
    `[compat] ${title}: ${outcomes.filter(passed).length}/${outcomes.length} as expected ` +
      `(positive ${positives.filter(passed).length}/${positives.length}, _fail ${negatives.filter(passed).length}/${negatives.length})`,
  ];
  for (const o of outcomes.filter((x) => !passed(x))) {
    lines.push(`  ✗ ${o.name}: ${o.error ?? 'verified but must fail'}`);
  }
  console.log(lines.join('\n'));
}

describe.skipIf(!base)('Sigstore conformance bundle-verify', () => {
  const dir = join(base ?? '', 'conformance/bundle-verify');
  const defaults = (JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { defaults: Record<string, string> }).defaults;
  const cases = readdirSync(dir).filter((name) => existsSync(join(dir, name, 'bundle.sigstore.json')));

  function runCase(name: string): Outcome {
    const file = (f: string) => join(dir, name, f);
    const optional = (f: string) => (existsSync(file(f)) ? readFileSync(file(f), 'utf8').trim() : undefined);
    return attempt(name, name.endsWith('_fail'), undefined, () => {
      const root = existsSync(file('trusted_root.json')) ? readTrustedRoot(file('trusted_root.json')) : publicGoodTrustedRoot();
      const key = optional('key.pub');
      const policy: BundlePolicy = key
        ? { publicKey: loadPublicKey(key) }
        : { identity: optional('identity') ?? defaults.identity_default, issuer: optional('issuer') ?? defaults.issuer_default };
      const artifact = readFileSync(existsSync(file('artifact')) ? file('artifact') : join(dir, 'a.txt'));
      verifyBundle(readFileSync(file('bundle.sigstore.json'), 'utf8'), artifact, policy, root);
    });
  }

  const outcomes = cases.map(runCase);

  it('has the cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    report('conformance bundle-verify', outcomes);
  });

  it('fails every _fail case', () => {
    expect(outcomes.filter((o) => o.expectFailure && !passed(o)).map((o) => o.name)).toEqual([]);
  });

  it('verifies at least 95% of the positive cases', () => {
    const positives = outcomes.filter((o) => !o.expectFailure);
    expect(positives.filter(passed).length / positives.length).toBeGreaterThanOrEqual(0.95);
  });
});

interface ExtraCase {
  name: string;
  bundle: string;
  /** A corpus path to the artifact, a digest, or none (DSSE: signature and log checks only). */
  artifact?: string | { digest: string };
  policy: BundlePolicy | (() => BundlePolicy);
  trustedRoot?: string;
  expect: 'success' | 'failure';
  /** For failures whose cause is certain: the TrustError reason required. */
  reason?: TrustFailure;
  why: string;
}

const STAGING_ROOT = 'sigstore-python/staging-tuf/targets/ed6a9cf4e7c2e3297a4b5974fce0d17132f03c63512029d7aa3a402b43acab49.trusted_root.json';
const BRIAN = { identity: 'brian@dehamer.com', issuer: 'https://github.com/login/oauth' };
const WOODRUFF = { identity: 'william@yossarian.net', issuer: 'https://github.com/login/oauth' };
const SIGSTORE_JS_RELEASE = {
  identity: 'https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main',
  issuer: 'https://token.actions.githubusercontent.com',
};
const CONFORMANCE_BEACON = {
  identityRegexp: '^https://github\\.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/',
  issuer: 'https://token.actions.githubusercontent.com',
};

function npmRegistryKey(): BundlePolicy {
  const keys = JSON.parse(readFileSync(join(base ?? '', 'sigstore-js/trust-roots/registry.npmjs.org-keys.json'), 'utf8')) as {
    keys: { keyId: string; keyUsage: string; publicKey: { rawBytes: string } }[];
  };
  const key = keys.keys.find((k) => k.keyId === 'SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA' && k.keyUsage === 'npm:attestations');
  return { publicKey: createPublicKey({ key: Buffer.from(key!.publicKey.rawBytes, 'base64'), format: 'der', type: 'spki' }) };
}

const EXTRA_CASES: ExtraCase[] = [
  ...['bundleV01-dsse-no-proof', 'bundleV01-intoto-no-proof', 'bundleV01-intoto-with-proof', 'bundleV02-dsse', 'bundleV02-intoto', 'bundleV03-intoto'].map(
    (name): ExtraCase => ({
      name: `sigstore-js ${name}`,
      bundle: `sigstore-js/tests/bundles/${name}.sigstore`,
      artifact: { digest: 'sha512:7bea9f6e7ff37f5fab0b36bf061200fff03099fd2fd696b91d04bc5e4f225eb9fd6e0cadcad54ba980f43fb352a99e8810b4e0abeb5c0ef2cf9108cd1f258b36' },
      policy: BRIAN,
      expect: 'success',
      why: "sigstore-js's CLI verification fixtures (every bundle version, dsse and intoto log entries), signing statement.json's subject",
    }),
  ),
  {
    name: 'sigstore-js bundleV03-intoto for another digest',
    bundle: 'sigstore-js/tests/bundles/bundleV03-intoto.sigstore',
    artifact: { digest: `sha512:${'0'.repeat(128)}` },
    policy: BRIAN,
    expect: 'failure',
    reason: 'SUBJECT_MISMATCH',
    why: 'replay: a valid attestation whose subject is another artifact',
  },
  {
    name: 'sigstore-js bundleV03-intoto, wrong identity',
    bundle: 'sigstore-js/tests/bundles/bundleV03-intoto.sigstore',
    policy: { identity: 'someone@else.example', issuer: BRIAN.issuer },
    expect: 'failure',
    reason: 'POLICY_ERROR',
    why: 'identity constraint',
  },
  {
    name: 'sigstore-js bundleV03-intoto, wrong issuer regexp',
    bundle: 'sigstore-js/tests/bundles/bundleV03-intoto.sigstore',
    policy: { identityRegexp: '@dehamer\\.com$', issuerRegexp: '^https://accounts\\.google\\.com$' },
    expect: 'failure',
    reason: 'POLICY_ERROR',
    why: 'issuer regexp constraint',
  },
  {
    name: 'sigstore-js bundleV03-intoto, identity and issuer regexps',
    bundle: 'sigstore-js/tests/bundles/bundleV03-intoto.sigstore',
    policy: { identityRegexp: '@dehamer\\.com$', issuerRegexp: '^https://github\\.com/' },
    expect: 'success',
    why: 'regexp constraints that match',
  },
  {
    name: 'sigstore-python bundle_v3, staging root',
    bundle: 'sigstore-python/bundle_v3.txt.sigstore',
    artifact: 'sigstore-python/bundle_v3.txt',
    policy: WOODRUFF,
    trustedRoot: STAGING_ROOT,
    expect: 'success',
    why: "sigstore-python's v0.3 bundle test asset (signed on the staging instance)",
  },
  {
    name: 'sigstore-python integration bundle_v3, staging root',
    bundle: 'sigstore-python/integration/bundle_v3.txt.sigstore',
    artifact: 'sigstore-python/integration/bundle_v3.txt',
    policy: WOODRUFF,
    trustedRoot: STAGING_ROOT,
    expect: 'success',
    why: 'sigstore-python integration asset (staging)',
  },
  {
    name: 'sigstore-python bundle_v3, production root',
    bundle: 'sigstore-python/bundle_v3.txt.sigstore',
    artifact: 'sigstore-python/bundle_v3.txt',
    policy: WOODRUFF,
    expect: 'failure',
    reason: 'CERTIFICATE_ERROR',
    why: 'a staging certificate does not chain to the production Fulcio',
  },
  {
    name: 'sigstore-python bundle_v3 over another file',
    bundle: 'sigstore-python/bundle_v3.txt.sigstore',
    artifact: 'sigstore-python/a.txt',
    policy: WOODRUFF,
    trustedRoot: STAGING_ROOT,
    expect: 'failure',
    reason: 'DIGEST_MISMATCH',
    why: 'artifact mismatch',
  },
  {
    name: 'sigstore-python bundle_no_checkpoint',
    bundle: 'sigstore-python/bundle_no_checkpoint.txt.sigstore',
    artifact: 'sigstore-python/bundle_no_checkpoint.txt',
    policy: WOODRUFF,
    expect: 'failure',
    reason: 'MALFORMED_BUNDLE',
    why: 'a v0.2 inclusion proof without its checkpoint (sigstore-python rejects it)',
  },
  {
    name: 'sigstore-python bundle_no_log_entry',
    bundle: 'sigstore-python/bundle_no_log_entry.txt.sigstore',
    artifact: 'sigstore-python/bundle_no_log_entry.txt',
    policy: { identity: 'alex.cameron@trailofbits.com', issuer: 'https://accounts.google.com' },
    expect: 'failure',
    why: 'no transparency log entry',
  },
  {
    name: 'sigstore-python bundle_no_cert_v1',
    bundle: 'sigstore-python/bundle_no_cert_v1.txt.sigstore',
    artifact: 'sigstore-python/bundle_no_cert_v1.txt',
    policy: { identityRegexp: '.*', issuerRegexp: '.*' },
    expect: 'failure',
    reason: 'MALFORMED_BUNDLE',
    why: 'the certificate is not a Fulcio one',
  },
  {
    name: 'sigstore-python bundle_v3_no_signed_time',
    bundle: 'sigstore-python/bundle_v3_no_signed_time.txt.sigstore.json',
    artifact: 'sigstore-python/bundle_v3_no_signed_time.txt',
    policy: WOODRUFF,
    expect: 'failure',
    reason: 'TIMESTAMP_ERROR',
    why: 'an inclusion proof without SET or TSA timestamp gives no signed time for the short-lived certificate',
  },
  {
    name: 'sigstore-python a.dsse staging Rekor v2, production root',
    bundle: 'sigstore-python/a.dsse.staging-rekor-v2.txt.sigstore.json',
    policy: CONFORMANCE_BEACON,
    expect: 'failure',
    why: 'staging bundle must not verify against production',
  },
  {
    name: 'sigstore-go dsse',
    bundle: 'sigstore-go/pkg/testing/data/bundles/dsse.sigstore.json',
    policy: BRIAN,
    expect: 'success',
    why: 'sigstore-go fixture (production, intoto 0.0.2 with SET)',
  },
  {
    name: 'sigstore-go dsse-2sigs',
    bundle: 'sigstore-go/pkg/testing/data/bundles/dsse-2sigs.sigstore.json',
    policy: BRIAN,
    expect: 'failure',
    reason: 'MALFORMED_BUNDLE',
    why: 'bundles must carry exactly one DSSE signature',
  },
  {
    name: 'sigstore-go sigstore.js@2.0.0 provenance',
    bundle: 'sigstore-go/pkg/testing/data/bundles/sigstore.js@2.0.0-provenance.sigstore.json',
    policy: SIGSTORE_JS_RELEASE,
    expect: 'success',
    why: 'npm provenance of sigstore@2.0.0 (GitHub Actions identity)',
  },
  {
    name: 'sigstore-go example provenance',
    bundle: 'sigstore-go/examples/bundle-provenance.json',
    policy: SIGSTORE_JS_RELEASE,
    expect: 'success',
    why: 'sigstore-go example: npm provenance bundle',
  },
  {
    name: 'sigstore-go example npm publish attestation (registry key)',
    bundle: 'sigstore-go/examples/bundle-publish.json',
    policy: npmRegistryKey,
    expect: 'success',
    why: "key-based bundle signed by the npm registry's attestation key",
  },
  {
    name: 'cosign oci-attestation',
    bundle: 'cosign/pkg/cosign/testdata/oci-attestation.sigstore.json',
    policy: { identity: 'cody@soyland.com', issuer: 'https://github.com/login/oauth' },
    expect: 'success',
    why: "cosign's v0.3 DSSE attestation test bundle (production)",
  },
];

describe.skipIf(!base)('Sigstore bundles from client test data', () => {
  const path = (p: string) => join(base ?? '', p);
  const outcomes = EXTRA_CASES.map((c) =>
    attempt(c.name, c.expect === 'failure', c.reason, () => {
      const artifact: BundleArtifact = typeof c.artifact === 'string' ? readFileSync(path(c.artifact)) : c.artifact;
      const root = c.trustedRoot ? readTrustedRoot(path(c.trustedRoot)) : publicGoodTrustedRoot();
      const policy = typeof c.policy === 'function' ? c.policy() : c.policy;
      verifyBundle(readFileSync(path(c.bundle), 'utf8'), artifact, policy, root);
    }),
  );

  it('behave as their sources expect', () => {
    report('client bundles', outcomes);
    expect(outcomes.filter((o) => !passed(o)).map((o) => `${o.name}: ${o.error ?? 'verified'}`)).toEqual([]);
  });
});
