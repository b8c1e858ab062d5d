/**
 * `--platform os/arch[/variant]` and picking one manifest from an image index. Shared by the OCI
 * layout sources and the registry client so that both choose the same image. Matching follows
 * containerd's platforms package in spirit: architecture aliases are normalised (`x86_64` is
 * `amd64`, `aarch64` is `arm64`), `arm64` without a variant is `arm64/v8`, and an `arm` request
 * without a variant prefers v7.
 */
import { PalisadeError } from '../core/errors.ts';
import type { Descriptor, Platform } from './types.ts';

export const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

const ARCH_ALIASES: Record<string, string> = {
  x86_64: 'amd64',
  'x86-64': 'amd64',
  aarch64: 'arm64',
  i386: '386',
  i686: '386',
  armhf: 'arm',
  armel: 'arm',
};

/** Parses `os/arch[/variant]` (e.g. `linux/arm64`, `linux/arm/v7`). */
export function parsePlatform(value: string): Platform {
  const parts = value.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
    throw new PalisadeError('USAGE', `invalid platform "${value}": expected os/arch or os/arch/variant (e.g. linux/arm64)`);
  }
  return normalizePlatform({ os: parts[0]!, architecture: parts[1]!, ...(parts[2] !== undefined && { variant: parts[2] }) });
}

export function normalizePlatform(platform: Platform): Platform {
  const raw = platform.architecture.toLowerCase();
  const architecture = ARCH_ALIASES[raw] ?? raw;
  let variant = platform.variant?.toLowerCase();
  if (raw === 'armhf' && variant === undefined) variant = 'v7';
  if (raw === 'armel' && variant === undefined) variant = 'v6';
  // arm64 has one variant in practice; v8 and "none" name the same thing.
  if (architecture === 'arm64' && variant === 'v8') variant = undefined;
  const result: Platform = { os: platform.os.toLowerCase(), architecture };
  if (variant) result.variant = variant;
  return result;
}

export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}

/** True when an image of platform `candidate` satisfies the request `wanted`. */
export function platformMatches(wanted: Platform, candidate: Platform): boolean {
  const w = normalizePlatform(wanted);
  const c = normalizePlatform(candidate);
  if (w.os !== c.os || w.architecture !== c.architecture) return false;
  return w.variant === undefined || w.variant === c.variant;
}

/**
 * Buildkit stores provenance and SBOM attestations in the index as manifests of platform
 * `unknown/unknown`; they are not images to scan.
 */
function isAttestation(d: Descriptor): boolean {
  return d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' || d.platform?.os === 'unknown';
}

/**
 * Picks the manifest for `wanted` from an index's entries (only entries that declare a platform
 * can match). Throws a PalisadeError listing the available platforms when none matches.
 */
export function selectPlatform(manifests: readonly Descriptor[], wanted: Platform, image: string): Descriptor {
  const candidates = manifests.filter((d) => d.platform && !isAttestation(d) && platformMatches(wanted, d.platform));
  if (candidates.length > 0) {
    // Without a requested variant, prefer the conventional one (arm/v7), then the first listed.
    const preferred =
      normalizePlatform(wanted).variant === undefined && normalizePlatform(wanted).architecture === 'arm'
        ? candidates.find((d) => d.platform?.variant === 'v7')
        : undefined;
    return preferred ?? candidates[0]!;
  }
  const available = [
    ...new Set(manifests.filter((d) => d.platform && !isAttestation(d)).map((d) => formatPlatform(normalizePlatform(d.platform!)))),
  ];
  throw new PalisadeError(
    'INPUT_NOT_FOUND',
    `${image}: no image for platform ${formatPlatform(wanted)}; available: ${available.length > 0 ? available.join(', ') : 'none'} (choose one with --platform)`,
  );
}
