/**
 * `palisade cluster`: a baseline audit of a Kubernetes cluster.
 *
 * - `audit [--kubeconfig F | --context C | --dump DIR]` reads the cluster (read-only list calls) or
 *   an offline dump and reports the inventory, RBAC risks, workload posture and, with
 *   `--audit-log FILE`, an audit-log review, with a posture score per area. `--images` catalogues
 *   and vulnerability-scans every image (contacts registries; needs the vulnerability database),
 *   `--verify-signatures --key K` verifies their signatures (logged in a transparency log unless
 *   `--insecure-ignore-tlog`, as cosign verify requires). Parts that could not be read are
 *   reported as incomplete, never scored as if empty.
 * - `who-can VERB RESOURCE [--namespace NS]` lists the subjects RBAC lets do it.
 */
import { Command, Option } from 'commander';
import { PalisadeError } from '../core/errors.ts';
import { SEVERITIES, type Severity } from '../core/types.ts';
import {
  auditCluster,
  collectLive,
  loadDump,
  RbacModel,
  renderClusterJson,
  renderClusterSarif,
  renderClusterTable,
  renderWhoCan,
  whoCan,
  type AuditOptions,
  type ClusterReport,
  type ImageServices,
  type ResourceName,
  type Snapshot,
} from '../cluster/index.ts';
import type { VulnDb } from '../vuln/db/store.ts';
import { contextFrom, ExitRequest, type CliContext, type GlobalOptions } from './context.ts';
import { collectList, emit } from './output.ts';

const FORMATS = ['table', 'json', 'sarif'] as const;

interface SourceFlags {
  kubeconfig?: string;
  context?: string;
  dump?: string;
  timeout: string;
}

interface AuditFlags extends SourceFlags {
  format: (typeof FORMATS)[number];
  output?: string;
  images?: boolean;
  verifySignatures?: boolean;
  key: string[];
  insecureIgnoreTlog?: boolean;
  trustedRoot?: string;
  insecure?: boolean;
  db?: string;
  auditLog?: string;
  auditRules: string[];
  includeSystem?: boolean;
  privilegedNamespace: string[];
  severity: string[];
  exitCode: string;
}

interface WhoCanFlags extends SourceFlags {
  namespace?: string;
  resourceName?: string;
  json?: boolean;
}

const RBAC_RESOURCES: readonly ResourceName[] = ['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings'];
const collect = (value: string, previous: string[] = []) => [...previous, value];

function sourceOptions(cmd: Command): Command {
  return cmd
    .option('--dump <path>', 'audit an offline dump: a directory (or file) of YAML/JSON, e.g. `kubectl get … -A -o yaml` output')
    .option('--kubeconfig <file>', 'kubeconfig to read the live cluster with (default: $KUBECONFIG, ~/.kube/config, or in-cluster)')
    .option('--context <name>', 'kubeconfig context (default: the current one)')
    .option('--timeout <seconds>', 'per API request, live clusters only', '15');
}

export function clusterCommand(globals: () => GlobalOptions): Command {
  const cluster = new Command('cluster').description('baseline audit of a Kubernetes cluster (live or from a dump): inventory, RBAC, workload posture, audit-log review');

  sourceOptions(cluster.command('audit'))
    .description('audit a cluster: workload and image inventory, risky RBAC resolved to subjects, Pod Security / NetworkPolicy / token posture, audit-log review; a posture score per area')
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('table'))
    .option('-o, --output <file>', 'write the report to a file instead of stdout (atomically)')
    .option('--images', 'catalogue and vulnerability-scan every image (contacts registries; uses the vulnerability database)')
    .option('--verify-signatures', 'verify each image\'s signatures with --key (contacts registries)')
    .option('--key <file>', 'public key (PEM) for --verify-signatures; repeatable, any one may verify', collect, [])
    .option('--insecure-ignore-tlog', '--verify-signatures: accept signatures without a transparency-log entry (as `palisade sign` writes them; cosign verify requires one)')
    .option('--trusted-root <file>', '--verify-signatures: Sigstore trusted_root.json whose Rekor keys check log entries (default: the public-good root shipped with Palisade)')
    .option('--insecure', 'allow plain-HTTP registries (loopback only)')
    .option('--db <path>', 'vulnerability database for --images (default: $PALISADE_DB, else $XDG_CACHE_HOME/palisade/vuln.db)')
    .option('--audit-log <file>', 'review an API-server audit log (JSON lines or EventList)')
    .option('--audit-rules <file>', 'Falco rules for --audit-log instead of the bundled k8saudit rules (repeatable)', collect, [])
    .option('--include-system', 'also report the bootstrap RBAC policy and Kubernetes\' own system: users and groups')
    .option('--privileged-namespace <ns>', 'namespace where grants weigh as much as cluster-wide ones (repeatable; default kube-system)', collect, [])
    .option('--severity <list>', `severities of findings to report (${SEVERITIES.join(',')})`, collectList, [])
    .option('--exit-code <code>', 'exit with this code when findings remain after filtering', '0')
    .action(async (flags: AuditFlags) => runAudit(contextFrom(globals()), flags));

  sourceOptions(cluster.command('who-can'))
    .description('list the users, groups and service accounts RBAC allows VERB on RESOURCE (pods, pods/exec, deployments.apps, /metrics)')
    .argument('<verb>', 'get, list, create, impersonate, escalate, … or *')
    .argument('<resource>', 'RESOURCE, RESOURCE/SUBRESOURCE, RESOURCE.GROUP or a non-resource URL')
    .option('-n, --namespace <ns>', 'in this namespace (default: in any namespace)')
    .option('--resource-name <name>', 'of the object with this name')
    .option('--json', 'print the answer as JSON')
    .action(async (verb: string, resource: string, flags: WhoCanFlags) => runWhoCan(contextFrom(globals()), verb, resource, flags));
  return cluster;
}

