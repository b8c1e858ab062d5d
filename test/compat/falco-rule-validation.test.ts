/**
 * Compatibility suite: the rules-file cases of Falco's legacy regression tests
 * (../shared/corpus/falco/legacy-regression-tests/test/falco_tests.yaml and
 * falco_tests_exceptions.yaml).
 *
 * - Validation cases (`validate_rules_file`): the files load in order and every expected error and
 *   warning is reported with the same item type, item name, code and message (`message_contains`
 *   as a substring); `exit_status: 1` means the load fails; `validate_ok` files report no error.
 *   For `test_warnings`, the set of rules warned LOAD_NO_EVTTYPE must be exactly the expected one,
 *   and the event types computed for a rule must match where the case lists them.
 * - Detection cases whose trace is cat_write.scap or open-multiple-files.scap run on synthetic
 *   stand-ins for those captures (the corpus has no .scap files): cat (`cat /dev/null`, parent
 *   bash) doing an execve, an access, and an open, a read and a close of /dev/null; one read-open of each of
 *   /tmp/file-1 … /tmp/file-13. `detect`, `detect_level`, priority and tag/rule selection are checked
 *   as Falco checks them; `detect_counts` as "0 means none, N means some" on the cat trace (the
 *   stand-in has one event of each kind) and exactly on the open-multiple-files trace.
 * - Cases that need other captures, Falco configuration files, output files or drop monitoring
 *   are listed as not applicable.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { formatLoadMessage, loadRules, makeEvent, alertJson, makeAlert, parsePriority, RuntimeEngine, type EngineOptions, type LoadMessage, type RuntimeEvent } from '../../src/runtime/index.ts';
import { keySetHas } from '../../src/runtime/condition/analyze.ts';
import { corpusDir } from '../helpers/corpus.ts';

const base = corpusDir('falco', 'legacy-regression-tests', 'test');

interface Expected {
  item_type: string;
  item_name: string;
  code: string;
  message?: string;
  message_contains?: string;
}

interface TestCase {
  name: string;
  detect?: boolean;
  detect_level?: string | string[];
  detect_counts?: Record<string, number>[];
  rules_file?: string | string[];
  validate_rules_file?: string | string[];
  validate_errors?: Expected[];
  validate_warnings?: Expected[];
  validate_ok?: string[];
  rules_events?: Record<string, string[]>[];
  exit_status?: number;
  trace_file?: string;
  disabled_rules?: string[];
  disable_tags?: string[];
  run_tags?: string[];
  priority?: string;
  json_output?: boolean;
  json_include_tags_property?: boolean;
  stdout_contains?: string;
  [key: string]: unknown;
}

/** Keys that need something this suite does not have (Falco configs, output files, other captures). */
const NOT_APPLICABLE_KEYS = ['conf_file', 'output_strictly_contains', 'stderr_contains', 'time_iso_8601', 'json_include_tags_property', 'rules_warning', 'stderr_not_contains'];

const at = { sec: 1470327477, nsec: 882054739 };
const cat = { 'proc.name': 'cat', 'proc.exepath': '/bin/cat', 'proc.cmdline': 'cat /dev/null', 'proc.pname': 'bash', 'user.name': 'root', 'evt.dir': '<' };
const TRACES: Record<string, () => RuntimeEvent[]> = {
  'trace_files/cat_write.scap': () => [
    makeEvent('syscall', { ...cat, 'evt.type': 'execve' }, at, 1),
    makeEvent('syscall', { ...cat, 'evt.type': 'access', 'evt.arg.name': '/etc/ld.so.preload' }, at, 2),
    makeEvent('syscall', { ...cat, 'evt.type': 'open', 'fd.name': '/dev/null', 'fd.typechar': 'f', 'fd.num': 3, 'evt.arg.flags': 'O_RDONLY' }, at, 3),
    makeEvent('syscall', { ...cat, 'evt.type': 'read', 'fd.name': '/dev/null', 'fd.typechar': 'f', 'fd.num': 3 }, at, 4),
    makeEvent('syscall', { ...cat, 'evt.type': 'close', 'fd.name': '/dev/null', 'fd.typechar': 'f', 'fd.num': 3 }, at, 5),
  ],
  'trace_files/open-multiple-files.scap': () =>
    Array.from({ length: 13 }, (_, i) =>
      makeEvent('syscall', { ...cat, 'evt.type': 'open', 'fd.name': `/tmp/file-${i + 1}`, 'fd.typechar': 'f', 'fd.num': 3, 'evt.arg.flags': 'O_RDONLY' }, at, i + 1),
    ),
};
const EXACT_COUNTS = new Set(['trace_files/open-multiple-files.scap']);

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function loadCases(root: string, file: string): TestCase[] {
  const doc = parse(readFileSync(join(root, file), 'utf8').replace('!mux', '')) as { trace_files: Record<string, Omit<TestCase, 'name'>> };
  return Object.entries(doc.trace_files).map(([name, c]) => ({ name, ...c }));
}

function matches(m: LoadMessage, e: Expected): boolean {
  return (
    m.code === e.code &&
    m.itemType === e.item_type &&
    m.itemName === e.item_name &&
    (e.message !== undefined ? m.message === e.message : e.message_contains !== undefined ? m.message.includes(e.message_contains) : true)
  );
}

