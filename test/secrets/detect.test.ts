import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../src/secrets/config.ts';
import { Detector } from '../../src/secrets/detect.ts';
import type { Fragment } from '../../src/secrets/finding.ts';
import { shannonEntropy } from '../../src/secrets/entropy.ts';

const AWS_RULE = `
[[rules]]
id = "aws-access-key"
description = "AWS Access Key"
regex = '''(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}'''
tags = ["key", "AWS"]
`;
const detect = (toml: string, fragment: Partial<Fragment> & { raw: string }) =>
  new Detector(parseConfig(toml)).detect({ filePath: 'tmp.go', startLine: 0, ...fragment });

describe('detection as gitleaks does it', () => {
  it('locates, extracts and scores a match (detect_test.go "detect finding - aws")', () => {
    const [f] = detect(AWS_RULE, { raw: 'awsToken := \\"AKIALALEMEL33243OLIA\\"' });
    expect(f).toMatchObject({ ruleId: 'aws-access-key', startLine: 0, startColumn: 15, endColumn: 34, secret: 'AKIALALEMEL33243OLIA', tags: ['key', 'AWS'] });
    expect(f!.entropy).toBe(Math.fround(3.0841837));
  });

  it('counts columns from the previous newline after the first line (gitleaks quirk kept for baselines)', () => {
    const [f] = detect(AWS_RULE, { raw: 'x\n  AKIALALEMEL33243OLIA\n', startLine: 1 });
    expect(f).toMatchObject({ startLine: 2, startColumn: 4, endColumn: 23, line: '\n  AKIALALEMEL33243OLIA' });
  });

  it('skips lines marked gitleaks:allow, but not the next line', () => {
    expect(detect(AWS_RULE, { raw: 'awsToken := "AKIALALEMEL33243OKIA" // gitleaks:allow' })).toEqual([]);
    expect(detect(AWS_RULE, { raw: 'awsToken := "AKIALALEMEL33243OKIA"\n// gitleaks:allow\n' })).toHaveLength(1);
    expect(new Detector(parseConfig(AWS_RULE), { ignoreGitleaksAllow: true }).detect({ raw: 'AKIALALEMEL33243OKIA // gitleaks:allow', filePath: 'a', startLine: 1 })).toHaveLength(1);
  });

  it('takes secretGroup, else the first non-empty group, and applies the entropy floor', () => {
    const toml = `[[rules]]
id = "discord-api-key"
regex = '''(?i)(discord[a-z0-9_ .\\-,]{0,25})(=|>|:=|\\|\\|:|<=|=>|:).{0,5}['\\"]([a-h0-9]{64})['\\"]'''
secretGroup = 3
entropy = 3.5`;
    const raw = 'const Discord_Public_Key = "e7322523fb86ed64c836a979cf8465fbd436378c653c1db38f9ae87bc62a6fd5"\n//const Discord_Public_Key = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"\n';
    const found = detect(toml, { raw });
    expect(found.map((f) => [f.secret, f.startColumn, f.endColumn])).toEqual([['e7322523fb86ed64c836a979cf8465fbd436378c653c1db38f9ae87bc62a6fd5', 7, 93]]);
    expect(found[0]!.entropy).toBe(Math.fround(3.7906237));
  });

  it('path-only rules report the file; path+regex rules only run on matching paths', () => {
    const toml = `[[rules]]
id = "python-files-only"
description = "Python Files"
path = '''.py'''
[[rules]]
id = "py-secret"
path = '''\\.py$'''
regex = '''secret=(\\w+)'''`;
    expect(detect(toml, { raw: 'secret=abc', filePath: 'x.go' })).toEqual([]);
    expect(detect(toml, { raw: 'secret=abc', filePath: 'x.py' }).map((f) => [f.ruleId, f.match])).toEqual([
      ['python-files-only', 'file detected: x.py'],
      ['py-secret', 'secret=abc'],
    ]);
  });

  it('applies allowlists: OR and AND conditions, regex targets, stopwords, commits, global paths', () => {
    const toml = `${AWS_RULE}
[[rules.allowlists]]
regexTarget = "line"
regexes = ['''fixture''']
[[rules.allowlists]]
condition = "AND"
paths = ['''^test/''']
stopwords = ["olia"]
[[allowlists]]
commits = ["ABC123"]
[[allowlists]]
paths = ['''(?:^|/)vendor/''']`;
    const key = 'k = "AKIALALEMEL33243OLIA"';
    expect(detect(toml, { raw: key })).toHaveLength(1);
    expect(detect(toml, { raw: `${key} # fixture` })).toEqual([]);
    expect(detect(toml, { raw: key, filePath: 'test/a.go' })).toEqual([]);
    expect(detect(toml, { raw: 'k = "AKIALALEMEL33243OKIA"', filePath: 'test/a.go' })).toHaveLength(1);
    expect(detect(toml, { raw: key, commit: { sha: 'abc123', author: '', email: '', date: '', message: '' } })).toEqual([]);
    expect(detect(toml, { raw: key, filePath: 'src/vendor/x.go' })).toEqual([]);
  });

  it('drops a generic finding where a specific rule found a secret containing it on the same line', () => {
    const found = new Detector(defaultConfig()).detect({ raw: 'aws_key = "AKIALALEMEL33243OLIA"\n', filePath: 'a.env', startLine: 1 });
    expect(found.map((f) => f.ruleId)).toEqual(['aws-access-token']);
  });

  it('reports a composite rule only when its required rule matched too', () => {
    const toml = `[[rules]]
id = "primary-rule"
regex = 'password\\s*=\\s*"([^"]+)"'
[[rules.required]]
id = "username-rule"
withinLines = 2
[[rules]]
id = "username-rule"
regex = 'username\\s*=\\s*"([^"]+)"'
skipReport = true`;
    expect(detect(toml, { raw: 'username = "admin"\npassword = "secret123"' }).map((f) => f.ruleId)).toEqual(['primary-rule']);
    expect(detect(toml, { raw: 'username = "admin"\n\n\n\npassword = "secret123"' })).toEqual([]);
    expect(detect(toml, { raw: 'password = "secret123"' })).toEqual([]);
  });

  it('redacts fully or by percentage', () => {
    const full = new Detector(parseConfig(AWS_RULE), { redact: 100 }).detect({ raw: 'k=AKIALALEMEL33243OLIA', filePath: 'a', startLine: 1 });
    expect([full[0]!.secret, full[0]!.match, full[0]!.line]).toEqual(['REDACTED', 'REDACTED', 'k=REDACTED']);
    const part = new Detector(parseConfig(AWS_RULE), { redact: 20 }).detect({ raw: 'AKIALALEMEL33243OLIA', filePath: 'a', startLine: 1 });
    expect(part[0]!.secret).toBe('AKIALALEMEL33243...');
  });

  it('computes entropy on runes over UTF-8 bytes, like gitleaks', () => {
    expect(shannonEntropy('')).toBe(0);
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('ab')).toBe(1);
    expect(shannonEntropy('éé')).toBeCloseTo(-(2 / 4) * Math.log2(2 / 4)); // 2 runes, 4 bytes
  });
});

