/**
 * SLSA build track (https://slsa.dev/spec/v1.1/levels) as far as a workflow file shows it:
 *
 * - Build L1, provenance exists: a step or job generates provenance for what is built.
 * - Build L2, hosted and signed: that provenance is signed through the platform's identity
 *   (Sigstore keyless with the GitHub OIDC token) and the build runs on GitHub-hosted runners.
 * - Build L3, hardened: signing happens where the build's own steps cannot reach it (the
 *   slsa-github-generator reusable workflows), on ephemeral hosted runners, without restored
 *   caches, with build dependencies pinned and the OIDC token granted only where it is needed.
 *
 * Each level lists the evidence for and against it, so a user can see what to change.
 */
import { allContexts } from './expr/analyze.ts';
import { expressionsIn } from './audits/audit.ts';
import { isFullSha, usesMatches, withInputs, type Job, type Step, type Workflow } from './model.ts';
import { entry, items, str } from './yaml.ts';

export type SlsaLevel = 0 | 1 | 2 | 3;

export interface SlsaCheck {
  /** The level this requirement belongs to. */
  level: 1 | 2 | 3;
  met: boolean;
  text: string;
}

export interface SlsaAssessment {
  path: string;
  name?: string;
  /** Builds and publishes something (release triggers or publishing steps). */
  release: boolean;
  level: SlsaLevel;
  /** How provenance is produced, when it is. */
  provenance: string[];
  checks: SlsaCheck[];
}

const SLSA_GENERATOR = 'slsa-framework/slsa-github-generator';
/** The generator's reusable workflows and actions live under subpaths of the repository. */
const SLSA_GENERATOR_ANY = `${SLSA_GENERATOR}/*`;

/** Steps that publish or release artifacts. */
const PUBLISHERS = [
  'pypa/gh-action-pypi-publish',
  'rubygems/release-gem',
  'goreleaser/goreleaser-action',
  'softprops/action-gh-release',
  'ncipollo/release-action',
  'docker/build-push-action',
  'jreleaser/release-action',
  'JS-DevTools/npm-publish',
  'cargo-bins/release-pr',
];

interface Generator {
  name: string;
  signed: boolean;
  /** Signing runs outside the build's control (a separate reusable workflow). */
  isolated: boolean;
  job: Job;
}

function stepGenerator(step: Step, job: Job): Generator | undefined {
  const uses = step.uses?.parsed;
  if (uses && (usesMatches(uses, 'actions/attest-build-provenance') || usesMatches(uses, 'actions/attest'))) {
    return { name: 'actions/attest-build-provenance (Sigstore-signed GitHub attestation)', signed: true, isolated: false, job };
  }
  if (uses && usesMatches(uses, 'docker/build-push-action')) {
    const provenance = withInputs(step).get('provenance')?.value?.trim();
    if (provenance && provenance !== 'false') return { name: `docker/build-push-action provenance (${provenance}, unsigned)`, signed: false, isolated: false, job };
  }
  if (uses && usesMatches(uses, 'pypa/gh-action-pypi-publish') && withInputs(step).get('attestations')?.value?.trim() !== 'false' && !withInputs(step).has('password')) {
    return { name: 'PyPI trusted publishing attestations (Sigstore-signed)', signed: true, isolated: false, job };
  }
  if (step.run) {
    const script = str(job.workflow.file, step.run.value) ?? '';
    if (/\bnpm\s+publish\b[^\n]*--provenance|\bNPM_CONFIG_PROVENANCE\b/.test(script)) {
      return { name: 'npm publish --provenance (Sigstore-signed)', signed: true, isolated: false, job };
    }
    if (/\bcosign\s+attest\b|\bgh\s+attestation\b/.test(script)) return { name: 'cosign/gh attestation in a run step', signed: true, isolated: false, job };
  }
  return undefined;
}

function generators(w: Workflow): Generator[] {
  const out: Generator[] = [];
  for (const job of w.jobs) {
    const uses = job.uses?.parsed;
    if (uses && usesMatches(uses, SLSA_GENERATOR_ANY)) {
      out.push({ name: `${SLSA_GENERATOR} (${uses.kind === 'repository' ? uses.subpath?.split('/').pop() : 'reusable workflow'})`, signed: true, isolated: true, job });
      continue;
    }
    for (const step of job.steps) {
      const g = stepGenerator(step, job);
      if (g) out.push(g);
    }
  }
  return out;
}

function isRelease(w: Workflow): boolean {
  if (w.triggers.has('release')) return true;
  const push = w.triggers.get('push');
  if (push && entry(w.file, push, 'tags')) return true;
  return w.jobs.some((j) =>
    j.steps.some((s) => (s.uses && PUBLISHERS.some((p) => usesMatches(s.uses!.parsed, p))) || /\b(npm|pnpm|yarn)\s+publish\b|\bcargo\s+publish\b|\btwine\s+upload\b|\bgh\s+release\s+create\b|\bdocker\s+push\b/.test(str(w.file, s.run?.value) ?? '')),
  );
}

