/**
 * A Dockerfile parser after the Dockerfile reference (BuildKit's frontend), keeping line numbers:
 *
 * - parser directives (`# syntax=`, `# escape=`, `# check=`) only at the very top, before any
 *   comment, blank line or instruction; an unknown directive ends the directive section;
 * - the escape character (`\` or `` ` `` via `# escape=`) at the end of a line continues the
 *   instruction; comment lines and blank lines inside a continuation are dropped;
 * - heredocs (`RUN <<EOF`, `<<-EOF` strips leading tabs, `<<"EOF"` / `<<'EOF'` quoted, several per
 *   instruction) for RUN, COPY and ADD;
 * - exec form (a JSON array of strings) vs shell form; leading `--flag[=value]` options;
 * - stages (`FROM [--platform=…] image [AS name]`), global `ARG`s before the first FROM whose
 *   defaults substitute into FROM, and `ONBUILD` wrapping another instruction.
 *
 * An unknown instruction, an instruction before the first FROM other than ARG, or an unterminated
 * heredoc throws ParseError with the line.
 */
import { ParseError } from '../../core/errors.ts';

export interface Heredoc {
  /** The delimiter word (`EOF`). */
  name: string;
  /** The lines between the instruction and the delimiter, joined with `\n` (with a final `\n`). */
  content: string;
  /** `<<-`: leading tabs were stripped from the content and delimiter lines. */
  chomp: boolean;
  /** `<<"EOF"` / `<<'EOF'`: no variable expansion in the content. */
  quoted: boolean;
  /** 1-based line of the first content line. */
  line: number;
}

export interface Instruction {
  /** Upper-case keyword: `FROM`, `RUN`, `COPY`… (for ONBUILD, `ONBUILD`; the wrapped one is in `onbuild`). */
  keyword: string;
  /** Everything after the keyword, continuation lines joined, before flag parsing. */
  raw: string;
  /** Leading `--name=value` options (`--name` alone has the value `''`). */
  flags: Record<string, string>;
  /** The arguments after the flags, as text (shell form, or the JSON text of exec form). */
  args: string;
  /** Exec form: the JSON array's strings. */
  json?: string[];
  heredocs: Heredoc[];
  /** 1-based lines of the keyword and of the instruction's last line (heredoc delimiter included). */
  line: number;
  endLine: number;
  /** Index of the stage this instruction belongs to; -1 for global ARGs before the first FROM. */
  stage: number;
  onbuild?: Instruction;
}

export interface Stage {
  index: number;
  from: Instruction;
  /** The base as written (`node:${VERSION}`) and with global ARG defaults substituted. */
  baseRaw: string;
  base: string;
  /** False when the base names a variable without a default: its real value is only known at build time. */
  baseResolved: boolean;
  /** `AS name`, lower-cased as BuildKit compares stage names. */
  name?: string;
  /** The stage this one builds on when `base` names an earlier stage. */
  parent?: number;
  platform?: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** Parser directives, lower-case names: `syntax`, `escape`, `check`. */
  directives: Record<string, string>;
  escape: '\\' | '`';
  globalArgs: Instruction[];
  stages: Stage[];
  /** Every instruction in file order. */
  instructions: Instruction[];
}

export const INSTRUCTIONS = new Set([
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER',
  'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
]);
const KNOWN_DIRECTIVES = new Set(['syntax', 'escape', 'check']);
const HEREDOC_INSTRUCTIONS = new Set(['RUN', 'COPY', 'ADD']);
/** Instructions whose leading `--options` are flags (others take `--` text literally, e.g. CMD). */
const FLAG_INSTRUCTIONS = new Set(['FROM', 'RUN', 'COPY', 'ADD', 'HEALTHCHECK']);
const JSON_INSTRUCTIONS = new Set(['RUN', 'CMD', 'ENTRYPOINT', 'SHELL', 'VOLUME', 'COPY', 'ADD']);

