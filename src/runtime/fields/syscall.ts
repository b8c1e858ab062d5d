/**
 * Fields of the `syscall` source (libsinsp's evt, process, thread, user, group, fd, fs.path,
 * container and k8s classes) over recorded events. With no kernel capture here, a syscall event
 * is a JSON object whose keys are Falco field names, the shape of Falco's own JSON `output_fields`
 * (events/syscall.ts also maps Tetragon exports onto it):
 *
 *   {"evt.type": "execve", "proc.name": "bash", "proc.cmdline": "bash -i", "proc.aname": ["sshd", "systemd"],
 *    "fd.name": "/etc/shadow", "container.id": "3ad7b26ded6d", "k8s.ns.name": "default"}
 *
 * A field with an argument is looked up as `name[arg]` first (`"proc.aname[2]": "sshd"`), then in
 * the value under `name`: an array for indexed fields (ancestor arrays start at the parent, so
 * `proc.aname[1]` is its first element and `proc.aname[0]` is `proc.name`), an object for keyed ones
 * (`"proc.env": {"HOME": "/root"}`). Nested objects work too (`{"proc": {"name": "bash"}}`).
 * Values are coerced to the field's type ("42" for a number field, "true" for a bool one).
 *
 * A few fields are derived when absent, as libsinsp derives them from the same state: `proc.name`
 * from the executable path, `proc.cmdline` from name and args (and back), `proc.pname` from the
 * ancestors, `fd.directory`/`fd.filename` from a file's `fd.name`, client/server address and port
 * from a socket's `fd.name` (`cip:cport->sip:sport`), `fd.typechar` from `fd.type` (and back),
 * `evt.is_open_read|write|create` from `evt.arg.flags`, `evt.res`/`evt.rawres`/`evt.failed` from
 * each other, `container.image.repository|tag|digest` from `container.image`, `evt.dir` ('<': only
 * exit events are recorded). Every other field a stream does not carry has no value, so checks on
 * it are false, exactly as Falco treats a field its event cannot provide.
 */
import { basename, dirname } from 'node:path/posix';
import { jsonText } from './json.ts';
import { FieldArgError, NUMERIC_TYPES, type FieldArgSpec, type FieldClass, type FieldDef, type FieldType, type FieldValue, type Scalar } from './types.ts';

/** Version of Falco's container plugin these container.* and k8s.* fields stand in for. */
export const CONTAINER_PLUGIN_VERSION = '0.4.0';

type Data = Record<string, unknown>;

interface Spec {
  type?: FieldType;
  list?: boolean;
  arg?: FieldArgSpec;
  dottedArg?: boolean;
  anyValue?: boolean;
  outputOnly?: boolean;
}

const INDEX_OPT: FieldArgSpec = { kind: 'index', required: false };
const KEY_OPT: FieldArgSpec = { kind: 'key', required: false };
const KEY_REQ: FieldArgSpec = { kind: 'key', required: true };
const ANY_REQ: FieldArgSpec = { kind: 'any', required: true };

const ancestor: Spec = { arg: INDEX_OPT, anyValue: true };

