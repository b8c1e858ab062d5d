/**
 * The condition parser by accept/reject lists: what libsinsp's grammar accepts parses to the tree
 * it describes (checked by printing it back), what it rejects fails with libsinsp's message and a
 * position. Plus precedence, the recursion cap and quoting.
 */
import { describe, expect, it } from 'vitest';
import { ConditionSyntaxError, parseCondition, printCondition, sameCondition } from '../../../src/runtime/index.ts';

const print = (text: string) => printCondition(parseCondition(text));

describe('parseCondition accepts', () => {
  it.each([
    ['proc.name=cat', 'proc.name = cat'],
    ['proc.name == cat', 'proc.name == cat'],
    ['fd.num>=0', 'fd.num >= 0'],
    ['fd.num<=-1', 'fd.num <= -1'],
    ['evt.rawres < 0x10', 'evt.rawres < 0x10'],
    ['proc.cmdline contains "-jar"', 'proc.cmdline contains "-jar"'],
    ["proc.name icontains 'BASH'", 'proc.name icontains "BASH"'],
    ['evt.buffer bcontains CAFEBABE', 'evt.buffer bcontains CAFEBABE'],
    ['fd.name startswith /etc', 'fd.name startswith /etc'],
    ['evt.buffer bstartswith 7f454c46', 'evt.buffer bstartswith 7f454c46'],
    ['fd.name endswith .conf', 'fd.name endswith .conf'],
    ["fd.name glob '/home/*/.ssh/*'", 'fd.name glob "/home/*/.ssh/*"'],
    ['fd.name iglob /TMP/*', 'fd.name iglob /TMP/*'],
    ['proc.cmdline regex "^bash -c .*"', 'proc.cmdline regex "^bash -c .*"'],
    ['fd.name pmatch (/tmp, /var/tmp)', 'fd.name pmatch (/tmp, /var/tmp)'],
    ['evt.type in (open,openat, openat2)', 'evt.type in (open, openat, openat2)'],
    ['evt.type in ()', 'evt.type in ()'],
    ['ka.user.groups intersects (system:masters)', 'ka.user.groups intersects (system:masters)'],
    ['proc.name in shell_binaries', 'proc.name in shell_binaries'],
    ['proc.pname exists', 'proc.pname exists'],
    ['proc.aname[2]=sshd', 'proc.aname[2] = sshd'],
    ['jevt.value[/annotations/authorization.k8s.io~1decision] exists', 'jevt.value[/annotations/authorization.k8s.io~1decision] exists'],
    ['proc.env["MY VAR"]=x', 'proc.env["MY VAR"] = x'],
    ['tolower(proc.name) = bash', 'tolower(proc.name) = bash'],
    ['toupper(basename(fd.name)) = SHADOW', 'toupper(basename(fd.name)) = SHADOW'],
    ['len(ka.user.groups) > 2', 'len(ka.user.groups) > 2'],
    ['proc.name = val(proc.pname)', 'proc.name = val(proc.pname)'],
    ['b64(proc.args) contains curl', 'b64(proc.args) contains curl'],
    ['proc.name startswith anyof (ba, zs)', 'proc.name startswith anyof (ba, zs)'],
    ['container_started', 'container_started'],
    ['not proc.name=cat', 'not proc.name = cat'],
    ['not not proc.name=cat', 'proc.name = cat'],
    ['not(proc.name=cat)', 'not proc.name = cat'],
    ['a and(b)', '(a and b)'],
    ['a or(b)', '(a or b)'],
    ['proc.name="(systemd)"', 'proc.name = "(systemd)"'],
    ['proc.name in (runc:[0:PARENT], "a b")', 'proc.name in (runc:[0:PARENT], "a b")'],
  ])('%s', (text, printed) => {
    expect(print(text)).toBe(printed);
  });

  it('gives not > and > or precedence', () => {
    expect(print('a or b and not c or d')).toBe('(a or (b and not c) or d)');
    expect(print('(a or b) and c')).toBe('((a or b) and c)');
  });

  it('reads quoted strings with escapes, and leaves unknown escapes alone (regexes)', () => {
    const e = parseCondition('proc.cmdline = "say \\"hi\\"\\n" and proc.cmdline regex "\\d+"');
    expect(e.kind).toBe('and');
    if (e.kind !== 'and') return;
    const [a, b] = e.children;
    expect(a?.kind === 'binary' && a.right.kind === 'value' ? a.right.value : undefined).toBe('say "hi"\n');
    expect(b?.kind === 'binary' && b.right.kind === 'value' ? b.right.value : undefined).toBe('\\d+');
  });

  it('marks quoted values, which are never list names', () => {
    const e = parseCondition('proc.name in ("my_list", my_list)');
    expect(e.kind === 'binary' && e.right.kind === 'list' ? e.right.values.map((v) => v.quoted) : undefined).toEqual([true, false]);
  });

  it('positions every node (line and column)', () => {
    const e = parseCondition('evt.type=open\n  and proc.name=cat');
    expect(e.kind === 'and' ? e.children[1]?.pos : undefined).toEqual({ idx: 20, line: 2, col: 7 });
  });

  it('prints trees that parse back to equal trees', () => {
    for (const text of ['a and not (b or c)', 'proc.name in ("x y", z) and fd.name glob "*.so*"', 'tolower(proc.name) = val(proc.pname)']) {
      expect(sameCondition(parseCondition(print(text)), parseCondition(text))).toBe(true);
    }
  });
});

