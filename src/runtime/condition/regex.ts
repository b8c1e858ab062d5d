/**
 * The `regex` operator: RE2 syntax, matched against the whole value (Falco anchors both ends).
 * RE2 patterns are translated to V8 RegExp: named groups `(?P<n>…)`, `\A`, `\z`, `\Q…\E` quoting,
 * POSIX bracket classes (`[[:alpha:]]`) and leading flag groups (`(?i)`, `(?s)`, `(?m)`) are
 * rewritten; what RE2 rejects (back-references, look-around, possessive or ungreedy modes) is
 * rejected here too, so a rule behaves the same or fails to load. Differences that remain: RE2
 * runs in linear time, V8 can backtrack (patterns come from rule authors, not from events), and
 * Falco's POSIX mode refuses Perl classes such as `\d`, which are accepted here.
 */

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

export class RegexSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegexSyntaxError';
  }
}

/** A RegExp that tests whether the whole input matches the RE2 pattern. */
export function compileFullMatch(pattern: string): RegExp {
  let flags = '';
  let body = pattern;
  const lead = /^\(\?([imsU]+)\)/.exec(body);
  if (lead) {
    if (lead[1]!.includes('U')) throw new RegexSyntaxError(`ungreedy mode (?U) is not supported in '${pattern}'`);
    flags = [...new Set(lead[1]!)].join('');
    body = body.slice(lead[0].length);
  }
  const translated = translate(body, pattern);
  if (/\\p\{|\\P\{/.test(translated)) flags += 'u';
  try {
    return new RegExp(`^(?:${translated})$`, flags);
  } catch (err) {
    throw new RegexSyntaxError(`invalid regular expression '${pattern}': ${(err as Error).message}`);
  }
}

function translate(body: string, pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\\') {
      const next = body[i + 1];
      if (next === undefined) throw new RegexSyntaxError(`trailing backslash in '${pattern}'`);
      if (next === 'Q') {
        const end = body.indexOf('\\E', i + 2);
        const literal = end < 0 ? body.slice(i + 2) : body.slice(i + 2, end);
        out += literal.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
        i = end < 0 ? body.length : end + 1;
        continue;
      }
      if (!inClass && next === 'A') out += '^';
      else if (!inClass && next === 'z') out += '$';
      else if (/[1-9]/.test(next) && !inClass) throw new RegexSyntaxError(`back-references are not supported in '${pattern}'`);
      else if (next === 'C') throw new RegexSyntaxError(`\\C is not supported in '${pattern}'`);
      else out += `\\${next}`;
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[' && body[i + 1] === ':') {
        const end = body.indexOf(':]', i + 2);
        const name = end < 0 ? undefined : body.slice(i + 2, end);
        const negated = name?.startsWith('^');
        const cls = name === undefined ? undefined : POSIX_CLASSES[negated ? name.slice(1) : name];
        if (cls === undefined) throw new RegexSyntaxError(`unknown character class in '${pattern}'`);
        if (negated) throw new RegexSyntaxError(`negated POSIX classes are not supported in '${pattern}'`);
        out += cls;
        i = end + 1;
        continue;
      }
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A `]` right after `[` or `[^` is a literal in RE2.
      if (body[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (body[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && body[i + 1] === '?') {
      const rest = body.slice(i + 2);
      if (rest.startsWith('P<')) {
        out += '(?<';
        i += 3;
        continue;
      }
      if (/^(?:=|!|<=|<!)/.test(rest)) throw new RegexSyntaxError(`look-around is not supported in '${pattern}'`);
    }
    if ((c === '+' || c === '*' || c === '?' || c === '}') && body[i + 1] === '+') {
      throw new RegexSyntaxError(`possessive quantifiers are not supported in '${pattern}'`);
    }
    out += c;
  }
  return out;
}
