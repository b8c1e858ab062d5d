/**
 * gitleaks configuration files (`.gitleaks.toml`), loaded with gitleaks' own semantics
 * (config/config.go `Translate`, rule.go `Validate`, allowlist.go): keys are case-insensitive,
 * `[extend]` inherits the default or another file to a depth of two, a rule that exists in the
 * base is merged field by field, allowlists are appended, `targetRules` share a global allowlist
 * with some rules, and the same mistakes are rejected with the same messages. Every regular
 * expression is compiled here; one that cannot be is named (rule and field) in the error.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { PalisadeError, errorMessage } from '../core/errors.ts';
import { compileGoRegex, type GoRegex } from './regex/compile.ts';
import { toPortableGate } from './regex/gate.ts';
import { fromPortable, toPortable, type PortableConfig } from './portable.ts';

export type RegexTarget = 'secret' | 'match' | 'line';

export interface Allowlist {
  description?: string;
  condition: 'OR' | 'AND';
  /** Lower-cased, trimmed, unique. */
  commits: string[];
  paths: GoRegex[];
  regexTarget: RegexTarget;
  regexes: GoRegex[];
  /** Lower-cased, unique; matched as substrings of the lower-cased secret. */
  stopwords: string[];
}

export interface RequiredRule {
  id: string;
  withinLines?: number;
  withinColumns?: number;
}

export interface Rule {
  id: string;
  description: string;
  regex?: GoRegex;
  path?: GoRegex;
  secretGroup: number;
  entropy: number;
  /** Lower-cased. */
  keywords: string[];
  tags: string[];
  allowlists: Allowlist[];
  required: RequiredRule[];
  skipReport: boolean;
}

export interface SecretsConfig {
  title?: string;
  description?: string;
  /** The file this configuration was read from; findings in it are not reported. */
  path?: string;
  rules: Map<string, Rule>;
  /** Rule ids in file order (sorted after an `[extend]`, as gitleaks does); SARIF lists rules in this order. */
  orderedRules: string[];
  allowlists: Allowlist[];
  /** Problems that do not stop the scan (a rule that can never match). */
  warnings: string[];
}

export interface LoadOptions {
  /**
   * Where relative `[extend] path`s are resolved: gitleaks resolves them against the directory it
   * was started in. When the file is not there, Palisade also tries the extending file's directory.
   */
  cwd?: string;
  /** The configuration `[extend] useDefault = true` inherits (default: gitleaks' default rules). */
  base?: () => SecretsConfig;
  /**
   * Load the file as if another configuration extended it at this depth (gitleaks' own tests load
   * base files this way); `[extend]` is not followed at depth 2.
   */
  extendDepth?: number;
}

/** gitleaks stops following `[extend]` at this depth. */
const MAX_EXTEND_DEPTH = 2;

export class SecretsConfigError extends PalisadeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PARSE_ERROR', message, options);
    this.name = 'SecretsConfigError';
  }
}

export function loadConfigFile(path: string, options: LoadOptions = {}): SecretsConfig {
  const config = translate(readToml(path), { ...options, file: path }, options.extendDepth ?? 0);
  config.path = path;
  return config;
}

export function parseConfig(text: string, options: LoadOptions & { file?: string } = {}): SecretsConfig {
  return translate(parseTomlText(text, options.file ?? '<config>'), options, 0);
}

/* ── raw TOML → viper-like records ── */

type Raw = Record<string, unknown>;

function readToml(path: string): Raw {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SecretsConfigError(`cannot read ${path}: ${errorMessage(err)}`, { cause: err });
  }
  return parseTomlText(text, path);
}

function parseTomlText(text: string, file: string): Raw {
  try {
    return lowerKeys(parseToml(text)) as Raw;
  } catch (err) {
    throw new SecretsConfigError(`${file}: invalid TOML: ${errorMessage(err)}`, { cause: err });
  }
}

/** Viper matches keys case-insensitively (`secretGroup`, `secretgroup`, `SecretGroup`). */
function lowerKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(lowerKeys);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Raw = {};
    for (const [k, v] of Object.entries(value)) out[k.toLowerCase()] = lowerKeys(v);
    return out;
  }
  return value;
}

/* ── Translate ── */

interface TranslateOptions extends LoadOptions {
  file?: string;
}

/** Only the file the user named is validated, after everything it extends has been merged in. */
function isTop(depth: number, options: TranslateOptions): boolean {
  return depth === (options.extendDepth ?? 0);
}

