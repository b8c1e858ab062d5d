/**
 * .gitignore matching (gitignore(5)), written here rather than taken from the `ignore` package
 * because the walk needs the nested-file semantics (each .gitignore applies below its own
 * directory, deeper files win, `!` re-includes) and that package only matches one pattern list
 * against paths relative to a single root; the rules themselves fit in this file.
 *
 * A pattern without a slash (other than a trailing one) matches a name at any depth below its
 * file's directory; one with a slash is anchored there. `*` and `?` never match `/`, `**` spans
 * directories, a trailing `/` matches directories only, the last matching pattern decides.
 */

interface Pattern {
  regex: RegExp;
  negated: boolean;
  dirOnly: boolean;
}

/** The patterns of one ignore file, relative to `base` ('' for the scan root). */
export interface IgnoreFile {
  base: string;
  patterns: Pattern[];
}

export function parseIgnoreFile(text: string, base: string): IgnoreFile {
  const patterns: Pattern[] = [];
  for (let line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    // Trailing spaces are ignored unless escaped.
    line = line.replace(/(?<!\\)\s+$/, '');
    if (line === '') continue;
    let negated = false;
    if (line.startsWith('!')) {
      negated = true;
      line = line.slice(1);
    } else if (line.startsWith('\\!') || line.startsWith('\\#')) {
      line = line.slice(1);
    }
    let dirOnly = false;
    if (line.endsWith('/')) {
      dirOnly = true;
      line = line.slice(0, -1);
    }
    if (line === '') continue;
    const anchored = line.includes('/');
    if (line.startsWith('/')) line = line.slice(1);
    const body = globToRegex(line);
    patterns.push({ regex: new RegExp(anchored ? `^${body}$` : `^(?:.*/)?${body}$`), negated, dirOnly });
  }
  return { base, patterns };
}

function globToRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atStart = i === 0 || glob[i - 1] === '/';
        const atEnd = i + 2 === glob.length || glob[i + 2] === '/';
        if (atStart && atEnd) {
          // `**/` (any leading directories), `/**` (everything inside) or `/**/` (zero or more directories).
          if (i + 2 === glob.length) out += '.*';
          else {
            out += '(?:.*/)?';
            i++; // skip the slash after **
          }
          i++;
          continue;
        }
      }
      out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) {
        out += '\\[';
        continue;
      }
      let set = glob.slice(i + 1, close);
      if (set.startsWith('!')) set = `^${set.slice(1)}`;
      out += `[${set.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else if (c === '\\' && i + 1 < glob.length) {
      out += escapeRegex(glob[++i]!);
    } else {
      out += escapeRegex(c);
    }
  }
  return out;
}

function escapeRegex(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

/**
 * Whether `path` (relative to the scan root, `/`-separated) is ignored by the ignore files that
 * apply to it, given shallowest first. Undefined when no pattern matches.
 */
export function isIgnored(files: readonly IgnoreFile[], path: string, isDir: boolean): boolean | undefined {
  let verdict: boolean | undefined;
  for (const file of files) {
    let rel: string;
    if (file.base === '') rel = path;
    else if (path.startsWith(`${file.base}/`)) rel = path.slice(file.base.length + 1);
    else continue;
    for (const p of file.patterns) {
      if (p.dirOnly && !isDir) continue;
      if (p.regex.test(rel)) verdict = !p.negated;
    }
  }
  return verdict;
}
