/**
 * Rules files: items, layering across files (redefinition, legacy append, override append/replace,
 * enabled), exceptions, requirements, and the errors and warnings with Falco's item type, name,
 * code and file position.
 */
import { describe, expect, it } from 'vitest';
import { ENGINE_VERSION, loadRules, makeEvent, PRIORITIES, RuntimeEngine, type LoadResult } from '../../../src/runtime/index.ts';

const load = (...texts: string[]): LoadResult => loadRules(texts.map((text, i) => ({ name: `f${i + 1}.yaml`, text })));

function fired(result: LoadResult, data: Record<string, unknown>, options = {}): string[] {
  expect(result.errors).toEqual([]);
  const engine = new RuntimeEngine(result.ruleset!, { ruleMatching: 'all', ...options });
  return engine.evaluate(makeEvent('syscall', data, { sec: 0, nsec: 0 })).map((r) => r.name);
}

const rule = (name: string, condition: string, extra = '') => `- rule: ${name}\n  desc: d\n  condition: ${condition}\n  output: o %proc.name\n  priority: WARNING\n${extra}`;

const openCat = { 'evt.type': 'open', 'proc.name': 'cat', 'proc.cmdline': 'cat /etc/hosts', 'fd.name': '/etc/hosts', 'proc.pname': 'bash' };

describe('layering', () => {
  const base = `
- list: readers
  items: [cat, less]
- macro: is_reader
  condition: proc.name in (readers)
${rule('Open By Reader', 'evt.type=open and is_reader')}`;

  it('loads lists, macros and rules', () => {
    expect(fired(load(base), openCat)).toEqual(['Open By Reader']);
    expect(fired(load(base), { ...openCat, 'proc.name': 'vi' })).toEqual([]);
  });

  it('appends list items (legacy append and override) and replaces them', () => {
    expect(fired(load(base, '- list: readers\n  items: [vi]\n  append: true'), { ...openCat, 'proc.name': 'vi' })).toEqual(['Open By Reader']);
    expect(fired(load(base, '- list: readers\n  items: [vi]\n  override:\n    items: append'), { ...openCat, 'proc.name': 'vi' })).toEqual(['Open By Reader']);
    expect(fired(load(base, '- list: readers\n  items: [vi]\n  override:\n    items: replace'), openCat)).toEqual([]);
    expect(fired(load(base, '- list: readers\n  items: [vi]'), openCat)).toEqual([]);
  });

  it('appends to and replaces macro conditions', () => {
    expect(fired(load(base, '- macro: is_reader\n  condition: and proc.pname=zsh\n  append: true'), openCat)).toEqual([]);
    expect(fired(load(base, '- macro: is_reader\n  condition: proc.name=vi\n  override:\n    condition: replace'), { ...openCat, 'proc.name': 'vi' })).toEqual(['Open By Reader']);
  });

  it('appends to rule conditions as text, and overrides rule keys', () => {
    expect(fired(load(base, `- rule: Open By Reader\n  condition: and fd.name startswith /etc/shadow\n  append: true`), openCat)).toEqual([]);
    const overridden = load(base, `- rule: Open By Reader\n  condition: or proc.name=vi\n  priority: ERROR\n  tags: [extra]\n  override:\n    condition: append\n    priority: replace\n    tags: append`);
    expect(fired(overridden, { ...openCat, 'proc.name': 'vi' })).toEqual(['Open By Reader']);
    const compiled = overridden.ruleset!.sources.get('syscall')!.rules[0]!;
    expect(compiled.priority).toBe('ERROR');
    expect(compiled.tags).toEqual(['extra']);
  });

  it('switches rules off and on (enabled alone, override enabled)', () => {
    expect(fired(load(base, '- rule: Open By Reader\n  enabled: false'), openCat)).toEqual([]);
    expect(fired(load(base, '- rule: Open By Reader\n  enabled: false', '- rule: Open By Reader\n  enabled: true'), openCat)).toEqual(['Open By Reader']);
    expect(fired(load(base, '- rule: Open By Reader\n  enabled: false\n  override:\n    enabled: replace'), openCat)).toEqual([]);
  });

  it('keeps a redefined rule at its first position (first match wins)', () => {
    const two = `${base}\n${rule('Any Open', 'evt.type=open')}`;
    const redefined = load(two, rule('Open By Reader', 'evt.type=open and proc.name=cat'));
    const engine = new RuntimeEngine(redefined.ruleset!);
    expect(engine.evaluate(makeEvent('syscall', openCat, { sec: 0, nsec: 0 })).map((r) => r.name)).toEqual(['Open By Reader']);
  });

  it('refuses appends and overrides of undefined items', () => {
    const cases: [string, string, string][] = [
      ['- list: nope\n  items: [a]\n  append: true', 'list', "List has 'append' key but no list by that name already exists"],
      ['- macro: nope\n  condition: a\n  override:\n    condition: append', 'macro', "Macro has 'override' key but no macro by that name already exists"],
      ['- rule: nope\n  condition: a\n  append: true', 'rule', "Rule has 'append' key but no rule by that name already exists"],
      ['- rule: nope\n  enabled: false', 'rule', "Rule has 'enabled' key but no rule by that name already exists"],
    ];
    for (const [text, itemType, message] of cases) {
      expect(load(text).errors).toEqual([expect.objectContaining({ code: 'LOAD_ERR_VALIDATE', itemType, itemName: 'nope', message, file: 'f1.yaml', line: 1 })]);
    }
  });

  it('refuses append together with override, and overrides of keys that cannot be overridden', () => {
    expect(load(base, '- list: readers\n  items: [a]\n  append: true\n  override:\n    items: append').errors[0]?.message).toBe(
      "Keys 'override' and 'append: true' cannot be used together.",
    );
    expect(load(base, `- rule: Open By Reader\n  priority: ERROR\n  override:\n    priority: append`).errors[0]?.message).toBe("Key 'priority' cannot be overridden with 'append'");
  });
});

