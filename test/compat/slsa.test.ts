/**
 * Compatibility suite: slsa-verifier's CLI regression vectors (../shared/corpus/sigstore/slsa-verifier,
 * expected-cli-regression.json, derived from cli/slsa-verifier/main_regression_test.go) run through
 * verifyProvenance with the same options, offline.
 *
 * Harness, as slsa-verifier's: GitHub Actions cases run for every version directory of their builders
 * (gha_go, gha_generic, gha_delegator, gha_maven, gha_gradle; gha_container-based for the container
 * cases; `noversion` → the top-level testdata directory; `builders`/`minversion` narrow the set),
 * each with every builder id variant (full `builder@refs/tags/vX`, short `builder@vX` for versions
 * above v1.0.0, the bare builder name, none) unless the case names one. The provenance is
 * `<artifact>.intoto.jsonl` (or `.intoto.sigstore`, `.intoto.build.slsa`, `.build.slsa`). Artifact
 * digests come from artifacts.json (the binaries are not in the corpus). GCB cases use
 * gcb_container/<version>/<provenance> with the digest from `<artifact>.digest` and Cloud Build's keys
 * from verifiers/internal/gcb/keys/materials; npm cases npm/gha/<artifact>.json with npm's registry
 * keys (sigstore-js trust-roots). Keyless signatures are checked against Palisade's shipped
 * public-good trusted root. Run as slsa-verifier's testing mode (the e2e repository may use an
 * unreleased builder), as its regression suite does.
 *
 * Not run: vectors whose provenance is not in the corpus (gha_delegator/maven/gradle `.build.slsa`
 * files were not copied), `remote` GCB vectors (they pull images from a registry), and the VSA
 * vectors (verification summaries, not provenance).
 *
 * A run passes when it errs iff the vector expects an error; the error's reason is compared with
 * slsa-verifier's error as a second, informative score. Floors: every error vector errs; >= 90% of
 * success vectors pass.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publicGoodTrustedRoot } from '../../src/trust/bundle/index.ts';
import { builderMatches } from '../../src/trust/provenance/builders.ts';
import {
  authenticateProvenance,
  checkProvenance,
  isProvenanceError,
  parseNpmKeys,
  type AuthenticatedProvenance,
  type DigestSet,
  type VerifyProvenanceOptions,
} from '../../src/trust/provenance/index.ts';
import { corpusDir } from '../helpers/corpus.ts';

interface Vector {
  test_function: string;
  name: string;
  expect: 'success' | 'error';
  err?: { go: string };
  artifacts?: string[];
  artifact?: string;
  source?: string;
  pbranch?: string;
  ptag?: string;
  pversiontag?: string;
  pBuilderID?: string | { go: string };
  builderID?: string;
  outBuilderID?: string;
  inputs?: { go: string };
  noversion?: boolean;
  minversion?: string;
  builders?: string[];
  provenancePath?: string;
  provenance?: string;
  remote?: boolean;
  pkgName?: string;
  pkgVersion?: string;
}

interface Run {
  builder: string;
  outcome: 'pass' | 'fail';
  detail?: string;
  sameKind?: boolean;
}

const ROOT = corpusDir('sigstore', 'slsa-verifier');
const TESTDATA = ROOT ? join(ROOT, 'cli', 'slsa-verifier', 'testdata') : '';

const GENERATOR = 'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/';
const GHA_BUILDERS: Record<string, string> = {
  gha_go: `${GENERATOR}builder_go_slsa3.yml`,
  gha_generic: `${GENERATOR}generator_generic_slsa3.yml`,
  gha_delegator: 'https://github.com/slsa-framework/example-trw/.github/workflows/builder_high-perms_slsa3.yml',
  gha_maven: `${GENERATOR}builder_maven_slsa3.yml`,
  gha_gradle: `${GENERATOR}builder_gradle_slsa3.yml`,
  'gha_container-based': `${GENERATOR}builder_container-based_slsa3.yml`,
};
/** The regression test's `builder` in Test_runVerifyGCBArtifactImage (the JSON resolved it to another test's constant). */
const GCB_BUILDER = 'https://cloudbuild.googleapis.com/GoogleHostedWorker';
const PROVENANCE_SUFFIXES = ['.intoto.jsonl', '.intoto.sigstore', '.intoto.build.slsa', '.build.slsa'];

