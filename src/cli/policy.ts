/**
 * `palisade policy`: Kyverno-compatible policies, offline.
 *
 * - `apply POLICY... -r RESOURCE...` applies ClusterPolicies/Policies to manifests (flags and exit
 *   codes of `kyverno apply`: 1 when a rule fails or errors, `--warn-exit-code` for warnings).
 * - `test DIR...` runs kyverno-test.yaml files (as `kyverno test`: 1 when a test fails).
 */
import { stringify as toYaml } from 'yaml';
import { Command, Option } from 'commander';
import { PalisadeError } from '../core/errors.ts';
import { applyCelPolicies } from '../policy/cel/apply.ts';
import { loadCelCliInputs } from '../policy/cel/cli-inputs.ts';
import { prepareImageVerification, type ImageVerificationOptions } from '../policy/cel/image-verify.ts';
import { readTrustedRoot, type TrustedRoot } from '../trust/bundle/trusted-root.ts';
import type { Logger } from '../core/log.ts';
import { loadCelPolicies } from '../policy/cel/load.ts';
import { applyPolicies } from '../policy/engine/engine.ts';
import { deepEqual } from '../policy/engine/json-patch.ts';
import { evaluateWithImageVerification, TrustImageVerifier } from '../policy/engine/verify-images-trust.ts';
import { loadPolicies, loadResources, withDefaultNamespace } from '../policy/engine/load.ts';
import { readText } from '../policy/engine/documents.ts';
import { policyKey, type PolicyResponse, type RequestInfo } from '../policy/engine/types.ts';
import { buildPolicyReports, reportStatus, toReportResult, type ReportSummary } from '../policy/report/policy-report.ts';
import { findTestFiles, TEST_FILE_NAME } from '../policy/cli-test/test-file.ts';
import { parseSelector, runTestFile, type TestCaseReport } from '../policy/cli-test/runner.ts';
import { countRows, renderTestReports, testReportsJson } from '../policy/cli-test/output.ts';
import { CliValues, parseUserInfo, parseValues } from '../policy/cli-test/values.ts';
import { contextFrom, ExitRequest, type GlobalOptions } from './context.ts';
import { collectList, emit } from './output.ts';

const APPLY_FORMATS = ['table', 'json', 'yaml'] as const;
const TEST_FORMATS = ['table', 'json'] as const;

interface ApplyOptions {
  resource: string[];
  valuesFile?: string;
  userinfo?: string;
  exceptions: string[];
  auditWarn?: boolean;
  registry?: boolean;
  trustedRoot?: string;
  insecure?: boolean;
  allowHttpRegistry?: boolean;
  policyReport?: boolean;
  warnExitCode?: string;
  output?: string;
  format: (typeof APPLY_FORMATS)[number];
}

interface TestOptions {
  fileName: string;
  registry?: boolean;
  trustedRoot?: string;
  insecure?: boolean;
  allowHttpRegistry?: boolean;
  testCaseSelector?: string;
  failOnly?: boolean;
  detailedResults?: boolean;
  requireTests?: boolean;
  output?: string;
  format: (typeof TEST_FORMATS)[number];
}

/** Every attestor uses the root: keyless ones its Fulcio CAs, all of them its Rekor keys (transparency-log entries). */
const TRUSTED_ROOT_HELP =
  'Sigstore trusted_root.json (with --registry): Fulcio CAs for keyless attestors, Rekor keys for transparency-log entries (default: the public-good root shipped with Palisade)';

