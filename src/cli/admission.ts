/**
 * `palisade admission serve`: the Kubernetes admission webhook (HTTPS, AdmissionReview v1) enforcing
 * the Kyverno policies of --policies and, with --key, that every Pod image is signed.
 */
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { PalisadeError, errorMessage } from '../core/errors.ts';
import { loadPolicies } from '../policy/engine/load.ts';
import { startAdmissionServer } from '../admission/server.ts';
import { SignatureGate } from '../admission/signatures.ts';
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
  timeout: string;
  cacheTtl: string;
  insecureRegistry?: boolean;
  excludeNamespace: string[];
}

export function admissionCommand(globals: () => GlobalOptions): Command {
  const admission = new Command('admission').description('Kubernetes admission webhook enforcing policies and image signatures');
  admission.addCommand(
    new Command('serve')
      .description('Serve /validate and /mutate (AdmissionReview v1) over HTTPS, plus /healthz, /readyz and /metrics')
      .requiredOption('--policies <paths>', 'Kyverno ClusterPolicy/Policy files or directories (repeatable, comma-separated)', collectList, [])
      .requiredOption('--tls-cert <file>', 'PEM serving certificate (SAN <service>.<namespace>.svc)')
      .requiredOption('--tls-key <file>', 'PEM private key of the serving certificate')
      .option('--port <port>', 'port to listen on', '8443')
      .option('--host <address>', 'address to listen on', '0.0.0.0')
      .option('--key <files>', 'public keys: every Pod image must carry a signature verifying with one (repeatable)', collectList, [])
      .addOption(new Option('--key-action <action>', 'when an image is unsigned or cannot be verified').choices(['Enforce', 'Audit']).default('Enforce'))
      .option('--timeout <seconds>', 'webhook timeoutSeconds; registry verification gets a deadline 1 s below it', '10')
      .option('--cache-ttl <seconds>', 'how long a verified signature is reused', '300')
      .option('--insecure-registry', 'reach registries over plain HTTP (local registries only)')
      .option('--exclude-namespace <names>', 'namespaces admitted without evaluation (default kube-system and $POD_NAMESPACE)', collectList, [])
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

async function serve(options: ServeOptions, globals: GlobalOptions): Promise<void> {
  const ctx = contextFrom(globals);
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new PalisadeError('USAGE', `--port must be 0-65535, got ${options.port}`);
  const timeoutSeconds = positive(options.timeout, '--timeout');
  if (timeoutSeconds > 30) throw new PalisadeError('USAGE', '--timeout must be at most 30 (the Kubernetes limit for timeoutSeconds)');
  const set = await loadPolicies(options.policies, ctx.log);
  for (const f of set.foreign) ctx.log.warn(`${f.source.path}:${f.source.line}: ${f.kind} ${f.name}: this policy kind is not supported, skipped`);
  if (set.policies.length === 0 && options.key.length === 0) throw new PalisadeError('USAGE', `no Kyverno policies found in ${options.policies.join(', ')}`);

  const read = async (file: string, what: string) => {
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      throw new PalisadeError('USAGE', `cannot read ${what} ${file}: ${errorMessage(err)}`);
    }
  };
  const [cert, key] = [await read(options.tlsCert, '--tls-cert'), await read(options.tlsKey, '--tls-key')];
  const metrics = new AdmissionMetrics();
  let signatures: SignatureGate | undefined;
  if (options.key.length > 0) {
    const publicKeys = [];
    publicKeys.push(...(await readPublicKeys(options.key)));
    signatures = new SignatureGate({
      publicKeys,
      // Leave a second for policy evaluation and the response before the API server gives up.
      deadlineMs: Math.max(500, (timeoutSeconds - 1) * 1000),
      ttlMs: positive(options.cacheTtl, '--cache-ttl') * 1000,
      action: options.keyAction,
      metrics,
      ...(options.insecureRegistry && { insecure: true }),
    });
  }
  const excluded = options.excludeNamespace.length > 0 ? options.excludeNamespace : ['kube-system', ...(process.env.POD_NAMESPACE ? [process.env.POD_NAMESPACE] : [])];
  let server;
  try {
    server = await startAdmissionServer({
      policies: set.policies,
      excludedNamespaces: excluded,
      cert,
      key,
      port,
      host: options.host,
      log: ctx.log,
      metrics,
      ...(signatures && { signatures }),
    });
  } catch (err) {
    throw new PalisadeError('USAGE', `cannot start the webhook: ${errorMessage(err)}`);
  }
  ctx.log.info(`admission webhook listening on https://${options.host}:${server.port} with ${set.policies.length} policies${signatures ? ' and image signature verification' : ''}`);
  // Graceful shutdown: stop accepting, finish in-flight requests, then exit.
  await new Promise<void>((resolve) => {
    const stop = () => void server.close().then(resolve);
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
