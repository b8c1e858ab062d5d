import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_RULE_SETS, builtinConfig, builtinRuleSetNamed, compileBuiltinConfig, defaultConfig, gitleaksDefaultConfig, loadConfigFile, parseConfig, restrictRules, type SecretsConfig } from '../../src/secrets/config.ts';
import { toPortable } from '../../src/secrets/portable.ts';
import { Detector } from '../../src/secrets/detect.ts';

describe('gitleaks configuration', () => {
  it('reads keys case-insensitively, like viper', () => {
    const c = parseConfig(`[[rules]]\nID = "x"\nRegex = '''(a)(b)'''\nSECRETGROUP = 2\nKeywords = ["AB"]`);
    expect(c.rules.get('x')).toMatchObject({ secretGroup: 2, keywords: ['ab'] });
  });

  it('names the rule and field of a pattern it cannot compile', () => {
    expect(() => parseConfig(`[[rules]]\nid = "lookahead"\nregex = '''a(?=b)'''`)).toThrow(/lookahead: \|regex\| cannot be compiled: error parsing regexp: invalid or unsupported Perl syntax/);
    expect(() => parseConfig(`[[rules]]\nid = "r"\nregex = 'x'\n[[rules.allowlists]]\npaths = ['[']`)).toThrow(/r: \[\[rules.allowlists\]\] paths cannot be compiled/);
  });

  it('rejects both allowlist syntaxes at once and bad conditions', () => {
    expect(() => parseConfig(`[[rules]]\nid = "e"\nregex = 'x'\n[rules.allowlist]\nregexes = ['1']\n[[rules.allowlists]]\nregexes = ['2']`)).toThrow('e: [rules.allowlist] is deprecated');
    expect(() => parseConfig(`[[rules]]\nid = "e"\nregex = 'x'\n[[rules.allowlists]]\ncondition = "XOR"\nregexes = ['1']`)).toThrow("unknown allowlist |condition| 'XOR'");
    expect(() => parseConfig(`[[rules]]\nid = "a"\nregex = 'x'\n[[rules.required]]\nid = "missing"`)).toThrow("a: [[rules.required]] rule ID 'missing' does not exist");
  });

  it('extends gitleaks\' default rules (what useDefault means to the gitleaks users who wrote the file): disabled rules dropped, same-id rules merged, targeted allowlists added', () => {
    const c = parseConfig(`[extend]
useDefault = true
disabledRules = ["generic-api-key"]
[[rules]]
id = "aws-access-token"
description = "custom"
tags = ["mine"]
[[allowlists]]
targetRules = ["github-pat"]
paths = ['''fixtures/''']`);
    expect(c.rules.has('generic-api-key')).toBe(false);
    const aws = c.rules.get('aws-access-token')!;
    expect([aws.description, aws.regex?.source, aws.tags.at(-1)]).toEqual(['custom', gitleaksDefaultConfig().rules.get('aws-access-token')!.regex!.source, 'mine']);
    expect(c.rules.get('github-pat')!.allowlists.at(-1)!.paths[0]!.source).toBe('fixtures/');
    expect(c.orderedRules).toEqual([...c.orderedRules].sort());
  });

  it('restricts to the --enable-rule ids, and names an id the configuration does not have', () => {
    const c = parseConfig(`[[rules]]\nid = "a"\nregex = 'aaa'\n[[rules]]\nid = "b"\nregex = 'bbb'`);
    expect([...restrictRules(c, ['b']).rules.keys()]).toEqual(['b']);
    expect(() => restrictRules(c, ['b', 'c', 'd'])).toThrow('--enable-rule: no rule "c", "d" in the configuration');
  });

  it('resolves [extend] path from the working directory, then from the extending file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-cfg-'));
    writeFileSync(join(dir, 'base.toml'), `[[rules]]\nid = "base-rule"\nregex = 'base'`);
    writeFileSync(join(dir, 'top.toml'), `[extend]\npath = "base.toml"\n[[rules]]\nid = "top-rule"\nregex = 'top'`);
    expect([...loadConfigFile(join(dir, 'top.toml'), { cwd: '/' }).rules.keys()].sort()).toEqual(['base-rule', 'top-rule']);
  });

  it('ships two built-in rule sets, all on V8: Palisade\'s own (the default) and gitleaks\' 222', () => {
    const own = defaultConfig();
    expect(own.rules.size).toBeGreaterThanOrEqual(150);
    for (const id of ['kubernetes-secret-manifest', 'kubeconfig-client-key-data', 'kubeconfig-token', 'docker-config-auth']) expect(own.rules.has(id)).toBe(true);
    expect(gitleaksDefaultConfig().rules.size).toBe(222);
    for (const name of BUILTIN_RULE_SETS) expect([...builtinConfig(name).rules.values()].filter((r) => r.regex?.engine === 're2js')).toEqual([]);
    expect(builtinRuleSetNamed('builtin:gitleaks')).toBe('gitleaks');
    expect(builtinRuleSetNamed('./gitleaks.toml')).toBeUndefined();
    expect(() => builtinRuleSetNamed('builtin:trufflehog')).toThrow('unknown built-in rule set "builtin:trufflehog" (one of: builtin:palisade, builtin:gitleaks)');
  });

  it.each(BUILTIN_RULE_SETS)('loads the %s rules compiled ahead of time as they compile from their files', (name) => {
    const fromFiles = compileBuiltinConfig(name);
    expect(builtinConfig(name)).not.toBe(fromFiles);
    // The compiled form also brings the gates of the anchor plans, built as they would be now.
    const withoutGates = (c: SecretsConfig) => {
      const portable = toPortable(c);
      return { ...portable, rules: new Map([...portable.rules].map(([id, r]) => [id, r.regex ? { ...r, regex: { ...r.regex, gate: undefined } } : r])) };
    };
    expect(withoutGates(builtinConfig(name))).toEqual(withoutGates(fromFiles));
    for (const [id, rule] of fromFiles.rules) if (rule.regex?.plan) expect(builtinConfig(name).rules.get(id)!.regex!.gate(), id).toEqual(rule.regex.gate());
    const text = 'api_key = "0123456789abcdefghij0123"\nAKIAIOSFODNN7EXAMPLF\npassword = "hR3x9Lq2Vb7Kp0Wz"';
    expect(new Detector(builtinConfig(name)).detect({ raw: text, filePath: 'a', startLine: 1 })).toEqual(new Detector(fromFiles).detect({ raw: text, filePath: 'a', startLine: 1 }));
  });
});