export function policyCommand(globals: () => GlobalOptions): Command {
  const policy = new Command('policy').description('Apply and test Kyverno policies (ClusterPolicy/Policy, ValidatingPolicy/MutatingPolicy/ImageValidatingPolicy) and ValidatingAdmissionPolicy/MutatingAdmissionPolicy offline');

  policy.addCommand(
    new Command('apply')
      .description('Apply policies to resource manifests and report pass/fail/warn/error/skip per rule (like kyverno apply)')
      .argument('<policies...>', 'policy files or directories')
      .requiredOption('-r, --resource <paths>', 'resource manifests: files or directories (repeatable, comma-separated)', collectList, [])
      .option('-f, --values-file <file>', 'values file (kind: Values) with variables, namespace labels and context values')
      .option('-u, --userinfo <file>', 'admission user info file (kind: UserInfo): roles, clusterRoles, username, groups')
      .option('-e, --exceptions <paths>', 'PolicyException files (kyverno.io/v2)', collectList, [])
      .option('--audit-warn', 'report failures of Audit rules as warnings')
      .option('--registry', 'let verifyImages rules and ImageValidatingPolicies verify image signatures and attestations (reads registries and OCI layouts)')
      .option('--trusted-root <file>', TRUSTED_ROOT_HELP)
      .option('--insecure', 'allow plain-HTTP registries (loopback hosts only; with --registry)')
      .addOption(new Option('--allow-http-registry', 'cosign spelling of --insecure').hideHelp())
      .option('-p, --policy-report', 'print the results as PolicyReport/ClusterPolicyReport (wgpolicyk8s.io/v1alpha2)')
      .option('--warn-exit-code <code>', 'exit with this code when there are warnings (and no failures)')
      .option('-o, --output <file>', 'write the output to a file instead of stdout (atomically)')
      .addOption(new Option('--format <format>', 'output format').choices(APPLY_FORMATS).default('table'))
      .action(async (paths: string[], options: ApplyOptions) => apply(paths, options, globals())),
  );

  policy.addCommand(
    new Command('test')
      .description(`Run ${TEST_FILE_NAME} files found under the directories (like kyverno test)`)
      .argument('<dirs...>', 'directories to search (or test files)')
      .option('--file-name <name>', 'test file name', TEST_FILE_NAME)
      .option('-t, --test-case-selector <selector>', 'run only matching results: "policy=*,rule=*,resource=*"')
      .option('--fail-only', 'show only the failed results')
      .option('--detailed-results', 'show the rule message of each result')
      .option('--require-tests', 'fail when no test file is found')
      .option('--registry', 'let verifyImages rules and ImageValidatingPolicies verify image signatures and attestations (reads registries)')
      .option('--trusted-root <file>', TRUSTED_ROOT_HELP)
      .option('--insecure', 'allow plain-HTTP registries (loopback hosts only; with --registry)')
      .addOption(new Option('--allow-http-registry', 'cosign spelling of --insecure').hideHelp())
      .option('-o, --output <file>', 'write the output to a file instead of stdout (atomically)')
      .addOption(new Option('--format <format>', 'output format').choices(TEST_FORMATS).default('table'))
      .action(async (dirs: string[], options: TestOptions) => test(dirs, options, globals())),
  );

  for (const sub of policy.commands) sub.exitOverride();
  return policy;
}

/** Shown when rules could not verify images because registry access was not given (error code REGISTRY_ACCESS_REQUIRED). */
const REGISTRY_HINT = 'image verification (verifyImages rules, ImageValidatingPolicies) needs registry access: pass --registry';

