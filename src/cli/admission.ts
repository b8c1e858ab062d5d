/**
 * `palisade admission serve`: the Kubernetes admission webhook (HTTPS, AdmissionReview v1) enforcing
 * the Kyverno and CEL policies of --policies (reloaded when their files change) and, with --key,
 * that every Pod image is signed. Logs are JSON lines on stderr unless --log-format text.
 */
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { PalisadeError, errorMessage } from '../core/errors.ts';
import { asLogger, jsonLog, textLog, type StructuredLog } from '../admission/log.ts';
import { loadAdmissionPolicies } from '../admission/policy-set.ts';
import { PolicyReloader, type PolicySource } from '../admission/reload.ts';
import { ClusterPolicyWatcher, withClusterPolicies } from '../admission/cluster-policies.ts';
import { kubeConnection } from '../admission/kube.ts';
import type { KubeConnection } from '../core/kube-connection.ts';
import { NamespaceWatcher } from '../admission/namespaces.ts';
import { directorySink, PolicyReportWriter, streamSink, type ReportSink } from '../admission/reports.ts';
import { apiReportSink } from '../admission/report-api.ts';
import { TlsReloader } from '../admission/tls-reload.ts';
import { startAdmissionServer } from '../admission/server.ts';
import { SignatureGate } from '../admission/signatures.ts';
import { AdmissionImageVerification } from '../admission/image-verification.ts';
import type { CelImageAccess } from '../admission/cel-images.ts';
import { DigestCache } from '../trust/oci/cache.ts';
import { readTrustedRoot } from '../trust/bundle/index.ts';
import { AdmissionMetrics } from '../admission/metrics.ts';
import { contextFrom, type GlobalOptions } from './context.ts';
import { collectList } from './output.ts';
import { readPublicKeys } from './inputs.ts';
import { manifestsCommand } from './admission-manifests.ts';

interface ServeOptions {
  policies: string[];
  tlsCert: string;
  tlsKey: string;
  port: string;
  host: string;
  key: string[];
  keyAction: 'Enforce' | 'Audit';
  insecureIgnoreTlog?: boolean;
  timeout: string;
  cacheTtl: string;
  insecureRegistry?: boolean;
  trustedRoot?: string;
  excludeNamespace: string[];
  watch: boolean;
  logFormat: 'json' | 'text';
  policyReports?: string;
  policyReportInterval: string;
  watchClusterPolicies?: boolean;
  kubeconfig?: string;
  context?: string;
}

export function admissionCommand(globals: () => GlobalOptions): Command {
  const admission = new Command('admission').description('Kubernetes admission webhook enforcing policies and image signatures');
  admission.addCommand(
    new Command('serve')
      .description('Serve /validate and /mutate (AdmissionReview v1) over HTTPS, plus /healthz, /readyz and /metrics')
      .requiredOption(
        '--policies <paths>',
        'policy files or directories (repeatable, comma-separated): Kyverno ClusterPolicy/Policy and PolicyException, ValidatingPolicy, MutatingPolicy, ImageValidatingPolicy, ValidatingAdmissionPolicy/MutatingAdmissionPolicy with their bindings',
        collectList,
        [],
      )
      .requiredOption('--tls-cert <file>', 'PEM serving certificate (SAN <service>.<namespace>.svc)')
      .requiredOption('--tls-key <file>', 'PEM private key of the serving certificate')
      .option('--port <port>', 'port to listen on', '8443')
      .option('--host <address>', 'address to listen on', '0.0.0.0')
      .option('--key <files>', 'public keys: every Pod image must carry a signature verifying with one (repeatable)', collectList, [])
      .addOption(new Option('--key-action <action>', 'when an image is unsigned or cannot be verified').choices(['Enforce', 'Audit']).default('Enforce'))
      .option('--insecure-ignore-tlog', '--key: accept signatures without a transparency-log entry (as `palisade sign` writes them; cosign verify requires one)')
      .option('--timeout <seconds>', 'webhook timeoutSeconds; registry verification gets a deadline 1 s below it', '10')
      .option('--cache-ttl <seconds>', 'how long a verified signature is reused', '300')
      .option('--insecure-registry', 'reach registries over plain HTTP (local registries only)')
      .option('--trusted-root <file>', 'Sigstore trusted_root.json: Fulcio CAs for keyless attestors, Rekor keys for transparency-log entries (default: the public-good root shipped with Palisade)')
      .option('--exclude-namespace <names>', 'namespaces admitted without evaluation (default kube-system and $POD_NAMESPACE)', collectList, [])
      .option('--no-watch', 'do not reload the policies and the serving certificate when their files change (a broken edit never replaces a working set)')
      .addOption(new Option('--log-format <format>', 'stderr log format').choices(['json', 'text']).default('json'))
      .option('--policy-reports <target>', 'write the validation results of admitted requests as PolicyReports: YAML files into a directory, "-" for stdout, or "cluster" for API objects')
      .option('--policy-report-interval <seconds>', 'longest wait before changed results are written', '10')
      .option('--watch-cluster-policies', 'also enforce the Kyverno ClusterPolicy/Policy objects of the cluster, read and watched through the Kubernetes API (with the Namespaces, whose labels namespaceSelectors match)')
      .option('--kubeconfig <file>', 'with --watch-cluster-policies or --policy-reports cluster, outside a cluster: the kubeconfig (default: in-cluster service account, $KUBECONFIG, ~/.kube/config)')
      .option('--context <name>', 'with --watch-cluster-policies or --policy-reports cluster: the kubeconfig context')
      .action(async (options: ServeOptions) => serve(options, globals())),
  );
  admission.addCommand(manifestsCommand(globals));
  for (const sub of admission.commands) sub.exitOverride();
  return admission;
}

