/**
 * The compiler and every operator, on a mock field class (no real events): Falco's semantics for
 * missing values (every comparison false, `!=` included), list fields (only exists/in/intersects;
 * `in` needs every element, `intersects` one), types, transformers, field-to-field comparison,
 * modifiers, and the per-event memo of extracted values.
 */
import { describe, expect, it } from 'vitest';
import { CompileError, compileCondition, FieldRegistry, makeEvent, parseCondition, SlotTable, type FieldClass, type FieldDef, type FieldType } from '../../../src/runtime/index.ts';

let extractions = 0;

function field(name: string, type: FieldType, extra: Partial<FieldDef> = {}): FieldDef {
  return {
    name,
    type,
    desc: name,
    bind: (arg) => (evt) => {
      extractions++;
      const v = evt.data[arg === undefined ? name : `${name}[${arg}]`];
      return v === undefined ? undefined : (v as string);
    },
    ...extra,
  };
}

const mock: FieldClass = {
  name: 'mock',
  sources: ['test'],
  fields: [
    field('t.str', 'string'),
    field('t.other', 'string'),
    field('t.path', 'string'),
    field('t.num', 'int'),
    field('t.bool', 'bool'),
    field('t.ip', 'ipaddr'),
    field('t.net', 'ipnet'),
    field('t.buf', 'bytes'),
    field('t.list', 'string', { list: true }),
    field('t.nums', 'int', { list: true }),
    field('t.any', 'string', { anyValue: true, arg: { kind: 'index', required: false } }),
    field('t.keyed', 'string', { arg: { kind: 'key', required: true } }),
    field('t.noarg', 'string'),
  ],
};
const registry = new FieldRegistry([mock]);

function check(condition: string, data: Record<string, unknown>): boolean {
  const evaluate = compileCondition(parseCondition(condition), { source: 'test', registry, slots: new SlotTable() });
  return evaluate(makeEvent('test', data, { sec: 0, nsec: 0 }));
}

function compileError(condition: string): CompileError {
  try {
    compileCondition(parseCondition(condition), { source: 'test', registry, slots: new SlotTable() });
  } catch (err) {
    if (err instanceof CompileError) return err;
    throw err;
  }
  throw new Error(`${condition} compiled`);
}

describe('string operators', () => {
  const d = { 't.str': '/usr/bin/Bash', 't.other': '/usr/bin/Bash' };
  it.each([
    ['t.str = /usr/bin/Bash', true],
    ['t.str == /usr/bin/bash', false],
    ['t.str != /usr/bin/bash', true],
    ['t.str contains bin/B', true],
    ['t.str contains bin/b', false],
    ['t.str icontains BIN/b', true],
    ['t.str startswith /usr/', true],
    ['t.str endswith Bash', true],
    ['t.str endswith bash', false],
    ['t.str glob "/usr/*"', true],
    ['t.str glob "*/Bas?"', true],
    ['t.str glob "/usr/bin/[AB]ash"', true],
    ['t.str glob "/usr/bin/[!B]ash"', false],
    ['t.str glob "/usr/*/bash"', false],
    ['t.str iglob "/USR/*/bash"', true],
    ['t.str regex "/usr/bin/[A-Z]ash"', true],
    ['t.str regex "bin/Bash"', false],
    ['t.str regex "(?i)/USR/BIN/BASH"', true],
    ['t.str in (/bin/sh, /usr/bin/Bash)', true],
    ['t.str in (/bin/sh)', false],
    ['t.str intersects (/usr/bin/Bash)', true],
    ['t.str bcontains 2F42', true],
    ['t.str bstartswith 2F7573', true],
    ['t.str bstartswith 7573', false],
    ['t.str > 1', false],
    ['t.str < 9', true],
    ['t.str exists', true],
    ['t.str = val(t.other)', true],
    ['t.str startswith anyof (/bin, /usr)', true],
    ['t.str startswith allof (/bin, /usr)', false],
    ['t.str contains oneof (usr, bin, zzz)', false],
    ['t.str contains oneof (usr, zzz)', true],
  ])('%s → %s', (condition, expected) => {
    expect(check(condition, d)).toBe(expected);
  });

  it('pmatch matches whole path components, with glob components', () => {
    expect(check('t.path pmatch (/tmp/hello)', { 't.path': '/tmp/hello' })).toBe(true);
    expect(check('t.path pmatch (/tmp/hello)', { 't.path': '/tmp/hello/world' })).toBe(true);
    expect(check('t.path pmatch (/tmp/hello)', { 't.path': '/tmp/hello_world' })).toBe(false);
    expect(check('t.path pmatch (/var, /tmp/*/cache)', { 't.path': '/tmp/user1/cache/x' })).toBe(true);
    expect(check('t.path pmatch (/tmp/*/cache)', { 't.path': '/tmp/a/b/cache' })).toBe(false);
  });
});