async function apply(paths: string[], options: ApplyOptions, globals: GlobalOptions): Promise<void> {
  const ctx = contextFrom(globals);
  if (options.resource.length === 0) throw new PalisadeError('USAGE', 'at least one --resource is required');
  checkRegistryFlags(options);
  const set = await loadPolicies(paths, ctx.log);
  // CEL policy kinds (ValidatingPolicy, ValidatingAdmissionPolicy…) are evaluated by src/policy/cel.
  const cel = await loadCelPolicies(paths);
  const celNames = new Set([...cel.policies.map((p) => `${p.kind}/${p.name}`), ...cel.bindings.map((b) => `${b.kind}/${b.name}`)]);
  for (const f of set.foreign) {
    if (f.kind !== 'PolicyException' && !celNames.has(`${f.kind}/${f.name}`)) ctx.log.warn(`${f.source.path}:${f.source.line}: ${f.kind} ${f.name}: this policy kind is not supported, skipped`);
  }
  if (set.policies.length === 0 && cel.policies.length === 0) throw new PalisadeError('USAGE', `no Kyverno policies found in ${paths.join(', ')}`);
  const exceptions = options.exceptions.length > 0 ? (await loadPolicies(options.exceptions, ctx.log)).exceptions : [];
  const values = options.valuesFile ? parseValues(await readText(options.valuesFile), options.valuesFile) : new CliValues();
  const requestInfo: RequestInfo | undefined = options.userinfo ? parseUserInfo(await readText(options.userinfo), options.userinfo) : undefined;
  const resources = withDefaultNamespace(await loadResources(options.resource, ctx.log));
  const trustedRoot = options.trustedRoot ? readTrustedRoot(options.trustedRoot) : undefined;
  const engineOptions = { values, ...(requestInfo && { requestInfo }), exceptions: [...set.exceptions, ...exceptions] };
  // verifyImages rules and ImageValidatingPolicies read registries only when asked (kyverno's --registry);
  // otherwise they report unsupported. One verifier and one digest cache serve both: an image is read once.
  const images = options.registry ? registryVerification(options, ctx.log, trustedRoot) : undefined;
  const responses = images
    ? await evaluateWithImageVerification(images.verifier.session(), (imageVerification) => applyPolicies(set.policies, resources, { ...engineOptions, imageVerification }))
    : applyPolicies(set.policies, resources, engineOptions);
  if (cel.policies.length > 0) {
    if (options.exceptions.length > 0) cel.exceptions.push(...(await loadCelPolicies(options.exceptions)).exceptions);
    const celOptions = await loadCelCliInputs({
      dir: '',
      ...(options.valuesFile && { valuesPath: options.valuesFile }),
      globalValues: values.globalValues,
      namespaceLabels: (ns) => values.namespaceLabels(ns),
      ...(requestInfo && { requestInfo }),
    });
    const imageVerifier = images ? await prepareImageVerification(cel, resources, { ...images, request: celOptions }) : undefined;
    responses.push(...applyCelPolicies(cel, resources, { ...celOptions, ...(imageVerifier && { imageVerifier }) }));
  }
  if (responses.some((r) => r.rules.some((x) => x.code === 'REGISTRY_ACCESS_REQUIRED'))) ctx.log.warn(REGISTRY_HINT);
  const auditWarn = Boolean(options.auditWarn);
  const summary = countResults(responses, auditWarn);
  const ruleCount = set.policies.reduce((n, p) => n + p.rules.length, 0) + cel.policies.length;
  ctx.log.info(`Applying ${ruleCount} policy rule(s) to ${resources.length} resource(s)...`);

  let text: string;
  if (options.policyReport) {
    const reports = buildPolicyReports(responses, { auditWarn });
    text = options.format === 'json' ? JSON.stringify(reports, null, 2) + '\n' : reports.map((r) => toYaml(r, { lineWidth: 0 })).join('---\n');
  } else if (options.format === 'table') {
    text = renderApply(responses, auditWarn, summary);
  } else {
    const results = responses.flatMap((response) => response.rules.map((rule) => toReportResult(response, rule, { auditWarn })));
    const patched = responses.filter(mutated).map((r) => r.patchedResource);
    const doc = { summary, results, ...(patched.length > 0 && { patchedResources: patched }) };
    text = options.format === 'json' ? JSON.stringify(doc, null, 2) + '\n' : toYaml(doc, { lineWidth: 0 });
  }
  await emit(ctx, text, options.output);

  if (summary.fail > 0 || summary.error > 0) throw new ExitRequest(1, 'policy violations');
  if (summary.warn > 0 && options.warnExitCode !== undefined) {
    const code = Number(options.warnExitCode);
    if (!Number.isInteger(code) || code < 0 || code > 255) throw new PalisadeError('USAGE', `--warn-exit-code must be 0-255, got ${options.warnExitCode}`);
    if (code !== 0) throw new ExitRequest(code, 'policy warnings');
  }
}

function countResults(responses: readonly PolicyResponse[], auditWarn: boolean): ReportSummary {
  const summary: ReportSummary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  for (const response of responses) for (const rule of response.rules) summary[reportStatus(response, rule, auditWarn)]++;
  return summary;
}

/** `--trusted-root` and `--insecure` only mean something with `--registry`: without it they would be ignored silently. */
function checkRegistryFlags(options: Pick<ApplyOptions, 'registry' | 'trustedRoot' | 'insecure' | 'allowHttpRegistry'>): void {
  if (options.registry) return;
  const given = [options.trustedRoot !== undefined && '--trusted-root', options.insecure && '--insecure', options.allowHttpRegistry && '--allow-http-registry'].filter(Boolean);
  if (given.length > 0) throw new PalisadeError('USAGE', `${given.join(', ')} ${given.length === 1 ? 'needs' : 'need'} --registry`);
}