function translate(raw: Raw, options: TranslateOptions, depth: number): SecretsConfig {
  const rules = new Map<string, Rule>();
  const orderedRules: string[] = [];
  const targeted = new Map<string, Allowlist[]>();
  const where = options.file ? `${options.file}: ` : '';

  for (const vr of asTables(raw.rules, 'rules')) {
    const id = str(vr.id);
    const rule: Rule = {
      id,
      description: str(vr.description),
      secretGroup: int(vr.secretgroup, `${id}: secretGroup`),
      entropy: num(vr.entropy, `${id}: entropy`),
      keywords: strings(vr.keywords, `${id}: keywords`).map((k) => k.toLowerCase()),
      tags: strings(vr.tags, `${id}: tags`),
      allowlists: [],
      required: [],
      skipReport: vr.skipreport === true,
    };
    const path = str(vr.path);
    const regex = str(vr.regex);
    if (path !== '') rule.path = compile(path, `${id}: |path|`, where, true);
    if (regex !== '') rule.regex = compile(regex, `${id}: |regex|`, where);

    let allowlists = asTables(vr.allowlists, `${id}: [[rules.allowlists]]`);
    if (vr.allowlist !== undefined) {
      if (allowlists.length > 0) throw configError(where, `${id}: [rules.allowlist] is deprecated, it cannot be used alongside [[rules.allowlist]]`);
      allowlists = asTables([vr.allowlist], `${id}: [rules.allowlist]`);
    }
    for (const a of allowlists) rule.allowlists.push(parseAllowlist(a, `${id}: [[rules.allowlists]]`, where));

    for (const r of asTables(vr.required, `${id}: [[rules.required]]`)) {
      const requiredId = str(r.id);
      if (requiredId === '') throw configError(where, `${id}: [[rules.required]] rule ID is empty`);
      rule.required.push({
        id: requiredId,
        ...(r.withinlines !== undefined && { withinLines: int(r.withinlines, `${id}: withinLines`) }),
        ...(r.withincolumns !== undefined && { withinColumns: int(r.withincolumns, `${id}: withinColumns`) }),
      });
    }
    orderedRules.push(id);
    rules.set(id, rule);
  }
  for (const rule of rules.values()) {
    for (const r of rule.required) {
      if (!rules.has(r.id)) throw configError(where, `${rule.id}: [[rules.required]] rule ID '${r.id}' does not exist`);
    }
  }

  const config: SecretsConfig = {
    ...(typeof raw.title === 'string' && { title: raw.title }),
    ...(typeof raw.description === 'string' && { description: raw.description }),
    rules,
    orderedRules,
    allowlists: [],
    warnings: [],
  };

  let globals = asTables(raw.allowlists, '[[allowlists]]');
  if (raw.allowlist !== undefined) {
    if (globals.length > 0) throw configError(where, '[allowlist] is deprecated, it cannot be used alongside [[allowlists]]');
    globals = asTables([raw.allowlist], '[allowlist]');
  }
  for (const a of globals) {
    const allowlist = parseAllowlist(a, '[[allowlists]]', where);
    const targets = strings(a.targetrules, '[[allowlists]] targetRules');
    if (targets.length === 0) config.allowlists.push(allowlist);
    for (const ruleId of targets) targeted.set(ruleId, [...(targeted.get(ruleId) ?? []), allowlist]);
  }

  const extend = (raw.extend ?? {}) as Raw;
  if (depth !== MAX_EXTEND_DEPTH) {
    const extendPath = str(extend.path);
    const useDefault = extend.usedefault === true;
    if (extendPath !== '' && useDefault) throw configError(where, 'unable to load config due to extend.path and extend.useDefault being set');
    const disabled = strings(extend.disabledrules, '[extend] disabledRules');
    if (useDefault) {
      const base = options.base ?? gitleaksDefaultConfig;
      mergeBase(config, base(), disabled);
    } else if (extendPath !== '') {
      const file = resolveExtendPath(extendPath, options);
      let base: SecretsConfig;
      try {
        base = translate(readToml(file), { ...options, file }, depth + 1);
      } catch (err) {
        throw configError(where, `failed to load extended config, err: ${errorMessage(err)}`, err);
      }
      mergeBase(config, base, disabled);
    }
  }

  if (isTop(depth, options)) {
    const extended = depth !== MAX_EXTEND_DEPTH && (extend.usedefault === true || str(extend.path) !== '');
    for (const rule of config.rules.values()) validateRule(rule, where, extended, config.warnings);
    for (const [ruleId, lists] of targeted) {
      const rule = config.rules.get(ruleId);
      if (!rule) throw configError(where, `[[allowlists]] target rule ID '${ruleId}' does not exist`);
      rule.allowlists.push(...lists);
    }
  }
  return config;
}

