/**
 * `palisade admission manifests`: prints (or writes to --output DIR, one file per concern) a
 * ready-to-apply deployment of the admission webhook with its own CA and serving certificate.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { PalisadeError, errorMessage } from '../core/errors.ts';
import { TOOL_VERSION } from '../core/version.ts';
import { writeFileAtomic } from '../core/fs.ts';
import { contextFrom, type GlobalOptions } from './context.ts';
import { collectList } from './output.ts';

interface ManifestsFlags {
  name: string;
  namespace: string;
  image: string;
  replicas: string;
  timeout: string;
  failurePolicy: 'Fail' | 'Ignore';
  certValidityDays: string;
  policies: string[];
  key: string[];
  insecureIgnoreTlog?: boolean;
  watchClusterPolicies?: boolean;
  policyReports?: boolean;
  previousCa?: string;
  output?: string;
}

export const DEFAULT_IMAGE = `ghcr.io/palisade/palisade:${TOOL_VERSION}`;
/** Service names are DNS-1035 labels, namespaces DNS-1123 labels. */
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function manifestsCommand(globals: () => GlobalOptions): Command {
  return new Command('manifests')
    .description('Print a ready-to-apply webhook deployment: webhook configurations, Deployment, Service, RBAC, policies and a fresh CA + serving certificate')
    .option('--name <name>', 'name of the Service, Deployment and webhook configurations', 'palisade-admission')
    .option('--namespace <namespace>', 'namespace to deploy into (exempt from the webhook, as is kube-system)', 'palisade-system')
    .option('--image <ref>', 'Palisade container image', DEFAULT_IMAGE)
    .option('--replicas <n>', 'webhook replicas', '3')
    .option('--timeout <seconds>', 'webhook timeoutSeconds (1-30)', '10')
    .addOption(new Option('--failure-policy <policy>', 'what the API server does when the webhook cannot answer').choices(['Fail', 'Ignore']).default('Fail'))
    .option('--cert-validity-days <days>', 'validity of the generated CA and serving certificate', '365')
    .option('--policies <paths>', 'Kyverno policy files or directories to ship in the policies ConfigMap (default: Pod Security baseline enforced, restricted audited)', collectList, [])
    .option('--key <files>', 'public keys every Pod image must be signed with (the server\'s --key; repeatable)', collectList, [])
    .option('--insecure-ignore-tlog', "with --key: the server accepts signatures without a transparency-log entry (as `palisade sign` writes them)")
    .option('--watch-cluster-policies', "the server also enforces the cluster's Kyverno policies (read and watched through the API)")
    .option('--policy-reports', 'the server writes audit results as PolicyReport objects (needs the wgpolicyk8s.io CRDs)')
    .option('--previous-ca <file>', 'CA certificate(s) the API server keeps trusting besides the new CA (the current ca.crt, when rotating)')
    .option('-o, --output <dir>', 'write one file per concern into this directory instead of stdout')
    .action(async (flags: ManifestsFlags) => manifests(flags, globals()));
}

function integer(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new PalisadeError('USAGE', `${flag} must be an integer from ${min} to ${max}, got ${value}`);
  return n;
}

async function manifests(flags: ManifestsFlags, globals: GlobalOptions): Promise<void> {
  const ctx = contextFrom(globals);
  if (!DNS_1035_LABEL.test(flags.name)) throw new PalisadeError('USAGE', `--name must be a DNS label (lowercase letters, digits, "-", starting with a letter, at most 63), got ${flags.name}`);
  if (!DNS_1123_LABEL.test(flags.namespace)) throw new PalisadeError('USAGE', `--namespace must be a DNS label (lowercase letters, digits, "-", at most 63), got ${flags.namespace}`);
  if (flags.image.trim() === '' || /\s/.test(flags.image)) throw new PalisadeError('USAGE', `--image must be an image reference, got "${flags.image}"`);
  const replicas = integer(flags.replicas, '--replicas', 1, 100);
  const timeoutSeconds = integer(flags.timeout, '--timeout', 1, 30);
  // Ten years at most: a webhook CA that outlives its operators is never rotated.
  const certValidityDays = integer(flags.certValidityDays, '--cert-validity-days', 1, 3650);
  if (flags.insecureIgnoreTlog && flags.key.length === 0) throw new PalisadeError('USAGE', '--insecure-ignore-tlog is for the signatures --key requires');

  const { DEFAULT_POLICY_FILES, generateWebhookDeployment, readCaCertificates, readKeyFiles, readPolicyFiles, renderManifestFile, renderManifests } = await import('../admission/manifests/index.ts');
  const policies = flags.policies.length > 0 ? await readPolicyFiles(flags.policies) : DEFAULT_POLICY_FILES;
  const publicKeys = await readKeyFiles(flags.key);
  const previousCa = flags.previousCa === undefined ? undefined : await readCaCertificates(flags.previousCa);
  if (flags.failurePolicy === 'Ignore') ctx.log.warn('--failure-policy Ignore: whenever the webhook cannot answer, the API server admits requests unchecked (fail open)');
  const files = await generateWebhookDeployment({
    name: flags.name,
    namespace: flags.namespace,
    image: flags.image,
    replicas,
    timeoutSeconds,
    failurePolicy: flags.failurePolicy,
    policies,
    publicKeys,
    ...(flags.insecureIgnoreTlog && { ignoreTlog: true }),
    watchClusterPolicies: flags.watchClusterPolicies === true,
    policyReports: flags.policyReports === true,
    ...(previousCa !== undefined && { previousCa }),
    certValidityDays,
  });

  if (flags.output === undefined) {
    ctx.stdout.write(renderManifests(files));
    return;
  }
  const dir = flags.output;
  try {
    await mkdir(dir, { recursive: true });
    for (const file of files) {
      // Only the owner may read what holds the private key.
      const secret = file.objects.some((o) => o.kind === 'Secret');
      await writeFileAtomic(join(dir, file.name), renderManifestFile(file), secret ? { mode: 0o600 } : undefined);
    }
  } catch (err) {
    throw new PalisadeError('INPUT_UNREADABLE', `cannot write the manifests to ${dir}: ${errorMessage(err)}`, { cause: err });
  }
  ctx.log.info(`wrote ${files.map((f) => f.name).join(', ')} to ${dir}; apply with: kubectl apply -f ${dir}`);
}
