/**
 * ImageValidatingPolicy `validationConfigurations.mutateDigest`: pinning image tags to digests.
 *
 * The images pinned are those of the well-known container fields — `containers`,
 * `initContainers` and `ephemeralContainers` of a Pod, of a Pod template (`spec.template`) or of
 * a CronJob's job template — because a pin is a JSON patch and needs the path of the image
 * (Kyverno pins the same fields, not what the policy's `images` extractors return). An image
 * already carrying a digest is left alone; the others become `<image as written>@<digest>`
 * (`ghcr.io/org/app:v1` → `ghcr.io/org/app:v1@sha256:…`, as Kyverno writes it). An image whose
 * digest cannot be resolved is an error of its own: the other images keep their pins.
 *
 * The images are not read with extractImages (policy/variables/image.ts), which builds a
 * ClusterPolicy's `images` variable, on purpose: it keys images by container name (two containers
 * of one name would lose a pin), normalises each reference (a pin and the CEL `images` default keep
 * the image as written, which matchImageReferences globs are matched against) and fails the whole
 * resource on one invalid reference. Nor is a digest looked for with its parser, imageInfo: the
 * images verified include local layouts (`oci:/path:tag@sha256:…`, image/reference.ts), which are
 * no Kyverno references but are pinned by digest all the same.
 */
import { isRecord } from '../../core/json.ts';
import type { PatchOperation } from '../engine/json-patch.ts';
import { endsWithDigest } from '../../image/reference.ts';

type Json = Record<string, unknown>;

const CONTAINER_FIELDS = ['containers', 'initContainers', 'ephemeralContainers'] as const;

/** One image reference inside a resource and where it is (an RFC 6901 pointer). */
export interface ImageField {
  field: (typeof CONTAINER_FIELDS)[number];
  pointer: string;
  image: string;
}

/** A tag replaced by its digest. */
export interface DigestPin extends ImageField {
  /** The reference written in its place: the image with `@<digest>` appended. */
  pinned: string;
}

/** The pod spec of a Pod, a Pod template holder or a CronJob, with its pointer. */
function podSpec(object: Json): { spec: Json; pointer: string } | undefined {
  const spec = object.spec;
  if (!isRecord(spec)) return undefined;
  if (object.kind === 'Pod') return { spec, pointer: '/spec' };
  const template = isRecord(spec.template) ? spec.template.spec : undefined;
  if (isRecord(template)) return { spec: template, pointer: '/spec/template/spec' };
  const job = isRecord(spec.jobTemplate) && isRecord(spec.jobTemplate.spec) && isRecord(spec.jobTemplate.spec.template) ? spec.jobTemplate.spec.template.spec : undefined;
  return isRecord(job) ? { spec: job, pointer: '/spec/jobTemplate/spec/template/spec' } : undefined;
}

/** The container images of a resource's pod spec, in field order. */
export function containerImageFields(object: Json): ImageField[] {
  const pod = podSpec(object);
  if (!pod) return [];
  const out: ImageField[] = [];
  for (const field of CONTAINER_FIELDS) {
    const containers = pod.spec[field];
    if (!Array.isArray(containers)) continue;
    containers.forEach((c, i) => {
      if (isRecord(c) && typeof c.image === 'string' && c.image !== '') out.push({ field, pointer: `${pod.pointer}/${field}/${i}/image`, image: c.image });
    });
  }
  return out;
}

/**
 * Pins the selected, digest-less images of `object` with `resolve` (image → digest; it throws
 * when the registry cannot tell). Returns the pins and, per image that could not be resolved,
 * why; `object` itself is not changed.
 */
export function pinImageDigests(
  object: Json,
  selected: (image: string) => boolean,
  resolve: (image: string) => string,
): { pins: DigestPin[]; errors: { image: string; message: string }[] } {
  const pins: DigestPin[] = [];
  const errors: { image: string; message: string }[] = [];
  for (const field of containerImageFields(object)) {
    if (endsWithDigest(field.image) || !selected(field.image)) continue;
    try {
      pins.push({ ...field, pinned: `${field.image}@${resolve(field.image)}` });
    } catch (err) {
      errors.push({ image: field.image, message: err instanceof Error ? err.message : String(err) });
    }
  }
  return { pins, errors };
}

/** The JSON patch writing the pins (what an admission webhook returns). */
export function digestPatch(pins: readonly DigestPin[]): PatchOperation[] {
  return pins.map((p) => ({ op: 'replace', path: p.pointer, value: p.pinned }));
}