function selfHosted(job: Job): boolean {
  const file = job.workflow.file;
  const runsOn = job.field('runs-on');
  const labels = [str(file, runsOn?.value), ...items(file, runsOn?.value).map((i) => str(file, i.value)), str(file, entry(file, runsOn?.value, 'group')?.value)];
  if (entry(file, runsOn?.value, 'group')) return true;
  return labels.some((l) => l !== null && (l.toLowerCase() === 'self-hosted' || (!l.includes('${{') && !/^(ubuntu|windows|macos)-/i.test(l))));
}

function idTokenScope(w: Workflow): 'none' | 'workflow' | 'jobs' {
  const grants = (node: ReturnType<Workflow['field']>): boolean =>
    !!node && (str(w.file, node.value) === 'write-all' || str(w.file, entry(w.file, node.value, 'id-token')?.value) === 'write');
  if (grants(w.field('permissions'))) return 'workflow';
  return w.jobs.some((j) => grants(j.field('permissions'))) ? 'jobs' : 'none';
}

function restoresCache(job: Job): boolean {
  return job.steps.some(
    (s) =>
      !!s.uses &&
      (usesMatches(s.uses.parsed, 'actions/cache') ||
        usesMatches(s.uses.parsed, 'actions/cache/restore') ||
        usesMatches(s.uses.parsed, 'Swatinem/rust-cache') ||
        ((usesMatches(s.uses.parsed, 'actions/setup-node') || usesMatches(s.uses.parsed, 'actions/setup-python') || usesMatches(s.uses.parsed, 'actions/setup-java')) &&
          !!withInputs(s).get('cache')?.value)),
  );
}

function unpinnedActions(w: Workflow): number {
  let n = 0;
  for (const job of w.jobs) {
    const refs = [job.uses, ...job.steps.map((s) => s.uses)];
    for (const r of refs) if (r?.parsed.kind === 'repository' && !usesMatches(r.parsed, SLSA_GENERATOR_ANY) && !isFullSha(r.parsed.ref)) n++;
  }
  return n;
}

/** True when a step of the build writes the OIDC token or signing keys somewhere the build can read. */
function buildReadsSigningSecrets(w: Workflow): boolean {
  return w.jobs.some((job) =>
    job.steps.some((s) =>
      [s.env, s.with].some((e) =>
        expressionsIn(w.file, e?.value).some((x) => x.expr && allContexts(x.expr).some((c) => c.path?.[0] === 'secrets' && /sign|cosign|gpg|private/.test(c.path[1] ?? ''))),
      ),
    ),
  );
}

export function assessWorkflow(w: Workflow): SlsaAssessment {
  const gens = generators(w);
  const buildJobs = w.jobs.filter((j) => j.kind === 'normal');
  const hosted = buildJobs.every((j) => !selfHosted(j));
  const signed = gens.filter((g) => g.signed);
  const isolated = gens.filter((g) => g.isolated);
  const tokenScope = idTokenScope(w);
  const caches = buildJobs.filter(restoresCache);
  const unpinned = unpinnedActions(w);
  const checks: SlsaCheck[] = [
    { level: 1, met: gens.length > 0, text: gens.length > 0 ? `provenance generated by ${gens.map((g) => g.name).join(', ')}` : 'no provenance generation step (slsa-github-generator, actions/attest-build-provenance, npm --provenance …)' },
    { level: 2, met: signed.length > 0, text: signed.length > 0 ? 'provenance is signed with the workflow\'s OIDC identity (Sigstore)' : 'provenance is not signed by the platform' },
    { level: 2, met: hosted, text: hosted ? 'every job runs on GitHub-hosted runners' : 'a job runs on a self-hosted or custom runner' },
    { level: 2, met: tokenScope !== 'none' || isolated.length > 0, text: tokenScope !== 'none' || isolated.length > 0 ? 'id-token: write is granted for signing' : 'no job is granted id-token: write, so keyless signing cannot happen' },
    { level: 3, met: isolated.length > 0, text: isolated.length > 0 ? 'signing runs in a separate reusable workflow the build cannot modify' : 'provenance is produced by a step of the build job itself (forgeable by that job)' },
    { level: 3, met: tokenScope !== 'workflow', text: tokenScope !== 'workflow' ? 'id-token: write is scoped to jobs' : 'id-token: write is granted to every job at the workflow level' },
    { level: 3, met: caches.length === 0, text: caches.length === 0 ? 'no build cache is restored' : `restores a cache in ${caches.map((j) => j.id).join(', ')} (cache poisoning breaks isolation)` },
    { level: 3, met: unpinned === 0, text: unpinned === 0 ? 'actions and reusable workflows are pinned to commit SHAs' : `${unpinned} action reference(s) are not pinned to a commit SHA` },
    { level: 3, met: !buildReadsSigningSecrets(w), text: buildReadsSigningSecrets(w) ? 'build steps receive signing secrets' : 'build steps receive no signing secrets' },
  ];
  let level: SlsaLevel = 0;
  for (const l of [1, 2, 3] as const) {
    if (checks.filter((c) => c.level === l).every((c) => c.met)) level = l;
    else break;
  }
  const out: SlsaAssessment = { path: w.file.path, release: isRelease(w) || gens.length > 0, level, provenance: gens.map((g) => g.name), checks };
  const name = str(w.file, w.field('name')?.value);
  if (name !== null) out.name = name;
  return out;
}