/** slsa-verifier's errors → our reasons (several of theirs share one of ours). */
const REASON_FOR: Record<string, string> = {
  ErrorUntrustedReusableWorkflow: 'UNTRUSTED_BUILDER',
  ErrorMismatchBranch: 'REF_MISMATCH',
  ErrorMismatchTag: 'REF_MISMATCH',
  ErrorMismatchVersionedTag: 'REF_MISMATCH',
  ErrorInvalidRef: 'INVALID_REF',
  ErrorMismatchSource: 'SOURCE_MISMATCH',
  ErrorMismatchHash: 'DIGEST_MISMATCH',
  ErrorRekorSearch: 'SIGNATURE_INVALID',
  ErrorNoValidSignature: 'SIGNATURE_INVALID',
  ErrorInvalidSignature: 'SIGNATURE_INVALID',
  ErrorMismatchWorkflowInputs: 'INPUTS_MISMATCH',
  ErrorMismatchBuilderID: 'BUILDER_MISMATCH',
  ErrorVerifierNotSupported: 'BUILDER_MISMATCH',
  ErrorNotSupported: 'UNTRUSTED_BUILDER',
  ErrorInvalidBuilderID: 'INVALID_OPTION',
  ErrorMismatchIntoto: 'PROVENANCE_MISMATCH',
  ErrorInvalidFormat: 'MALFORMED_PROVENANCE',
  ErrorInvalidDssePayload: 'MALFORMED_PROVENANCE',
  ErrorMismatchPackageName: 'PACKAGE_MISMATCH',
  ErrorMismatchPackageVersion: 'PACKAGE_MISMATCH',
};

function loadDigests(): Map<string, DigestSet> {
  const doc = JSON.parse(readFileSync(join(ROOT!, 'artifacts.json'), 'utf8')) as { artifacts: Array<{ path: string; sha256?: string; sha512?: string }> };
  const digests = new Map<string, DigestSet>();
  for (const a of doc.artifacts) {
    const set: Record<string, string> = {};
    if (a.sha256) set.sha256 = a.sha256;
    if (a.sha512) set.sha512 = a.sha512;
    digests.set(a.path, set);
  }
  return digests;
}

function loadGcbKeys(): Map<string, KeyObject> {
  const dir = join(ROOT!, 'verifiers', 'internal', 'gcb', 'keys', 'materials');
  return new Map(
    readdirSync(dir)
      .filter((f) => f.endsWith('.key'))
      .map((f) => [f.slice(0, -4), createPublicKey(readFileSync(join(dir, f)))] as const),
  );
}

/** `v1.2.3` ordering for the minversion filter (versions here are always vMAJOR.MINOR[.PATCH]). */
function compareVersions(a: string, b: string): number {
  const parts = (v: string): number[] => v.replace(/^v/, '').split('.').map(Number);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function versionDirs(builders: readonly string[], minversion?: string): string[] {
  const dirs: string[] = [];
  for (const builder of builders) {
    const dir = join(TESTDATA, builder);
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory() && (minversion === undefined || compareVersions(minversion, entry.name) <= 0)) dirs.push(`${builder}/${entry.name}`);
    }
  }
  return dirs.sort();
}

