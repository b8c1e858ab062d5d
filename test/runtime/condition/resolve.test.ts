/**
 * List and macro substitution, and the index analysis (which values of evt.type a condition can
 * match), on parsed trees.
 */
import { describe, expect, it } from 'vitest';
import { ALL, matchableValues, MISSING, type KeySet } from '../../../src/runtime/condition/analyze.ts';
import { MacroTable, resolveLists, ResolveError } from '../../../src/runtime/condition/resolve.ts';
import { parseCondition, printCondition, type Operand } from '../../../src/runtime/index.ts';

const lists = new Map<string, string[]>([
  ['shells', ['bash', 'sh']],
  ['one', ['cat']],
  ['quoted', ['"one string"', "'(systemd)'", 'cat /dev/null']],
  ['empty', []],
]);

const resolved = (text: string, used = new Set<string>()) => printCondition(resolveLists(parseCondition(text), lists, used));

describe('resolveLists', () => {
  it.each([
    ['proc.name in (shells)', 'proc.name in (bash, sh)'],
    ['proc.name in (ls, shells, ps)', 'proc.name in (ls, bash, sh, ps)'],
    ['proc.name in shells', 'proc.name in (bash, sh)'],
    ['proc.name in (empty)', 'proc.name in ()'],
    ['proc.name = one', 'proc.name = cat'],
    ['proc.name in (file_shells)', 'proc.name in (file_shells)'],
    ['proc.name in ("shells")', 'proc.name in ("shells")'],
    ['proc.name startswith anyof (shells)', 'proc.name startswith anyof (bash, sh)'],
    ['fd.name in (quoted)', 'fd.name in ("one string", "(systemd)", "cat /dev/null")'],
    ['not (proc.name in (shells) and a)', 'not (proc.name in (bash, sh) and a)'],
  ])('%s', (text, expected) => {
    expect(resolved(text)).toBe(expected);
  });

  it('records the lists it used', () => {
    const used = new Set<string>();
    resolved('proc.name in (shells) or proc.name = one', used);
    expect([...used].sort()).toEqual(['one', 'shells']);
  });

  it('refuses a multi-item list where one value is expected', () => {
    expect(() => resolved('proc.name = shells')).toThrow(ResolveError);
    expect(() => resolved('proc.name = shells')).toThrow("list 'shells' has 2 items where operator '=' takes a single value");
  });
});

describe('MacroTable', () => {
  const table = () =>
    new MacroTable(
      new Map([
        ['spawned', parseCondition('evt.type in (execve, execveat)')],
        ['shell', parseCondition('proc.name in (bash, sh)')],
        ['shell_spawned', parseCondition('spawned and shell')],
        ['loop_a', parseCondition('loop_b')],
        ['loop_b', parseCondition('loop_a')],
        ['broken', parseCondition('nope')],
      ]),
    );

  it('substitutes macros, transitively, and records which were used', () => {
    const t = table();
    expect(printCondition(t.resolve(parseCondition('shell_spawned and not proc.pname exists')))).toBe(
      '((evt.type in (execve, execveat) and proc.name in (bash, sh)) and not proc.pname exists)',
    );
    expect([...t.used].sort()).toEqual(['shell', 'shell_spawned', 'spawned']);
  });

  it('reports undefined macros and cycles', () => {
    expect(() => table().resolve(parseCondition('a.b = 1 and missing'))).toThrow("Undefined macro 'missing' used in filter.");
    expect(() => table().resolve(parseCondition('broken'))).toThrow("Undefined macro 'nope' used in filter.");
    expect(() => table().resolve(parseCondition('loop_a'))).toThrow('Macro cycle: loop_a -> loop_b -> loop_a');
  });
});

describe('matchableValues (evt.type index)', () => {
  const isEvtType = (o: Operand) => o.kind === 'field' && o.name === 'evt.type' && o.arg === undefined;
  const types = (text: string): string => {
    const set: KeySet = matchableValues(parseCondition(text), isEvtType);
    return set.all ? `all${set.values.size ? ` but ${[...set.values].sort().join(',')}` : ''}` : [...set.values].sort().join(',');
  };

  it.each([
    ['evt.type=execve', 'execve'],
    ['evt.type in (open, openat) and proc.name=cat', 'open,openat'],
    ['evt.type=execve and proc.name=foo or evt.type=open', 'execve,open'],
    ['not proc.name=foo and evt.type=execve', 'execve'],
    ['proc.name!=foo and evt.type in (execve, open)', 'execve,open'],
    ['proc.name=foo', 'all'],
    ['evt.type!=execve', `all but ${MISSING},execve`],
    ['not evt.type in (execve, open)', 'all but execve,open'],
    ['evt.type in (execve, open) or evt.type!=connect', `all but ${MISSING},connect`],
    ['evt.type=open or evt.type in (open, open)', 'open'],
    ['evt.type in ()', ''],
    ['evt.type exists', `all but ${MISSING}`],
  ])('%s → %s', (text, expected) => {
    expect(types(text)).toBe(expected);
  });

  it('ALL contains everything', () => {
    expect(ALL.all).toBe(true);
  });
});