/** [name, description, spec]. Type defaults to string. */
const TABLE: [string, string, Spec?][] = [
  // evt (syscall-specific; the generic ones are in evt.ts)
  ['evt.type', 'The name of the event (e.g. open, execve)'],
  ['evt.type.is', 'Returns 1 for events that match the specified type', { type: 'uint', arg: KEY_REQ }],
  ['syscall.type', 'For system call events, the name of the system call'],
  ['evt.category', 'The event category (file, net, process …)'],
  ['evt.cpu', 'Number of the CPU where this event happened', { type: 'int' }],
  ['evt.dir', "Event direction: '>' for enter events, '<' for exit events"],
  ['evt.args', 'All the event arguments, aggregated into a single string'],
  ['evt.arg', 'One of the event arguments, by name or index (evt.arg.fd, evt.arg[0])', { arg: ANY_REQ, dottedArg: true }],
  ['evt.rawarg', 'One of the event arguments, by name, as a raw value (evt.rawarg.res)', { arg: KEY_REQ, dottedArg: true }],
  ['evt.info', 'The event arguments, or a description for non-syscall events'],
  ['evt.buffer', 'The binary data buffer of I/O events (read, write …)', { type: 'bytes' }],
  ['evt.buflen', 'The length of the binary data buffer', { type: 'uint' }],
  ['evt.res', 'Event return value: SUCCESS or the error code name (e.g. ENOENT)'],
  ['evt.rawres', 'Event return value, as a number', { type: 'int' }],
  ['evt.failed', 'true for events that returned an error status', { type: 'bool' }],
  ['evt.is_io', 'true for events that read or write to FDs', { type: 'bool' }],
  ['evt.is_io_read', 'true for events that read from FDs', { type: 'bool' }],
  ['evt.is_io_write', 'true for events that write to FDs', { type: 'bool' }],
  ['evt.io_dir', "'r' for events that read from FDs, 'w' for events that write"],
  ['evt.is_wait', 'true for events that make the thread wait', { type: 'bool' }],
  ['evt.wait_latency', 'For events that make the thread wait, the time spent waiting (ns)', { type: 'reltime' }],
  ['evt.is_syslog', 'true for events that are writes to /dev/log', { type: 'bool' }],
  ['evt.count', 'This filter field always returns 1', { type: 'uint' }],
  ['evt.count.error', 'Returns 1 for events that returned with an error', { type: 'uint' }],
  ['evt.count.error.file', 'Returns 1 for file events that returned with an error', { type: 'uint' }],
  ['evt.count.error.net', 'Returns 1 for network events that returned with an error', { type: 'uint' }],
  ['evt.count.error.memory', 'Returns 1 for memory events that returned with an error', { type: 'uint' }],
  ['evt.count.error.other', 'Returns 1 for other events that returned with an error', { type: 'uint' }],
  ['evt.count.exit', 'Returns 1 for exit events', { type: 'uint' }],
  ['evt.abspath', 'Absolute path calculated from dirfd and name during syscalls like renameat and symlinkat', { arg: KEY_OPT }],
  ['evt.is_open_read', 'true for open/openat/openat2/open_by_handle_at events where the path was opened for reading', { type: 'bool' }],
  ['evt.is_open_write', 'true for open/openat/openat2/open_by_handle_at events where the path was opened for writing', { type: 'bool' }],
  ['evt.is_open_exec', 'true for open/openat/openat2/open_by_handle_at or creat events where a file is created with execute permissions', { type: 'bool' }],
  ['evt.is_open_create', 'true for open/openat/openat2/open_by_handle_at events where a file is created', { type: 'bool' }],
  ['evt.latency', 'Delta between an exit event and the correspondent enter event (ns)', { type: 'reltime' }],
  ['evt.deltatime', 'Delta between this event and the previous event (ns)', { type: 'reltime' }],
  // process / thread
  ['proc.exe', 'The first command line argument (argv[0])'],
  ['proc.pexe', 'The proc.exe of the parent process'],
  ['proc.aexe', 'The proc.exe of an ancestor process ([0] this process, [1] the parent …); without index, any ancestor', ancestor],
  ['proc.exepath', 'The full executable path of the process'],
  ['proc.pexepath', 'The proc.exepath of the parent process'],
  ['proc.aexepath', 'The proc.exepath of an ancestor process; without index, any ancestor', ancestor],
  ['proc.name', 'The name (excluding the path) of the executable generating the event'],
  ['proc.pname', 'The proc.name of the parent process'],
  ['proc.aname', 'The proc.name of an ancestor process ([0] this process, [1] the parent …); without index, any ancestor', ancestor],
  ['proc.args', 'The arguments passed on the command line when starting the process'],
  ['proc.cmdline', 'The full command line: proc.name + proc.args'],
  ['proc.pcmdline', 'The proc.cmdline of the parent process'],
  ['proc.acmdline', 'The proc.cmdline of an ancestor process; without index, any ancestor', ancestor],
  ['proc.cmdnargs', 'The number of command line args (proc.args)', { type: 'uint' }],
  ['proc.cmdlenargs', 'The total count of characters in the command line args (proc.args)', { type: 'uint' }],
  ['proc.exeline', 'The full command line, with exe as first argument'],
  ['proc.env', 'The environment variables of the process, or one of them by name (proc.env[HOME])', { arg: KEY_OPT }],
  ['proc.aenv', 'An environment variable of an ancestor process (legacy)', { arg: KEY_OPT }],
  ['proc.cwd', 'The current working directory of the event'],
  ['proc.loginshellid', 'The pid of the oldest shell among the ancestors of the current process', { type: 'int' }],
  ['proc.tty', "The controlling terminal of the process; 0 for processes without a terminal", { type: 'uint' }],
  ['proc.pid', 'The id of the process generating the event', { type: 'int' }],
  ['proc.ppid', 'The pid of the parent of the process generating the event', { type: 'int' }],
  ['proc.apid', 'The pid of an ancestor process; without index, any ancestor', { type: 'int', ...ancestor }],
  ['proc.vpid', 'The id of the process generating the event as seen from its current PID namespace', { type: 'int' }],
  ['proc.pvpid', 'The id of the parent process as seen from its current PID namespace', { type: 'int' }],
  ['proc.sid', 'The session id of the process generating the event', { type: 'int' }],
  ['proc.sname', 'The name of the current process session leader'],
  ['proc.sid.exe', 'The first command line argument of the session leader'],
  ['proc.sid.exepath', 'The full executable path of the session leader'],
  ['proc.vpgid', 'The process group id of the process generating the event', { type: 'int' }],
  ['proc.vpgid.name', 'The name of the current process group leader'],
  ['proc.vpgid.exe', 'The first command line argument of the process group leader'],
  ['proc.vpgid.exepath', 'The full executable path of the process group leader'],
  ['proc.duration', 'Number of nanoseconds since the process started', { type: 'reltime' }],
  ['proc.ppid.duration', 'Number of nanoseconds since the parent process started', { type: 'reltime' }],
  ['proc.pid.ts', 'Start of the process, in nanoseconds since the epoch', { type: 'abstime' }],
  ['proc.ppid.ts', 'Start of the parent process, in nanoseconds since the epoch', { type: 'abstime' }],
  ['proc.is_exe_writable', 'true if the executable file is writable by the user who runs it', { type: 'bool' }],
  ['proc.is_exe_upper_layer', 'true if the executable lives in the upper layer of an overlayfs (not from the image)', { type: 'bool' }],
  ['proc.is_exe_from_memfd', 'true if the executable is stored in a memfd', { type: 'bool' }],
  ['proc.is_sid_leader', 'true if this process is the leader of its session', { type: 'bool' }],
  ['proc.is_vpgid_leader', 'true if this process is the leader of its process group', { type: 'bool' }],
  ['proc.exe_ino', 'The inode number of the executable file on disk', { type: 'uint' }],
  ['proc.exe_ino.ctime', 'Last status change time of the executable file (ns since the epoch)', { type: 'abstime' }],
  ['proc.exe_ino.mtime', 'Last modification time of the executable file (ns since the epoch)', { type: 'abstime' }],
  ['proc.exe_ino.ctime_duration_proc_start', 'Nanoseconds between the executable status change and the process start', { type: 'reltime' }],
  ['proc.exe_ino.ctime_duration_pidns_start', 'Nanoseconds between the PID namespace start and the executable status change', { type: 'reltime' }],
  ['proc.pidns_init_start_ts', 'Start of the PID namespace init process (ns since the epoch)', { type: 'uint' }],
  ['proc.fdopencount', 'Number of open FDs for the process', { type: 'uint' }],
  ['proc.fdlimit', 'Maximum number of FDs the process can open', { type: 'int' }],
  ['proc.fdusage', 'The ratio between open FDs and the maximum available FDs', { type: 'uint' }],
  ['proc.vmsize', 'Total virtual memory for the process (KB)', { type: 'uint' }],
  ['proc.vmrss', 'Resident non-swapped memory for the process (KB)', { type: 'uint' }],
  ['proc.vmswap', 'Swapped memory for the process (KB)', { type: 'uint' }],
  ['proc.nthreads', 'The number of alive threads of the process', { type: 'uint' }],
  ['proc.nchilds', 'The number of alive child threads of the process', { type: 'uint' }],
  ['proc.is_container_healthcheck', 'true if the process is running as a part of the container health check', { type: 'bool' }],
  ['proc.is_container_liveness_probe', 'true if the process is running as a part of the container liveness probe', { type: 'bool' }],
  ['proc.is_container_readiness_probe', 'true if the process is running as a part of the container readiness probe', { type: 'bool' }],
  ['proc.stdin.type', 'The type of file descriptor 0 of the process'],
  ['proc.stdout.type', 'The type of file descriptor 1 of the process'],
  ['proc.stderr.type', 'The type of file descriptor 2 of the process'],
  ['proc.stdin.name', 'The name of file descriptor 0 of the process'],
  ['proc.stdout.name', 'The name of file descriptor 1 of the process'],
  ['proc.stderr.name', 'The name of file descriptor 2 of the process'],
  ['thread.cap_permitted', 'The permitted capabilities set'],
  ['thread.cap_inheritable', 'The inheritable capabilities set'],
  ['thread.cap_effective', 'The effective capabilities set'],
  ['thread.tid', 'The id of the thread generating the event', { type: 'int' }],
  ['thread.ismain', 'true if the thread generating the event is the main one in the process', { type: 'bool' }],
  ['thread.vtid', 'The id of the thread as seen from its current PID namespace', { type: 'int' }],
  ['thread.exectime', 'CPU time spent by the last scheduled thread (ns)', { type: 'reltime' }],
  ['thread.totexectime', 'Total CPU time for the current thread since the beginning of the capture (ns)', { type: 'reltime' }],
  ['thread.cgroups', 'All the cgroups the thread belongs to, aggregated into a single string'],
  ['thread.cgroup', 'The cgroup the thread belongs to, for a specific subsystem (thread.cgroup[cpuacct])', { arg: KEY_REQ }],
  ['thread.pfmajor', 'Number of major page faults since thread start', { type: 'uint' }],
  ['thread.pfminor', 'Number of minor page faults since thread start', { type: 'uint' }],
  // user / group
  ['user.uid', 'User ID', { type: 'uint' }],
  ['user.name', 'User name'],
  ['user.homedir', 'Home directory of the user'],
  ['user.shell', "User's shell"],
  ['user.loginuid', 'Audit user id (auid); -1 when unset', { type: 'int' }],
  ['user.loginname', 'Audit user name (auid)'],
  ['group.gid', 'Group ID', { type: 'uint' }],
  ['group.name', 'Group name'],
  // fd
  ['fd.num', 'The unique number identifying the file descriptor', { type: 'int' }],
  ['fd.type', 'Type of FD: file, directory, ipv4, ipv6, unix, pipe, event, signalfd, eventpoll, inotify, signalfd or memfd'],
  ['fd.typechar', "Type of FD as a single character: 'f' file, 4 IPv4 socket, 6 IPv6 socket, 'u' unix socket, 'p' pipe …"],
  ['fd.name', 'FD full name: a file path, or for sockets the connection tuple (cip:cport->sip:sport)'],
  ['fd.directory', 'If the fd is a file, the directory that contains it'],
  ['fd.filename', 'If the fd is a file, the filename without the path'],
  ['fd.ip', 'Matches the ip address (client or server) of the fd', { type: 'ipaddr', anyValue: true }],
  ['fd.cip', 'Client IP address', { type: 'ipaddr' }],
  ['fd.sip', 'Server IP address', { type: 'ipaddr' }],
  ['fd.lip', 'Local IP address', { type: 'ipaddr' }],
  ['fd.rip', 'Remote IP address', { type: 'ipaddr' }],
  ['fd.port', 'Matches the port (client or server) of the fd', { type: 'port', anyValue: true }],
  ['fd.cport', 'For TCP/UDP FDs, the client port', { type: 'port' }],
  ['fd.sport', 'For TCP/UDP FDs, the server port', { type: 'port' }],
  ['fd.lport', 'For TCP/UDP FDs, the local port', { type: 'port' }],
  ['fd.rport', 'For TCP/UDP FDs, the remote port', { type: 'port' }],
  ['fd.l4proto', "The IP protocol of a socket: 'tcp', 'udp', 'icmp' or 'raw'"],
  ['fd.sockfamily', "The socket family for socket events: 'ip' or 'unix'"],
  ['fd.is_server', 'true if the process owning this FD is the server endpoint in the connection', { type: 'bool' }],
  ['fd.uid', 'Unique identifier for the FD, created by chaining the FD number and the thread ID'],
  ['fd.containername', 'Chaining of the container ID and the FD name'],
  ['fd.containerdirectory', 'Chaining of the container ID and the directory name'],
  ['fd.proto', 'Matches the protocol (client or server) of the fd', { anyValue: true }],
  ['fd.cproto', 'For TCP/UDP FDs, the client protocol'],
  ['fd.sproto', 'For TCP/UDP FDs, the server protocol'],
  ['fd.lproto', 'For TCP/UDP FDs, the local protocol'],
  ['fd.rproto', 'For TCP/UDP FDs, the remote protocol'],
  ['fd.net', 'Matches the IP network (client or server) of the fd', { type: 'ipnet', anyValue: true }],
  ['fd.cnet', 'Matches the client IP network of the fd', { type: 'ipnet' }],
  ['fd.snet', 'Matches the server IP network of the fd', { type: 'ipnet' }],
  ['fd.lnet', 'Matches the local IP network of the fd', { type: 'ipnet' }],
  ['fd.rnet', 'Matches the remote IP network of the fd', { type: 'ipnet' }],
  ['fd.connected', 'For TCP/UDP FDs, true if the socket is connected', { type: 'bool' }],
  ['fd.name_changed', 'true when an event changes the name of an fd used by this event', { type: 'bool' }],
  ['fd.cip.name', 'Domain name associated with the client IP address'],
  ['fd.sip.name', 'Domain name associated with the server IP address'],
  ['fd.lip.name', 'Domain name associated with the local IP address'],
  ['fd.rip.name', 'Domain name associated with the remote IP address'],
  ['fd.dev', 'Device number (major/minor) containing the referenced file', { type: 'uint' }],
  ['fd.dev.major', 'Major device number containing the referenced file', { type: 'uint' }],
  ['fd.dev.minor', 'Minor device number containing the referenced file', { type: 'uint' }],
  ['fd.ino', 'Inode number of the referenced file', { type: 'uint' }],
  ['fd.nameraw', 'FD full name raw: like fd.name, but the path is not resolved'],
  ['fd.types', 'List of FD types in use; fd.types[N] for one fd number', { list: true, arg: INDEX_OPT }],
  ['fs.path.name', 'For any event type that deals with a filesystem path, the path the file syscall is operating on'],
  ['fs.path.nameraw', 'As fs.path.name, without path resolution'],
  ['fs.path.source', 'For events with a source and target path, the source path'],
  ['fs.path.sourceraw', 'As fs.path.source, without path resolution'],
  ['fs.path.target', 'For events with a source and target path, the target path'],
  ['fs.path.targetraw', 'As fs.path.target, without path resolution'],
  // container (container plugin)
  ['container.id', "The truncated container ID (first 12 characters); 'host' for host processes"],
  ['container.full_id', 'The full container ID'],
  ['container.name', 'The container name'],
  ['container.image', 'The container image name (e.g. falcosecurity/falco:latest)'],
  ['container.image.id', 'The container image id (e.g. 6f7e2741b66b)'],
  ['container.type', 'The container type (docker, cri-o, containerd …)'],
  ['container.privileged', 'true for containers running as privileged', { type: 'bool' }],
  ['container.mounts', 'A space-separated list of mount information'],
  ['container.mount', 'Information about a single mount, by index or by source path (glob)', { arg: ANY_REQ }],
  ['container.mount.source', 'The mount source, by index or by destination path (glob)', { arg: ANY_REQ }],
  ['container.mount.dest', 'The mount destination, by index or by source path (glob)', { arg: ANY_REQ }],
  ['container.mount.mode', 'The mount mode, by index or by source path (glob)', { arg: ANY_REQ }],
  ['container.mount.rdwr', 'The mount rdwr value, by index or by source path (glob)', { arg: ANY_REQ }],
  ['container.mount.propagation', 'The mount propagation value, by index or by source path (glob)', { arg: ANY_REQ }],
  ['container.image.repository', 'The container image repository (e.g. falcosecurity/falco)'],
  ['container.image.tag', 'The container image tag (e.g. stable, latest)'],
  ['container.image.digest', 'The container image registry digest (e.g. sha256:…)'],
  ['container.healthcheck', "The container's health check; 'NONE' when there is none"],
  ['container.liveness_probe', "The container's liveness probe; 'NONE' when there is none"],
  ['container.readiness_probe', "The container's readiness probe; 'NONE' when there is none"],
  ['container.start_ts', 'Container start, in nanoseconds since the epoch', { type: 'abstime' }],
  ['container.duration', 'Number of nanoseconds since the container started', { type: 'reltime' }],
  ['container.ip', "The container's primary IP address", { type: 'ipaddr' }],
  ['container.cni.json', "The container's CNI result field from the respective pod status info"],
  ['container.host_pid', 'true if the container runs in the host PID namespace', { type: 'bool' }],
  ['container.host_network', 'true if the container runs in the host network namespace', { type: 'bool' }],
  ['container.host_ipc', 'true if the container runs in the host IPC namespace', { type: 'bool' }],
  ['container.label', 'A container label, by name (container.label[app])', { arg: KEY_REQ }],
  ['container.labels', 'All container labels, as key:value pairs separated by commas'],
  ['container.info', 'Deprecated output placeholder; renders nothing', { outputOnly: true }],
  // k8s (container plugin / k8smeta)
  ['k8s.pod.name', 'The Kubernetes pod name'],
  ['k8s.pod.id', 'Legacy Kubernetes pod UID'],
  ['k8s.pod.uid', 'The Kubernetes pod UID'],
  ['k8s.pod.sandbox_id', 'The truncated Kubernetes pod sandbox ID (first 12 characters)'],
  ['k8s.pod.full_sandbox_id', 'The full Kubernetes pod sandbox ID'],
  ['k8s.pod.label', 'A Kubernetes pod label, by name (k8s.pod.label[app])', { arg: KEY_REQ }],
  ['k8s.pod.labels', 'The Kubernetes pod labels, as key:value pairs separated by commas'],
  ['k8s.pod.ip', 'The Kubernetes pod IP (the sandbox IP)', { type: 'ipaddr' }],
  ['k8s.pod.cni.json', "The Kubernetes pod CNI result field from the respective pod status info"],
  ['k8s.ns.name', 'The Kubernetes namespace name'],
  ['k8s.rc.name', 'The Kubernetes replication controller name'],
  ['k8s.rs.name', 'The Kubernetes replica set name'],
  ['k8s.svc.name', 'The Kubernetes service name'],
  ['k8s.deployment.name', 'The Kubernetes deployment name'],
];

