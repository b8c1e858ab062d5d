/**
 * Source rewrites for CEL syntax the CEL library does not accept, applied before parsing (outside
 * string literals):
 *
 * - message construction, used by MutatingAdmissionPolicy apply configurations and JSON patches
 *   (`Object{spec: Object.spec{replicas: 1}}`, `JSONPatch{op: "add", …}`), becomes a dynamic map
 *   literal (`dyn({"spec": dyn({"replicas": 1})})`): the objects are schemaless JSON anyway, and
 *   `dyn` keeps differently shaped constructions in the branches of a ternary compatible, as
 *   they are for the API server, which types them by the resource's schema;
 * - `has(e.f)` where `e` is not a plain identifier path (`has(list[i].f)`, `has(f(x).f)`): the
 *   library's `has` only takes `a.b.c`, so it becomes `(e).?f.hasValue()`, which CEL defines to
 *   mean the same for maps.
 */

interface Token {
  kind: 'string' | 'ident' | 'other';
  text: string;
}

/** Splits CEL source into string literals, identifier paths (`a.b.c`) and single other characters. */
function tokenize(source: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    const prefixed = /[rRbB]/.test(ch) && (source[i + 1] === '"' || source[i + 1] === "'") && !/\w/.test(source[i - 1] ?? '');
    if (ch === '"' || ch === "'" || prefixed) {
      const start = i;
      const raw = prefixed && (ch === 'r' || ch === 'R');
      if (prefixed) i++;
      const q = source[i]!;
      const quote = source.startsWith(q.repeat(3), i) ? q.repeat(3) : q;
      let j = i + quote.length;
      while (j < source.length && !source.startsWith(quote, j)) j += source[j] === '\\' && !raw ? 2 : 1;
      i = Math.min(source.length, j + quote.length);
      out.push({ kind: 'string', text: source.slice(start, i) });
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*/.exec(source.slice(i))!;
      out.push({ kind: 'ident', text: m[0] });
      i += m[0].length;
      continue;
    }
    if (/\d/.test(ch)) {
      const m = /^\d[\w.]*/.exec(source.slice(i))!;
      out.push({ kind: 'other', text: m[0] });
      i += m[0].length;
      continue;
    }
    out.push({ kind: 'other', text: ch });
    i++;
  }
  return out;
}

const nextSignificant = (tokens: Token[], i: number): number => {
  let j = i;
  while (j < tokens.length && tokens[j]!.kind === 'other' && /^\s$/.test(tokens[j]!.text)) j++;
  return j;
};

function rewriteConstruction(tokens: Token[]): Token[] {
  const out: Token[] = [];
  // Open brackets; `message` marks braces that opened a construction (their fields get quoted).
  const stack: { message: boolean; expectField: boolean }[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const top = stack.at(-1);
    if (t.kind === 'ident') {
      const j = nextSignificant(tokens, i + 1);
      const prev = [...out].reverse().find((x) => !(x.kind === 'other' && /^\s$/.test(x.text)));
      if (tokens[j]?.text === '{' && /^[A-Z]/.test(t.text) && prev?.text !== '.') {
        out.push({ kind: 'other', text: 'dyn({' });
        stack.push({ message: true, expectField: true });
        i = j;
        continue;
      }
      if (top?.message && top.expectField && tokens[j]?.text === ':') {
        out.push({ kind: 'string', text: JSON.stringify(t.text) });
        top.expectField = false;
        continue;
      }
    } else if (t.kind === 'other') {
      if (t.text === '{' || t.text === '[' || t.text === '(') stack.push({ message: false, expectField: false });
      else if (t.text === '}' || t.text === ']' || t.text === ')') {
        const closed = stack.pop();
        if (closed?.message && t.text === '}') {
          out.push({ kind: 'other', text: '})' });
          continue;
        }
      } else if (t.text === ',' && top?.message) top.expectField = true;
    }
    out.push(t);
  }
  return out;
}

/** Index of the token closing the bracket opened at `open`. */
function closing(tokens: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const text = tokens[i]!.kind === 'other' ? tokens[i]!.text : '';
    if (text === '(' || text === '[' || text === '{') depth++;
    else if (text === ')' || text === ']' || text === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function rewriteHas(tokens: Token[]): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const open = nextSignificant(tokens, i + 1);
    if (!(t.kind === 'ident' && t.text === 'has' && tokens[open]?.text === '(')) {
      out.push(t);
      continue;
    }
    const close = closing(tokens, open);
    const arg = close < 0 ? [] : tokens.slice(open + 1, close);
    const last = arg.at(-1);
    // Plain `a.b.c` arguments are fine; `e.f` with a complex `e` is rewritten.
    const complex = arg.length > 1 && last?.kind === 'ident' && arg.some((x) => x.kind === 'other' && /[[(]/.test(x.text));
    if (!complex) {
      out.push(t);
      continue;
    }
    const full = arg.map((x) => x.text).join('');
    const select = /\s*\.\s*([A-Za-z_]\w*)\s*$/.exec(full);
    // Not a selection (`has(f(x) + y)`): left as written, for the parser to report.
    if (!select) {
      out.push(t);
      continue;
    }
    out.push({ kind: 'other', text: `(${rewrite(full.slice(0, select.index))}).?${select[1]}.hasValue()` });
    i = close;
  }
  return out;
}

/** Applies both rewrites; sources without constructions or complex `has` come back unchanged. */
export function rewrite(source: string): string {
  if (!/[A-Z][\w.]*\s*\{/.test(source) && !/\bhas\s*\(/.test(source)) return source;
  let tokens = tokenize(source);
  if (/[A-Z][\w.]*\s*\{/.test(source)) tokens = rewriteConstruction(tokens);
  if (/\bhas\s*\(/.test(source)) tokens = rewriteHas(tokens);
  return tokens.map((t) => t.text).join('');
}
