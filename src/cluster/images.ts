/**
 * Image analysis for the cluster inventory, opt-in because it contacts registries:
 * - `--images`: each unique image is catalogued (src/image catalogImage) and its packages matched
 *   against the vulnerability database (src/vuln matchPackages); the packages of all images are
 *   merged into one dependency inventory (by purl, with the images that contain each).
 * - `--verify-signatures`: each image's signatures are verified with the given keys
 *   (src/trust/oci verifyImageSignatures).
 *
 * The image pulled is the one that runs: by the digest the pod status reports when there is one,
 * else the reference as the spec writes it (then what is analysed may differ from what runs, and
 * the result says so). A registry that fails is an error on that image, never "unsigned" or
 * "no vulnerabilities".
 *
 * The services are injected so that the library has no network dependency of its own; the CLI
 * wires the real ones (see `imageServices` in src/cli/cluster.ts).
 */
import { errorMessage } from '../core/errors.ts';
import { silentLogger, type Logger } from '../core/log.ts';
import type { Finding, InputIssue, Package, Severity } from '../core/types.ts';
import { SEVERITY_ORDER, type ClusterFinding } from './findings.ts';
import type { ImageInfo } from './inventory.ts';

export interface CatalogedImage {
  packages: Package[];
  /** The manifest digest that was read. */
  digest?: string;
  issues: InputIssue[];
}

export type SignatureStatus = 'verified' | 'unsigned' | 'invalid';

export interface ImageServices {
  catalog?: (ref: string) => Promise<CatalogedImage>;
  match?: (packages: Package[], ref: string) => Finding[];
  verify?: (ref: string) => Promise<{ status: SignatureStatus; digest?: string; message?: string }>;
}

export interface ImageResult {
  image: string;
  /** What was read from the registry. */
  reference: string;
  /** True when no runtime digest was known: the tag may now name another image than the one running. */
  byTag: boolean;
  digest?: string;
  packages?: number;
  vulnerabilities?: Record<Severity, number>;
  /** Cataloguing or matching failed. */
  scanError?: string;
  signature?: { status: SignatureStatus | 'error'; message?: string };
}

export interface ImagePackage {
  purl: string;
  name: string;
  version?: string;
  ecosystem: string;
  images: string[];
}

export interface ImageAnalysis {
  results: ImageResult[];
  /** Every package of every scanned image, once per purl. */
  packages: ImagePackage[];
  findings: ClusterFinding[];
}

const ZERO: Record<Severity, number> = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0 };

/** `ghcr.io/org/app:1.2@sha256:x` → `ghcr.io/org/app`: the repository, without tag or digest. */
export function repositoryOf(image: string): string {
  const noDigest = image.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

/** The reference of what runs: repository@digest when a digest is known. */
export function runningReference(info: ImageInfo): { reference: string; byTag: boolean } {
  const digest = info.digests[0];
  return digest ? { reference: `${repositoryOf(info.image)}@${digest}`, byTag: false } : { reference: info.image, byTag: true };
}

export async function analyseImages(images: readonly ImageInfo[], services: ImageServices, options: { concurrency?: number; log?: Logger } = {}): Promise<ImageAnalysis> {
  const log = options.log ?? silentLogger;
  const results: ImageResult[] = new Array(images.length);
  const packages = new Map<string, ImagePackage>();
  const findings: ClusterFinding[] = [];
  let next = 0;
  async function worker(): Promise<void> {
    while (next < images.length) {
      const i = next++;
      const info = images[i]!;
      const { reference, byTag } = runningReference(info);
      const result: ImageResult = { image: info.image, reference, byTag };
      if (services.catalog) {
        try {
          log.info(`cataloguing ${reference}`);
          const cataloged = await services.catalog(reference);
          if (cataloged.digest) result.digest = cataloged.digest;
          result.packages = cataloged.packages.length;
          for (const p of cataloged.packages) {
            const entry = packages.get(p.purl) ?? { purl: p.purl, name: p.name, ...(p.version !== undefined && { version: p.version }), ecosystem: p.ecosystem, images: [] };
            if (!entry.images.includes(info.image)) entry.images.push(info.image);
            packages.set(p.purl, entry);
          }
          if (services.match) {
            const vulns = services.match(cataloged.packages, reference);
            result.vulnerabilities = { ...ZERO };
            for (const v of vulns) result.vulnerabilities[v.severity]++;
            const finding = vulnerabilityFinding(info, result, vulns);
            if (finding) findings.push(finding);
          }
        } catch (err) {
          result.scanError = errorMessage(err);
          log.warn(`${reference}: cannot scan: ${result.scanError}`);
        }
      }
      if (services.verify) {
        try {
          const verified = await services.verify(reference);
          result.signature = { status: verified.status, ...(verified.message !== undefined && { message: verified.message }) };
          if (!result.digest && verified.digest) result.digest = verified.digest;
          if (verified.status !== 'verified') findings.push(signatureFinding(info, result, verified.status, verified.message));
        } catch (err) {
          result.signature = { status: 'error', message: errorMessage(err) };
          log.warn(`${reference}: cannot verify signatures: ${errorMessage(err)}`);
        }
      }
      results[i] = result;
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, images.length)) }, worker));
  const merged = [...packages.values()].map((p) => ({ ...p, images: p.images.sort() })).sort((a, b) => (a.purl < b.purl ? -1 : a.purl > b.purl ? 1 : 0));
  return { results, packages: merged, findings };
}