// ── lookup and coercion ────────────────────────────────────────────────────

function nested(data: Data, name: string): unknown {
  let cur: unknown = data;
  for (const part of name.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Data)[part];
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** The raw value of `name` (and argument) in an event's data, before derivation and coercion. */
export function lookup(data: Data, name: string, arg?: string): unknown {
  if (arg !== undefined) {
    const direct = data[`${name}[${arg}]`];
    if (direct !== undefined) return direct;
    if (name === 'evt.arg' || name === 'evt.rawarg') {
      const dotted = data[`${name}.${arg}`];
      if (dotted !== undefined) return dotted;
    }
  }
  const value = data[name] ?? (name.includes('.') ? nested(data, name) : undefined);
  if (arg === undefined || value === undefined || value === null) return arg === undefined ? value : undefined;
  if (Array.isArray(value)) return /^\d+$/.test(arg) ? value[Number(arg)] : undefined;
  if (typeof value === 'string' && (name === 'proc.env' || name === 'proc.aenv')) {
    // `KEY=value` entries, as /proc/<pid>/environ renders them (space or NUL separated).
    const entry = value.replaceAll('\0', ' ').split(/\s+/).find((e) => e.startsWith(`${arg}=`));
    return entry?.slice(arg.length + 1);
  }
  if (typeof value === 'object') {
    const obj = value as Data;
    if (Object.hasOwn(obj, arg)) return obj[arg];
    return /^\d+$/.test(arg) ? Object.values(obj)[Number(arg)] : undefined;
  }
  return undefined;
}

function toScalar(v: unknown, type: FieldType): Scalar | undefined {
  if (v === undefined || v === null) return undefined;
  if (NUMERIC_TYPES.has(type)) {
    if (typeof v === 'number') return v;
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
    return undefined;
  }
  if (type === 'bool') {
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 1 || v === '1') return true;
    if (v === 'false' || v === 0 || v === '0') return false;
    return undefined;
  }
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => typeof x !== 'object')) return v.join(' ');
  return jsonText(v);
}