const DIRECTIVE = /^#\s*([A-Za-z][A-Za-z0-9]*)\s*=\s*(.*?)\s*$/;
/** A heredoc word, as BuildKit splits them: `<<EOF`, `<<-EOF`, `<<"EOF"`, `2<<EOF` (no space after `<<`). */
const HEREDOC = /(?<=^|\s)\d*<<(-?)(["']?)([A-Za-z_][\w.-]*)\2(?=$|\s|[;&|>])/g;

export function parseDockerfile(text: string): Dockerfile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const directives: Record<string, string> = {};
  let i = 0;
  for (; i < lines.length; i++) {
    const m = DIRECTIVE.exec(lines[i]!.trim());
    if (!m) break;
    const name = m[1]!.toLowerCase();
    if (!KNOWN_DIRECTIVES.has(name) || name in directives) break;
    directives[name] = m[2]!;
  }
  const escapeDirective = directives.escape;
  if (escapeDirective !== undefined && escapeDirective !== '\\' && escapeDirective !== '`') {
    throw new ParseError(`invalid escape directive "${escapeDirective}" (expected \\ or \`)`, 1);
  }
  const escape = (escapeDirective ?? '\\') as Dockerfile['escape'];
  const continuation = new RegExp(`${escape === '\\' ? '\\\\' : '`'}[ \\t]*$`);

  const instructions: Instruction[] = [];
  while (i < lines.length) {
    const line = lines[i]!;
    if (isBlankOrComment(line)) {
      i++;
      continue;
    }
    const start = i;
    let joined = line;
    while (continuation.test(joined) && i + 1 < lines.length) {
      joined = joined.replace(continuation, '');
      i++;
      while (i < lines.length && isBlankOrComment(lines[i]!)) i++;
      if (i >= lines.length) break;
      joined += lines[i]!;
    }
    if (continuation.test(joined)) joined = joined.replace(continuation, '');
    i++;
    const parsed = parseInstruction(joined.trim(), start + 1, escape);
    const wanted = parsed.onbuild ?? parsed;
    if (HEREDOC_INSTRUCTIONS.has(wanted.keyword) && !wanted.json) {
      i = readHeredocs(wanted, lines, i);
      parsed.heredocs = wanted.heredocs;
    }
    parsed.endLine = Math.max(i, start + 1);
    if (wanted !== parsed) wanted.endLine = parsed.endLine;
    instructions.push(parsed);
  }
  return assemble(directives, escape, instructions);
}

function isBlankOrComment(line: string): boolean {
  const t = line.trim();
  return t === '' || t.startsWith('#');
}

function parseInstruction(text: string, line: number, escape: string): Instruction {
  const m = /^(\S+)(?:\s+([\s\S]*))?$/.exec(text)!;
  const keyword = m[1]!.toUpperCase();
  const raw = (m[2] ?? '').trim();
  if (!INSTRUCTIONS.has(keyword)) throw new ParseError(`unknown instruction: ${m[1]}`, line);
  const instruction: Instruction = { keyword, raw, flags: {}, args: raw, heredocs: [], line, endLine: line, stage: -1 };
  if (keyword === 'ONBUILD') {
    if (raw === '') throw new ParseError('ONBUILD requires an instruction', line);
    const inner = parseInstruction(raw, line, escape);
    if (inner.keyword === 'ONBUILD' || inner.keyword === 'FROM' || inner.keyword === 'MAINTAINER') {
      throw new ParseError(`${inner.keyword} is not allowed as an ONBUILD trigger`, line);
    }
    instruction.onbuild = inner;
    return instruction;
  }
  let rest = raw;
  if (FLAG_INSTRUCTIONS.has(keyword)) {
    for (;;) {
      const f = /^--([A-Za-z][\w-]*)(?:=((?:"[^"]*"|'[^']*'|\S)*))?(?:\s+|$)/.exec(rest);
      if (!f) break;
      instruction.flags[f[1]!.toLowerCase()] = unquote(f[2] ?? '');
      rest = rest.slice(f[0].length);
    }
  }
  instruction.args = rest;
  if (JSON_INSTRUCTIONS.has(keyword) && rest.startsWith('[')) {
    const json = parseJsonArray(rest);
    if (json) instruction.json = json;
  }
  return instruction;
}

/** Exec form: a JSON array of strings; anything else (even a `[` that does not parse) is shell form. */
function parseJsonArray(text: string): string[] | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Consumes the bodies of the instruction's heredocs from `lines[i…]`; returns the next line index. */
function readHeredocs(instruction: Instruction, lines: string[], i: number): number {
  for (const m of instruction.args.matchAll(HEREDOC)) {
    const chomp = m[1] === '-';
    const name = m[3]!;
    const body: string[] = [];
    const first = i + 1;
    for (;;) {
      if (i >= lines.length) throw new ParseError(`unterminated heredoc <<${name}`, instruction.line);
      let l = lines[i++]!;
      if (chomp) l = l.replace(/^\t+/, '');
      if (l === name) break;
      body.push(l);
    }
    instruction.heredocs.push({ name, content: body.length > 0 ? body.join('\n') + '\n' : '', chomp, quoted: m[2] !== '', line: first });
  }
  return i;
}

function assemble(directives: Record<string, string>, escape: Dockerfile['escape'], instructions: Instruction[]): Dockerfile {
  const globalArgs: Instruction[] = [];
  const stages: Stage[] = [];
  const globals = new Map<string, string | undefined>();
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      stages.push(newStage(ins, stages, globals));
    } else if (stages.length === 0) {
      if (ins.keyword !== 'ARG') throw new ParseError(`${ins.keyword} before the first FROM (only ARG may come first)`, ins.line);
      globalArgs.push(ins);
      for (const { name, value } of argDeclarations(ins)) globals.set(name, value === undefined ? undefined : substitute(value, globals).text);
    } else {
      const stage = stages[stages.length - 1]!;
      ins.stage = stage.index;
      if (ins.onbuild) ins.onbuild.stage = stage.index;
      stage.instructions.push(ins);
    }
  }
  if (instructions.length > 0 && stages.length === 0) throw new ParseError('no FROM instruction', instructions[0]!.line);
  return { directives, escape, globalArgs, stages, instructions };
}

function newStage(from: Instruction, earlier: readonly Stage[], globals: ReadonlyMap<string, string | undefined>): Stage {
  const words = from.args.split(/\s+/).filter((w) => w !== '');
  const baseRaw = words[0];
  if (baseRaw === undefined) throw new ParseError('FROM requires an image', from.line);
  if (words.length !== 1 && !(words.length === 3 && words[1]!.toLowerCase() === 'as')) {
    throw new ParseError(`FROM: expected "FROM image [AS name]", got "FROM ${from.args}"`, from.line);
  }
  const { text: base, resolved } = substitute(baseRaw, globals);
  const index = earlier.length;
  from.stage = index;
  const parent = earlier.find((s) => s.name !== undefined && s.name === base.toLowerCase());
  return {
    index,
    from,
    baseRaw,
    base,
    baseResolved: resolved,
    ...(words[2] !== undefined && { name: words[2].toLowerCase() }),
    ...(parent && { parent: parent.index }),
    ...(from.flags.platform !== undefined && { platform: from.flags.platform }),
    instructions: [],
  };
}

/** `ARG A=1 B C="x y"` → [{A, 1}, {B}, {C, x y}]. */
export function argDeclarations(ins: Instruction): { name: string; value?: string }[] {
  return splitWords(ins.args).map((w) => {
    const eq = w.indexOf('=');
    return eq === -1 ? { name: w } : { name: w.slice(0, eq), value: unquote(w.slice(eq + 1)) };
  });
}

/**
 * `ENV A=1 B="x y"` (and the legacy `ENV A some value`) → name/value pairs, with the line of
 * the instruction.
 */
export function envDeclarations(ins: Instruction): { name: string; value: string }[] {
  const words = splitWords(ins.args);
  if (words.length > 0 && !words[0]!.includes('=')) {
    const [name, ...rest] = ins.args.trim().split(/\s+/);
    return [{ name: name!, value: unquote(rest.join(' ')) }];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    return eq === -1 ? { name: w, value: '' } : { name: w.slice(0, eq), value: unquote(w.slice(eq + 1)) };
  });
}

/** Splits on unquoted whitespace, keeping the quotes (so that `A="x y"` stays one word). */
function splitWords(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      current += ch;
      if (ch === '\\' && quote === '"' && i + 1 < text.length) current += text[++i];
      else if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      current += ch;
    } else if (/\s/.test(ch)) {
      if (current !== '') out.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  if (current !== '') out.push(current);
  return out;
}

/** Removes one level of quotes anywhere in a word: `"a b"c` → `a bc`. */
export function unquote(word: string): string {
  let out = '';
  let quote: string | undefined;
  for (let i = 0; i < word.length; i++) {
    const ch = word[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < word.length) out += word[++i];
      else out += ch;
    } else if (ch === '"' || ch === "'") quote = ch;
    else out += ch;
  }
  return out;
}

/**
 * `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR:+alt}` with the given values, as FROM lines use the
 * global ARGs. `resolved` is false when a variable has no value (Docker would substitute `''`).
 */
export function substitute(text: string, values: ReadonlyMap<string, string | undefined>): { text: string; resolved: boolean } {
  let resolved = true;
  const out = text.replace(/\$(?:\{([A-Za-z_]\w*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_]\w*))/g, (_m, braced?: string, op?: string, word?: string, bare?: string) => {
    const name = (braced ?? bare)!;
    const value = values.get(name);
    const set = value !== undefined && (op?.startsWith(':') ? value !== '' : true);
    if (op?.endsWith('-')) return set ? value! : (word ?? '');
    if (op?.endsWith('+')) return set ? (word ?? '') : '';
    if (value === undefined) resolved = false;
    return value ?? '';
  });
  return { text: out, resolved };
}
