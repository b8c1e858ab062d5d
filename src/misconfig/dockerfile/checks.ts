/**
 * Built-in Dockerfile checks (`PAL-DF-…`), with Trivy's DS ids as aliases where the check is the
 * same. Each check reads the parsed Dockerfile and reports the line of the offending instruction.
 *
 * Image-size hygiene (recommends, apt lists, apk cache) only matters for what ships: those checks
 * look at the final stage and the stages it builds on, not at throw-away build stages.
 */
import type { Severity } from '../../core/types.ts';
import type { CheckMeta } from '../check.ts';
import { credentialFormat, isLiteralSecretValue, isSecretName, redact } from '../credentials.ts';
import { imageTagAndDigest } from '../image-ref.ts';
import { argDeclarations, envDeclarations, type Dockerfile, type Instruction, type Stage } from './parser.ts';
import { simpleCommands, type SimpleCommand } from './shell.ts';

export interface DockerfileHit {
  check: CheckMeta;
  line: number;
  message: string;
  value?: string;
  stage?: Stage;
}

interface DockerfileCheck {
  meta: CheckMeta;
  run(df: Dockerfile): Omit<DockerfileHit, 'check'>[];
}

const DOCKERFILE_REFERENCE = 'https://docs.docker.com/reference/dockerfile/';
const BEST_PRACTICES = 'https://docs.docker.com/build/building/best-practices/';

function meta(id: string, severity: Severity, title: string, description: string, remediation: string, trivy: string[], references: string[]): CheckMeta {
  return { id, type: 'dockerfile', severity, title, description, remediation, references, trivy, implementation: 'typescript' };
}

/* ─────────────────────────── helpers ─────────────────────────── */

/** The last stage and every stage it builds on (`FROM build AS final`): what the image ships. */
function shippedStages(df: Dockerfile): Stage[] {
  const out: Stage[] = [];
  let s: Stage | undefined = df.stages[df.stages.length - 1];
  while (s && !out.includes(s)) {
    out.push(s);
    s = s.parent !== undefined ? df.stages[s.parent] : undefined;
  }
  return out;
}

/** Instructions of the given stages, ONBUILD triggers included (they run in child builds). */
function instructionsOf(stages: readonly Stage[], keyword: string): Instruction[] {
  return stages.flatMap((s) => s.instructions.map((i) => i.onbuild ?? i).filter((i) => i.keyword === keyword));
}