function coerce(v: unknown, type: FieldType, list: boolean): FieldValue | undefined {
  if (v === undefined || v === null) return undefined;
  if (list) {
    const items = (Array.isArray(v) ? v : [v]).map((x) => toScalar(x, type)).filter((x): x is Scalar => x !== undefined);
    return items.length > 0 ? items : undefined;
  }
  return toScalar(v, type);
}

// ── derivations ────────────────────────────────────────────────────────────

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);

const TYPECHARS: Record<string, string> = {
  file: 'f', directory: 'd', ipv4: '4', ipv6: '6', unix: 'u', pipe: 'p', event: 'e', signalfd: 's', eventpoll: 'l', inotify: 'i', timerfd: 't', netlink: 'n', bpf: 'b', userfaultfd: 'r', io_uring: 'r', memfd: 'm', pidfd: 'P',
};
const TYPES_OF_CHAR = Object.fromEntries(Object.entries(TYPECHARS).map(([k, v]) => [v, k]));

const ERRNO: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 4: 'EINTR', 5: 'EIO', 9: 'EBADF', 11: 'EAGAIN', 12: 'ENOMEM', 13: 'EACCES', 14: 'EFAULT', 16: 'EBUSY', 17: 'EEXIST', 20: 'ENOTDIR', 21: 'EISDIR', 22: 'EINVAL', 24: 'EMFILE', 28: 'ENOSPC', 30: 'EROFS', 38: 'ENOSYS', 95: 'EOPNOTSUPP', 98: 'EADDRINUSE', 101: 'ENETUNREACH', 110: 'ETIMEDOUT', 111: 'ECONNREFUSED', 115: 'EINPROGRESS',
};