describe('values that are missing', () => {
  it.each(['t.str = x', 't.str != x', 't.str contains x', 't.str in (x)', 't.str glob *', 't.str regex ".*"', 't.str exists', 't.num >= 0', 't.num != 1', 't.str = val(t.other)'])(
    '%s is false on an event without the field',
    (condition) => {
      expect(check(condition, {})).toBe(false);
      expect(check(`not ${condition}`, {})).toBe(true);
    },
  );

  it('a val() whose field is missing is false', () => {
    expect(check('t.str = val(t.other)', { 't.str': 'a' })).toBe(false);
  });
});

describe('numbers, booleans, addresses', () => {
  it.each([
    ['t.num = 42', true],
    ['t.num = 0x2a', true],
    ['t.num != 41', true],
    ['t.num > 41', true],
    ['t.num >= 43', false],
    ['t.num < -1', false],
    ['t.num in (1, 42)', true],
  ])('%s → %s', (condition, expected) => {
    expect(check(condition, { 't.num': 42 })).toBe(expected);
  });

  it('booleans', () => {
    expect(check('t.bool = true', { 't.bool': true })).toBe(true);
    expect(check('t.bool = false', { 't.bool': true })).toBe(false);
    expect(check('t.bool != false', { 't.bool': true })).toBe(true);
  });

  it('addresses and networks', () => {
    expect(check('t.ip = 10.0.0.1', { 't.ip': '10.0.0.1' })).toBe(true);
    expect(check('t.ip in (192.168.0.0/16, 10.0.0.0/8)', { 't.ip': '10.0.0.1' })).toBe(true);
    expect(check('t.net = 127.0.0.0/8', { 't.net': '127.0.0.1' })).toBe(true);
    expect(check('t.net != 127.0.0.0/8', { 't.net': '10.1.1.1' })).toBe(true);
    expect(check('t.ip = "::1"', { 't.ip': '0:0:0:0:0:0:0:1' })).toBe(true);
  });

  it('refuse operators and values that do not fit the type', () => {
    expect(compileError('t.num contains 4').message).toBe("operator 'contains' is not supported by field 't.num' of type int");
    expect(compileError('t.num = abc').message).toBe("'abc' is not a valid number for field 't.num'");
    expect(compileError('t.bool = maybe').message).toBe("'maybe' is not a valid boolean for field 't.bool'");
    expect(compileError('t.ip = not-an-ip').message).toContain('is not a valid IP address');
    expect(compileError('t.ip startswith 10.').message).toContain("operator 'startswith' is not supported");
    expect(compileError('t.str bcontains XYZ').message).toContain('is not a hexadecimal byte string');
    expect(compileError('t.str regex "(a)\\1"').message).toContain('invalid escape sequence');
    expect(compileError('t.str regex "a(?=b)"').message).toContain('invalid or unsupported Perl syntax');
  });
});