function resolveExtendPath(path: string, options: TranslateOptions): string {
  if (isAbsolute(path)) return path;
  const fromCwd = resolve(options.cwd ?? process.cwd(), path);
  if (existsSync(fromCwd) || !options.file) return fromCwd;
  const fromFile = resolve(dirname(options.file), path);
  return existsSync(fromFile) ? fromFile : fromCwd;
}

/** config.go `extend`: the base's rules are added or merged under this file's; allowlists appended. */
function mergeBase(config: SecretsConfig, base: SecretsConfig, disabled: string[]): void {
  const disabledSet = new Set(disabled);
  for (const [id, baseRule] of base.rules) {
    if (disabledSet.has(id)) continue;
    const current = config.rules.get(id);
    if (!current) {
      config.rules.set(id, cloneRule(baseRule));
        config.orderedRules.push(id);
      continue;
    }
    const merged = cloneRule(baseRule);
    if (current.description !== '') merged.description = current.description;
    if (current.entropy !== 0) merged.entropy = current.entropy;
    if (current.secretGroup !== 0) merged.secretGroup = current.secretGroup;
    if (current.regex) merged.regex = current.regex;
    if (current.path) merged.path = current.path;
    merged.tags.push(...current.tags);
    merged.keywords.push(...current.keywords);
    merged.allowlists.push(...current.allowlists);
    config.rules.set(id, merged);
  }
  config.allowlists.push(...base.allowlists);
  config.warnings.push(...base.warnings);
  config.orderedRules.sort();
}

function cloneRule(r: Rule): Rule {
  return { ...r, keywords: [...r.keywords], tags: [...r.tags], allowlists: [...r.allowlists], required: [...r.required] };
}

/**
 * rule.go `Validate`. gitleaks skips it altogether for a configuration that extends another (its
 * depth counter is never reset); Palisade still rejects a rule without an id or with an impossible
 * secretGroup there, but only warns about a rule that can never match.
 */
function validateRule(rule: Rule, where: string, extended: boolean, warnings: string[]): void {
  if (rule.id.trim() === '') {
    const context = rule.regex
      ? `, regex: ${rule.regex.source}`
      : rule.path
        ? `, path: ${rule.path.source}`
        : rule.description !== ''
          ? `, description: ${rule.description}`
          : '';
    throw configError(where, `rule |id| is missing or empty${context}`);
  }
  if (!rule.regex && !rule.path) {
    const message = `${rule.id}: both |regex| and |path| are empty, this rule will have no effect`;
    if (!extended) throw configError(where, message);
    warnings.push(`${where}${message}`);
  }
  if (rule.regex && rule.secretGroup > rule.regex.numGroups) {
    throw configError(where, `${rule.id}: invalid regex secret group ${rule.secretGroup}, max regex secret group ${rule.regex.numGroups}`);
  }
}

/** config.go `parseAllowlist` + allowlist.go `Validate`. */
function parseAllowlist(a: Raw, context: string, where: string): Allowlist {
  const conditionText = str(a.condition).toUpperCase();
  let condition: 'OR' | 'AND';
  if (conditionText === 'AND' || conditionText === '&&') condition = 'AND';
  else if (conditionText === '' || conditionText === 'OR' || conditionText === '||') condition = 'OR';
  else throw configError(where, `${context} unknown allowlist |condition| '${str(a.condition)}' (expected 'and', 'or')`);

  let regexTarget: RegexTarget = 'secret';
  const target = str(a.regextarget);
  if (target === 'match' || target === 'line') regexTarget = target;
  else if (target !== '' && target !== 'secret') {
    throw configError(where, `${context} unknown allowlist |regexTarget| '${target}' (expected 'match', 'line')`);
  }
  const commits = [...new Set(strings(a.commits, `${context} commits`).map((c) => c.trim().toLowerCase()))];
  const stopwords = [...new Set(strings(a.stopwords, `${context} stopwords`).map((s) => s.toLowerCase()))];
  // Secrets, matches and paths are short: only the line is worth guarding against slow shapes.
  const regexes = strings(a.regexes, `${context} regexes`).map((r) => compile(r, `${context} regexes`, where, regexTarget !== 'line'));
  const paths = strings(a.paths, `${context} paths`).map((p) => compile(p, `${context} paths`, where, true));
  if (commits.length === 0 && paths.length === 0 && regexes.length === 0 && stopwords.length === 0) {
    throw configError(where, `${context} must contain at least one check for: commits, paths, regexes, or stopwords`);
  }
  return {
    ...(typeof a.description === 'string' && a.description !== '' && { description: a.description }),
    condition,
    commits,
    paths,
    regexTarget,
    regexes,
    stopwords,
  };
}