function parseInputs(go: string): Record<string, string> {
  return Object.fromEntries([...go.matchAll(/"([^"]+)":\s*"([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

/** `builder + "@v0.4"` and `builder + "a"` as the Go test writes them. */
function evalBuilderExpression(value: string | { go: string } | undefined, builder: string): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  const suffix = /^builder \+ "(.*)"$/.exec(value.go);
  if (!suffix) throw new Error(`cannot evaluate ${value.go}`);
  return builder + suffix[1];
}

describe.skipIf(!ROOT)('slsa-verifier CLI regression vectors (../shared/corpus/sigstore/slsa-verifier)', () => {
  it('verifies like slsa-verifier', () => {
    const vectors = (JSON.parse(readFileSync(join(ROOT!, 'expected-cli-regression.json'), 'utf8')) as { cases: Vector[] }).cases;
    const digests = loadDigests();
    const trustedRoot = publicGoodTrustedRoot();
    const npmKeys = parseNpmKeys(JSON.parse(readFileSync(join(corpusDir('sigstore', 'sigstore-js')!, 'trust-roots', 'registry.npmjs.org-keys.json'), 'utf8')));
    const gcbKeys = loadGcbKeys();
    const base: Partial<VerifyProvenanceOptions> = { trustedRoot, npmKeys, gcbKeys, allowUnreleasedTestBuilders: true };

    const results: Array<{ vector: Vector; group: string; dir: string; runs: Run[] }> = [];
    const skipped: Array<{ what: string; why: string }> = [];

    const digestOf = (relative: string): DigestSet | undefined => {
      const known = digests.get(`cli/slsa-verifier/testdata/${relative}`);
      if (known) return known;
      const path = join(TESTDATA, relative);
      return existsSync(path) ? { sha256: createHash('sha256').update(readFileSync(path)).digest('hex') } : undefined;
    };

    /** Runs one vector with each builder id; a run's outcome is whether it erred as expected. */
    // Signatures are checked once per provenance file; the vectors then vary the expectations.
    const authenticated = new Map<string, AuthenticatedProvenance | { unreadable: unknown }>();
    const authenticate = (path: string, options: VerifyProvenanceOptions): AuthenticatedProvenance => {
      let auth = authenticated.get(path);
      if (!auth) {
        try {
          auth = authenticateProvenance(readFileSync(path), options);
        } catch (err) {
          auth = { unreadable: err };
        }
        authenticated.set(path, auth);
      }
      if ('unreadable' in auth) throw auth.unreadable;
      return auth;
    };
    const runAll = (vector: Vector, provenancePath: string, options: Omit<VerifyProvenanceOptions, 'builderId'>, builderIds: Array<string | undefined>, outBuilder?: string): Run[] => {
      const runs: Run[] = [];
      for (const builderId of builderIds) {
        const label = builderId ?? '(no builder id)';
        try {
          const withBuilder = { ...options, ...(builderId !== undefined && { builderId }) };
          const result = checkProvenance(authenticate(provenancePath, withBuilder), withBuilder);
          if (vector.expect === 'error') {
            runs.push({ builder: label, outcome: 'fail', detail: `expected ${vector.err?.go}, verified (builder ${result.builderId})` });
          } else if (outBuilder !== undefined && !builderMatches(result.builderId, outBuilder, false)) {
            runs.push({ builder: label, outcome: 'fail', detail: `verified builder ${result.builderId}, expected ${outBuilder}` });
          } else {
            runs.push({ builder: label, outcome: 'pass' });
          }
        } catch (err) {
          if (!isProvenanceError(err)) throw err;
          if (vector.expect === 'success') {
            runs.push({ builder: label, outcome: 'fail', detail: `${err.reason}: ${err.message}` });
          } else {
            const wanted = REASON_FOR[vector.err!.go.replace(/^serrors\./, '')];
            runs.push({ builder: label, outcome: 'pass', sameKind: wanted === err.reason, detail: `${err.reason}: ${err.message}` });
          }
        }
      }
      return runs;
    };

    for (const vector of vectors) {
      const fn = vector.test_function;
      if (fn === 'Test_runVerifyVSA') {
        skipped.push({ what: `${fn} / ${vector.name}`, why: 'a verification summary, not provenance' });
        continue;
      }
      if (fn === 'Test_runVerifyGHAArtifactPath' || fn === 'Test_runVerifyGHAContainerBased') {
        const defaults = fn === 'Test_runVerifyGHAContainerBased' ? ['gha_container-based'] : ['gha_go', 'gha_generic', 'gha_delegator', 'gha_maven', 'gha_gradle'];
        const dirs = vector.noversion ? [''] : versionDirs(vector.builders ?? defaults, vector.minversion);
        for (const dir of dirs) {
          const [builderDir = '', version = ''] = dir.split('/');
          const artifacts = vector.artifacts ?? [];
          const prefix = dir ? `${dir}/` : '';
          const provenance = vector.provenancePath
            ? join(TESTDATA, prefix + vector.provenancePath)
            : PROVENANCE_SUFFIXES.map((s) => join(TESTDATA, prefix + artifacts[0] + s)).find(existsSync);
          const artifactDigests = artifacts.map((a) => digestOf(prefix + a));
          if (!provenance || !existsSync(provenance) || artifactDigests.some((d) => d === undefined)) {
            skipped.push({ what: `${fn} / ${vector.name} @ ${dir || 'testdata'}`, why: `${provenance ? 'artifact digest' : 'provenance'} not in the corpus` });
            continue;
          }
          const builder = GHA_BUILDERS[builderDir] ?? GHA_BUILDERS.gha_generic!;
          let builderIds: Array<string | undefined> = [builder, undefined];
          if (version && (fn === 'Test_runVerifyGHAContainerBased' || compareVersions(version, 'v1.0.0') > 0)) {
            builderIds.push(`${builder}@${version}`, `${builder}@refs/tags/${version}`);
          }
          const pinned = evalBuilderExpression(vector.pBuilderID, builder);
          if (pinned !== undefined) builderIds = [pinned];
          const options: Omit<VerifyProvenanceOptions, 'builderId'> = {
            ...base,
            artifacts: artifactDigests as DigestSet[],
            ...(vector.source !== undefined && { sourceUri: vector.source }),
            ...(vector.pbranch !== undefined && { sourceBranch: vector.pbranch }),
            ...(vector.ptag !== undefined && { sourceTag: vector.ptag }),
            ...(vector.pversiontag !== undefined && { sourceVersionedTag: vector.pversiontag }),
            ...(vector.inputs !== undefined && { workflowInputs: parseInputs(vector.inputs.go) }),
          };
          const group = fn === 'Test_runVerifyGHAContainerBased' ? 'gha_container-based' : dir ? builderDir : 'gha (top-level)';
          results.push({ vector, group, dir: dir || 'testdata', runs: runAll(vector, provenance, options, builderIds, vector.outBuilderID) });
        }
        continue;
      }
      if (fn === 'Test_runVerifyGCBArtifactImage') {
        if (vector.remote) {
          skipped.push({ what: `${fn} / ${vector.name}`, why: `pulls ${vector.artifact} from a registry` });
          continue;
        }
        for (const dir of vector.noversion ? [''] : versionDirs(['gcb_container'], vector.minversion)) {
          const version = dir.split('/')[1] ?? '';
          const provenance = join(TESTDATA, dir, vector.provenance!);
          const digestFile = join(TESTDATA, dir, `${vector.artifact!}.digest`);
          if (!existsSync(provenance) || !existsSync(digestFile)) {
            skipped.push({ what: `${fn} / ${vector.name} @ ${dir}`, why: 'provenance not in the corpus' });
            continue;
          }
          const sha256 = readFileSync(digestFile, 'utf8').trim().replace(/^sha256:/, '');
          const pinned = evalBuilderExpression(vector.pBuilderID, GCB_BUILDER);
          const builderIds = pinned !== undefined ? [pinned] : [`${GCB_BUILDER}@${version}`, GCB_BUILDER, undefined];
          const options: Omit<VerifyProvenanceOptions, 'builderId'> = {
            ...base,
            artifacts: [{ sha256 }],
            ...(vector.source !== undefined && { sourceUri: vector.source }),
            ...(vector.ptag !== undefined && { sourceTag: vector.ptag }),
            ...(vector.pversiontag !== undefined && { sourceVersionedTag: vector.pversiontag }),
          };
          const out = vector.outBuilderID !== undefined ? GCB_BUILDER : undefined;
          results.push({ vector, group: 'gcb_container', dir, runs: runAll(vector, provenance, options, builderIds, out) });
        }
        continue;
      }
      if (fn === 'Test_runVerifyNpmPackage' || fn === 'Test_runVerifyGithubAttestation') {
        const relative = fn === 'Test_runVerifyNpmPackage' ? `npm/gha/${vector.artifact!}` : `bcr/${vector.artifact!}`;
        const provenance = fn === 'Test_runVerifyNpmPackage' ? join(TESTDATA, `${relative}.json`) : join(TESTDATA, `${relative}.intoto.jsonl`);
        const digest = digestOf(relative);
        if (!existsSync(provenance) || !digest) {
          skipped.push({ what: `${fn} / ${vector.name}`, why: 'provenance not in the corpus' });
          continue;
        }
        const options: Omit<VerifyProvenanceOptions, 'builderId'> = {
          ...base,
          artifacts: [digest],
          ...(vector.source !== undefined && { sourceUri: vector.source }),
          ...(vector.pkgName !== undefined && { packageName: vector.pkgName }),
          ...(vector.pkgVersion !== undefined && { packageVersion: vector.pkgVersion }),
        };
        const group = fn === 'Test_runVerifyNpmPackage' ? 'npm' : 'github-attestation (bcr)';
        results.push({ vector, group, dir: relative, runs: runAll(vector, provenance, options, [vector.builderID]) });
        continue;
      }
      skipped.push({ what: `${fn} / ${vector.name}`, why: 'no harness for this test function' });
    }

    // Scoreboard: a (vector, directory) passes when all its builder-id runs do.
    const passed = (r: (typeof results)[number]): boolean => r.runs.every((run) => run.outcome === 'pass');
    const table = new Map<string, { success: [number, number]; error: [number, number]; sameKind: [number, number] }>();
    for (const r of results) {
      const row = table.get(r.group) ?? { success: [0, 0], error: [0, 0], sameKind: [0, 0] };
      const cell = r.vector.expect === 'success' ? row.success : row.error;
      cell[1]++;
      if (passed(r)) cell[0]++;
      if (r.vector.expect === 'error') {
        row.sameKind[1] += r.runs.length;
        row.sameKind[0] += r.runs.filter((run) => run.sameKind).length;
      }
      table.set(r.group, row);
    }
    const pct = ([n, d]: [number, number]): string => (d === 0 ? '   -  ' : `${((100 * n) / d).toFixed(1).padStart(5)}%`);
    const lines = ['slsa-verifier regression vectors (vector x version directory; all builder-id variants must pass)'];
    lines.push(`  ${'builder'.padEnd(26)} ${'success vectors'.padEnd(22)} ${'error vectors'.padEnd(22)} same error kind (runs)`);
    const total = { success: [0, 0] as [number, number], error: [0, 0] as [number, number], sameKind: [0, 0] as [number, number] };
    for (const [group, row] of [...table].sort()) {
      lines.push(
        `  ${group.padEnd(26)} ${`${row.success[0]}/${row.success[1]} ${pct(row.success)}`.padEnd(22)} ${`${row.error[0]}/${row.error[1]} ${pct(row.error)}`.padEnd(22)} ${row.sameKind[0]}/${row.sameKind[1]} ${pct(row.sameKind)}`,
      );
      for (const k of ['success', 'error', 'sameKind'] as const) {
        total[k][0] += row[k][0];
        total[k][1] += row[k][1];
      }
    }
    lines.push(
      `  ${'total'.padEnd(26)} ${`${total.success[0]}/${total.success[1]} ${pct(total.success)}`.padEnd(22)} ${`${total.error[0]}/${total.error[1]} ${pct(total.error)}`.padEnd(22)} ${total.sameKind[0]}/${total.sameKind[1]} ${pct(total.sameKind)}`,
    );
    const failures = results.filter((r) => !passed(r));
    if (failures.length > 0) {
      lines.push('failures:');
      for (const r of failures) {
        const run = r.runs.find((x) => x.outcome === 'fail')!;
        lines.push(`  [${r.vector.expect}] ${r.vector.test_function} / ${r.vector.name} @ ${r.dir} (${run.builder}): ${run.detail}`);
      }
    }
    const otherKind = results.filter((r) => r.vector.expect === 'error' && r.runs.some((run) => run.outcome === 'pass' && !run.sameKind));
    if (otherKind.length > 0) {
      lines.push('errors of another kind than slsa-verifier\'s:');
      for (const r of otherKind) {
        const run = r.runs.find((x) => !x.sameKind)!;
        lines.push(`  ${r.vector.name} @ ${r.dir}: expected ${r.vector.err?.go}, got ${run.detail?.split(':')[0]}`);
      }
    }
    // Not-run vectors, grouped by why (the delegator directories alone account for 160).
    const notRun = new Map<string, string[]>();
    for (const { what, why } of skipped) notRun.set(why, [...(notRun.get(why) ?? []), what]);
    lines.push(`not run (${skipped.length}):`);
    for (const [why, what] of notRun) {
      const dirs = [...new Set(what.map((w) => w.split(' @ ')[1] ?? w))];
      lines.push(`  ${what.length} x ${why}: ${dirs.length <= 6 ? dirs.join(', ') : `${dirs.slice(0, 6).join(', ')}, …`}`);
    }
    console.log(lines.join('\n'));

    expect(total.error[0], 'every error vector must produce an error').toBe(total.error[1]);
    expect(total.success[0] / total.success[1]).toBeGreaterThanOrEqual(0.9);
  });
});
