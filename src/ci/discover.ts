/**
 * Which files `palisade ci audit` reads: GitHub workflows (`.github/workflows/*.y{a,}ml`),
 * action definitions (`action.y{a,}ml` anywhere), Dependabot configuration
 * (`.github/dependabot.y{a,}ml`) and GitLab CI (`.gitlab-ci.yml`, whose local includes the
 * GitLab loader follows). A file named explicitly is classified by its name, else by content.
 */
import { readdirSync, statSync, type Dirent } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';

export type CiFileKind = 'workflow' | 'action' | 'dependabot' | 'gitlab';

export interface CiFile {
  /** Absolute path. */
  abs: string;
  /** Path as reported: relative to the audited directory, `/`-separated. */
  path: string;
  kind: CiFileKind;
}

/** Directories that never hold CI definitions of the project itself. */
const SKIP_DIRS = new Set(['.git', 'node_modules', '.hg', '.svn']);

const YAML = /\.ya?ml$/i;

/** Classifies a root-relative path, or undefined when it is not a CI file. */
export function kindOfPath(path: string): CiFileKind | undefined {
  const p = path.replace(/\\/g, '/');
  const name = basename(p);
  if (/(^|\/)\.github\/workflows\/[^/]+\.ya?ml$/i.test(p)) return 'workflow';
  if (/^action\.ya?ml$/i.test(name)) return 'action';
  if (/(^|\/)\.github\/dependabot\.ya?ml$/i.test(p)) return 'dependabot';
  if (/^\.gitlab-ci\.ya?ml$/i.test(name)) return 'gitlab';
  return undefined;
}

/** Classifies a YAML document by its top-level keys (for files named on the command line). */
export function kindOfContent(text: string): CiFileKind | undefined {
  const keys = new Set([...text.matchAll(/^(["']?)([A-Za-z_][\w-]*)\1\s*:/gm)].map((m) => m[2]));
  if (keys.has('jobs') && (keys.has('on') || keys.has('true'))) return 'workflow';
  if (keys.has('runs')) return 'action';
  if (keys.has('updates') && keys.has('version')) return 'dependabot';
  if (keys.has('stages') || keys.has('include') || /^\s+script:/m.test(text)) return 'gitlab';
  if (keys.has('jobs')) return 'workflow';
  return undefined;
}

function toPosix(p: string): string {
  return sep === '/' ? p : p.split(sep).join('/');
}

/** Every CI file under `root`, sorted by path. */
export function discover(root: string): CiFile[] {
  const out: CiFile[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > 32) return;
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const abs = join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walk(abs, depth + 1);
        continue;
      }
      if (!e.isFile() || !YAML.test(e.name)) continue;
      const path = toPosix(relative(root, abs));
      const kind = kindOfPath(path);
      if (kind) out.push({ abs, path, kind });
    }
  };
  walk(root, 0);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
