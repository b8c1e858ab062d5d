/** The parts of an image reference the checks need, without normalising it (no network, no default registry). */

/** Splits `registry:5000/repo/name:tag@sha256:…` into its tag and digest (a port is not a tag). */
export function imageTagAndDigest(image: string): { tag?: string; digest?: string } {
  const at = image.indexOf('@');
  const digest = at === -1 ? undefined : image.slice(at + 1);
  const ref = at === -1 ? image : image.slice(0, at);
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  const tag = colon > slash ? ref.slice(colon + 1) : undefined;
  return { ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}
