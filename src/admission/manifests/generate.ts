/** A complete webhook deployment: fresh TLS material, then the objects that carry it. */
import { generateWebhookTls } from './certificates.ts';
import { serviceDnsNames, webhookManifests, type ManifestFile, type ManifestOptions } from './objects.ts';

export interface DeploymentOptions extends ManifestOptions {
  /** Validity of the CA and the serving certificate. */
  certValidityDays: number;
}

export async function generateWebhookDeployment(options: DeploymentOptions): Promise<ManifestFile[]> {
  const tls = await generateWebhookTls({ dnsNames: serviceDnsNames(options), caName: `${options.name}-ca`, validityDays: options.certValidityDays });
  return webhookManifests(options, tls);
}