describe('list fields', () => {
  const d = { 't.list': ['a', 'b'], 't.nums': [1, 2] };
  it.each([
    ['t.list in (a, b, c)', true],
    ['t.list in (a, c)', false],
    ['t.list intersects (b, z)', true],
    ['t.list intersects (z)', false],
    ['t.list exists', true],
    ['t.nums in (1, 2, 3)', true],
    ['len(t.list) = 2', true],
  ])('%s → %s', (condition, expected) => {
    expect(check(condition, d)).toBe(expected);
  });

  it('only take exists, in and intersects', () => {
    for (const op of ['= a', '!= a', 'contains a', 'startswith a', 'pmatch (/a)']) {
      expect(compileError(`t.list ${op}`).message).toBe("list filter 't.list' only supports operators 'exists', 'in' and 'intersects'");
    }
  });

  it('accept other operators in legacy files (engine < 0.15), matching any element', () => {
    const evaluate = compileCondition(parseCondition('t.list contains b'), { source: 'test', registry, slots: new SlotTable(), legacyListOperators: true });
    expect(evaluate(makeEvent('test', d, { sec: 0, nsec: 0 }))).toBe(true);
  });
});

describe('fields standing for several values', () => {
  it('match when any value matches; an index selects one', () => {
    const d = { 't.any': ['sshd', 'systemd'], 't.any[2]': 'systemd' };
    expect(check('t.any = systemd', d)).toBe(true);
    expect(check('t.any = init', d)).toBe(false);
    expect(check('t.any[2] = systemd', d)).toBe(true);
    expect(check('t.any[2] = sshd', d)).toBe(false);
  });
});

describe('transformers', () => {
  it.each([
    ['tolower(t.str) = bash', { 't.str': 'BaSh' }, true],
    ['toupper(t.str) = BASH', { 't.str': 'bash' }, true],
    ['b64(t.str) = "curl evil"', { 't.str': Buffer.from('curl evil').toString('base64') }, true],
    ['basename(t.path) = shadow', { 't.path': '/etc/shadow' }, true],
    ['basename(t.path) = ""', { 't.path': '/etc/' }, true],
    ['len(t.str) > 3', { 't.str': 'bash' }, true],
    ['tolower(t.str) = tolower(t.other)', { 't.str': 'A', 't.other': 'a' }, true],
    ['t.str = toupper(t.other)', { 't.str': 'A', 't.other': 'a' }, true],
    ['toupper(tolower(t.str)) = ABC', { 't.str': 'aBc' }, true],
  ])('%s', (condition, data, expected) => {
    expect(check(condition, data)).toBe(expected);
  });

  it('refuse non-string fields (except len)', () => {
    expect(compileError('tolower(t.num) = 1').message).toContain("transformer 'tolower' cannot be applied");
  });
});

describe('fields', () => {
  it('unknown fields fail with UNKNOWN_FIELD (skip-if-unknown-filter can skip them)', () => {
    const err = compileError('t.nope = 1');
    expect(err.code).toBe('UNKNOWN_FIELD');
    expect(err.message).toBe('filter_check called with nonexistent field t.nope');
  });

  it('check arguments', () => {
    expect(compileError('t.keyed = 1').message).toBe("field 't.keyed' requires an argument");
    expect(compileError('t.noarg[1] = 1').message).toBe("field 't.noarg' does not accept an argument");
    expect(check('t.keyed[k] = v', { 't.keyed[k]': 'v' })).toBe(true);
  });

  it('extract each field once per event, whatever the number of checks', () => {
    const slots = new SlotTable();
    const evaluate = compileCondition(parseCondition('t.str = a or t.str = b or t.str = c or t.str exists'), { source: 'test', registry, slots });
    extractions = 0;
    expect(evaluate(makeEvent('test', { 't.str': 'z' }, { sec: 0, nsec: 0 }))).toBe(true);
    expect(extractions).toBe(1);
  });

  it('an unresolved macro reference cannot be compiled', () => {
    expect(compileError('t.str = a and some_macro').message).toBe("Undefined macro 'some_macro' used in filter.");
  });
});