function load(root: string, files: string[]) {
  return loadRules(files.map((f) => ({ name: f.replace(/^.*\//, ''), text: readFileSync(join(root, f), 'utf8') })));
}

/** undefined: passed; a string: why not; 'n/a: …': not applicable. */
function runCase(root: string, c: TestCase): string | undefined {
  if (c.validate_rules_file) return runValidation(root, c);
  const trace = c.trace_file ? TRACES[c.trace_file] : undefined;
  if (!c.rules_file || !trace) return `n/a: needs ${c.trace_file ?? 'a capture'}`;
  const blocking = NOT_APPLICABLE_KEYS.filter((k) => k in c);
  if (blocking.length > 0 || (c.run_tags && c.disabled_rules)) return `n/a: needs ${blocking.join(', ') || 'both -D and -t'}`;
  const loaded = load(root, list(c.rules_file));
  if (!loaded.ok || !loaded.ruleset) return `load failed: ${loaded.errors.map(formatLoadMessage).join('; ')}`;
  const options: EngineOptions = {};
  if (c.disabled_rules) options.disabledRules = c.disabled_rules;
  if (c.disable_tags) options.disabledTags = c.disable_tags;
  if (c.run_tags) options.enabledTags = c.run_tags;
  if (c.priority) options.minPriority = parsePriority(c.priority)!;
  const engine = new RuntimeEngine(loaded.ruleset, options);
  const counts = new Map<string, number>();
  const levels = new Map<string, number>();
  const lines: string[] = [];
  for (const evt of trace()) {
    for (const rule of engine.evaluate(evt)) {
      counts.set(rule.name, (counts.get(rule.name) ?? 0) + 1);
      levels.set(rule.priority, (levels.get(rule.priority) ?? 0) + 1);
      lines.push(alertJson(makeAlert(rule, evt)));
    }
  }
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const seen = JSON.stringify(Object.fromEntries(counts));
  if (c.detect === false && total > 0) return `expected no alert, got ${seen}`;
  if (c.detect && total === 0) return 'expected alerts, got none';
  for (const level of c.detect ? list(c.detect_level) : []) {
    if (!(levels.get(parsePriority(level)!)! > 0)) return `expected an alert at ${level}, got ${seen}`;
  }
  for (const expected of c.detect_counts ?? []) {
    for (const [rule, n] of Object.entries(expected)) {
      const got = counts.get(rule) ?? 0;
      const ok = EXACT_COUNTS.has(c.trace_file!) ? got === n : n === 0 ? got === 0 : got > 0;
      if (!ok) return `expected ${rule}: ${n}, got ${got}`;
    }
  }
  if (c.json_output && c.stdout_contains && !lines.some((l) => new RegExp(c.stdout_contains!).test(l))) return `no JSON alert matches ${c.stdout_contains}`;
  return undefined;
}

function runValidation(root: string, c: TestCase): string | undefined {
  const files = list(c.validate_rules_file);
  const result = load(root, files);
  const problems: string[] = [];
  for (const e of c.validate_errors ?? []) if (!result.errors.some((m) => matches(m, e))) problems.push(`missing error ${JSON.stringify(e)}`);
  for (const w of c.validate_warnings ?? []) if (!result.warnings.some((m) => matches(m, w))) problems.push(`missing warning ${JSON.stringify(w)}`);
  if (c.exit_status === 1 && result.ok) problems.push('loaded, expected a failure');
  if (c.exit_status !== 1 && !result.ok) problems.push(`failed to load: ${result.errors.map(formatLoadMessage).join('; ')}`);
  for (const f of c.validate_ok ?? []) {
    const errors = result.files.find((r) => r.name === f)?.errors ?? [];
    if (errors.length > 0) problems.push(`${f} should load without error`);
  }
  if (c.name === 'test_warnings') {
    const expected = new Set((c.validate_warnings ?? []).filter((w) => w.code === 'LOAD_NO_EVTTYPE').map((w) => w.item_name));
    const got = new Set(result.warnings.filter((w) => w.code === 'LOAD_NO_EVTTYPE').map((w) => w.itemName));
    for (const name of got) if (!expected.has(name)) problems.push(`unexpected LOAD_NO_EVTTYPE for ${name}`);
    const rules = result.ruleset?.sources.get('syscall')?.rules ?? [];
    for (const entry of c.rules_events ?? []) {
      for (const [name, types] of Object.entries(entry)) {
        if (types.includes('all')) continue;
        const set = rules.find((r) => r.name === name)?.keySets[0];
        const ok = set !== undefined && !set.all && set.values.size === types.length && types.every((t) => keySetHas(set, t));
        if (!ok) problems.push(`event types of ${name}: expected ${types.join(',')}, got ${set ? (set.all ? 'all' : [...set.values].join(',')) : 'none'}`);
      }
    }
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}

describe.skipIf(!base)('Falco rules-file regression cases (../shared/corpus/falco/legacy-regression-tests)', () => {
  it.each(['falco_tests.yaml', 'falco_tests_exceptions.yaml'])('%s', (file) => {
    const cases = loadCases(base!, file);
    const failures: string[] = [];
    const notApplicable: string[] = [];
    let passed = 0;
    for (const c of cases) {
      const outcome = runCase(base!, c);
      if (outcome === undefined) passed++;
      else if (outcome.startsWith('n/a: ')) notApplicable.push(`${c.name} (${outcome.slice(5)})`);
      else failures.push(`${c.name}: ${outcome}`);
    }
    const applicable = cases.length - notApplicable.length;
    console.log(`[compat] falco ${file}: ${passed}/${applicable} applicable cases pass (${cases.length} cases, ${notApplicable.length} not applicable)`);
    for (const f of failures) console.log(`[compat]   ✗ ${f}`);
    for (const n of notApplicable) console.log(`[compat]   – ${n}`);
    expect(applicable).toBeGreaterThan(15);
    expect(failures).toEqual([]);
  });
});
