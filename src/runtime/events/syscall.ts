/**
 * Syscall-style events from JSON. Three shapes are accepted, one JSON object each:
 *
 * 1. Flat Falco fields (the documented input; see fields/syscall.ts for lookups and derivations):
 *      {"evt.type": "openat", "evt.time": "2024-05-01T10:00:00.000000001Z", "proc.name": "cat",
 *       "fd.name": "/etc/shadow", "evt.arg.flags": "O_RDONLY", "container.id": "3ad7b26ded6d"}
 *    `evt.time` (ISO 8601, or nanoseconds since the epoch) or `evt.rawtime` gives the event time.
 * 2. A Falco alert in JSON (`output_fields` + `time`): its output fields are the event's fields,
 *    so a recorded alert stream can be re-evaluated against other rules.
 * 3. A Tetragon export line (`process_exec`, `process_exit`, `process_kprobe`, `process_tracepoint`,
 *    `process_lsm`, `process_uprobe`): the process, parent, pod and container are mapped onto
 *    proc.*, user.*, container.*, k8s.* fields; kprobe/tracepoint/LSM hooks onto evt.type (syscall
 *    name without its `__x64_sys_` prefix) and fd.name (first file or path argument).
 * Events with no time information are stamped with the time they are read.
 */
import { basename } from 'node:path/posix';
import { makeEvent, nowTime, parseTimestamp, timeFromNanos, type RuntimeEvent } from '../event.ts';

export const SYSCALL_SOURCE = 'syscall';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Fields the Tetragon mapping can fill (besides what fields/syscall.ts derives from them); other
 * syscall fields have no value on Tetragon input.
 */
export const TETRAGON_FIELDS: readonly string[] = [
  'evt.type', 'evt.hostname', 'evt.arg', 'proc.exepath', 'proc.exe', 'proc.name', 'proc.args', 'proc.cmdline', 'proc.pid', 'thread.tid', 'user.uid',
  'user.loginuid', 'proc.cwd', 'thread.cap_permitted', 'thread.cap_effective', 'proc.pexepath', 'proc.pexe', 'proc.pname', 'proc.pcmdline',
  'proc.ppid', 'proc.aname', 'proc.aexe', 'proc.aexepath', 'proc.acmdline', 'proc.apid', 'k8s.ns.name', 'k8s.pod.name', 'k8s.pod.labels', 'k8s.pod.label',
  'container.id', 'container.full_id', 'container.name', 'container.image', 'container.image.id', 'container.image.repository', 'container.image.tag',
  'container.image.digest', 'fd.name', 'fd.typechar', 'fd.type', 'fd.directory', 'fd.filename', 'fd.nameraw', 'proc.cmdnargs', 'syscall.type', 'evt.dir',
];

const TETRAGON_KINDS = ['process_exec', 'process_exit', 'process_kprobe', 'process_tracepoint', 'process_uprobe', 'process_lsm'] as const;

/** A syscall event from one JSON value; undefined when it is not one of the accepted shapes. */
export function syscallEvent(value: unknown, num: number): RuntimeEvent | undefined {
  if (!isObj(value)) return undefined;
  if (isObj(value.output_fields)) {
    if (value.source !== undefined && value.source !== SYSCALL_SOURCE) return undefined;
    const data = { ...value.output_fields };
    return makeEvent(SYSCALL_SOURCE, data, timeOf(value.time) ?? timeOf(data['evt.time']) ?? nowTime(), num);
  }
  const kind = TETRAGON_KINDS.find((k) => isObj(value[k]));
  if (kind) {
    const data = fromTetragon(kind, value[kind] as Obj);
    if (typeof value.node_name === 'string') data['evt.hostname'] = value.node_name;
    return makeEvent(SYSCALL_SOURCE, data, timeOf(value.time) ?? nowTime(), num);
  }
  if (!looksFlat(value)) return undefined;
  const time = timeOf(value['evt.time']) ?? timeOf(value['evt.rawtime']) ?? timeOf(value.time) ?? nowTime();
  return makeEvent(SYSCALL_SOURCE, value, time, num);
}

/** Keys that are Falco field names (or nested field classes). */
function looksFlat(o: Obj): boolean {
  return Object.keys(o).some((k) => /^(evt|proc|thread|fd|fs|user|group|container|k8s|syscall)(\.|$)/.test(k));
}

function timeOf(v: unknown): { sec: number; nsec: number } | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return timeFromNanos(v);
  if (typeof v === 'string') {
    if (/^\d{10,20}$/.test(v)) return timeFromNanos(v);
    return parseTimestamp(v);
  }
  return undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Falco's container.id: the first 12 characters of the runtime id, without a `containerd://` scheme. */