function compile(pattern: string, context: string, where: string, shortInput = false): GoRegex {
  try {
    return compileGoRegex(pattern, { shortInput });
  } catch (err) {
    throw configError(where, `${context} cannot be compiled: ${errorMessage(err)}`, err);
  }
}

function configError(where: string, message: string, cause?: unknown): SecretsConfigError {
  return new SecretsConfigError(`${where}${message}`, cause === undefined ? undefined : { cause });
}

/* ── value helpers (viper's weak decoding: missing values are zero values) ── */

function asTables(value: unknown, context: string): Raw[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => !v || typeof v !== 'object' || Array.isArray(v))) {
    throw new SecretsConfigError(`${context}: expected an array of tables`);
  }
  return value as Raw[];
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined ? '' : String(value);
}

function num(value: unknown, context: string): number {
  if (value === undefined) return 0;
  if (typeof value === 'number' || typeof value === 'bigint') return Number(value);
  throw new SecretsConfigError(`${context}: expected a number, got ${JSON.stringify(value)}`);
}

function int(value: unknown, context: string): number {
  const n = num(value, context);
  if (!Number.isInteger(n)) throw new SecretsConfigError(`${context}: expected an integer, got ${n}`);
  return n;
}

function strings(value: unknown, context: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new SecretsConfigError(`${context}: expected an array of strings`);
  return value as string[];
}

/** The configuration with only the rules named (gitleaks `--enable-rule`); all of them when none are. */
export function restrictRules(config: SecretsConfig, ids: string[] | undefined): SecretsConfig {
  if (!ids?.length) return config;
  const wanted = new Set(ids);
  // A misspelt id would otherwise scan with fewer rules (or none) and report a clean tree.
  const unknown = [...wanted].filter((id) => !config.rules.has(id));
  if (unknown.length > 0) throw new SecretsConfigError(`--enable-rule: no rule ${unknown.map((id) => `"${id}"`).join(', ')} in ${config.path ?? 'the configuration'}`);
  return { ...config, rules: new Map([...config.rules].filter(([id]) => wanted.has(id))), orderedRules: config.orderedRules.filter((id) => wanted.has(id)) };
}

/* ── Built-in rule sets ── */

/**
 * Palisade's own rules, written for this project in gitleaks' format: the default configuration,
 * in this order. Each file has its true- and false-positive samples in
 * test/fixtures/secrets/own-rules/<file>.json, which test/secrets/own-rules.test.ts checks.
 */
export const OWN_RULE_FILES = ['palisade-cloud.toml', 'palisade-devops.toml', 'palisade-saas.toml', 'palisade.toml', 'kubernetes.toml'];
/**
 * gitleaks' default rules (gitleaks.toml, MIT, copied unchanged as data): what a configuration's
 * `[extend] useDefault = true` inherits, since such a file was written for gitleaks, and what
 * `--config builtin:gitleaks` selects, so that findings match what gitleaks users see.
 */
const GITLEAKS_RULE_FILES = ['gitleaks.toml'];
/** Next to this module in dist/ when built data is copied, else the sources of a checkout. */
const RULE_DIRS = [new URL('./rules/', import.meta.url), new URL('../../src/secrets/rules/', import.meta.url)];

/** A built-in rule set: the rule files it is made of and where its compiled form is stored. */
interface BuiltinRules {
  files: string[];
  /**
   * The set compiled ahead of time (`npm run generate`): reading it takes a few milliseconds where
   * compiling two hundred patterns takes a fifth of a second, which a pre-commit hook or a scan's
   * start would otherwise pay each time. It names the hash of the rule files it was compiled from
   * and is only used while they match; a test checks that it is up to date with the compiler too.
   */
  compiled: string;
  cache?: SecretsConfig;
}