const OPEN_TYPES = new Set(['open', 'openat', 'openat2', 'open_by_handle_at', 'creat']);

/** `cip:cport->sip:sport` (IPv6 addresses may be bracketed or bare). */
function socketTuple(data: Data): { cip: string; cport: string; sip: string; sport: string } | undefined {
  const name = str(data['fd.name']);
  const m = name ? /^\[?([^\]]+?)\]?:(\d+)->\[?([^\]]+?)\]?:(\d+)$/.exec(name) : null;
  return m ? { cip: m[1]!, cport: m[2]!, sip: m[3]!, sport: m[4]! } : undefined;
}

function isFileFd(data: Data): boolean {
  const tc = str(data['fd.typechar']) ?? TYPECHARS[str(data['fd.type']) ?? ''];
  const name = str(data['fd.name']);
  return name !== undefined && (tc === undefined ? name.startsWith('/') : tc === 'f' || tc === 'd');
}

function openFlags(data: Data): string | undefined {
  if (!OPEN_TYPES.has(String(data['evt.type']))) return undefined;
  return str(lookup(data, 'evt.arg', 'flags'));
}

function imagePart(data: Data, part: 'repository' | 'tag' | 'digest'): string | undefined {
  const image = str(data['container.image']);
  if (!image) return undefined;
  const at = image.indexOf('@');
  const digest = at >= 0 ? image.slice(at + 1) : undefined;
  const name = at >= 0 ? image.slice(0, at) : image;
  const colon = name.lastIndexOf(':');
  const tagged = colon > name.lastIndexOf('/');
  if (part === 'digest') return digest;
  if (part === 'tag') return tagged ? name.slice(colon + 1) : undefined;
  return tagged ? name.slice(0, colon) : name;
}

