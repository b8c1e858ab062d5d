/**
 * Code injection: `${{ }}` expansions inside code (template-injection), environment-file writes
 * in attacker-triggerable workflows (github-env) and re-enabled workflow commands
 * (insecure-commands).
 */
import { isScalar } from 'yaml';
import { capabilityOf } from '../contexts.ts';
import { dataflowContexts, type ContextRef } from '../expr/analyze.ts';
import { trimmedBareSpan } from '../expr/parse.ts';
import type { CiSeverity, Confidence, Persona } from '../findings.ts';
import { fileOfStep, usesMatches, withInputs, type Step, type Workflow } from '../model.ts';
import { entries, entryRange, scalarText, str, type Entry, type Range } from '../yaml.ts';
import {
  envIsStatic,
  expressionsIn,
  matrixOf,
  matrixValues,
  sourceRange,
  stepRange,
  stepsOf,
  type Audit,
  type AuditContext,
} from './audit.ts';
import { dangerousTriggers, stepShell } from './workflow-facts.ts';

/**
 * Action inputs that are executed as code (scripts, commands, expressions). GitHub-script's
 * `script` is the best known; the others are popular actions whose documentation says the
 * input is run by a shell or interpreter.
 */
const CODE_INPUTS: { pattern: string; inputs: string[] }[] = [
  { pattern: 'actions/github-script', inputs: ['script'] },
  { pattern: 'mikefarah/yq', inputs: ['cmd'] },
  { pattern: 'amadevus/pwsh-script', inputs: ['script'] },
  { pattern: 'jannekem/run-python-script-action', inputs: ['script'] },
  { pattern: 'cardinalby/js-eval-action', inputs: ['expression'] },
  { pattern: 'addnab/docker-run-action', inputs: ['run', 'options'] },
  { pattern: 'appleboy/ssh-action', inputs: ['script'] },
  { pattern: 'garygrossgarten/github-action-ssh', inputs: ['command'] },
  { pattern: 'nick-fields/retry', inputs: ['command'] },
  { pattern: 'wandalen/wretry.action', inputs: ['command'] },
  { pattern: 'azure/cli', inputs: ['inlineScript'] },
  { pattern: 'azure/powershell', inputs: ['inlineScript'] },
  { pattern: 'cloudflare/wrangler-action', inputs: ['command', 'preCommands', 'postCommands'] },
  { pattern: 'tibdex/backport', inputs: ['title_template', 'body_template'] },
];

interface CodeSink {
  value: Entry;
  related: { at: Range; message: string }[];
}

/** Where a step's code lives: its `run:` script or the code inputs of the action it uses. */
function codeSinks(step: Step): CodeSink[] {
  if (step.run) return [{ value: step.run, related: [{ at: entryRange(step.run), message: 'this run block' }] }];
  const uses = step.uses;
  if (!uses || uses.parsed.kind !== 'repository') return [];
  const sink = CODE_INPUTS.find((s) => usesMatches(uses.parsed, s.pattern));
  if (!sink) return [];
  const inputs = withInputs(step);
  return sink.inputs.flatMap((name) => {
    const input = inputs.get(name);
    if (!input) return [];
    return [
      {
        value: input.entry,
        related: [
          { at: entryRange(uses.entry), message: 'action accepts arbitrary code' },
          { at: entryRange(input.entry), message: 'via this input' },
        ],
      },
    ];
  });
}

interface Verdict {
  severity: CiSeverity;
  confidence: Confidence;
  persona: Persona;
}

/**
 * How dangerous one context is inside code. Event payload fields are graded by what an attacker
 * controls; inputs and computed env values may carry attacker data; a matrix only when it is
 * built from an expression; other contexts rarely but possibly.
 */
function contextVerdict(ctx: ContextRef, step: Step): Verdict | undefined {
  const path = ctx.path;
  if (!path) return { severity: 'info', confidence: 'low', persona: 'regular' };
  const capability = capabilityOf(path);
  if (capability === 'fixed') return undefined;
  if (capability === 'arbitrary') return { severity: 'high', confidence: 'high', persona: 'regular' };
  if (capability === 'structured') return { severity: 'medium', confidence: 'high', persona: 'regular' };
  const head = path[0];
  if (head === 'secrets') return undefined;
  if (head === 'inputs') return { severity: 'low', confidence: 'low', persona: 'regular' };
  if (head === 'env') {
    return path.length === 2 && envIsStatic(step, path[1]!)
      ? { severity: 'low', confidence: 'high', persona: 'pedantic' }
      : { severity: 'low', confidence: 'high', persona: 'regular' };
  }
  if (head === 'github') return { severity: 'high', confidence: 'high', persona: 'regular' };
  if (head === 'matrix') {
    const matrix = matrixOf(step.job);
    if (!matrix || path.length < 2) return undefined;
    const { dynamic } = matrixValues(fileOfStep(step), matrix, path[1]!);
    return dynamic ? { severity: 'medium', confidence: 'medium', persona: 'regular' } : undefined;
  }
  return { severity: 'info', confidence: 'low', persona: 'regular' };
}

