/**
 * Container image references as Kyverno describes them: the `images` variable
 * (`images.containers.<name>.{registry,path,name,tag,digest,reference,referenceWithTag}`) and
 * `image_normalize()`. References follow the distribution/reference grammar after Kyverno adds its
 * default registry (`docker.io`) to names without a registry; an image with neither tag nor digest
 * gets the tag `latest`. Paths are kept as written (`nginx`, not `library/nginx`), which is what
 * the Kyverno CLI test suites expect.
 */
import { isRecord } from '../../core/json.ts';

export const DEFAULT_REGISTRY = 'docker.io';

export interface ImageInfo {
  registry: string;
  name: string;
  path: string;
  tag: string;
  digest: string;
  /** registry/path@digest when there is a digest, else registry/path:tag. */
  reference: string;
  /** registry/path:tag (the tag may be empty). */
  referenceWithTag: string;
}

export class ImageReferenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageReferenceError';
  }
}

const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])`;
const DOMAIN_AND_PORT = `${HOST}(?::[0-9]+)?`;
const NAME = `(?:${DOMAIN_AND_PORT}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const ANCHORED_NAME = new RegExp(`^(?:(${DOMAIN_AND_PORT})/)?(${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)$`);
const DIGEST_LENGTHS: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

/** Kyverno's addDefaultRegistry: a first segment without `.`/`:`, not `localhost` and lowercase is a path. */
function withDefaultRegistry(image: string): string {
  const slash = image.indexOf('/');
  const first = slash < 0 ? '' : image.slice(0, slash);
  if (slash < 0 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) return `${DEFAULT_REGISTRY}/${image}`;
  return image;
}

function parseReference(s: string): { domain: string; path: string; tag: string; digest: string } {
  const m = REFERENCE.exec(s);
  if (!m) {
    if (s === '') throw new ImageReferenceError('repository name must have at least one component');
    if (REFERENCE.test(s.toLowerCase())) throw new ImageReferenceError('repository name must be lowercase');
    throw new ImageReferenceError('invalid reference format');
  }
  const name = m[1] as string;
  if (name.length > 255) throw new ImageReferenceError('repository name must not be more than 255 characters');
  const named = ANCHORED_NAME.exec(name);
  const digest = m[3] ?? '';
  if (digest) {
    const [algorithm, encoded] = digest.split(':') as [string, string];
    const length = DIGEST_LENGTHS[algorithm];
    if (length === undefined) throw new ImageReferenceError('unsupported digest algorithm');
    if (encoded.length !== length) throw new ImageReferenceError('invalid checksum digest length');
    if (!/^[a-f0-9]+$/.test(encoded)) throw new ImageReferenceError('invalid checksum digest format');
  }
  return { domain: named?.[1] ?? '', path: named?.[2] ?? name, tag: m[2] ?? '', digest };
}

/** GetImageInfo with Kyverno's defaults (registry docker.io, registry mutation enabled). */
export function imageInfo(image: string): ImageInfo {
  const full = withDefaultRegistry(image);
  let ref;
  try {
    ref = parseReference(full);
  } catch (e) {
    throw new ImageReferenceError(`bad image: ${full}, defaultRegistry: ${DEFAULT_REGISTRY}, enableDefaultRegistryMutation: true: ${(e as Error).message}`);
  }
  const tag = ref.digest === '' && ref.tag === '' ? 'latest' : ref.tag;
  const base = ref.domain ? `${ref.domain}/${ref.path}` : ref.path;
  return {
    registry: ref.domain,
    name: ref.path.slice(ref.path.lastIndexOf('/') + 1),
    path: ref.path,
    tag,
    digest: ref.digest,
    reference: ref.digest ? `${base}@${ref.digest}` : `${base}:${tag}`,
    referenceWithTag: `${base}:${tag}`,
  };
}

/** image_normalize(): the canonical reference (`nginx` → `docker.io/nginx:latest`). */
export function normalizeImage(image: string): string {
  return imageInfo(image).reference;
}

/** One image found in a resource, as stored under `images`: Go omits empty optional fields. */
export type ImageEntry = Partial<Pick<ImageInfo, 'registry' | 'tag' | 'digest' | 'reference' | 'referenceWithTag'>> &
  Pick<ImageInfo, 'name' | 'path'> & { jsonPointer: string };

/** images.<extractor name>.<key> */
export type ImagesByKind = Record<string, Record<string, ImageEntry>>;

/** A rule's `imageExtractors` entry: where images of a custom kind live. */
export interface ImageExtractorConfig {
  path: string;
  value?: string;
  name?: string;
  key?: string;
  jmesPath?: string;
}

interface Extractor {
  fields: string[];
  key: string;
  value: string;
  name: string;
  jmesPath: string;
}

function standardExtractors(...prefix: string[]): Extractor[] {
  return ['initContainers', 'containers', 'ephemeralContainers'].map((tag) => ({ fields: [...prefix, tag, '*'], key: 'name', value: 'image', name: tag, jmesPath: '' }));
}

const POD = standardExtractors('spec');
const POD_CONTROLLER = standardExtractors('spec', 'template', 'spec');
const EXTRACTORS: Readonly<Record<string, Extractor[]>> = {
  Pod: POD,
  DaemonSet: POD_CONTROLLER,
  Deployment: POD_CONTROLLER,
  ReplicaSet: POD_CONTROLLER,
  ReplicationController: POD_CONTROLLER,
  StatefulSet: POD_CONTROLLER,
  Job: POD_CONTROLLER,
  CronJob: standardExtractors('spec', 'jobTemplate', 'spec', 'template', 'spec'),
};

function customExtractors(configs: readonly ImageExtractorConfig[]): Extractor[] {
  return configs.map((c) => {
    const fields = c.path.split('/').map((f) => f.trim()).filter((f) => f !== '');
    const value = c.value || (fields.pop() ?? '');
    return { fields, key: c.key ?? '', value, name: c.name || 'custom', jmesPath: c.jmesPath ?? '' };
  });
}

/** Applies an extractor's `jmesPath` to the raw image string. */
export type ImageTransform = (jmesPath: string, value: string) => unknown;

function entry(info: ImageInfo, pointer: string): ImageEntry {
  const e: ImageEntry = { name: info.name, path: info.path, jsonPointer: pointer };
  for (const k of ['registry', 'tag', 'digest', 'reference', 'referenceWithTag'] as const) if (info[k] !== '') e[k] = info[k];
  return e;
}

function walk(obj: unknown, path: string[], ex: Extractor, fields: string[], out: Record<string, ImageEntry>, transform?: ImageTransform): void {
  if (obj === null || obj === undefined) return;
  if (fields[0] === '*') {
    if (Array.isArray(obj)) obj.forEach((v, i) => walk(v, [...path, String(i)], ex, fields.slice(1), out, transform));
    else if (isRecord(obj)) for (const [k, v] of Object.entries(obj)) walk(v, [...path, k], ex, fields.slice(1), out, transform);
    else throw new ImageReferenceError('invalid type');
    return;
  }
  if (!isRecord(obj)) throw new ImageReferenceError('invalid image config');
  if (fields.length > 0) {
    walk(obj[fields[0] as string], [...path, fields[0] as string], ex, fields.slice(1), out, transform);
    return;
  }
  const pointer = `/${[...path, ex.value].join('/')}`;
  let key = pointer;
  if (ex.key !== '') {
    const k = obj[ex.key];
    if (typeof k !== 'string') throw new ImageReferenceError('invalid key');
    key = k;
  }
  let value = obj[ex.value];
  if (typeof value !== 'string' || value.trim() === '') return;
  if (ex.jmesPath !== '' && transform) {
    const result = transform(ex.jmesPath, value);
    if (typeof result !== 'string') throw new ImageReferenceError(`jmespath ${ex.jmesPath} must produce a string, but produced ${JSON.stringify(result)}`);
    value = result;
  }
  try {
    out[key] = entry(imageInfo(value as string), pointer);
  } catch (e) {
    throw new ImageReferenceError(`invalid image '${value as string}' (${(e as Error).message})`);
  }
}

/**
 * The `images` map of a resource: Pods and the built-in pod controllers by default, or the rule's
 * `imageExtractors` for the kind. Empty when the kind has no images; throws ImageReferenceError for
 * an image that is not a valid reference (Kyverno then fails the whole request).
 */
export function extractImages(
  resource: Record<string, unknown>,
  configs?: Readonly<Record<string, readonly ImageExtractorConfig[]>>,
  transform?: ImageTransform,
): ImagesByKind {
  const kind = typeof resource.kind === 'string' ? resource.kind : '';
  const custom = configs?.[kind];
  const extractors = custom ? customExtractors(custom) : (EXTRACTORS[kind] ?? []);
  if (custom && extractors.length === 0) throw new ImageReferenceError(`no extractors found for ${kind}`);
  const images: ImagesByKind = {};
  for (const ex of extractors) {
    const found: Record<string, ImageEntry> = {};
    walk(resource, [], ex, ex.fields, found, transform);
    if (Object.keys(found).length > 0) images[ex.name] = found;
  }
  return images;
}