/** The shell script(s) of a RUN: heredoc bodies, the exec form's words, or the shell-form text. */
function runScript(ins: Instruction): string {
  if (ins.json) return ins.json.map((w) => (/[\s"'$]/.test(w) ? `'${w.replace(/'/g, `'\\''`)}'` : w)).join(' ');
  const parts = [ins.args];
  for (const h of ins.heredocs) parts.push(h.content);
  return parts.join('\n');
}

function runCommands(ins: Instruction): SimpleCommand[] {
  return simpleCommands(runScript(ins));
}

/** A RUN with a cache mount on a directory under `prefix` keeps the package cache out of the image. */
function hasCacheMount(ins: Instruction, prefix: string): boolean {
  const mount = ins.flags.mount ?? '';
  return /type=cache/.test(mount) && new RegExp(`target=${prefix.replace(/\//g, '\\/')}`).test(mount);
}

function isAptInstall(cmd: SimpleCommand): boolean {
  return (cmd.name === 'apt-get' || cmd.name === 'apt') && cmd.args.includes('install');
}

/** Package arguments of `apt-get install` (options and their values left out). */
function aptPackages(cmd: SimpleCommand): string[] {
  const out: string[] = [];
  const args = cmd.args.slice(cmd.args.indexOf('install') + 1);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-o' || a === '-t' || a === '--target-release') i++;
    else if (!a.startsWith('-') && a !== '') out.push(a);
  }
  return out;
}

const ROOT_USERS = new Set(['root', '0']);

/** A base image known to run as a non-root user by default (distroless `:nonroot` and `-nonroot` tags). */
function baseRunsAsNonRoot(stage: Stage): boolean {
  return /[:-]nonroot(\b|$)/.test(stage.base);
}

/** The user the stage runs as: its last USER, else its parent stage's, else undefined (the base image's). */
function effectiveUser(df: Dockerfile, stage: Stage): { user: string; ins: Instruction } | undefined {
  const users = stage.instructions.filter((i) => i.keyword === 'USER');
  const last = users[users.length - 1];
  if (last) return { user: last.args.trim(), ins: last };
  return stage.parent !== undefined ? effectiveUser(df, df.stages[stage.parent]!) : undefined;
}

function stageIsBuiltIn(stage: Stage): boolean {
  return stage.parent !== undefined || stage.base.toLowerCase() === 'scratch';
}

/* ─────────────────────────── checks ─────────────────────────── */

const rootUser: DockerfileCheck = {
  meta: meta(
    'PAL-DF-001',
    'HIGH',
    'Image runs as root',
    'The final stage sets no USER (or sets root), so the container runs as root unless the runtime overrides it. A process escaping the application then has root in the container, and on the host when user namespaces are not used.',
    'Add `USER <non-root user or UID>` to the final stage, after the steps that need root.',
    ['DS-0002'],
    [`${BEST_PRACTICES}#user`],
  ),
  run(df) {
    const last = df.stages[df.stages.length - 1];
    if (!last) return [];
    const user = effectiveUser(df, last);
    if (user) {
      const name = user.user.split(':')[0]!.trim();
      return ROOT_USERS.has(name) ? [{ line: user.ins.line, message: `the final stage runs as ${name}`, value: `USER ${user.user}`, stage: last }] : [];
    }
    let base: Stage = last;
    while (base.parent !== undefined) base = df.stages[base.parent]!;
    if (baseRunsAsNonRoot(base)) return [];
    return [{ line: last.from.line, message: 'the final stage sets no USER: it runs as root unless the base image changed the user', value: `FROM ${last.baseRaw}`, stage: last }];
  },
};

const latestBase: DockerfileCheck = {
  meta: meta(
    'PAL-DF-002',
    'MEDIUM',
    'Base image uses the latest tag or no tag',
    'A base image without a tag (or with `latest`) changes whenever the upstream publishes, so builds are not reproducible and a rebuild can silently pull a different, possibly broken or compromised, image.',
    'Pin the base image to a specific version tag, and ideally to a digest (`image:1.2.3@sha256:…`).',
    ['DS-0001'],
    [`${BEST_PRACTICES}#from`],
  ),
  run(df) {
    return df.stages
      .filter((s) => !stageIsBuiltIn(s) && s.baseResolved)
      .flatMap((s) => {
        const { tag, digest } = imageTagAndDigest(s.base);
        if (digest !== undefined) return [];
        if (tag !== undefined && tag !== 'latest') return [];
        return [{ line: s.from.line, message: tag === 'latest' ? `${s.base} uses the latest tag` : `${s.base} has no tag (defaults to latest)`, value: `FROM ${s.base}`, stage: s }];
      });
  },
};

const addUrl: DockerfileCheck = {
  meta: meta(
    'PAL-DF-003',
    'MEDIUM',
    'ADD downloads a remote URL without a checksum',
    'ADD with a URL fetches a file at build time without verifying it: whoever controls the server (or the network) controls what goes into the image.',
    'Download with `ADD --checksum=sha256:… <url>`, or with curl/wget in a RUN step that verifies a checksum or signature.',
    [],
    [`${DOCKERFILE_REFERENCE}#add`],
  ),
  run(df) {
    return df.stages.flatMap((s) =>
      instructionsOf([s], 'ADD')
        .filter((ins) => ins.flags.checksum === undefined)
        .flatMap((ins) => addSources(ins).filter(isRemoteHttp).map((src) => ({ line: ins.line, message: `ADD fetches ${src} unverified`, value: `ADD ${src}`, stage: s }))),
    );
  },
};

const addInsteadOfCopy: DockerfileCheck = {
  meta: meta(
    'PAL-DF-004',
    'LOW',
    'ADD used where COPY would do',
    'ADD also extracts archives and fetches URLs; for plain local files COPY says what happens and nothing more.',
    'Use COPY for local files and directories; keep ADD for archives that must be extracted.',
    ['DS-0005'],
    [`${BEST_PRACTICES}#add-or-copy`],
  ),
  run(df) {
    return df.stages.flatMap((s) =>
      instructionsOf([s], 'ADD')
        .filter((ins) => ins.heredocs.length === 0)
        .filter((ins) => {
          const sources = addSources(ins);
          return sources.length > 0 && sources.every((src) => !isRemote(src) && !isArchive(src));
        })
        .map((ins) => ({ line: ins.line, message: 'ADD copies local files; COPY is enough', value: `ADD ${ins.args}`, stage: s })),
    );
  },
};

function addSources(ins: Instruction): string[] {
  const words = ins.json ?? ins.args.split(/\s+/).filter((w) => w !== '');
  return words.slice(0, -1);
}

function isRemoteHttp(src: string): boolean {
  return /^https?:\/\//i.test(src) && !/\.git(#.*)?$/i.test(src);
}

function isRemote(src: string): boolean {
  return /^(https?|git|ssh):\/\//i.test(src) || /^git@/.test(src);
}

function isArchive(src: string): boolean {
  return /\.(tar|tgz|tbz2?|txz|tar\.(gz|bz2|xz|zst|lz4)|gz|bz2|xz|zst)$/i.test(src);
}

const secretsInEnv: DockerfileCheck = {
  meta: meta(
    'PAL-DF-005',
    'HIGH',
    'Secret in ENV or ARG',
    'ENV values are stored in the image configuration and ARG values in the build history: anyone who can pull the image can read them.',
    'Pass secrets at build time with `RUN --mount=type=secret`, and at run time through the orchestrator (Kubernetes Secrets, environment injected at deploy).',
    ['DS-0031'],
    ['https://docs.docker.com/build/building/secrets/'],
  ),
  run(df) {
    const out: Omit<DockerfileHit, 'check'>[] = [];
    for (const ins of [...df.globalArgs, ...df.stages.flatMap((s) => s.instructions)]) {
      const decls =
        ins.keyword === 'ENV'
          ? envDeclarations(ins)
          : ins.keyword === 'ARG'
            ? argDeclarations(ins).flatMap((d) => (d.value === undefined ? [] : [{ name: d.name, value: d.value }]))
            : [];
      for (const { name, value } of decls) {
        const format = credentialFormat(value);
        if (format || (isSecretName(name) && isLiteralSecretValue(value))) {
          const stage = ins.stage >= 0 ? df.stages[ins.stage] : undefined;
          out.push({
            line: ins.line,
            message: `${ins.keyword} ${name} holds ${format ?? 'a literal secret'}`,
            value: `${ins.keyword} ${name}=${redact(value)}`,
            ...(stage && { stage }),
          });
        }
      }
    }
    return out;
  },
};

const noHealthcheck: DockerfileCheck = {
  meta: meta(
    'PAL-DF-006',
    'LOW',
    'No HEALTHCHECK',
    'Without a HEALTHCHECK, Docker and Compose cannot tell a running container from a working one. (Kubernetes ignores HEALTHCHECK and uses probes instead.)',
    'Add `HEALTHCHECK CMD <command that fails when the service is unhealthy>` to the final stage, or `HEALTHCHECK NONE` to say none is wanted.',
    ['DS-0026'],
    [`${DOCKERFILE_REFERENCE}#healthcheck`],
  ),
  run(df) {
    const last = df.stages[df.stages.length - 1];
    if (!last || instructionsOf(shippedStages(df), 'HEALTHCHECK').length > 0) return [];
    return [{ line: last.from.line, message: 'the image defines no HEALTHCHECK', stage: last }];
  },
};

const aptRecommends: DockerfileCheck = {
  meta: meta(
    'PAL-DF-007',
    'LOW',
    'apt-get install without --no-install-recommends',
    'Recommended packages are not needed to run the application; installing them grows the image and its attack surface.',
    'Add `--no-install-recommends` to `apt-get install`.',
    ['DS-0029'],
    [`${BEST_PRACTICES}#apt-get`],
  ),
  run(df) {
    return aptRuns(df, shippedStages(df))
      .filter(({ cmd }) => !cmd.args.includes('--no-install-recommends') && !cmd.args.some((a) => /Install-Recommends=(false|0)/i.test(a)))
      .map(({ ins, stage, cmd }) => ({ line: ins.line, message: 'apt-get install also installs recommended packages', value: `${cmd.name} ${cmd.args.join(' ')}`, stage }));
  },
};

const aptPinning: DockerfileCheck = {
  meta: meta(
    'PAL-DF-008',
    'LOW',
    'apt-get install without version pinning',
    'Unpinned packages install whatever version the mirror has on the day of the build: builds are not reproducible and can change behaviour without a code change.',
    'Pin versions (`apt-get install curl=7.88.1-10+deb12u5`), or pin the base image by digest and rebuild deliberately.',
    [],
    [`${BEST_PRACTICES}#apt-get`],
  ),
  run(df) {
    return aptRuns(df, df.stages).flatMap(({ ins, stage, cmd }) => {
      const unpinned = aptPackages(cmd).filter((p) => !p.includes('=') && !p.endsWith('.deb'));
      return unpinned.length === 0 ? [] : [{ line: ins.line, message: `unpinned packages: ${unpinned.join(', ')}`, value: unpinned.join(' '), stage }];
    });
  },
};

const aptCleanup: DockerfileCheck = {
  meta: meta(
    'PAL-DF-009',
    'LOW',
    'apt lists not removed after apt-get install',
    'The package lists apt-get update downloads stay in the layer unless the same RUN removes them, growing the image for nothing.',
    'End the RUN that installs packages with `&& rm -rf /var/lib/apt/lists/*`, or use a cache mount (`RUN --mount=type=cache,target=/var/lib/apt/lists …`).',
    [],
    [`${BEST_PRACTICES}#apt-get`],
  ),
  run(df) {
    const seen = new Set<Instruction>();
    return aptRuns(df, shippedStages(df)).flatMap(({ ins, stage }) => {
      if (seen.has(ins)) return [];
      seen.add(ins);
      if (hasCacheMount(ins, '/var/lib/apt') || /rm\s+(-\w+\s+)*[^&;|]*\/var\/lib\/apt\/lists/.test(runScript(ins))) return [];
      return [{ line: ins.line, message: 'apt-get install without `rm -rf /var/lib/apt/lists/*` in the same RUN', stage }];
    });
  },
};

function aptRuns(df: Dockerfile, stages: readonly Stage[]): { ins: Instruction; stage: Stage; cmd: SimpleCommand }[] {
  return stages.flatMap((stage) =>
    instructionsOf([stage], 'RUN').flatMap((ins) => runCommands(ins).filter(isAptInstall).map((cmd) => ({ ins, stage, cmd }))),
  );
}

const apkNoCache: DockerfileCheck = {
  meta: meta(
    'PAL-DF-010',
    'LOW',
    'apk add without --no-cache',
    'Without --no-cache, apk keeps its index in /var/cache/apk and the layer carries it.',
    'Use `apk add --no-cache <packages>`.',
    ['DS-0025'],
    ['https://wiki.alpinelinux.org/wiki/Alpine_Package_Keeper#Local_Cache'],
  ),
  run(df) {
    return shippedStages(df).flatMap((stage) =>
      instructionsOf([stage], 'RUN')
        .filter((ins) => !hasCacheMount(ins, '/var/cache/apk') && !/rm\s+(-\w+\s+)*[^&;|]*\/var\/cache\/apk/.test(runScript(ins)))
        .flatMap((ins) =>
          runCommands(ins)
            .filter((c) => c.name === 'apk' && c.args.includes('add') && !c.args.includes('--no-cache'))
            .map((c) => ({ line: ins.line, message: 'apk add keeps its cache in the layer', value: `apk ${c.args.join(' ')}`, stage })),
        ),
    );
  },
};

const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'ash', 'python', 'python3', 'perl', 'ruby', 'node']);

