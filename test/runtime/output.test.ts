/**
 * Outputs and the engine around them: `%field` formats, Falco's alert JSON and text line, sinks
 * (file, webhook), the rate limiter, rule matching (first/all), rule selection and dispatch.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  alertJson,
  compileOutput,
  defaultRegistry,
  FileSink,
  loadRules,
  makeAlert,
  makeEvent,
  RateLimiter,
  renderOutput,
  RuntimeEngine,
  SlotTable,
  WebhookSink,
  type Alert,
  type LoadResult,
} from '../../src/runtime/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'palisade-runtime-out-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const evt = makeEvent(
  'syscall',
  { 'evt.type': 'execve', 'proc.name': 'bash', 'user.name': 'root', 'user.uid': 0, 'proc.aname': ['sshd', 'systemd'], 'fd.types': ['ipv4', 'file'] },
  { sec: 1714557600, nsec: 123456789 },
  1,
);

const render = (format: string) => renderOutput(compileOutput(format, { source: 'syscall', registry: defaultRegistry, slots: new SlotTable() }), evt);

describe('output formats', () => {
  it.each([
    ['shell %proc.name by %user.name (uid=%user.uid)', 'shell bash by root (uid=0)'],
    ['file=%fd.name', 'file=<NA>'],
    ['%proc.name.', 'bash.'],
    ['gp=%proc.aname[2]', 'gp=systemd'],
    ['types=%fd.types', 'types=(ipv4,file)'],
    ['%toupper(user.name)!', 'ROOT!'],
    ['100% sure %proc.name', '100% sure bash'],
    ['%container.info%proc.name', 'bash'],
    ['%evt.type %evt.arg.flags', 'execve <NA>'],
  ])('%s', (format, expected) => {
    expect(render(format)).toBe(expected);
  });

  it('refuse unknown fields', () => {
    expect(() => render('%proc.nobody')).toThrow('filter_check called with nonexistent field proc.nobody');
  });
});

const load = (text: string): LoadResult => loadRules([{ name: 'r.yaml', text }]);
const rulesText = `
- rule: Shell
  desc: d
  condition: evt.type=execve and proc.name=bash
  output: Shell (user=%user.name parent=%proc.aname[1] fd=%fd.name)
  priority: NOTICE
  tags: [shell, process]
- rule: Any Exec
  desc: d
  condition: evt.type=execve
  output: Exec %proc.name
  priority: INFO
- rule: Opens
  desc: d
  condition: evt.type in (open, openat)
  output: Open %fd.name
  priority: ERROR
  tags: [file]
`;

describe('alerts', () => {
  const ruleset = load(rulesText).ruleset!;
  const shell = ruleset.sources.get('syscall')!.rules[0]!;

  it("carry Falco's JSON schema, keys in Falco's order, exact nanosecond time", () => {
    const json = alertJson(makeAlert(shell, evt, { hostname: 'node-1' }));
    expect(json).toBe(
      '{"hostname":"node-1","output":"10:00:00.123456789: Notice Shell (user=root parent=sshd fd=<NA>)","output_fields":{"evt.time":1714557600123456789,"fd.name":null,"proc.aname[1]":"sshd","user.name":"root"},"priority":"Notice","rule":"Shell","source":"syscall","tags":["shell","process"],"time":"2024-05-01T10:00:00.123456789Z"}',
    );
  });

  it('prefix text lines with the time (ISO 8601 on request) and priority', () => {
    expect(makeAlert(shell, evt, { timeFormat: 'iso' }).output).toBe('2024-05-01T10:00:00.123456789+0000: Notice Shell (user=root parent=sshd fd=<NA>)');
  });
});

describe('engine', () => {
  const ruleset = load(rulesText).ruleset!;
  const names = (engine: RuntimeEngine, data = evt) => engine.evaluate(data).map((r) => r.name);

  it('stops at the first matching rule by default, or reports all', () => {
    expect(names(new RuntimeEngine(ruleset))).toEqual(['Shell']);
    expect(names(new RuntimeEngine(ruleset, { ruleMatching: 'all' }))).toEqual(['Shell', 'Any Exec']);
  });

  it('selects rules by priority, name (substring or wildcard) and tag', () => {
    expect(names(new RuntimeEngine(ruleset, { ruleMatching: 'all', minPriority: 'NOTICE' }))).toEqual(['Shell']);
    expect(names(new RuntimeEngine(ruleset, { ruleMatching: 'all', disabledRules: ['Shel'] }))).toEqual(['Any Exec']);
    expect(names(new RuntimeEngine(ruleset, { ruleMatching: 'all', disabledRules: ['Any*'] }))).toEqual(['Shell']);
    expect(names(new RuntimeEngine(ruleset, { ruleMatching: 'all', disabledTags: ['shell'] }))).toEqual(['Any Exec']);
    expect(names(new RuntimeEngine(ruleset, { ruleMatching: 'all', enabledTags: ['process'] }))).toEqual(['Shell']);
  });

  it('only runs the rules whose event types match, and counts events of sources without rules', () => {
    const engine = new RuntimeEngine(ruleset, { ruleMatching: 'all' });
    expect(names(engine, makeEvent('syscall', { 'evt.type': 'openat', 'fd.name': '/etc/x' }, { sec: 0, nsec: 0 }))).toEqual(['Opens']);
    expect(names(engine, makeEvent('syscall', { 'evt.type': 'close' }, { sec: 0, nsec: 0 }))).toEqual([]);
    expect(engine.evaluate(makeEvent('k8s_audit', {}, { sec: 0, nsec: 0 }))).toEqual([]);
    expect(engine.stats).toMatchObject({ events: 3, unmatchedSource: 1, matches: 1 });
  });
});

describe('sinks', () => {
  const ruleset = load(rulesText).ruleset!;
  const alert: Alert = makeAlert(ruleset.sources.get('syscall')!.rules[0]!, evt);

  it('append to files', async () => {
    const path = join(dir, 'alerts.json');
    for (let i = 0; i < 2; i++) {
      const sink = new FileSink(path, 'json');
      sink.write(alert);
      await sink.close();
    }
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]!).rule).toBe('Shell');
  });

  it('POST JSON to webhooks, counting failures', async () => {
    const received: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push(`${req.method} ${req.headers['content-type']} ${body}`);
        res.writeHead(req.url === '/fail' ? 500 : 200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    const ok = new WebhookSink(`http://127.0.0.1:${port}/`);
    const failing = new WebhookSink(`http://127.0.0.1:${port}/fail`);
    ok.write(alert);
    failing.write(alert);
    await Promise.all([ok.close(), failing.close()]);
    server.close();
    expect(ok.delivered).toBe(1);
    expect(failing.failed).toBe(1);
    expect(received[0]).toBe(`POST application/json ${alertJson(alert)}`);
  });

  it('rate limits per rule with a token bucket', () => {
    let now = 0;
    const limiter = new RateLimiter(1, 2, () => now);
    expect([limiter.allow('a'), limiter.allow('a'), limiter.allow('a'), limiter.allow('b')]).toEqual([true, true, false, true]);
    now = 1000;
    expect(limiter.allow('a')).toBe(true);
    expect(limiter.allow('a')).toBe(false);
    expect(limiter.dropped.get('a')).toBe(2);
  });
});