export type BuiltinRuleSet = 'palisade' | 'gitleaks';
const BUILTIN: Record<BuiltinRuleSet, BuiltinRules> = {
  palisade: { files: OWN_RULE_FILES, compiled: 'default.compiled.json' },
  gitleaks: { files: GITLEAKS_RULE_FILES, compiled: 'gitleaks.compiled.json' },
};
export const BUILTIN_RULE_SETS = Object.keys(BUILTIN) as BuiltinRuleSet[];
/** How `--config` names a built-in rule set instead of a file. */
export const BUILTIN_PREFIX = 'builtin:';

/** Palisade's default configuration: its own rules (built once per process). */
export function defaultConfig(): SecretsConfig {
  return builtinConfig('palisade');
}

/** gitleaks' default configuration, which `[extend] useDefault = true` inherits. */
export function gitleaksDefaultConfig(): SecretsConfig {
  return builtinConfig('gitleaks');
}

export function builtinConfig(name: BuiltinRuleSet): SecretsConfig {
  const set = BUILTIN[name];
  if (!set.cache) set.cache = loadCompiled(set) ?? compileBuiltinConfig(name);
  return set.cache;
}

/** `builtin:<name>` as `--config` spells it, or undefined for a file path. */
export function builtinRuleSetNamed(spec: string): BuiltinRuleSet | undefined {
  if (!spec.startsWith(BUILTIN_PREFIX)) return undefined;
  const name = spec.slice(BUILTIN_PREFIX.length);
  if (!(BUILTIN_RULE_SETS as string[]).includes(name)) {
    throw new SecretsConfigError(`unknown built-in rule set "${spec}" (one of: ${BUILTIN_RULE_SETS.map((n) => BUILTIN_PREFIX + n).join(', ')})`);
  }
  return name as BuiltinRuleSet;
}

/** The text of one built-in rule file. */
export function ruleFileText(file: string): string {
  return readFileSync(new URL(file, rulesDir()), 'utf8');
}

export function builtinRulesText(name: BuiltinRuleSet): string {
  return BUILTIN[name].files.map(ruleFileText).join('\n');
}

function rulesDir(): URL {
  const dir = RULE_DIRS.find((d) => existsSync(new URL(OWN_RULE_FILES[0]!, d)));
  if (!dir) throw new SecretsConfigError('the built-in secret rules are missing from this installation (src/secrets/rules/)');
  return dir;
}

/** A built-in configuration compiled from its rule files. */
export function compileBuiltinConfig(name: BuiltinRuleSet): SecretsConfig {
  // The files are concatenated: each only adds [[rules]] tables.
  return parseConfig(builtinRulesText(name), { file: `built-in rules (${name})` });
}

/** Where the compiled form of a built-in rule set is kept, from the repository root. */
export function compiledBuiltinPath(name: BuiltinRuleSet): string {
  return `src/secrets/rules/${BUILTIN[name].compiled}`;
}

/**
 * The text of the compiled form of a built-in rule set (`config` compiled from its rule files),
 * with the gates of the rules' anchor plans.
 */
export function compiledBuiltinText(name: BuiltinRuleSet, config: SecretsConfig): string {
  const portable = toPortable(config);
  const rules = [...portable.rules].map(([id, rule]) => {
    const regex = config.rules.get(id)!.regex;
    if (!regex?.plan) return [id, rule] as const;
    const gate = regex.gate();
    return [id, { ...rule, regex: { ...rule.regex!, gate: gate ? toPortableGate(gate) : null } }] as const;
  });
  return JSON.stringify({ rules: sha256(builtinRulesText(name)), config: { ...portable, rules } }) + '\n';
}

function loadCompiled(set: BuiltinRules): SecretsConfig | undefined {
  const file = new URL(set.compiled, rulesDir());
  if (!existsSync(file)) return undefined;
  const stored = JSON.parse(readFileSync(file, 'utf8')) as { rules: string; config: Omit<PortableConfig, 'rules'> & { rules: [string, PortableConfig['rules'] extends Map<string, infer R> ? R : never][] } };
  if (stored.rules !== sha256(set.files.map(ruleFileText).join('\n'))) return undefined;
  return fromPortable({ ...stored.config, rules: new Map(stored.config.rules) });
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
