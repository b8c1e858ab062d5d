/**
 * Just enough POSIX shell to read RUN instructions: a script split into simple commands (on `;`,
 * `&&`, `||`, `|`, `&`, newlines, subshell and command-substitution brackets), each a list of
 * words with quotes removed. Not an interpreter: variables stay as written.
 */

export interface SimpleCommand {
  /** The command name after environment assignments and wrappers (`sudo`, `env`, `exec`…). */
  name: string;
  args: string[];
  /** Whether `sudo` wrapped the command. */
  sudo: boolean;
  /** Whether the command's output feeds the next command through a pipe. */
  pipedTo?: SimpleCommand;
}

const WRAPPERS = new Set(['sudo', 'env', 'exec', 'command', 'nohup', 'time', 'xargs']);
const ASSIGNMENT = /^[A-Za-z_]\w*=/;

/** The simple commands of a shell script, in order. */
export function simpleCommands(script: string): SimpleCommand[] {
  const raw = splitCommands(script);
  const out: SimpleCommand[] = [];
  let previousPiped: SimpleCommand | undefined;
  for (const { words, pipe } of raw) {
    const cmd = toCommand(words);
    if (!cmd) {
      previousPiped = undefined;
      continue;
    }
    if (previousPiped) previousPiped.pipedTo = cmd;
    out.push(cmd);
    previousPiped = pipe ? cmd : undefined;
  }
  return out;
}

function toCommand(words: string[]): SimpleCommand | undefined {
  let i = 0;
  let sudo = false;
  while (i < words.length) {
    const w = words[i]!;
    if (ASSIGNMENT.test(w)) i++;
    else if (WRAPPERS.has(w)) {
      if (w === 'sudo') sudo = true;
      i++;
      // Wrapper options (`sudo -u app`, `env -i`): skip flags and, for sudo -u/-g, their value.
      while (i < words.length && words[i]!.startsWith('-')) {
        const flag = words[i++]!;
        if (w === 'sudo' && (flag === '-u' || flag === '-g')) i++;
      }
    } else break;
  }
  const name = words[i];
  if (name === undefined) return undefined;
  return { name, args: words.slice(i + 1), sudo };
}

function splitCommands(script: string): { words: string[]; pipe: boolean }[] {
  const commands: { words: string[]; pipe: boolean }[] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  const endWord = () => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = (pipe = false) => {
    endWord();
    if (words.length > 0) commands.push({ words, pipe });
    words = [];
  };
  for (let i = 0; i < script.length; i++) {
    const ch = script[i]!;
    const next = script[i + 1];
    if (ch === "'") {
      const end = script.indexOf("'", i + 1);
      word += end === -1 ? script.slice(i + 1) : script.slice(i + 1, end);
      inWord = true;
      i = end === -1 ? script.length : end;
    } else if (ch === '"') {
      inWord = true;
      for (i++; i < script.length && script[i] !== '"'; i++) {
        if (script[i] === '\\' && i + 1 < script.length && '"\\$`'.includes(script[i + 1]!)) i++;
        word += script[i];
      }
    } else if (ch === '\\') {
      if (next === '\n') i++;
      else if (next !== undefined) {
        word += next;
        inWord = true;
        i++;
      }
    } else if (ch === ' ' || ch === '\t') {
      endWord();
    } else if (ch === '#' && !inWord) {
      const end = script.indexOf('\n', i);
      i = end === -1 ? script.length : end - 1;
    } else if (ch === '&' && (script[i - 1] === '>' || script[i - 1] === '<' || next === '>')) {
      // Redirections (`2>&1`, `&>/dev/null`), not a background operator.
      word += ch;
      inWord = true;
    } else if (ch === '|' && next !== '|') {
      endCommand(true);
    } else if (ch === '\n' || ch === ';' || ch === '&' || ch === '|' || ch === '(' || ch === ')' || ch === '`') {
      endCommand();
      if ((ch === '&' || ch === '|') && next === ch) i++;
    } else if (ch === '$' && next === '(') {
      endCommand();
      i++;
    } else {
      word += ch;
      inWord = true;
    }
  }
  endCommand();
  return commands;
}