describe('parseCondition rejects', () => {
  it.each([
    ['', 'filter input string is empty'],
    ['evt.type=execve foo', "unexpected token after 'execve', expecting 'or', 'and'"],
    ['evt.type=open bar', "unexpected token after 'open', expecting 'or', 'and'"],
    ['a and', "expected blank or '(' after 'and'"],
    ['a andb', "expected blank or '(' after 'and'"],
    ['(a', "expected a ')' token"],
    ['proc.name in (a', "expected a ')' token"],
    ['proc.name', 'expected a valid check operator'],
    ['proc.name ~ x', 'expected a valid check operator'],
    ['fd.num > abc', 'expected a number value or a field with a valid transformer'],
    ['proc.name =', 'expected a string value or a field with a valid transformer'],
    ['proc.aname[ ]=x', 'expected a valid field argument'],
    ['proc.aname[2=x', "expected a ']' token"],
    ['tolower(x) = a', 'expected a field or a nested valid transformer'],
    ['tolower(proc.name = a', "expected a ')' token closing the transformer"],
    ['proc.name = val(x)', "expected a field within 'val' transformer"],
    ['join(",", proc.args) = x', "the 'join' transformer is not supported by this engine"],
    ['= x', "expected a '(' token, a field check, or an identifier"],
  ])('%j', (text, message) => {
    expect(() => parseCondition(text)).toThrow(ConditionSyntaxError);
    expect(() => parseCondition(text)).toThrow(message);
  });

  it('reports where it failed', () => {
    try {
      parseCondition('evt.type=open and\nproc.name in (a');
      expect.unreachable();
    } catch (err) {
      expect((err as ConditionSyntaxError).pos).toEqual({ idx: 33, line: 2, col: 16 });
    }
  });

  it('caps recursion depth (100 by default, configurable)', () => {
    const nested = (n: number) => `${'('.repeat(n)}proc.name=a${')'.repeat(n)}`;
    expect(() => parseCondition(nested(10))).not.toThrow();
    expect(() => parseCondition(nested(40))).toThrow('exceeded max depth limit of 100');
    expect(() => parseCondition(nested(5), { maxDepth: 10 })).toThrow('exceeded max depth limit of 10');
    // Long flat conjunctions are not deep.
    expect(() => parseCondition(Array.from({ length: 2000 }, (_, i) => `proc.pid=${i}`).join(' or '))).not.toThrow();
  });
});