function imageSubject(info: ImageInfo): ClusterFinding['subject'] {
  return { kind: 'Image', name: info.image };
}

function vulnerabilityFinding(info: ImageInfo, result: ImageResult, vulns: readonly Finding[]): ClusterFinding | undefined {
  if (vulns.length === 0) return undefined;
  const worst = vulns.reduce((a, b) => (SEVERITY_ORDER[b.severity] > SEVERITY_ORDER[a.severity] ? b : a)).severity;
  const counts = result.vulnerabilities!;
  const summary = (['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'] as const).filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`).join(', ');
  const top = [...vulns].sort((a, b) => SEVERITY_ORDER[b.severity] - SEVERITY_ORDER[a.severity] || (a.id < b.id ? -1 : 1)).slice(0, 10);
  return {
    id: 'PAL-IMG-002',
    area: 'inventory',
    severity: worst,
    title: 'Image has known vulnerabilities',
    subject: imageSubject(info),
    message: `${info.image}${result.byTag ? ' (read by tag)' : ''} has ${vulns.length} known vulnerabilit${vulns.length === 1 ? 'y' : 'ies'}: ${summary}`,
    evidence: [...top.map((v) => `${v.id} ${v.severity} ${v.vuln ? `${v.vuln.package.name} ${v.vuln.package.version}` : ''}`.trim()), `used by ${info.workloads.join(', ')}`],
    locations: [],
    controls: { kubescape: ['C-0085'] },
    remediation: 'Rebuild the image on patched packages (or a fresh base image) and redeploy; `palisade scan IMAGE` lists every vulnerability.',
  };
}

function signatureFinding(info: ImageInfo, result: ImageResult, status: SignatureStatus, message: string | undefined): ClusterFinding {
  return {
    id: 'PAL-IMG-003',
    area: 'inventory',
    severity: 'HIGH',
    title: status === 'unsigned' ? 'Image is not signed' : 'Image signature does not verify',
    subject: imageSubject(info),
    message: `${info.image}: ${status === 'unsigned' ? 'no signature' : 'no signature verifies with the given keys'}${message ? ` (${message})` : ''}`,
    evidence: [`reference ${result.reference}`, `used by ${info.workloads.join(', ')}`],
    locations: [],
    controls: { kubescape: ['C-0237'] },
    remediation: 'Sign images in CI (`palisade sign` / cosign) and verify signatures at admission.',
  };
}

/** Images whose running digest is unknown: the spec names a tag and no pod status says what it resolved to. */
export function unpinnedImageFindings(images: readonly ImageInfo[]): ClusterFinding[] {
  return images
    .filter((i) => i.digests.length === 0)
    .map((i) => ({
      id: 'PAL-IMG-001',
      area: 'inventory' as const,
      severity: 'LOW' as const,
      title: 'Running image digest unknown',
      subject: imageSubject(i),
      message: `${i.image} is referenced by tag and no pod reports the digest it runs: which image runs cannot be told`,
      evidence: [`used by ${i.workloads.join(', ')}`],
      locations: [],
      controls: { trivy: ['KSV-0013'] },
      remediation: 'Reference images by digest (`app:1.2.3@sha256:…`), or make sure pods of the workload are running.',
    }));
}
