import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../src/core/errors.ts';
import { argDeclarations, envDeclarations, parseDockerfile, substitute } from '../../../src/misconfig/dockerfile/parser.ts';
import { simpleCommands } from '../../../src/misconfig/dockerfile/shell.ts';
import { repoRoot } from '../../helpers/corpus.ts';

const fixture = (name: string) => readFileSync(join(repoRoot, 'test/fixtures/misconfig/dockerfile', name), 'utf8');

function parseError(text: string): ParseError {
  try {
    parseDockerfile(text);
  } catch (err) {
    if (err instanceof ParseError) return err;
    throw err;
  }
  throw new Error('expected a ParseError');
}

describe('parseDockerfile', () => {
  it('reads instructions with their lines, continuation lines joined', () => {
    const df = parseDockerfile(fixture('Dockerfile.insecure'));
    expect(df.directives).toEqual({ syntax: 'docker/dockerfile:1' });
    expect(df.instructions.map((i) => `${i.keyword}@${i.line}`)).toEqual([
      'ARG@2', 'FROM@3', 'ENV@4', 'ARG@6', 'RUN@7', 'RUN@8', 'ADD@9', 'ADD@10', 'RUN@11', 'RUN@12', 'RUN@13', 'EXPOSE@14', 'USER@15', 'CMD@16',
    ]);
    const env = df.instructions[2]!;
    expect(env.endLine).toBe(5);
    expect(envDeclarations(env)).toEqual([
      { name: 'DB_PASSWORD', value: 'hunter2' },
      { name: 'LOG_LEVEL', value: 'info' },
    ]);
  });

  it('substitutes global ARG defaults into FROM and keeps stages apart', () => {
    const df = parseDockerfile(fixture('Dockerfile.insecure'));
    expect(df.globalArgs.map((a) => a.line)).toEqual([2]);
    expect(df.stages).toHaveLength(1);
    expect(df.stages[0]).toMatchObject({ baseRaw: '${BASE}', base: 'ubuntu', baseResolved: true, name: 'base' });
  });

  it('multi-stage builds: stage names (case-insensitive), parents, --platform', () => {
    const df = parseDockerfile('FROM --platform=$BUILDPLATFORM golang:1.22 AS Build\nRUN go build\nFROM build AS test\nFROM scratch\nCOPY --from=build /app /app\n');
    expect(df.stages.map((s) => [s.index, s.base, s.name, s.parent])).toEqual([
      [0, 'golang:1.22', 'build', undefined],
      [1, 'build', 'test', 0],
      [2, 'scratch', undefined, undefined],
    ]);
    expect(df.stages[0]!.platform).toBe('$BUILDPLATFORM');
    expect(df.stages[2]!.instructions[0]!.flags).toEqual({ from: 'build' });
  });

  it('marks a FROM with an unset variable as unresolved', () => {
    const df = parseDockerfile('ARG TAG\nFROM node:${TAG}\nFROM python:${PY:-3.12}\n');
    expect(df.stages.map((s) => [s.base, s.baseResolved])).toEqual([
      ['node:', false],
      ['python:3.12', true],
    ]);
  });

  it('tells exec form from shell form, and falls back to shell form on bad JSON', () => {
    const df = parseDockerfile('FROM a\nCMD ["node", "server.js"]\nCMD [not json]\nENTRYPOINT exec app\n');
    const [, exec, bad, shell] = df.instructions;
    expect(exec!.json).toEqual(['node', 'server.js']);
    expect(bad!.json).toBeUndefined();
    expect(shell!.json).toBeUndefined();
    expect(shell!.args).toBe('exec app');
  });

  it('drops comment and blank lines inside continuations, and ignores keyword case', () => {
    const df = parseDockerfile('from alpine\nrun apk add \\\n# a comment\n\n    curl \\\n    git\nuser app\n');
    expect(df.instructions.map((i) => `${i.keyword}@${i.line}-${i.endLine}`)).toEqual(['FROM@1-1', 'RUN@2-6', 'USER@7-7']);
    expect(df.instructions[1]!.args.replace(/\s+/g, ' ')).toBe('apk add curl git');
  });

  it('honours `# escape=` (backtick) and only as a leading directive', () => {
    const df = parseDockerfile(fixture('Containerfile'));
    expect(df.escape).toBe('`');
    const run = df.instructions[1]!;
    expect([run.line, run.endLine]).toEqual([4, 6]);
    expect(run.args).toContain('Invoke-WebRequest https://example.com/setup.exe');
    // After a comment, `# escape=` is a comment: backslash stays the escape character.
    const late = parseDockerfile('# hello\n# escape=`\nFROM a\nRUN a \\\n  b\n');
    expect(late.directives).toEqual({});
    expect(late.instructions[1]!.endLine).toBe(5);
    expect(parseError('# escape=x\nFROM a\n').line).toBe(1);
  });

  it('stops directives at an unknown one and keeps the first of a repeated one', () => {
    expect(parseDockerfile('# unknown=1\n# escape=`\nFROM a\n').directives).toEqual({});
    expect(parseDockerfile('# syntax=a\n# syntax=b\nFROM a\n').directives).toEqual({ syntax: 'a' });
  });

  it('reads heredocs: several per instruction, <<- tab stripping, quoted delimiters', () => {
    const df = parseDockerfile(fixture('heredoc.Dockerfile'));
    expect(df.instructions.map((i) => `${i.keyword}@${i.line}-${i.endLine}`)).toEqual([
      'FROM@1-1', 'RUN@2-5', 'COPY@6-8', 'RUN@9-13', 'RUN@14-14', 'USER@15-15', 'HEALTHCHECK@16-16',
    ]);
    const [, run, copy, two, shift] = df.instructions;
    expect(run!.heredocs).toEqual([{ name: 'EOF', content: 'apk add --no-cache bash\ncurl -sSL https://get.example.com | bash\n', chomp: false, quoted: false, line: 3 }]);
    expect(copy!.heredocs[0]).toMatchObject({ name: 'CONF', content: 'key=$NOT_EXPANDED\n', chomp: true, quoted: true });
    expect(two!.heredocs.map((h) => [h.name, h.content])).toEqual([
      ['A', 'first\n'],
      ['B', 'second\n'],
    ]);
    // `<<` inside quotes or arithmetic is not a heredoc.
    expect(shift!.heredocs).toEqual([]);
  });

  it('parses ONBUILD triggers as their own instruction', () => {
    const df = parseDockerfile('FROM a\nONBUILD RUN sudo make install\n');
    expect(df.instructions[1]!.onbuild).toMatchObject({ keyword: 'RUN', args: 'sudo make install' });
  });

  it('handles CRLF line endings and a byte-order mark', () => {
    const df = parseDockerfile('\uFEFFFROM a\r\nUSER app\r\n');
    expect(df.instructions.map((i) => [i.keyword, i.args])).toEqual([
      ['FROM', 'a'],
      ['USER', 'app'],
    ]);
  });

  it('rejects what BuildKit rejects, with the line', () => {
    expect(parseError('FROM a\nFROBNICATE x\n')).toMatchObject({ line: 2, message: 'unknown instruction: FROBNICATE' });
    expect(parseError('RUN make\nFROM a\n')).toMatchObject({ line: 1 });
    expect(parseError('FROM a\nRUN <<EOF\necho\n')).toMatchObject({ line: 2, message: 'unterminated heredoc <<EOF' });
    expect(parseError('ARG X=1\n')).toMatchObject({ line: 1, message: 'no FROM instruction' });
    expect(parseError('FROM a b c d\n').line).toBe(1);
    expect(parseError('FROM a\nONBUILD FROM b\n').line).toBe(2);
  });

  it('accepts an empty file (nothing to check)', () => {
    expect(parseDockerfile('# just a comment\n\n').stages).toEqual([]);
  });
});