const pipeToShell: DockerfileCheck = {
  meta: meta(
    'PAL-DF-011',
    'HIGH',
    'Remote script piped into a shell',
    '`curl … | sh` runs whatever the server returns at build time, unverified: a compromised server, DNS or mirror runs code in your build.',
    'Download the script, verify its checksum or signature, then run it; or install the tool from a package manager with signed packages.',
    [],
    ['https://docs.docker.com/build/building/best-practices/#using-pipes'],
  ),
  run(df) {
    return df.stages.flatMap((stage) =>
      instructionsOf([stage], 'RUN').flatMap((ins) => {
        const script = runScript(ins);
        const piped = runCommands(ins).some((c) => (c.name === 'curl' || c.name === 'wget') && c.pipedTo !== undefined && SHELLS.has(shellName(c.pipedTo)));
        const substituted = /\b(sh|bash|zsh)\s+(-c\s+)?["']?(<\(|\$\()\s*(curl|wget)\b/.test(script);
        return piped || substituted ? [{ line: ins.line, message: 'a downloaded script runs without verification', value: oneLine(script), stage }] : [];
      }),
    );
  },
};

function shellName(cmd: SimpleCommand): string {
  return cmd.name.replace(/^.*\//, '');
}

const sudo: DockerfileCheck = {
  meta: meta(
    'PAL-DF-012',
    'MEDIUM',
    'RUN uses sudo',
    'sudo in a Dockerfile means the image ships sudo (a setuid binary) and has unpredictable TTY and signal behaviour; build steps already run as the current USER.',
    'Run the steps that need root before switching USER, without sudo (use gosu/su-exec at run time if you must drop privileges).',
    ['DS-0010'],
    [`${BEST_PRACTICES}#user`],
  ),
  run(df) {
    return df.stages.flatMap((stage) =>
      instructionsOf([stage], 'RUN')
        .filter((ins) => runCommands(ins).some((c) => c.sudo))
        .map((ins) => ({ line: ins.line, message: 'RUN calls sudo', value: oneLine(runScript(ins)), stage })),
    );
  },
};

const runCd: DockerfileCheck = {
  meta: meta(
    'PAL-DF-013',
    'LOW',
    'RUN cd instead of WORKDIR',
    '`cd` in a RUN only lasts for that RUN; WORKDIR states the working directory for every later instruction and is easier to follow.',
    'Use `WORKDIR /path` instead of `RUN cd /path && …`.',
    ['DS-0013'],
    [`${BEST_PRACTICES}#workdir`],
  ),
  run(df) {
    return df.stages.flatMap((stage) =>
      instructionsOf([stage], 'RUN')
        .filter((ins) => runCommands(ins)[0]?.name === 'cd')
        .map((ins) => ({ line: ins.line, message: 'RUN starts with cd', value: oneLine(runScript(ins)), stage })),
    );
  },
};

const exposeSsh: DockerfileCheck = {
  meta: meta(
    'PAL-DF-014',
    'LOW',
    'Port 22 exposed',
    'Exposing SSH suggests the container runs an SSH server: one more service to patch and a way in that bypasses the orchestrator (use `kubectl exec` / `docker exec`).',
    'Remove `EXPOSE 22` and the SSH server from the image.',
    ['DS-0004'],
    [`${DOCKERFILE_REFERENCE}#expose`],
  ),
  run(df) {
    return df.stages.flatMap((stage) =>
      instructionsOf([stage], 'EXPOSE')
        .filter((ins) => ins.args.split(/\s+/).some((p) => exposesPort(p, 22)))
        .map((ins) => ({ line: ins.line, message: 'EXPOSE includes port 22 (SSH)', value: `EXPOSE ${ins.args}`, stage })),
    );
  },
};

function exposesPort(spec: string, port: number): boolean {
  const m = /^(\d+)(?:-(\d+))?(?:\/\w+)?$/.exec(spec);
  if (!m) return false;
  const low = Number(m[1]);
  const high = m[2] !== undefined ? Number(m[2]) : low;
  return port >= low && port <= high;
}

function oneLine(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > 120 ? `${t.slice(0, 119)}…` : t;
}

export const DOCKERFILE_CHECKS: readonly DockerfileCheck[] = [
  rootUser,
  latestBase,
  addUrl,
  addInsteadOfCopy,
  secretsInEnv,
  noHealthcheck,
  aptRecommends,
  aptPinning,
  aptCleanup,
  apkNoCache,
  pipeToShell,
  sudo,
  runCd,
  exposeSsh,
];

/** Every check's hits on a parsed Dockerfile, in check order. */
export function checkDockerfile(df: Dockerfile): DockerfileHit[] {
  return DOCKERFILE_CHECKS.flatMap((c) => c.run(df).map((hit) => ({ ...hit, check: c.meta })));
}