/** Registry access for `--registry`: one verifier and digest cache shared by verifyImages rules and ImageValidatingPolicies. */
function registryVerification(
  options: Pick<ApplyOptions, 'insecure' | 'allowHttpRegistry'>,
  log: Logger,
  trustedRoot: TrustedRoot | undefined,
): ImageVerificationOptions & { verifier: TrustImageVerifier } {
  // The verifier holds the registry settings and its digest cache: with it given, prepareImageVerification needs neither.
  const registry = { insecure: Boolean(options.insecure || options.allowHttpRegistry), log };
  return { verifier: new TrustImageVerifier({ registry, ...(trustedRoot && { trustedRoot }) }) };
}

/** Mutate rules that patched, or verifyImages rules that pinned digests (mutateDigest). */
function mutated(response: PolicyResponse): boolean {
  const pinned = () => !deepEqual(response.patchedResource, response.resource.object);
  return response.rules.some((r) => r.status === 'pass' && (r.type === 'Mutation' || (r.type === 'ImageVerify' && pinned())));
}

function resourceLabel(object: Record<string, unknown>): string {
  const meta = (object.metadata ?? {}) as { name?: string; namespace?: string };
  return `${meta.namespace ?? 'default'}/${String(object.kind ?? '')}/${meta.name ?? ''}`;
}

/** kyverno apply's text: mutated resources, then each failing policy with its failed rules, then the counts. */
function renderApply(responses: readonly PolicyResponse[], auditWarn: boolean, summary: ReportSummary): string {
  let out = '';
  for (const response of responses) {
    if (mutated(response)) {
      out += `\nmutate policy ${policyKey(response.policy)} applied to ${resourceLabel(response.resource.object)}:\n`;
      out += `---\n${toYaml(response.patchedResource, { lineWidth: 0 })}`;
    }
  }
  for (const response of responses) {
    const notOk = response.rules.filter((r) => ['fail', 'warn', 'error'].includes(reportStatus(response, r, auditWarn)));
    if (notOk.length === 0) continue;
    const status = notOk.some((r) => reportStatus(response, r, auditWarn) === 'fail') ? 'failed' : notOk.some((r) => r.status === 'error') ? 'errored' : 'warned';
    out += `\npolicy ${policyKey(response.policy)} -> resource ${resourceLabel(response.resource.object)} ${status}:\n`;
    notOk.forEach((r, i) => {
      out += `${i + 1}. ${r.name}: ${r.message}\n`;
    });
  }
  out += `\npass: ${summary.pass}, fail: ${summary.fail}, warn: ${summary.warn}, error: ${summary.error}, skip: ${summary.skip}\n`;
  return out;
}

async function test(dirs: string[], options: TestOptions, globals: GlobalOptions): Promise<void> {
  const ctx = contextFrom(globals);
  checkRegistryFlags(options);
  const selector = parseSelector(options.testCaseSelector);
  const files = await findTestFiles(dirs, options.fileName);
  const reports: TestCaseReport[] = [];
  // One verifier for every test file and both engines: an image several tests name is verified once.
  const trustedRoot = options.trustedRoot ? readTrustedRoot(options.trustedRoot) : undefined;
  const images = options.registry ? registryVerification(options, ctx.log, trustedRoot) : undefined;
  for (const file of files) {
    const report = await runTestFile(file, { selector, log: ctx.log, ...(images && { images }) });
    if (report && report.rows.length > 0) reports.push(report);
  }
  if (reports.length === 0) {
    if (options.requireTests) throw new PalisadeError('USAGE', `no ${options.fileName} found in ${dirs.join(', ')}`);
    ctx.log.info('No test yamls available');
  }
  const text =
    options.format === 'json'
      ? JSON.stringify(testReportsJson(reports), null, 2) + '\n'
      : renderTestReports(reports, { ...(options.failOnly && { failOnly: true }), ...(options.detailedResults && { detailed: true }) });
  await emit(ctx, text, options.output);
  if (reports.some((r) => r.rows.some((row) => row.code === 'REGISTRY_ACCESS_REQUIRED'))) ctx.log.warn(REGISTRY_HINT);
  const { failed } = countRows(reports);
  if (failed > 0) throw new ExitRequest(1, `${failed} tests failed`);
}