async function readSnapshot(ctx: CliContext, flags: SourceFlags, resources?: readonly ResourceName[]): Promise<Snapshot> {
  if (flags.dump !== undefined) {
    if (flags.kubeconfig !== undefined || flags.context !== undefined) throw new PalisadeError('USAGE', '--dump reads a dump: it cannot be combined with --kubeconfig or --context');
    return loadDump(flags.dump);
  }
  const timeout = Number(flags.timeout);
  if (!(timeout > 0)) throw new PalisadeError('USAGE', `--timeout ${flags.timeout}: expected a positive number of seconds`);
  const snapshot = await collectLive({
    ...(flags.kubeconfig !== undefined && { kubeconfig: flags.kubeconfig }),
    ...(flags.context !== undefined && { context: flags.context }),
    timeoutMs: timeout * 1000,
    log: ctx.log,
    ...(resources && { resources }),
  });
  const coverage = [...snapshot.coverage.values()];
  if (coverage.length > 0 && coverage.every((c) => c.status === 'unreachable')) {
    throw new PalisadeError('NETWORK', `cannot audit: ${coverage[0]!.message ?? 'the API server is unreachable'}`);
  }
  for (const c of coverage) if (c.status === 'forbidden' || c.status === 'failed') ctx.log.warn(`${c.resource}: ${c.status}: ${c.message ?? ''}`);
  return snapshot;
}

async function runAudit(ctx: CliContext, flags: AuditFlags): Promise<void> {
  const exitCode = Number(flags.exitCode);
  if (!Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255) throw new PalisadeError('USAGE', `--exit-code: '${flags.exitCode}' is not an exit code`);
  const severities = parseSeverities(flags.severity);
  if (flags.verifySignatures && flags.key.length === 0) throw new PalisadeError('USAGE', '--verify-signatures needs --key (a public key file)');
  if (!flags.verifySignatures && (flags.key.length > 0 || flags.insecureIgnoreTlog || flags.trustedRoot !== undefined)) {
    throw new PalisadeError('USAGE', '--key, --insecure-ignore-tlog and --trusted-root are for --verify-signatures');
  }

  let db: VulnDb | undefined;
  try {
    const services: ImageServices = {};
    // Image scanning, the vulnerability database and signature verification load only when asked
    // for: most audits use none of them, and their modules take longer to load than a dump to read.
    if (flags.images) {
      const [{ catalogImage }, { resolveDbPath }, { openVulnDb }, { matchPackages }] = await Promise.all([
        import('../image/scan.ts'),
        import('../vuln/db/paths.ts'),
        import('../vuln/db/store.ts'),
        import('../vuln/match.ts'),
      ]);
      const source = openVulnDb(resolveDbPath(flags.db), { readonly: true });
      db = source;
      services.catalog = async (ref) => {
        const report = await catalogImage(ref, { log: ctx.log, ...(flags.insecure && { registry: { insecure: true } }) });
        return { packages: report.packages, ...(report.target.metadata?.digest !== undefined && { digest: report.target.metadata.digest }), issues: report.issues };
      };
      services.match = (packages, ref) => matchPackages(packages, source, ref).findings;
    }
    if (flags.verifySignatures) services.verify = await signatureVerifier(ctx, flags);

    const snapshot = await readSnapshot(ctx, flags);
    const options: AuditOptions = {
      log: ctx.log,
      ...(flags.includeSystem && { includeSystem: true }),
      ...(flags.privilegedNamespace.length > 0 && { privilegedNamespaces: flags.privilegedNamespace }),
      ...((services.catalog || services.verify) && { images: services }),
      ...(flags.auditLog !== undefined && { auditLog: { file: flags.auditLog, ...(flags.auditRules.length > 0 && { rules: flags.auditRules }) } }),
    };
    const report = await auditCluster(snapshot, options);
    if (report.incomplete.length > 0) ctx.log.warn(`the report is incomplete (${report.incomplete.length} gap${report.incomplete.length === 1 ? '' : 's'}): see its "incomplete" section`);
    const shown: ClusterReport = severities ? { ...report, findings: report.findings.filter((f) => severities.has(f.severity)) } : report;
    await emit(ctx, render(shown, flags.format), flags.output);
    if (exitCode !== 0 && shown.findings.length > 0) throw new ExitRequest(exitCode, `${shown.findings.length} finding(s)`);
  } finally {
    db?.close();
  }
}