function containerId(id: unknown): string | undefined {
  const s = str(id);
  return s ? s.replace(/^[a-z-]+:\/\//, '').slice(0, 12) : undefined;
}

function processFields(p: Obj, data: Obj, prefix: 'self' | 'parent'): void {
  const binary = str(p.binary);
  const args = str(p.arguments);
  const name = binary ? basename(binary) : undefined;
  const cmdline = name === undefined ? undefined : args ? `${name} ${args}` : name;
  if (prefix === 'parent') {
    if (binary) data['proc.pexepath'] = binary;
    if (binary) data['proc.pexe'] = binary;
    if (name) data['proc.pname'] = name;
    if (cmdline) data['proc.pcmdline'] = cmdline;
    if (p.pid !== undefined) data['proc.ppid'] = p.pid;
    return;
  }
  if (binary) data['proc.exepath'] = binary;
  if (binary) data['proc.exe'] = binary;
  if (name) data['proc.name'] = name;
  if (args !== undefined) data['proc.args'] = args;
  if (cmdline) data['proc.cmdline'] = cmdline;
  if (p.pid !== undefined) data['proc.pid'] = p.pid;
  if (p.tid !== undefined) data['thread.tid'] = p.tid;
  if (p.uid !== undefined) data['user.uid'] = p.uid;
  // Tetragon reports an unset audit uid as 4294967295; Falco's user.loginuid is -1 then.
  if (p.auid !== undefined) data['user.loginuid'] = p.auid === 4294967295 ? -1 : p.auid;
  if (p.cwd !== undefined) data['proc.cwd'] = p.cwd;
  const cap = isObj(p.cap) ? p.cap : undefined;
  if (cap && Array.isArray(cap.permitted)) data['thread.cap_permitted'] = cap.permitted.join(' ');
  if (cap && Array.isArray(cap.effective)) data['thread.cap_effective'] = cap.effective.join(' ');
  const pod = isObj(p.pod) ? p.pod : undefined;
  if (pod) {
    if (pod.namespace !== undefined) data['k8s.ns.name'] = pod.namespace;
    if (pod.name !== undefined) data['k8s.pod.name'] = pod.name;
    if (isObj(pod.pod_labels)) data['k8s.pod.labels'] = pod.pod_labels;
    const c = isObj(pod.container) ? pod.container : undefined;
    if (c) {
      const id = containerId(c.id);
      if (id) data['container.id'] = id;
      if (str(c.id)) data['container.full_id'] = String(c.id).replace(/^[a-z-]+:\/\//, '');
      if (c.name !== undefined) data['container.name'] = c.name;
      const image = isObj(c.image) ? c.image : undefined;
      if (image?.name !== undefined) data['container.image'] = image.name;
      if (image?.id !== undefined) data['container.image.id'] = image.id;
    }
  }
  if (data['container.id'] === undefined) {
    const id = containerId(p.docker);
    data['container.id'] = id ?? 'host';
  }
}

/** Syscall name of a kprobe/tracepoint hook (`__x64_sys_openat` → `openat`). */
function hookName(fn: string): string {
  return fn.replace(/^__(x64|ia32|arm64)_sys_/, '').replace(/^(ksys|sys)_/, '');
}

function fromTetragon(kind: (typeof TETRAGON_KINDS)[number], body: Obj): Obj {
  const data: Obj = {};
  if (isObj(body.process)) processFields(body.process, data, 'self');
  if (isObj(body.parent)) processFields(body.parent, data, 'parent');
  if (kind === 'process_exec') data['evt.type'] = 'execve';
  else if (kind === 'process_exit') data['evt.type'] = 'procexit';
  else {
    const fn = str(body.function_name) ?? str(body.event) ?? str(body.subsys);
    if (fn) data['evt.type'] = hookName(fn);
    if (str(body.policy_name)) data['evt.arg.policy'] = body.policy_name;
    const args = Array.isArray(body.args) ? body.args : [];
    for (const a of args) {
      if (!isObj(a)) continue;
      const file = (isObj(a.file_arg) && str(a.file_arg.path)) || (isObj(a.path_arg) && str(a.path_arg.path)) || (isObj(a.linux_binprm_arg) && str(a.linux_binprm_arg.path));
      if (file) {
        data['fd.name'] = file;
        data['fd.typechar'] = 'f';
        break;
      }
    }
  }
  return data;
}