describe('declarations and substitution', () => {
  it('ARG with and without defaults, quoted values', () => {
    const df = parseDockerfile('ARG A=1 B C="x y"\nFROM a\n');
    expect(argDeclarations(df.globalArgs[0]!)).toEqual([{ name: 'A', value: '1' }, { name: 'B' }, { name: 'C', value: 'x y' }]);
  });

  it('legacy `ENV key value with spaces`', () => {
    const df = parseDockerfile('FROM a\nENV GREETING hello world\n');
    expect(envDeclarations(df.instructions[1]!)).toEqual([{ name: 'GREETING', value: 'hello world' }]);
  });

  it('${VAR:-default} and ${VAR:+alt}', () => {
    const values = new Map<string, string | undefined>([['SET', 'v'], ['EMPTY', '']]);
    expect(substitute('${SET:-d}-${EMPTY:-d}-${NONE:-d}-${SET:+alt}-${NONE:+alt}-$SET', values)).toEqual({ text: 'v-d-d-alt--v', resolved: true });
    expect(substitute('$NONE', values)).toEqual({ text: '', resolved: false });
  });
});

describe('simpleCommands', () => {
  it('splits on operators and pipes, strips assignments and sudo, keeps redirections in words', () => {
    const cmds = simpleCommands('DEBIAN_FRONTEND=noninteractive sudo -u app apt-get install -y "a b" && curl -s x 2>&1 | sh; echo $(date)');
    expect(cmds.map((c) => [c.name, c.args, c.sudo])).toEqual([
      ['apt-get', ['install', '-y', 'a b'], true],
      ['curl', ['-s', 'x', '2>&1'], false],
      ['sh', [], false],
      ['echo', [], false],
      ['date', [], false],
    ]);
    expect(cmds[1]!.pipedTo?.name).toBe('sh');
    expect(cmds[0]!.pipedTo).toBeUndefined();
  });

  it('ignores comments and joins backslash-newline', () => {
    expect(simpleCommands('apt-get \\\n  install x # not: sudo\nls').map((c) => c.name)).toEqual(['apt-get', 'ls']);
  });
});