describe('exceptions', () => {
  const withExceptions = (exceptions: string, extra = '') =>
    load(`${extra}\n${rule('Open', 'evt.type=open', `  exceptions:\n${exceptions}`)}`);

  it('exclude events matching a value tuple, field by field', () => {
    const r = withExceptions('    - name: by_proc_and_file\n      fields: [proc.name, fd.name]\n      values:\n        - [cat, /etc/hosts]\n        - [vi, /etc/passwd]');
    expect(fired(r, openCat)).toEqual([]);
    expect(fired(r, { ...openCat, 'fd.name': '/etc/passwd' })).toEqual(['Open']);
    expect(fired(r, { ...openCat, 'proc.name': 'vi', 'fd.name': '/etc/passwd' })).toEqual([]);
  });

  it('take comparison operators, list values and list names', () => {
    const r = withExceptions(
      '    - name: ex\n      fields: [proc.name, fd.name]\n      comps: [in, startswith]\n      values:\n        - [editors, /etc]\n        - [[cat, more], /etc/hosts]',
      '- list: editors\n  items: [vi, nano]',
    );
    expect(fired(r, { ...openCat, 'proc.name': 'nano' })).toEqual([]);
    expect(fired(r, openCat)).toEqual([]);
    expect(fired(r, { ...openCat, 'fd.name': '/etc/shadow' })).toEqual(['Open']);
  });

  it('take the single-field form (comps default to in)', () => {
    const r = withExceptions('    - name: ex\n      fields: proc.name\n      values: [cat, "cat /dev/null"]');
    expect(fired(r, openCat)).toEqual([]);
    expect(fired(r, { ...openCat, 'proc.name': 'vi' })).toEqual(['Open']);
  });

  it('gain values from later files, by exception name', () => {
    const base = `${rule('Open', 'evt.type=open', '  exceptions:\n    - name: ex\n      fields: [proc.name]\n')}`;
    const r = load(base, '- rule: Open\n  exceptions:\n    - name: ex\n      values: [[cat]]\n  override:\n    exceptions: append');
    expect(fired(r, openCat)).toEqual([]);
    expect(fired(load(base), openCat)).toEqual(['Open']);
  });

  it('report malformed exceptions with the exception as item', () => {
    const cases: [string, string][] = [
      ['    - name: ex1\n      fields: [proc.name, fd.name]\n      comps: [=]', 'Fields and comps lists must have equal length'],
      ['    - name: ex1\n      fields: [proc.name, fd.name]\n      values: [[cat]]', 'Fields and values lists must have equal length'],
      ['    - name: ex1\n      fields: [proc.name]\n      comps: [like]\n      values: [[cat]]', "'like' is not a supported comparison operator"],
      ['    - name: ex1\n      fields: proc.name\n      comps: "="\n      values: [cat]', "When fields is a single field, comps must be a list operator (in, intersects, pmatch), not '='"],
    ];
    for (const [text, message] of cases) {
      expect(withExceptions(text).errors).toEqual([expect.objectContaining({ itemType: 'exception', itemName: 'ex1', code: 'LOAD_ERR_VALIDATE', message })]);
    }
    expect(withExceptions('    - fields: [proc.name]').errors[0]).toMatchObject({ itemType: 'exception', itemName: '', message: "Item has no mapping for key 'name'" });
    expect(withExceptions('    - name: ex1').errors[0]).toMatchObject({ itemType: 'exception', itemName: 'ex1', message: "Item has no mapping for key 'fields'" });
  });
});