function positive(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new PalisadeError('USAGE', `${flag} must be a positive number, got ${value}`);
  return n;
}

/** `-` is stdout, `cluster` the Kubernetes API (a directory of that name is `./cluster`), anything else a directory. */
function reportSink(target: string, connection: KubeConnection | undefined): ReportSink {
  if (target === '-') return streamSink(process.stdout);
  if (target === 'cluster' && connection) return apiReportSink({ connection });
  return directorySink(target);
}

async function serve(options: ServeOptions, globals: GlobalOptions): Promise<void> {
  const ctx = contextFrom(globals);
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new PalisadeError('USAGE', `--port must be 0-65535, got ${options.port}`);
  const timeoutSeconds = positive(options.timeout, '--timeout');
  if (timeoutSeconds > 30) throw new PalisadeError('USAGE', '--timeout must be at most 30 (the Kubernetes limit for timeoutSeconds)');
  const reportInterval = positive(options.policyReportInterval, '--policy-report-interval');
  const ttlMs = positive(options.cacheTtl, '--cache-ttl') * 1000;
  // Only cluster policies (with the Namespaces their selectors read) and cluster reports use the API:
  // a connection flag without them would be ignored, and the user would think it in force.
  const usesCluster = options.watchClusterPolicies || options.policyReports === 'cluster';
  for (const [flag, value] of [['--kubeconfig', options.kubeconfig], ['--context', options.context]] as const) {
    if (value !== undefined && !usesCluster) throw new PalisadeError('USAGE', `${flag} needs --watch-cluster-policies or --policy-reports cluster (nothing else reads the Kubernetes API)`);
  }
  // As `admission manifests` says: the flag only changes what the --key gate accepts.
  if (options.insecureIgnoreTlog && options.key.length === 0) throw new PalisadeError('USAGE', '--insecure-ignore-tlog is for the signatures --key requires');
  const level = ctx.debug ? 'debug' : globals.quiet ? 'error' : 'info';
  const events: StructuredLog = options.logFormat === 'json' ? jsonLog(process.stderr, level) : textLog(ctx.log, level);
  const log = asLogger(events);
  const metrics = new AdmissionMetrics();
  const reloader = new PolicyReloader({ paths: options.policies, load: (paths) => loadAdmissionPolicies(paths, log), log: events, metrics });
  const set = await reloader.load();
  for (const s of set.skipped) log.warn(`${s}: not evaluated by the webhook`);
  if (set.count === 0 && options.key.length === 0 && !options.watchClusterPolicies) throw new PalisadeError('USAGE', `no policies found in ${options.policies.join(', ')}`);
  const connection = usesCluster ? await kubeConnection(options.kubeconfig, options.context) : undefined;
  const cluster = options.watchClusterPolicies && connection ? new ClusterPolicyWatcher({ connection, log: events }) : undefined;
  const namespaces = options.watchClusterPolicies && connection ? new NamespaceWatcher({ connection, log: events }) : undefined;
  const policySource: PolicySource = cluster ? withClusterPolicies(reloader, cluster) : reloader;
  const reports = options.policyReports ? new PolicyReportWriter({ sink: reportSink(options.policyReports, connection), intervalMs: reportInterval * 1000, log: events }) : undefined;

  const read = async (file: string, what: string) => {
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      throw new PalisadeError('USAGE', `cannot read ${what} ${file}: ${errorMessage(err)}`);
    }
  };
  const [cert, key] = [await read(options.tlsCert, '--tls-cert'), await read(options.tlsKey, '--tls-key')];
  // Leave a second for policy evaluation and the response before the API server gives up.
  const deadlineMs = Math.max(500, (timeoutSeconds - 1) * 1000);
  const trustedRoot = options.trustedRoot ? readTrustedRoot(options.trustedRoot) : undefined;
  const digests = new DigestCache();
  // verifyImages rules: registries are read only for the images a rule selects.
  const images = new AdmissionImageVerification({
    deadlineMs,
    ttlMs,
    metrics,
    digests,
    registry: { log, ...(options.insecureRegistry && { insecure: true }) },
    ...(trustedRoot && { trustedRoot }),
  });
  // ImageValidatingPolicies and the --key gate: the same registry settings and deadline, and the same verifications and caches.
  const celImages: CelImageAccess = { deadlineMs, verifier: images.verifier };
  const signatures =
    options.key.length > 0 ? new SignatureGate({
          publicKeys: await readPublicKeys(options.key),
          cache: images.cache,
          digests,
          registry: images.registry,
          action: options.keyAction,
          ...(options.insecureIgnoreTlog && { ignoreTlog: true }),
          ...(trustedRoot && { trustedRoot }),
        }) : undefined;
  const excluded = options.excludeNamespace.length > 0 ? options.excludeNamespace : ['kube-system', ...(process.env.POD_NAMESPACE ? [process.env.POD_NAMESPACE] : [])];
  let server;
  try {
    server = await startAdmissionServer({
      policies: set.classic,
      policySource,
      excludedNamespaces: excluded,
      cert,
      key,
      port,
      host: options.host,
      log: events,
      metrics,
      ...(signatures && { signatures }),
      images,
      celImages,
      ...(reports && { reports }),
      ...(namespaces && { namespaceLabels: namespaces.labels }),
    });
  } catch (err) {
    throw new PalisadeError('USAGE', `cannot start the webhook: ${errorMessage(err)}`);
  }
  const tls = options.watch ? new TlsReloader({ server: server.server, certFile: options.tlsCert, keyFile: options.tlsKey, current: { cert, key }, log: events }) : undefined;
  if (options.watch) {
    await reloader.watch();
    await tls?.watch();
  }
  // /readyz answers 503 until the cluster's policies are listed; the server already listens.
  void namespaces?.start();
  void cluster?.start().then(() => {
    const listed = cluster.contribution();
    if (listed) events.write('info', 'cluster policies listed', { policies: listed.classic.length + listed.cel.policies.length, exceptions: listed.exceptions.length + listed.cel.exceptions.length });
  });
  events.write('info', 'admission webhook listening', {
    address: `https://${options.host}:${server.port}`,
    policies: set.count,
    version: set.version,
    watch: options.watch,
    signatures: Boolean(signatures),
    ...(reports && { policyReports: options.policyReports }),
  });
  // Graceful shutdown: stop accepting, finish in-flight requests, write pending reports, then exit.
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      events.write('info', 'shutting down: finishing in-flight requests', { signal });
      reloader.close();
      tls?.close();
      cluster?.close();
      namespaces?.close();
      void server
        .close()
        .then(() => reports?.close())
        .then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  events.write('info', 'admission webhook stopped');
}