function render(report: ClusterReport, format: AuditFlags['format']): string {
  if (format === 'json') return renderClusterJson(report);
  if (format === 'sarif') return renderClusterSarif(report);
  return renderClusterTable(report, { color: Boolean((process.stdout as { isTTY?: boolean }).isTTY) && !process.env.NO_COLOR });
}

async function signatureVerifier(ctx: CliContext, flags: AuditFlags): Promise<NonNullable<ImageServices['verify']>> {
  const [{ DigestCache, ImageVerificationError, verifyImageSignatures }, { readPublicKeys }, { readTrustedRoot }] = await Promise.all([
    import('../trust/oci/index.ts'),
    import('./inputs.ts'),
    import('../trust/bundle/index.ts'),
  ]);
  const publicKeys = await readPublicKeys(flags.key);
  // Transparency-log settings: none given, entries are required and checked against the public-good root.
  const tlog = { ...(flags.insecureIgnoreTlog && { ignoreTlog: true }), ...(flags.trustedRoot !== undefined && { trustedRoot: readTrustedRoot(flags.trustedRoot) }) };
  const cache = new DigestCache();
  return async (ref) => {
    try {
      const result = await verifyImageSignatures(ref, { publicKeys, ...tlog, cache, registry: { insecure: Boolean(flags.insecure), log: ctx.log } });
      return { status: 'verified', digest: result.digest };
    } catch (err) {
      if (!(err instanceof ImageVerificationError)) throw err;
      return { status: err.failure === 'NO_SIGNATURES' ? 'unsigned' : 'invalid', digest: err.result.digest, message: `${err.failure}: ${err.message}` };
    }
  };
}

function parseSeverities(list: string[]): Set<Severity> | undefined {
  if (list.length === 0) return undefined;
  const out = new Set<Severity>();
  for (const s of list) {
    const upper = s.toUpperCase();
    if (!(SEVERITIES as readonly string[]).includes(upper)) throw new PalisadeError('USAGE', `--severity ${s}: expected ${SEVERITIES.join(', ')}`);
    out.add(upper as Severity);
  }
  return out;
}

async function runWhoCan(ctx: CliContext, verb: string, resource: string, flags: WhoCanFlags): Promise<void> {
  const snapshot = await readSnapshot(ctx, flags, RBAC_RESOURCES);
  const missing = RBAC_RESOURCES.map((r) => snapshot.coverage.get(r)).filter((c) => c !== undefined && c.status !== 'ok' && c.status !== 'not-served');
  for (const c of missing) ctx.log.warn(`incomplete: ${c!.resource}: ${c!.status}${c!.message ? ` (${c!.message})` : ''} — the answer may miss subjects`);
  const answer = whoCan(RbacModel.fromObjects(snapshot.objects), {
    verb,
    resource,
    ...(flags.namespace !== undefined && { namespace: flags.namespace }),
    ...(flags.resourceName !== undefined && { resourceName: flags.resourceName }),
  });
  if (flags.json) {
    const incomplete = missing.map((c) => `${c!.resource}: ${c!.status}${c!.message ? ` (${c!.message})` : ''}`);
    ctx.stdout.write(`${JSON.stringify({ ...answer, incomplete }, null, 2)}\n`);
  } else {
    ctx.stdout.write(renderWhoCan(answer));
  }
}