describe('errors and warnings', () => {
  it('place condition errors at their file line and column', () => {
    const r = load(`- macro: a\n  condition: evt.type=open\n${rule('R', 'evt.type=open and proc.name in (cat')}`);
    expect(r.errors).toEqual([expect.objectContaining({ code: 'LOAD_ERR_COMPILE_CONDITION', itemType: 'rule', itemName: 'R', message: "expected a ')' token", line: 5, column: 49 })]);
  });

  it('place errors in block conditions on the right line', () => {
    const r = load(`- rule: R\n  desc: d\n  condition: >\n    evt.type=open\n    and proc.nobody=cat\n  output: o\n  priority: INFO`);
    expect(r.errors[0]).toMatchObject({ message: 'filter_check called with nonexistent field proc.nobody', line: 5, column: 9 });
  });

  it('refuse unknown fields, or skip the rule with skip-if-unknown-filter', () => {
    expect(load(rule('R', 'proc.nobody=cat')).errors[0]).toMatchObject({ code: 'LOAD_ERR_COMPILE_CONDITION', message: 'filter_check called with nonexistent field proc.nobody' });
    const skipped = load(rule('R', 'evt.type=open and proc.nobody=cat', '  skip-if-unknown-filter: true'));
    expect(skipped.ok).toBe(true);
    expect(skipped.warnings).toContainEqual(expect.objectContaining({ code: 'LOAD_UNKNOWN_FIELD', itemName: 'R' }));
    expect(skipped.ruleset!.skipped).toEqual([{ name: 'R', source: 'syscall', reason: 'unknown field (skip-if-unknown-filter)' }]);
  });

  it('refuse unknown output fields', () => {
    const r = load(`- rule: R\n  desc: d\n  condition: evt.type=open\n  output: "x=%proc.nobody"\n  priority: INFO`);
    expect(r.errors[0]).toMatchObject({ code: 'LOAD_ERR_COMPILE_OUTPUT', itemName: 'R' });
  });

  it('skip rules of unknown sources with a warning', () => {
    const r = load(`${rule('Cloud', 'ct.name=StartInstances', '  source: aws_cloudtrail')}\n${rule('Local', 'evt.type=open')}`);
    expect(r.ok).toBe(true);
    expect(r.warnings).toContainEqual(expect.objectContaining({ code: 'LOAD_UNKNOWN_SOURCE', itemName: 'Cloud', message: 'Unknown source aws_cloudtrail, skipping' }));
    expect(r.ruleset!.skipped.map((s) => s.name)).toEqual(['Cloud']);
  });

  it('warn about unused macros and lists, and rules with no event type', () => {
    const r = load(`- list: l\n  items: [a]\n- macro: m\n  condition: proc.name=a\n${rule('R', 'proc.name=cat')}`);
    expect(r.warnings.map((w) => `${w.code} ${w.itemName}`).sort()).toEqual(['LOAD_NO_EVTTYPE R', 'LOAD_UNUSED_LIST l', 'LOAD_UNUSED_MACRO m']);
    expect(load(rule('R', 'proc.name=cat', '  warn_evttypes: false')).warnings).toEqual([]);
  });

  it('reports YAML and structure problems as Falco words them', () => {
    expect(load('- rule: [unclosed').errors[0]).toMatchObject({ code: 'LOAD_ERR_YAML_PARSE', line: 1 });
    expect(load('foo: bar').errors[0]).toMatchObject({ code: 'LOAD_ERR_YAML_VALIDATE', itemType: 'rules content', message: 'Rules content is not yaml array of objects' });
    expect(load('- list: l\n  no_items: x').errors[0]).toMatchObject({ itemType: 'list', itemName: 'l', message: "Item has no mapping for key 'items'" });
    expect(load('- rule: R\n  desc: d\n  condition:\n  output: o\n  priority: INFO').errors[0]).toMatchObject({ message: "Mapping for key 'condition' is empty" });
    expect(load('- rule: R\n  desc: d\n  condition: a\n  output: o\n  priority: URGENT').errors[0]).toMatchObject({ code: 'LOAD_ERR_VALIDATE', message: "Invalid priority 'URGENT'" });
    expect(load('- unknown: thing').warnings[0]).toMatchObject({ code: 'LOAD_UNKNOWN_ITEM' });
  });

  it('reads several YAML documents in one file, and skips empty elements', () => {
    const r = load(`---\n- macro: m\n  condition: proc.name=cat\n-\n---\n${rule('R', 'evt.type=open and m')}`);
    expect(fired(r, openCat)).toEqual(['R']);
  });

  it('reports macro cycles', () => {
    expect(load(`- macro: a\n  condition: b\n- macro: b\n  condition: a\n${rule('R', 'evt.type=open and a')}`).errors[0]?.message).toContain('Macro cycle');
  });
});