function rawres(data: Data): number | undefined {
  const v = data['evt.rawres'];
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return undefined;
}

/** The k-th ancestor (1 = parent) from the ancestor array under `name`, or the parent field. */
function ancestorAt(data: Data, name: string, parentField: string | undefined, k: number): unknown {
  const direct = data[`${name}[${k}]`];
  if (direct !== undefined) return direct;
  const arr = data[name];
  if (Array.isArray(arr) && arr[k - 1] !== undefined) return arr[k - 1];
  return k === 1 && parentField ? (data[parentField] ?? derive(data, parentField, undefined)) : undefined;
}

/** Ancestor fields: [self field, parent field]. */
const ANCESTRY: Record<string, [string, string | undefined]> = {
  'proc.aname': ['proc.name', 'proc.pname'],
  'proc.aexe': ['proc.exe', 'proc.pexe'],
  'proc.aexepath': ['proc.exepath', 'proc.pexepath'],
  'proc.acmdline': ['proc.cmdline', 'proc.pcmdline'],
  'proc.apid': ['proc.pid', 'proc.ppid'],
};

function ancestry(data: Data, name: string, arg: string | undefined): unknown {
  const [self, parent] = ANCESTRY[name]!;
  if (arg !== undefined) {
    const k = Number(arg);
    return k === 0 ? (data[self] ?? derive(data, self, undefined)) : ancestorAt(data, name, parent, k);
  }
  const all: unknown[] = [];
  for (let k = 1; k < 64; k++) {
    const v = ancestorAt(data, name, parent, k);
    if (v === undefined) break;
    all.push(v);
  }
  return all.length > 0 ? all : undefined;
}

