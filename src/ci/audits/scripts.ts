/**
 * What `run:` scripts do: ad-hoc package installs, remote scripts piped into a shell,
 * publishing with long-lived tokens (use-trusted-publishing), echoed secrets, shells that defeat
 * analysis (misfeature) and runner debug logging.
 */
import { isScalar } from 'yaml';
import { allContexts } from '../expr/analyze.ts';
import { fileOfStep, usesMatches, withInputs, type CiDocument, type Job, type Step } from '../model.ts';
import { entries, entry, entryRange, scalarText, str, textRangeToSource, type Entry, type Range, type ScalarText } from '../yaml.ts';
import { envScopes, expressionsIn, stepLabelRange, stepRange, stepsOf, type Audit, type AuditContext } from './audit.ts';
import { commandWords, programName, splitCommands, type ShellCommand } from './shell.ts';
import { normalizeShell, stepShell } from './workflow-facts.ts';

interface Script {
  step: Step;
  run: Entry;
  text: ScalarText;
  shell: string;
  commands: ShellCommand[];
}

function scriptOf(step: Step, ctx: AuditContext): Script | undefined {
  if (!step.run || !isScalar(step.run.value) || typeof step.run.value.value !== 'string') return undefined;
  const text = scalarText(ctx.file, step.run.value);
  const shell = stepShell(step);
  return { step, run: step.run, text, shell, commands: splitCommands(text.text, shell) };
}

function commandRange(script: Script, cmd: ShellCommand): Range {
  return textRangeToSource(script.text, cmd.start, cmd.end);
}

// ---------------------------------------------------------------------------------------------
// adhoc-packages

/** Positional arguments (package names) after the subcommand, skipping flags and their values. */
function packageArgs(args: string[], flagsWithValue: string[] = []): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('-')) {
      if (flagsWithValue.includes(a)) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

/** Installs that resolve packages outside a lockfile. */
export function isAdhocInstall(words: string[]): boolean {
  const [program, sub, ...rest] = words;
  switch (programName(program)) {
    case 'gem':
      return (sub === 'install' || sub === 'i') && packageArgs(rest, ['-v', '--version', '-i', '--install-dir', '--source', '-s']).length > 0;
    case 'npm':
      return ['install', 'i', 'add', 'isntall', 'in'].includes(sub ?? '') && packageArgs(rest).length > 0;
    case 'yarn':
      return sub === 'add' && packageArgs(rest).length > 0;
    case 'pnpm':
      return ['add', 'install', 'i'].includes(sub ?? '') && packageArgs(rest).length > 0;
    case 'bundle':
      return sub === 'add' && packageArgs(rest).length > 0;
    default:
      return false;
  }
}

function auditAdhoc(script: Script, ctx: AuditContext): void {
  for (const cmd of script.commands) {
    if (!isAdhocInstall(commandWords(cmd))) continue;
    ctx.reporter.raise({
      rule: 'adhoc-packages',
      severity: 'low',
      confidence: 'high',
      at: commandRange(script, cmd),
      message: 'installs a package outside of a lockfile',
      related: [{ at: entryRange(script.run), message: 'this step' }],
      hidden: [stepRange(script.step)],
    });
  }
}

// ---------------------------------------------------------------------------------------------
// curl-pipe-shell

const DOWNLOADERS = new Set(['curl', 'wget', 'iwr', 'invoke-webrequest', 'irm', 'invoke-restmethod']);
const INTERPRETERS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'fish', 'python', 'python3', 'perl', 'ruby', 'node', 'iex', 'invoke-expression', 'pwsh', 'powershell']);