describe('requirements and priorities', () => {
  it('check required_engine_version, integer or semver', () => {
    expect(load('- required_engine_version: 15').ok).toBe(true);
    expect(load(`- required_engine_version: ${ENGINE_VERSION}`).ok).toBe(true);
    expect(load('- required_engine_version: 0.99.0').errors[0]).toMatchObject({
      itemType: 'required_engine_version',
      message: `Rules require engine version 0.99.0, but engine version is ${ENGINE_VERSION}`,
    });
    expect(load('- required_engine_version: abc').errors[0]).toMatchObject({ code: 'LOAD_ERR_YAML_VALIDATE', message: "Can't decode YAML scalar value" });
  });

  it('check required_plugin_versions against the plugins the fields stand in for', () => {
    const req = (name: string, version: string, alt = '') => `- required_plugin_versions:\n    - name: ${name}\n      version: ${version}\n${alt}`;
    expect(load(req('k8saudit', '0.6.0')).ok).toBe(true);
    expect(load(req('json', '0.7.0')).ok).toBe(true);
    expect(load(req('k8saudit-eks', '0.12.0', '      alternatives:\n        - name: k8saudit\n          version: 0.18.0')).ok).toBe(true);
    expect(load(req('k8saudit', '1.0.0')).errors[0]).toMatchObject({ itemType: 'required_plugin_versions', itemName: 'k8saudit' });
    expect(load(req('cloudtrail', '0.1.0')).errors[0]?.message).toContain('Plugin requirement not satisfied, must load one of: cloudtrail (>= 0.1.0)');
  });

  it('accept all eight priorities in any case, and INFO', () => {
    for (const p of [...PRIORITIES, 'info', 'Warning']) {
      expect(load(rule('R', 'evt.type=open').replace('WARNING', p)).ok).toBe(true);
    }
  });

  it('run only rules at least as severe as the minimum', () => {
    const r = load(`${rule('Warn', 'evt.type=open')}\n${rule('Info', 'evt.type=open').replace('WARNING', 'INFO')}`);
    expect(fired(r, openCat, { minPriority: 'NOTICE' })).toEqual(['Warn']);
    expect(fired(r, openCat)).toEqual(['Warn', 'Info']);
  });
});