function auditTemplateInjection(step: Step, ctx: AuditContext): void {
  for (const sink of codeSinks(step)) {
    for (const occurrence of expressionsIn(ctx.file, sink.value.value)) {
      if (!occurrence.expr) continue;
      const seen = new Set<number>();
      let raised = false;
      for (const ref of dataflowContexts(occurrence.expr)) {
        const verdict = contextVerdict(ref, step);
        if (!verdict || seen.has(ref.span.start)) continue;
        seen.add(ref.span.start);
        raised = true;
        ctx.reporter.raise({
          rule: 'template-injection',
          ...verdict,
          at: sourceRange(occurrence.text, ref.span),
          message: `${occurrence.text.text.slice(ref.span.start, ref.span.end).replace(/\s+/g, ' ')} may expand into attacker-controllable code`,
          related: sink.related,
          hidden: [stepRange(step)],
        });
      }
      // Any expansion inside code is a smell even when it looks safe today.
      if (!raised) {
        ctx.reporter.raise({
          rule: 'template-injection',
          severity: 'low',
          confidence: 'high',
          persona: 'pedantic',
          at: sourceRange(occurrence.text, trimmedBareSpan(occurrence.fenced)),
          message: `\${{ ${occurrence.fenced.bare.trim().replace(/\s+/g, ' ')} }} may expand into attacker-controllable code`,
          related: sink.related,
          hidden: [stepRange(step)],
        });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// github-env

const ENV_FILE = 'GITHUB_ENV|GITHUB_PATH';
/** `… >> $GITHUB_ENV`, `> "${GITHUB_PATH}"`, pwsh `>> $env:GITHUB_ENV`, cmd `>> %GITHUB_ENV%`. */
const REDIRECT = new RegExp(`(>>?|\\|\\s*tee(?:\\s+-a|\\s+--append)?)\\s*"?(\\$\\{?(?:env:)?(${ENV_FILE})\\}?|%(${ENV_FILE})%)"?`, 'i');
/** PowerShell cmdlets that write a file named by a later argument. */
const PWSH_WRITE = new RegExp(`\\b(Out-File|Add-Content|Set-Content|Tee-Object)\\b.*\\$env:(${ENV_FILE})`, 'i');

/** Writes to GITHUB_ENV/GITHUB_PATH whose content is not a plain literal, with their offsets in the script. */
export function environmentFileWrites(script: string, shell: string): { destination: string; offset: number }[] {
  const out: { destination: string; offset: number }[] = [];
  let offset = 0;
  for (const line of script.split('\n')) {
    const write = matchWrite(line);
    if (write && !isLiteralEcho(line.slice(0, write.index).trim(), shell)) {
      out.push({ destination: write.destination, offset: offset + write.index });
    }
    offset += line.length + 1;
  }
  return out;
}

function matchWrite(line: string): { destination: string; index: number } | undefined {
  const m = REDIRECT.exec(line);
  if (m) {
    const name = (m[3] ?? m[4])!.toUpperCase();
    return { destination: /\$\{?env:/i.test(m[2]!) ? `$env:${name}` : name, index: m.index };
  }
  const p = PWSH_WRITE.exec(line);
  return p ? { destination: `$env:${p[2]!.toUpperCase()}`, index: p.index } : undefined;
}

/** `echo foo=bar` with only literal words: harmless. Variables, substitutions or other commands are not. */
function isLiteralEcho(command: string, shell: string): boolean {
  const m = /^(echo|printf)\s+(.*)$/.exec(command);
  if (!m) return false;
  const args = m[2]!;
  if (/\$|`/.test(args)) return false;
  if (shell === 'cmd' && /%\w+%/.test(args)) return false;
  return true;
}

function auditGithubEnv(step: Step, ctx: AuditContext, dangerous: boolean): void {
  if (!step.run || !isScalar(step.run.value) || typeof step.run.value.value !== 'string') return;
  if (step.job && !dangerous) return;
  const shell = stepShell(step);
  const text = scalarText(ctx.file, step.run.value);
  for (const write of environmentFileWrites(text.text, shell)) {
    ctx.reporter.raise({
      rule: 'github-env',
      severity: 'high',
      confidence: 'low',
      at: entryRange(step.run),
      message: `write to ${write.destination} may allow code execution`,
      hidden: [stepRange(step)],
    });
  }
}

// ---------------------------------------------------------------------------------------------
// insecure-commands

const UNSECURE = 'ACTIONS_ALLOW_UNSECURE_COMMANDS';

function auditInsecureCommands(envEntry: Entry | undefined, ctx: AuditContext): void {
  if (!envEntry) return;
  if (isScalar(envEntry.value)) {
    // `env: ${{ … }}` can produce any variable, this one included.
    if (String(envEntry.value.value ?? '').includes('${{')) {
      ctx.reporter.raise({
        rule: 'insecure-commands',
        severity: 'high',
        confidence: 'low',
        at: entryRange(envEntry),
        message: `non-static environment may contain ${UNSECURE}`,
      });
    }
    return;
  }
  for (const e of entries(ctx.file, envEntry.value)) {
    if (e.key !== UNSECURE) continue;
    const v = (str(ctx.file, e.value) ?? '').trim().toLowerCase();
    if (v === 'false' || v === '' || v === '0') continue;
    ctx.reporter.raise({
      rule: 'insecure-commands',
      severity: 'high',
      confidence: 'high',
      at: entryRange(envEntry),
      message: 'insecure commands enabled here',
      related: [{ at: entryRange(e), message: 'enabled here' }],
    });
  }
}

function envEntriesOf(w: Workflow): (Entry | undefined)[] {
  return [w.field('env'), ...w.jobs.map((j) => j.field('env'))];
}

export const injectionAudit: Audit = {
  rules: ['template-injection', 'github-env', 'insecure-commands'],
  workflow(w, ctx) {
    const dangerous = dangerousTriggers(w).length > 0;
    for (const step of stepsOf(w)) {
      auditTemplateInjection(step, ctx);
      auditGithubEnv(step, ctx, dangerous);
      auditInsecureCommands(step.env, ctx);
    }
    for (const env of envEntriesOf(w)) auditInsecureCommands(env, ctx);
  },
  action(a, ctx) {
    for (const step of a.steps) {
      auditTemplateInjection(step, ctx);
      auditGithubEnv(step, ctx, true);
      auditInsecureCommands(step.env, ctx);
    }
  },
};

