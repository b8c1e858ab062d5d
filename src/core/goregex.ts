/**
 * Go (RE2) regular expressions on V8, for the places that take RE2 patterns from policy and rule
 * authors (Kyverno's regex_* functions, CEL's regex library, Falco's `regex` operator). The
 * pattern syntax is translated (named groups `(?P<n>…)`, leading flag
 * groups `(?i)`, `\A`/`\z`, `\Q…\E`, POSIX classes `[[:alpha:]]`), constructs RE2 rejects are
 * rejected (backreferences, lookarounds), and replacement follows Go: `$1`, `${1}`, `$name` in the
 * template and no empty match right after a previous match (`.*` on "abc" replaces once).
 */

export class GoRegexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GoRegexError';
  }
}

const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const cache = new Map<string, RegExp>();

/** A Go pattern as V8 source and flags (without `g`); throws GoRegexError for what RE2 rejects. */
export function translateGoRegex(pattern: string): { source: string; flags: string } {
  let source = pattern;
  let flags = '';
  const leading = /^\(\?([imsU]+)\)/.exec(source);
  if (leading) {
    const f = leading[1] as string;
    if (f.includes('U')) throw new GoRegexError(`error parsing regexp: ungreedy mode is not supported: \`${pattern}\``);
    for (const c of f) if (!flags.includes(c)) flags += c;
    source = source.slice(leading[0].length);
  }
  const translated = translate(source, pattern);
  if (/\\p/i.test(translated)) flags += 'u';
  return { source: translated, flags };
}

/** Compiles a Go regular expression; the result has the `g` flag for replace loops. */
export function compileGoRegex(pattern: string): RegExp {
  const cached = cache.get(pattern);
  if (cached) return cached;
  const { source, flags } = translateGoRegex(pattern);
  let re: RegExp;
  try {
    re = new RegExp(source, `g${flags}`);
  } catch (e) {
    throw new GoRegexError(`error parsing regexp: ${(e as Error).message}`);
  }
  if (cache.size > 500) cache.clear();
  cache.set(pattern, re);
  return re;
}

/** A RegExp that tests whether the whole input matches the Go pattern (Falco's `regex`). */
export function compileGoFullMatch(pattern: string): RegExp {
  const { source, flags } = translateGoRegex(pattern);
  try {
    return new RegExp(`^(?:${source})$`, flags);
  } catch (e) {
    throw new GoRegexError(`error parsing regexp: ${(e as Error).message}`);
  }
}

function translate(source: string, original: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    if (c === '\\') {
      const next = source[i + 1];
      if (next === undefined) throw new GoRegexError(`error parsing regexp: trailing backslash at end of expression: \`${original}\``);
      if (next === 'Q') {
        const end = source.indexOf('\\E', i + 2);
        const literal = end < 0 ? source.slice(i + 2) : source.slice(i + 2, end);
        out += literal.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
        i = end < 0 ? source.length : end + 1;
        continue;
      }
      if (!inClass && next === 'A') out += '(?<![\\s\\S])';
      else if (!inClass && next === 'z') out += '(?![\\s\\S])';
      else if (!inClass && next >= '1' && next <= '9') {
        throw new GoRegexError(`error parsing regexp: invalid escape sequence: \`\\${next}\``);
      } else if (next === 'p' || next === 'P') {
        // \pL → \p{L}
        if (source[i + 2] === '{') {
          out += c + next;
        } else {
          out += `${c}${next}{${source[i + 2] ?? ''}}`;
          i++;
        }
      } else out += c + next;
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[' && source[i + 1] === ':') {
        const end = source.indexOf(':]', i + 2);
        const name = end < 0 ? undefined : source.slice(i + 2, end);
        const negated = name?.startsWith('^');
        const cls = name === undefined ? undefined : POSIX_CLASSES[negated ? name.slice(1) : name];
        if (cls !== undefined && !negated) {
          out += cls;
          i = end + 1;
          continue;
        }
      }
      if (c === ']') inClass = false;
      out += c === '[' ? '\\[' : c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (source[i + 1] === '^') out += source[++i];
      // A leading ']' is literal in RE2.
      if (source[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (!inClass && (c === '+' || c === '*' || c === '?' || c === '}') && source[i + 1] === '+') {
      throw new GoRegexError(`error parsing regexp: invalid nested repetition operator: \`${c}+\``);
    }
    if (c === '(' && source[i + 1] === '?') {
      const rest = source.slice(i + 2);
      if (rest.startsWith('P<')) {
        out += '(?<';
        i += 3;
        continue;
      }
      if (/^(=|!|<=|<!)/.test(rest)) throw new GoRegexError(`error parsing regexp: invalid or unsupported Perl syntax: \`(?${rest.slice(0, 1)}\``);
      const group = /^([imsU-]+)(\)|:)/.exec(rest);
      if (group && group[2] === ')') {
        throw new GoRegexError(`error parsing regexp: flag groups are only supported at the start of the pattern: \`${original}\``);
      }
    }
    out += c;
  }
  return out;
}

/** regexp.MatchString: an unanchored search. */
export function goRegexMatch(pattern: string, subject: string): boolean {
  const re = compileGoRegex(pattern);
  re.lastIndex = 0;
  const matched = re.test(subject);
  re.lastIndex = 0;
  return matched;
}

/** Go's ReplaceAll loop over all matches, with Go's empty-match rule. */
export function goReplaceAll(pattern: string, subject: string, replacement: (m: RegExpExecArray) => string): string {
  const re = compileGoRegex(pattern);
  let out = '';
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= subject.length) {
    re.lastIndex = searchPos;
    const m = re.exec(subject);
    if (!m) break;
    const start = m.index;
    const end = start + m[0].length;
    out += subject.slice(lastMatchEnd, start);
    // No replacement for an empty match immediately after a previous match.
    if (end > lastMatchEnd || start === 0) out += replacement(m);
    lastMatchEnd = end;
    const width = codePointWidth(subject, searchPos);
    if (searchPos + width > end) searchPos += width;
    else if (searchPos + 1 > end) searchPos++;
    else searchPos = end;
  }
  re.lastIndex = 0;
  return out + subject.slice(lastMatchEnd);
}

function codePointWidth(s: string, i: number): number {
  if (i >= s.length) return 0;
  const code = s.charCodeAt(i);
  return code >= 0xd800 && code <= 0xdbff && i + 1 < s.length ? 2 : 1;
}

/** Regexp.Expand: `$$`, `$1`, `${1}`, `$name`, `${name}`; unknown groups expand to nothing. */
export function expandGoTemplate(template: string, m: RegExpExecArray): string {
  let out = '';
  let rest = template;
  for (;;) {
    const dollar = rest.indexOf('$');
    if (dollar < 0) break;
    out += rest.slice(0, dollar);
    rest = rest.slice(dollar + 1);
    if (rest[0] === '$') {
      out += '$';
      rest = rest.slice(1);
      continue;
    }
    const ref = /^(?:\{([\p{L}\p{Nd}_]+)\}|([\p{L}\p{Nd}_]+))/u.exec(rest);
    if (!ref) {
      out += '$';
      continue;
    }
    rest = rest.slice(ref[0].length);
    const name = (ref[1] ?? ref[2]) as string;
    const num = /^\d+$/.test(name) && !(name.length > 1 && name[0] === '0') && name.length <= 8 ? Number(name) : -1;
    const value = num >= 0 ? m[num] : m.groups?.[name];
    out += value ?? '';
  }
  return out + rest;
}
