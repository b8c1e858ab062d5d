/**
 * `palisade scan --scanners misconfig` as a library: finds the Kubernetes manifests and
 * Dockerfiles under a directory (or takes one file), runs the built-in checks, and returns one
 * ScanTargetResult, the shape the report renderers consume. A file that cannot be read or parsed
 * is an input issue (the result is then incomplete), never the end of the run.
 */
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { PalisadeError, ParseError, errorMessage } from '../core/errors.ts';
import { readTextFiles } from '../core/fs.ts';
import { silentLogger, type Logger } from '../core/log.ts';
import type { Finding, InputIssue, Target } from '../core/types.ts';
import type { ScanTargetResult } from '../report/scan-report.ts';
import { walk } from '../sbom/catalog/walk.ts';
import { toFinding, type CheckMeta, type Hit } from './check.ts';
import { checkDockerfile, DOCKERFILE_CHECKS } from './dockerfile/checks.ts';
import { parseDockerfile } from './dockerfile/parser.ts';
import { checkManifests, policyChecks, typescriptChecks } from './k8s/index.ts';
import { parseManifests, type Manifest } from './manifests.ts';

export interface MisconfigScanOptions {
  /** Directory names or root-relative paths not to descend into. */
  skipDirs?: string[];
  log?: Logger;
  /** Configuration files larger than this are skipped with an issue. */
  maxFileBytes?: number;
}

/** Dependency trees hold other people's manifests and test fixtures, not the project's configuration. */
const SKIPPED_DIRS = ['node_modules', 'bower_components', '.terraform'];
const DEFAULT_MAX_FILE_BYTES = 32 * 1024 * 1024;

const MANIFEST_FILE = /\.(ya?ml|json)$/i;

/** `Dockerfile`, `Dockerfile.prod`, `api.Dockerfile`, `Containerfile` (any case), not `Dockerfile.dockerignore` or docs. */
export function isDockerfileName(path: string): boolean {
  const name = basename(path);
  if (/\.(dockerignore|md|txt|orig|bak|swp)$/i.test(name)) return false;
  return /^(dockerfile|containerfile)(\..+)?$/i.test(name) || /\.(dockerfile|containerfile)$/i.test(name);
}

export function isManifestName(path: string): boolean {
  return MANIFEST_FILE.test(path);
}

/** Every built-in check: Kubernetes (policies and TypeScript) then Dockerfile, each sorted by id. */
export function listChecks(): CheckMeta[] {
  const byId = (a: CheckMeta, b: CheckMeta) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return [...[...typescriptChecks(), ...policyChecks()].sort(byId), ...DOCKERFILE_CHECKS.map((c) => c.meta)];
}

export async function scanMisconfig(input: string, options: MisconfigScanOptions = {}): Promise<ScanTargetResult> {
  const log = options.log ?? silentLogger;
  let info;
  try {
    info = await stat(input);
  } catch (err) {
    throw new PalisadeError('INPUT_NOT_FOUND', `cannot read ${input}: ${errorMessage(err)}`, { cause: err });
  }
  let target: Target;
  let files: { path: string; absolute: string }[];
  const issues: InputIssue[] = [];
  if (info.isDirectory()) {
    target = { kind: 'dir', name: input };
    const listed = await walk(input, {
      wants: (p) => isManifestName(p) || isDockerfileName(p),
      skipDirs: [...SKIPPED_DIRS, ...(options.skipDirs ?? [])],
    });
    issues.push(...listed.issues);
    files = listed.files.map((p) => ({ path: p, absolute: join(input, p) }));
  } else {
    if (!isManifestName(input) && !isDockerfileName(input)) {
      throw new PalisadeError('UNSUPPORTED_FORMAT', `${input}: not a Kubernetes manifest (.yaml, .yml, .json) or a Dockerfile`);
    }
    target = { kind: 'file', name: input };
    files = [{ path: input, absolute: input }];
  }

  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const texts = await readTextFiles(files, maxBytes, issues);
  const manifests: Manifest[] = [];
  const hits: Hit[] = [];
  const scanned: string[] = [];
  for (const { path, text } of texts) {
    if (isDockerfileName(path)) {
      try {
        const df = parseDockerfile(text);
        scanned.push(path);
        for (const h of checkDockerfile(df)) {
          const object = h.stage ? { kind: 'Stage', name: h.stage.name ?? String(h.stage.index) } : { kind: 'Dockerfile', name: basename(path) };
          hits.push({ check: h.check, path, line: h.line, message: h.message, object, ...(h.value !== undefined && { value: h.value }) });
        }
      } catch (err) {
        if (!(err instanceof ParseError)) throw err;
        issues.push({ path, ...(err.line !== undefined && { line: err.line }), message: `Dockerfile: ${err.message}` });
      }
    } else {
      const parsed = parseManifests(text, path);
      issues.push(...parsed.issues);
      if (parsed.manifests.length > 0) scanned.push(path);
      else if (parsed.template) log.debug(`${path}: Go template (Helm chart?), skipped: scan the rendered output instead`);
      manifests.push(...parsed.manifests);
    }
  }

  const kube = checkManifests(manifests);
  hits.push(...kube.hits);
  issues.push(...kube.issues);

  const findings: Finding[] = hits.map((h) => toFinding(h, input)).sort(compareLocated);
  return {
    target,
    findings,
    packagesScanned: 0,
    notScanned: [],
    incomplete: issues.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : (a.line ?? 0) - (b.line ?? 0))),
    misconfig: { files: scanned.sort(), objects: manifests.length },
  };
}

/** By file, then line, then check id: the order a reader walks a file in. */
function compareLocated(a: Finding, b: Finding): number {
  const pa = a.location?.path ?? '';
  const pb = b.location?.path ?? '';
  if (pa !== pb) return pa < pb ? -1 : 1;
  const la = a.location?.line ?? 0;
  const lb = b.location?.line ?? 0;
  if (la !== lb) return la - lb;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
