/**
 * Just enough shell to find commands in `run:` scripts: line continuations (`\` in sh, the
 * backtick in PowerShell), quotes, comments and the separators `;`, `&&`, `||`, `|`, `&` and
 * newlines. Each command keeps its offsets in the script so findings point at it.
 */

export interface ShellCommand {
  /** Words with quotes removed. */
  words: string[];
  start: number;
  end: number;
  /** Piped into the next command. */
  pipesTo: boolean;
}

/** Wrappers that run the rest of the line as the command. */
const PREFIXES = new Set(['sudo', 'env', 'time', 'exec', 'nohup', 'command', 'xargs']);

export function splitCommands(script: string, shell = 'bash'): ShellCommand[] {
  const continuation = shell === 'pwsh' || shell === 'powershell' ? '`' : shell === 'cmd' ? '^' : '\\';
  const commands: ShellCommand[] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  let start = -1;
  let end = -1;
  let quote: '"' | "'" | null = null;

  const endWord = (): void => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = (pipesTo: boolean): void => {
    endWord();
    if (words.length > 0) commands.push({ words, start, end, pipesTo });
    words = [];
    start = -1;
  };
  const addChar = (c: string, i: number): void => {
    if (start < 0) start = i;
    word += c;
    inWord = true;
    end = i + 1;
  };

  for (let i = 0; i < script.length; i++) {
    const c = script[i]!;
    if (quote) {
      if (c === quote) {
        quote = null;
        end = i + 1;
      } else if (c === '\\' && quote === '"' && i + 1 < script.length) {
        addChar(script[++i]!, i);
      } else {
        addChar(c, i);
      }
      continue;
    }
    if (c === continuation && (script[i + 1] === '\n' || (script[i + 1] === '\r' && script[i + 2] === '\n'))) {
      endWord();
      i += script[i + 1] === '\r' ? 2 : 1;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      if (start < 0) start = i;
      inWord = true;
      continue;
    }
    if (c === '#' && !inWord && shell !== 'cmd') {
      while (i < script.length && script[i] !== '\n') i++;
      endCommand(false);
      continue;
    }
    if (c === '\n' || c === ';') {
      endCommand(false);
    } else if (c === '|') {
      const double = script[i + 1] === '|';
      endCommand(!double);
      if (double) i++;
    } else if (c === '&') {
      if (script[i + 1] === '&') i++;
      else if (script[i - 1] === '>' || script[i + 1] === '>') {
        addChar(c, i);
        continue;
      }
      endCommand(false);
    } else if (c === ' ' || c === '\t' || c === '\r') {
      endWord();
    } else {
      addChar(c, i);
    }
  }
  endCommand(false);
  return commands;
}

/** The command's program and arguments after wrappers (`sudo`, `env X=1`) and assignments. */
export function commandWords(cmd: ShellCommand): string[] {
  let i = 0;
  while (i < cmd.words.length) {
    const w = cmd.words[i]!;
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w) || PREFIXES.has(w) || (i > 0 && PREFIXES.has(cmd.words[i - 1]!) && w.startsWith('-'))) {
      i++;
      continue;
    }
    break;
  }
  return cmd.words.slice(i);
}

/** The program's base name: `/usr/bin/python3.11` → `python3.11`. */
export function programName(word: string | undefined): string {
  return (word ?? '').split(/[\\/]/).pop()!.replace(/\.exe$/i, '').toLowerCase();
}
