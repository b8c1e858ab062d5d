/** `palisade admission manifests`: a ready-to-apply webhook deployment with its own CA and serving certificate. */
export { generateWebhookTls, type WebhookTls, type WebhookTlsOptions } from './certificates.ts';
export { DEFAULT_POLICY_FILES } from './default-policies.ts';
export { generateWebhookDeployment, type DeploymentOptions } from './generate.ts';
export { readCaCertificates, readKeyFiles, readPolicyFiles } from './files.ts';
export { exemptNamespaces, SERVER_PORT, serviceDnsNames, webhookManifests, type ManifestFile, type ManifestOptions, type ConfigMapFile } from './objects.ts';
export { KEY_MATERIAL_PLACEHOLDER, redactKeyMaterial, renderManifestFile, renderManifests } from './render.ts';