describe('Kubernetes rules', () => {
  const scan = (raw: string, filePath: string) => new Detector(defaultConfig()).detect({ raw, filePath, startLine: 1 });

  it('reports each Secret value and scans the decoded data with the other rules', () => {
    const manifest = ['apiVersion: v1', 'kind: Secret', 'metadata:', '  name: app', 'data:', '  aws: QUtJQUxBTEVNRUwzMzI0M09MSUE=', '  empty: ""', 'stringData:', '  token: "{{ .Values.token }}"', '  password: hunter2hunter2', ''].join('\n');
    const found = scan(manifest, 'k8s/secret.yaml');
    expect(found.map((f) => [f.ruleId, f.startLine, f.secret])).toEqual([
      ['kubernetes-secret-manifest', 6, 'QUtJQUxBTEVNRUwzMzI0M09MSUE='],
      ['aws-access-token', 6, 'AKIALALEMEL33243OLIA'],
      ['kubernetes-secret-manifest', 10, 'hunter2hunter2'],
    ]);
    expect(found[1]!.tags).toContain('decoded:base64');
  });

  it('ignores ConfigMaps and non-manifest files for the manifest rule', () => {
    expect(scan('kind: ConfigMap\ndata:\n  mode: production\n', 'cm.yaml')).toEqual([]);
  });

  it('finds kubeconfig client keys and tokens', () => {
    const kubeconfig = ['apiVersion: v1', 'kind: Config', 'users:', '- name: admin', '  user:', '    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFcFFJQkFBS0NBUUVBM1pGYk9mYWtl', '    token: 7f3a9c2e1b8d4f6a0e5c9b2d8f1a3e7c.kq9zX2', ''].join('\n');
    const ids = scan(kubeconfig, '.kube/config').map((f) => f.ruleId);
    expect(ids).toContain('kubeconfig-client-key-data');
    expect(ids).toContain('kubeconfig-token');
  });

  it('finds registry credentials in a docker config.json', () => {
    const config = '{\n  "auths": {\n    "registry.example.com": {\n      "auth": "ZmFrZXVzZXI6ZmFrZXBhc3N3b3JkMTIz"\n    }\n  }\n}\n';
    expect(scan(config, 'config.json').map((f) => [f.ruleId, f.secret])).toContainEqual(['docker-config-auth', 'ZmFrZXVzZXI6ZmFrZXBhc3N3b3JkMTIz']);
  });
});