function auditCurlPipe(script: Script, ctx: AuditContext): void {
  script.commands.forEach((cmd, i) => {
    const words = commandWords(cmd);
    const program = programName(words[0]);
    let hit = false;
    if (DOWNLOADERS.has(program) && cmd.pipesTo) {
      // Follow the pipeline to its consumers: `curl … | sudo bash -s --`.
      for (let j = i + 1; j < script.commands.length; j++) {
        if (INTERPRETERS.has(programName(commandWords(script.commands[j]!)[0]))) hit = true;
        if (!script.commands[j]!.pipesTo) break;
      }
    }
    // `bash <(curl …)` and `sh -c "$(curl …)"`.
    if (INTERPRETERS.has(program) && words.slice(1).some((w) => /^(<\(|\$\()\s*(curl|wget)\b/.test(w) || /\$\((curl|wget)\b/.test(w))) hit = true;
    if (!hit) return;
    ctx.reporter.raise({
      rule: 'curl-pipe-shell',
      severity: 'medium',
      confidence: 'high',
      at: commandRange(script, cmd),
      message: 'downloaded script runs without an integrity check',
      related: [{ at: entryRange(script.run), message: 'this step' }],
      hidden: [stepRange(script.step)],
    });
  });
}

// ---------------------------------------------------------------------------------------------
// use-trusted-publishing

/** Publishing commands of registries that support OIDC trusted publishing, minus dry runs. */
export function tokenPublish(words: string[]): boolean {
  const [program, ...args] = words.map((w, i) => (i === 0 ? programName(w) : w));
  const has = (...flags: string[]) => args.some((a) => flags.includes(a));
  if (program === 'cargo') return args.filter((a) => !a.startsWith('+'))[0] === 'publish' && !has('--dry-run', '-n');
  if (program === 'twine') return args[0] === 'upload';
  if (/^python[\d.]*$/.test(program ?? '') || program === 'py') return args[0] === '-m' && args[1] === 'twine' && args[2] === 'upload';
  if (program === 'pipx') return args[0] === 'run' && /^twine(==.*)?$/.test(args[1] ?? '') && args[2] === 'upload';
  if (program === 'gem') return args[0] === 'push';
  if (program === 'uv' || program === 'poetry' || program === 'hatch' || program === 'pdm' || program === 'flit') return args.includes('publish') && !has('--dry-run');
  if (program === 'dotnet') return args[0] === 'nuget' && args[1] === 'push';
  if (program === 'nuget') return args[0] === 'push';
  return false;
}

/** npm-family publishes: trusted publishing needs `id-token: write` on the job. */
export function npmPublish(words: string[]): boolean {
  const [program, a, b] = words.map((w, i) => (i === 0 ? programName(w) : w));
  if (program === 'npm' || program === 'pnpm') return a === 'publish' && !words.includes('--dry-run');
  if (program === 'yarn') return (a === 'npm' && b === 'publish') || a === 'publish';
  return false;
}

function jobHasIdToken(job: Job | undefined): boolean {
  if (!job) return false;
  const file = job.workflow.file;
  const grants = (e: Entry | undefined): boolean | undefined => {
    if (!e) return undefined;
    if (str(file, e.value) === 'write-all') return true;
    return str(file, entry(file, e.value, 'id-token')?.value) === 'write';
  };
  return grants(job.field('permissions')) ?? grants(job.workflow.field('permissions')) ?? false;
}

function auditPublishCommands(script: Script, ctx: AuditContext): void {
  const idToken = jobHasIdToken(script.step.job);
  for (const cmd of script.commands) {
    const words = commandWords(cmd);
    if (!tokenPublish(words) && !(npmPublish(words) && !idToken)) continue;
    ctx.reporter.raise({
      rule: 'use-trusted-publishing',
      severity: 'info',
      confidence: 'high',
      at: commandRange(script, cmd),
      message: 'this command',
      related: [{ at: entryRange(script.run), message: 'this step' }],
      hidden: [stepRange(script.step)],
    });
  }
}

const PYPI_URLS = [/^https:\/\/upload\.pypi\.org\/legacy\/?$/, /^https:\/\/test\.pypi\.org\/legacy\/?$/];
const NPM_REGISTRY = /^https:\/\/registry\.npmjs\.org\/?$/;
const RUBYGEMS = /^https:\/\/rubygems\.org\/?$/;

/** The input holding a long-lived credential, when the action publishes to a registry with trusted publishing. */
function publishingCredential(step: Step): Entry | undefined {
  const uses = step.uses?.parsed;
  if (!uses) return undefined;
  const inputs = withInputs(step);
  const get = (name: string) => inputs.get(name);
  if (usesMatches(uses, 'pypa/gh-action-pypi-publish')) {
    const url = get('repository-url')?.value ?? get('repository_url')?.value;
    if (url && !PYPI_URLS.some((r) => r.test(url.trim()))) return undefined;
    return get('password')?.entry;
  }
  if (usesMatches(uses, 'rubygems/release-gem')) {
    const setup = get('setup-trusted-publisher');
    return setup && setup.value?.trim() === 'false' ? setup.entry : undefined;
  }
  if (usesMatches(uses, 'rubygems/configure-rubygems-credentials')) {
    const server = get('gem-server')?.value;
    if (server && !RUBYGEMS.test(server.trim())) return undefined;
    return get('api-token')?.entry;
  }
  if (usesMatches(uses, 'actions/setup-node')) {
    const url = get('registry-url')?.value;
    const alwaysAuth = get('always-auth');
    if (url && !NPM_REGISTRY.test(url.trim())) return undefined;
    return alwaysAuth?.value?.trim() === 'true' ? alwaysAuth.entry : undefined;
  }
  return undefined;
}

function auditPublishingActions(step: Step, ctx: AuditContext): void {
  const credential = publishingCredential(step);
  if (!credential || !step.uses) return;
  ctx.reporter.raise({
    rule: 'use-trusted-publishing',
    severity: 'info',
    confidence: 'high',
    at: entryRange(step.uses.entry),
    message: 'this step',
    related: [{ at: entryRange(credential), message: 'uses a manually-configured credential instead of Trusted Publishing' }],
    hidden: [stepRange(step)],
  });
}

// ---------------------------------------------------------------------------------------------
// secrets-echoed

const ENCODERS = new Set(['base64', 'base32', 'xxd', 'od', 'hexdump', 'rev', 'tr', 'sed', 'awk', 'openssl', 'gzip', 'jq']);

/** Names of environment variables the step receives from `secrets.*`. */
function secretEnvNames(step: Step): Set<string> {
  const file = fileOfStep(step);
  const names = new Set<string>();
  for (const scope of envScopes(step)) {
    for (const e of scope) {
      if (expressionsIn(file, e.value).some((x) => x.expr && allContexts(x.expr).some((c) => c.path?.[0] === 'secrets' && c.path[1] !== 'github_token'))) {
        names.add(e.key);
      }
    }
  }
  return names;
}

function mentionsSecret(word: string, envNames: Set<string>): boolean {
  if (/\$\{\{\s*secrets\./i.test(word) && !/secrets\.github_token/i.test(word)) return true;
  for (const name of envNames) {
    if (new RegExp(`\\$\\{?${name}\\b|\\$env:${name}\\b|%${name}%`, 'i').test(word)) return true;
  }
  return false;
}

function auditSecretsEchoed(script: Script, ctx: AuditContext): void {
  const envNames = secretEnvNames(script.step);
  script.commands.forEach((cmd, i) => {
    const words = commandWords(cmd);
    const program = programName(words[0]);
    if (!['echo', 'printf', 'write-host', 'write-output'].includes(program)) return;
    if (!words.slice(1).some((w) => mentionsSecret(w, envNames))) return;
    const next = cmd.pipesTo ? commandWords(script.commands[i + 1] ?? { words: [], start: 0, end: 0, pipesTo: false }) : [];
    const nextProgram = programName(next[0]);
    // Piping a secret into a tool's stdin (`echo "$T" | docker login --password-stdin`) is how it should be done.
    if (cmd.pipesTo && !ENCODERS.has(nextProgram)) return;
    const redirected = cmd.words.some((w) => /^>>?/.test(w)) && !cmd.words.some((w) => /GITHUB_(ENV|OUTPUT|STEP_SUMMARY)/.test(w));
    const transformed = ENCODERS.has(nextProgram);
    // Printed as is, the runner masks the value: only a smell, unless it is multi-line.
    ctx.reporter.raise({
      rule: 'secrets-echoed',
      severity: transformed || redirected ? 'high' : 'low',
      confidence: transformed || redirected ? 'high' : 'medium',
      persona: transformed || redirected ? 'regular' : 'pedantic',
      at: commandRange(script, cmd),
      message: transformed
        ? `secret printed through ${nextProgram}: the log masker does not recognise the transformed value`
        : redirected
          ? 'secret written to a file, outside the log masker\'s reach'
          : 'secret printed to the log (masking fails for multi-line or partial values)',
      hidden: [stepRange(script.step)],
    });
  });
}

// ---------------------------------------------------------------------------------------------
// misfeature

const WELL_KNOWN_SHELLS = new Set(['bash', 'sh', 'pwsh', 'powershell', 'cmd', 'python']);

function shellDefinition(step: Step): { entry: Entry; message: string } | undefined {
  if (step.shell) return { entry: step.shell, message: 'shell defined here' };
  const job = step.job;
  if (!job) return undefined;
  const file = job.workflow.file;
  const jobShell = entry(file, entry(file, job.field('defaults')?.value, 'run')?.value, 'shell');
  if (jobShell) return { entry: jobShell, message: 'job default shell defined here' };
  const wfShell = entry(file, entry(file, job.workflow.field('defaults')?.value, 'run')?.value, 'shell');
  return wfShell ? { entry: wfShell, message: 'workflow default shell defined here' } : undefined;
}

function auditMisfeature(step: Step, ctx: AuditContext): void {
  if (step.uses && usesMatches(step.uses.parsed, 'actions/setup-python')) {
    const pip = withInputs(step).get('pip-install');
    if (pip) {
      ctx.reporter.raise({
        rule: 'misfeature',
        severity: 'low',
        confidence: 'high',
        at: entryRange(pip.entry),
        message: 'installs packages in a brittle manner',
        hidden: [stepRange(step)],
      });
    }
  }
  if (!step.run) return;
  const def = shellDefinition(step);
  const raw = def ? str(ctx.file, def.entry.value) : null;
  if (!def || raw === null || raw.includes('${{')) return;
  const shell = normalizeShell(raw);
  if (shell === 'cmd') {
    ctx.reporter.raise({
      rule: 'misfeature',
      severity: 'low',
      confidence: 'high',
      at: entryRange(def.entry),
      message: def.message,
      related: [{ at: stepLabelRange(step), message: 'Windows CMD shell limits analysis' }],
      hidden: [stepRange(step)],
    });
  } else if (!WELL_KNOWN_SHELLS.has(shell)) {
    ctx.reporter.raise({
      rule: 'misfeature',
      severity: 'low',
      confidence: 'high',
      persona: 'auditor',
      at: entryRange(def.entry),
      message: def.message,
      related: [{ at: stepLabelRange(step), message: 'uses a non-well-known shell' }],
      hidden: [stepRange(step)],
    });
  }
}

// ---------------------------------------------------------------------------------------------
// debug-enabled

const DEBUG_VARIABLES = ['ACTIONS_STEP_DEBUG', 'ACTIONS_RUNNER_DEBUG'];

function auditDebug(doc: CiDocument, ctx: AuditContext): void {
  const envs: (Entry | undefined)[] = [];
  if (doc.kind === 'workflow') envs.push(doc.field('env'), ...doc.jobs.map((j) => j.field('env')));
  envs.push(...stepsOf(doc).map((s) => s.env));
  for (const env of envs) {
    for (const e of entries(ctx.file, env?.value)) {
      if (!DEBUG_VARIABLES.includes(e.key) || (str(ctx.file, e.value) ?? '').trim().toLowerCase() !== 'true') continue;
      ctx.reporter.raise({ rule: 'debug-enabled', severity: 'low', confidence: 'high', at: entryRange(e), message: `${e.key} enables debug logging` });
    }
  }
}

export const scriptsAudit: Audit = {
  rules: ['adhoc-packages', 'curl-pipe-shell', 'use-trusted-publishing', 'secrets-echoed', 'misfeature', 'debug-enabled'],
  raw(doc, ctx) {
    if (doc.kind === 'dependabot') return;
    for (const step of stepsOf(doc)) {
      auditPublishingActions(step, ctx);
      auditMisfeature(step, ctx);
      const script = scriptOf(step, ctx);
      if (!script) continue;
      auditAdhoc(script, ctx);
      auditCurlPipe(script, ctx);
      auditPublishCommands(script, ctx);
      auditSecretsEchoed(script, ctx);
    }
    auditDebug(doc, ctx);
  },
};
