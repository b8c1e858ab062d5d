/**
 * Manifest files as YAML: one comment header per file, `---` between documents. Written as YAML 1.1
 * (what kubectl reads), so strings such as `on` or `0644` come out quoted and keep their type;
 * long base64 values stay on one line.
 */
import { isMap, isSeq, parseAllDocuments, stringify, type Document } from 'yaml';
import type { ManifestFile } from './objects.ts';

/** No anchors and aliases for repeated objects (labels): plain, self-contained documents. */
const YAML_OPTIONS = { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false } as const;

/** The text of one file. */
export function renderManifestFile(file: ManifestFile): string {
  const header = file.comment
    .split('\n')
    .map((line) => `# ${line}`.trimEnd())
    .join('\n');
  return `${header}\n${file.objects.map((o) => stringify(o, YAML_OPTIONS)).join('---\n')}`;
}

/** Every file as one multi-document stream, in order of application. */
export function renderManifests(files: readonly ManifestFile[]): string {
  return files.map(renderManifestFile).join('---\n');
}

/** What stands in for key material in manifests meant to be committed (deploy/). */
export const KEY_MATERIAL_PLACEHOLDER = 'GENERATE-WITH-palisade-admission-manifests';

/**
 * The same manifests with the CA bundle, certificates and private key replaced by a placeholder:
 * a private key in a repository is public, and an API server that trusted it could be fooled by
 * anyone reading the repository. The placeholder is not base64, so applying it fails loudly
 * instead of installing a webhook that cannot serve.
 */
export function redactKeyMaterial(text: string): string {
  const docs = parseAllDocuments(text, { version: '1.1' }) as Document[];
  for (const doc of docs) {
    const kind = doc.get('kind');
    if (kind === 'Secret' && doc.get('type') === 'kubernetes.io/tls') {
      const data = doc.get('data');
      if (isMap(data)) for (const pair of data.items) data.set(pair.key, KEY_MATERIAL_PLACEHOLDER);
    }
    if (kind === 'ValidatingWebhookConfiguration' || kind === 'MutatingWebhookConfiguration') {
      const webhooks = doc.get('webhooks');
      if (isSeq(webhooks)) webhooks.items.forEach((_, i) => doc.setIn(['webhooks', i, 'clientConfig', 'caBundle'], KEY_MATERIAL_PLACEHOLDER));
    }
  }
  return docs.map((d) => d.toString({ lineWidth: 0 })).join('');
}