function mountBy(data: Data, arg: string, pick: string, matchOn: string): unknown {
  const mounts = data['container.mounts'];
  if (!Array.isArray(mounts)) return undefined;
  if (/^\d+$/.test(arg)) return (mounts[Number(arg)] as Data | undefined)?.[pick];
  const rx = globRegex(arg);
  const hit = mounts.find((m) => typeof (m as Data)?.[matchOn] === 'string' && rx.test((m as Data)[matchOn] as string));
  return hit ? (hit as Data)[pick] : undefined;
}

function globRegex(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

/** Values libsinsp derives from other state, computed when the event does not carry them. */
function derive(data: Data, name: string, arg: string | undefined): unknown {
  switch (name) {
    case 'proc.name': {
      const exe = str(data['proc.exepath']) ?? str(data['proc.exe']);
      return exe ? basename(exe) : undefined;
    }
    case 'proc.exepath': {
      const exe = str(data['proc.exe']);
      return exe?.startsWith('/') ? exe : undefined;
    }
    case 'proc.args': {
      const cmd = str(data['proc.cmdline']);
      if (cmd === undefined) return undefined;
      const sp = cmd.indexOf(' ');
      return sp < 0 ? '' : cmd.slice(sp + 1);
    }
    case 'proc.cmdline': {
      const procName = str(data['proc.name']) ?? (derive(data, 'proc.name', undefined) as string | undefined);
      if (procName === undefined) return undefined;
      const args = data['proc.args'];
      const argText = Array.isArray(args) ? args.join(' ') : str(args);
      return argText ? `${procName} ${argText}` : procName;
    }
    case 'proc.pname': {
      const parent = str(data['proc.pexepath']) ?? str(data['proc.pexe']);
      if (parent) return basename(parent);
      return ancestorAt(data, 'proc.aname', undefined, 1);
    }
    case 'proc.pexe':
    case 'proc.pexepath':
    case 'proc.pcmdline':
    case 'proc.ppid': {
      const list = { 'proc.pexe': 'proc.aexe', 'proc.pexepath': 'proc.aexepath', 'proc.pcmdline': 'proc.acmdline', 'proc.ppid': 'proc.apid' }[name];
      return ancestorAt(data, list, undefined, 1);
    }
    case 'proc.aname':
    case 'proc.aexe':
    case 'proc.aexepath':
    case 'proc.acmdline':
    case 'proc.apid':
      return ancestry(data, name, arg);
    case 'proc.cmdnargs': {
      const args = derive(data, 'proc.args', undefined) ?? data['proc.args'];
      return Array.isArray(args) ? args.length : typeof args === 'string' ? args.split(' ').filter(Boolean).length : undefined;
    }
    case 'fd.directory': {
      if (!isFileFd(data)) return undefined;
      const fdName = str(data['fd.name'])!;
      return data['fd.typechar'] === 'd' || data['fd.type'] === 'directory' ? fdName : dirname(fdName);
    }
    case 'fd.filename':
      return isFileFd(data) && !(data['fd.typechar'] === 'd' || data['fd.type'] === 'directory') ? basename(str(data['fd.name'])!) : undefined;
    case 'fd.nameraw':
      return data['fd.name'];
    case 'fd.typechar':
      return TYPECHARS[str(data['fd.type']) ?? ''];
    case 'fd.type':
      return TYPES_OF_CHAR[str(data['fd.typechar']) ?? ''];
    case 'fd.cip':
    case 'fd.sip':
    case 'fd.cport':
    case 'fd.sport': {
      const t = socketTuple(data);
      return t?.[name.slice(3) as 'cip' | 'sip' | 'cport' | 'sport'];
    }
    case 'fd.ip':
    case 'fd.net':
      return [lookupOrDerive(data, 'fd.cip'), lookupOrDerive(data, 'fd.sip')].filter((v) => v !== undefined);
    case 'fd.port':
      return [lookupOrDerive(data, 'fd.cport'), lookupOrDerive(data, 'fd.sport')].filter((v) => v !== undefined);
    case 'fd.proto':
      return [data['fd.cproto'], data['fd.sproto']].filter((v) => v !== undefined);
    case 'fd.cnet':
      return lookupOrDerive(data, 'fd.cip');
    case 'fd.snet':
      return lookupOrDerive(data, 'fd.sip');
    case 'fd.lnet':
      return data['fd.lip'];
    case 'fd.rnet':
      return data['fd.rip'];
    case 'evt.dir':
      return '<';
    case 'evt.is_open_read':
    case 'evt.is_open_write':
    case 'evt.is_open_create': {
      const flags = openFlags(data);
      if (flags === undefined) return undefined;
      if (name === 'evt.is_open_create') return /\bO_CREAT\b/.test(flags);
      const rdwr = /\bO_RDWR\b/.test(flags);
      return name === 'evt.is_open_read' ? rdwr || /\bO_RDONLY\b/.test(flags) : rdwr || /\bO_WRONLY\b/.test(flags);
    }
    case 'evt.res': {
      const r = rawres(data);
      return r === undefined ? undefined : r >= 0 ? 'SUCCESS' : (ERRNO[-r] ?? String(r));
    }
    case 'evt.rawres': {
      return data['evt.res'] === 'SUCCESS' ? 0 : undefined;
    }
    case 'evt.failed': {
      const res = str(data['evt.res']);
      const r = rawres(data);
      return res !== undefined ? res !== 'SUCCESS' : r === undefined ? undefined : r < 0;
    }
    case 'evt.args': {
      const args = data['evt.arg'];
      if (args && typeof args === 'object' && !Array.isArray(args)) return Object.entries(args).map(([k, v]) => `${k}=${jsonText(v)}`).join(' ');
      const flat = Object.keys(data).filter((k) => k.startsWith('evt.arg.'));
      return flat.length > 0 ? flat.map((k) => `${k.slice(8)}=${jsonText(data[k])}`).join(' ') : undefined;
    }
    case 'syscall.type':
      return data['evt.type'];
    case 'container.image.repository':
      return imagePart(data, 'repository');
    case 'container.image.tag':
      return imagePart(data, 'tag');
    case 'container.image.digest':
      return imagePart(data, 'digest');
    case 'container.mount':
      return arg === undefined ? undefined : mountBy(data, arg, 'source', 'source');
    case 'container.mount.source':
      return arg === undefined ? undefined : mountBy(data, arg, 'source', 'dest');
    case 'container.mount.dest':
    case 'container.mount.mode':
    case 'container.mount.rdwr':
    case 'container.mount.propagation':
      return arg === undefined ? undefined : mountBy(data, arg, name.slice('container.mount.'.length), 'source');
    case 'k8s.pod.label':
    case 'container.label': {
      const labels = data[`${name}s`];
      return arg !== undefined && labels && typeof labels === 'object' ? (labels as Data)[arg] : undefined;
    }
    case 'k8s.pod.labels':
    case 'container.labels':
      return undefined;
    case 'evt.count':
      return 1;
    default:
      return undefined;
  }
}

function lookupOrDerive(data: Data, name: string): unknown {
  return lookup(data, name) ?? derive(data, name, undefined);
}

/** Label maps render as `key:value` pairs, as the container plugin prints them. */
function labelsText(v: unknown): unknown {
  if (v && typeof v === 'object' && !Array.isArray(v)) return Object.entries(v).map(([k, x]) => `${k}:${jsonText(x)}`).join(', ');
  return v;
}

function makeField([name, desc, spec = {}]: [string, string, Spec?]): FieldDef {
  const type = spec.type ?? 'string';
  const list = spec.list ?? false;
  const def: FieldDef = {
    name,
    type,
    desc,
    bind(arg) {
      if (spec.arg?.kind === 'index' && arg !== undefined && !/^\d+$/.test(arg)) {
        throw new FieldArgError(`field '${name}' expects a numeric index argument, got '${arg}'`);
      }
      const multi = spec.anyValue === true && arg === undefined;
      const labels = name === 'k8s.pod.labels' || name === 'container.labels';
      const isAncestry = name in ANCESTRY;
      return (evt) => {
        const data = evt.data;
        let v = isAncestry ? derive(data, name, arg) : lookup(data, name, arg);
        if (v === undefined) v = derive(data, name, arg);
        if (labels) v = labelsText(v);
        if (multi) return coerce(Array.isArray(v) ? v : v === undefined ? undefined : [v], type, true);
        return coerce(v, type, list);
      };
    },
  };
  if (list) def.list = true;
  if (spec.arg) def.arg = spec.arg;
  if (spec.dottedArg) def.dottedArg = true;
  if (spec.anyValue) def.anyValue = true;
  if (spec.outputOnly) def.outputOnly = true;
  return def;
}

export const syscallFields: FieldClass = {
  name: 'syscall',
  sources: ['syscall'],
  plugin: { name: 'container', version: CONTAINER_PLUGIN_VERSION },
  fields: TABLE.map(makeField),
};

