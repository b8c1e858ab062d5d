import { describe, expect, it } from 'vitest';
import { BUILTIN_RULE_SETS, builtinConfig, defaultConfig, gitleaksDefaultConfig, parseConfig } from '../../src/secrets/config.ts';
import { fromPortable, toPortable } from '../../src/secrets/portable.ts';
import { Detector, filterFindings } from '../../src/secrets/detect.ts';
import type { Fragment, SecretFinding } from '../../src/secrets/finding.ts';
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
    // gitleaks' check is case-sensitive, and the mark counts over bytes as over text.
    expect(detect(AWS_RULE, { raw: 'awsToken := "AKIALALEMEL33243OKIA" // GITLEAKS:ALLOW' })).toHaveLength(1);
    const marked = 'x\nawsToken := "AKIALALEMEL33243OKIA" // gitleaks:allow\nAKIALALEMEL33243OKIB\n';
    expect(detect(AWS_RULE, { raw: marked, bytes: Buffer.from(marked) }).map((f) => f.secret)).toEqual(['AKIALALEMEL33243OKIB']);
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
    const found = new Detector(gitleaksDefaultConfig()).detect({ raw: 'aws_key = "AKIALALEMEL33243OLIA"\n', filePath: 'a.env', startLine: 1 });
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
      ['aws-access-key-id', 6, 'AKIALALEMEL33243OLIA'],
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

  it('finds passwords in database and broker connection URLs, not placeholders', () => {
    const text = [
      'DATABASE_URL=postgres://app:s3cr3t-Pa55w0rd@db.internal:5432/orders',
      'spring.datasource.url=jdbc:mysql://root:Tr0ub4dor&3@mysql.prod/app',
      'MONGO="mongodb+srv://svc:Zq8%40xLm2Pw@cluster0.abcde.mongodb.net/test"',
      'cache: rediss://:R3d1sP4ss9@cache.example.com:6380/0',
      'example: postgres://user:password@localhost/db',
      'templated: amqp://guest:${RABBIT_PASSWORD}@rabbit:5672/',
      'docs: mysql://admin:<password>@host/db',
      'nopassword: postgres://app@db.internal/orders',
      '',
    ].join('\n');
    const found = scan(text, 'app.env').filter((f) => f.ruleId === 'generic-connection-string-password');
    expect(found.map((f) => [f.startLine, f.secret])).toEqual([
      [1, 's3cr3t-Pa55w0rd'],
      [2, 'Tr0ub4dor&3'],
      [3, 'Zq8%40xLm2Pw'],
      [4, 'R3d1sP4ss9'],
      // Decoding `%40` gives an `@` that ends the password earlier, as gitleaks' decoding does.
      [3, 'Zq8'],
    ]);
  });

  it('finds registry credentials in a docker config.json', () => {
    const config = '{\n  "auths": {\n    "registry.example.com": {\n      "auth": "ZmFrZXVzZXI6ZmFrZXBhc3N3b3JkMTIz"\n    }\n  }\n}\n';
    expect(scan(config, 'config.json').map((f) => [f.ruleId, f.secret])).toContainEqual(['docker-config-auth', 'ZmFrZXVzZXI6ZmFrZXBhc3N3b3JkMTIz']);
  });
});

describe('one pre-filter pass per fragment', () => {
  it('keeps the rules after the Secret manifest rule selected by this file, not by the decoded values it scans', () => {
    // The decoded value (no kubeconfig keyword) used to overwrite the file's pre-filter result.
    const key = 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODk=';
    const yaml = ['apiVersion: v1', 'kind: Secret', 'metadata:', '  name: x', 'data:', `  a: ${Buffer.from('hello world value').toString('base64')}`, '---', `client-key-data: ${key}`, ''].join('\n');
    const ids = new Detector(defaultConfig()).detect({ raw: yaml, filePath: 's.yaml', startLine: 1 }).map((f) => f.ruleId);
    expect(ids).toContain('kubeconfig-client-key-data');
  });
});

describe('what WebAssembly holds of a file', () => {
  it("is not taken for another text's: a Secret manifest's decoded values are scanned before the file's own encoded text is looked for", () => {
    const encoded = Buffer.from('aws_key = AKIALALEMEL33243OLIA').toString('base64');
    const yaml = ['apiVersion: v1', 'kind: Secret', 'metadata:', '  name: x', 'data:', `  a: ${Buffer.from('hello world value, long enough').toString('base64')}`, '---', `note: ${encoded}`, ''].join('\n');
    const found = new Detector(defaultConfig()).detect({ raw: yaml, bytes: Buffer.from(yaml), filePath: 's.yaml', startLine: 1 });
    expect(found.filter((f) => f.ruleId === 'aws-access-key-id').map((f) => [f.startLine, f.secret, f.tags.includes('decoded:base64')])).toEqual([[8, 'AKIALALEMEL33243OLIA', true]]);
  });
});

describe('gated places', () => {
  it.each(BUILTIN_RULE_SETS)('finds the same over the bytes of a file (places gated in WebAssembly) as over its text (not gated): %s rules', (name) => {
    // Thousands of keyword places, most of them ordinary code, a few of them secrets.
    let seed = 7;
    const token = () => Array.from({ length: 24 }, () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'[(seed = (seed * 48271) % 2147483647) % 62]).join('');
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      lines.push(i % 97 === 0 ? `  api_key = "${token()}"` : `  const userKey${i} = await fetchToken(tokenId, { secret: x.y });`);
      if (i % 500 === 0) lines.push(`password: 'hunter2${i}abcdefgh'`, `Authorization: token ghp_${'a1B2c3D4e5'.repeat(3)}abcdef`);
    }
    const raw = lines.join('\n');
    const detector = new Detector(builtinConfig(name));
    const fromBytes = detector.detect({ raw, bytes: Buffer.from(raw), filePath: 'a.ts', startLine: 1 });
    const fromText = new Detector(builtinConfig(name)).detect({ raw, filePath: 'a.ts', startLine: 1 });
    expect(fromBytes.length).toBeGreaterThan(30);
    expect(fromBytes).toEqual(fromText);
  });
});

describe('ſ and K (the Kelvin sign), which (?i) folds onto s and k', () => {
  it.each(BUILTIN_RULE_SETS)('are matched where the literals of anchor plans are spelled with them, as a scan of the whole text matches them: %s rules', (name) => {
    let seed = 11;
    const token = (n: number) => Array.from({ length: n }, () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'[(seed = (seed * 48271) % 2147483647) % 62]).join('');
    const lines: string[] = [];
    for (let i = 0; i < 200; i++) {
      lines.push(i % 7 === 0 ? `  aws_\u017fecret_access_\u212aey = "${token(40)}"` : i % 5 === 0 ? `  api_\u212aey: "${token(32)}" // secret token` : `  const user${i} = fetchToken(tokenId, { secret: x.y });`);
    }
    const raw = lines.join('\n');
    const portable = toPortable(builtinConfig(name));
    const withoutPlans = fromPortable({ ...portable, rules: new Map([...portable.rules].map(([id, r]) => [id, r.regex ? { ...r, regex: { ...r.regex, plan: undefined, gate: undefined } } : r])) });
    const planned = new Detector(builtinConfig(name)).detect({ raw, bytes: Buffer.from(raw), filePath: 'a.ts', startLine: 1 });
    expect(planned.length).toBeGreaterThan(10);
    expect(planned).toEqual(new Detector(withoutPlans).detect({ raw, bytes: Buffer.from(raw), filePath: 'a.ts', startLine: 1 }));
  });
});

describe('very long lines', () => {
  const minified = (bytes: number) => {
    const parts = ['const userKey=getToken(config,{secret:value.item});', 'headers["Authorization"]=`Bearer ${token}`;', 'curl -u user:pass https://x ', 'api_key="AbCdEf0123456789xyz";', 'eyJhbGciOi.eyJzdWIiOi.sig;', 's.abcdefghijklmnopqrstuvwx;', 'SK0123456789abcdef0123456789abcdef;'];
    let s = '';
    for (let i = 0; s.length < bytes; i++) s += parts[i % parts.length];
    return s;
  };

  it.each(BUILTIN_RULE_SETS)('scans a megabyte on one line with thousands of findings in linear time, keeping a window of the line: %s rules', (name) => {
    const detector = new Detector(builtinConfig(name), { redact: 100 });
    const time = (raw: string) => {
      const started = performance.now();
      const found = detector.detect({ raw, filePath: 'bundle.min.js', startLine: 1 });
      return { found, ms: performance.now() - started };
    };
    time(minified(100_000)); // warm up
    const small = time(minified(250_000));
    const large = time(minified(1_000_000));
    expect(large.found.length).toBeGreaterThan(1000);
    expect(large.found.length).toBeCloseTo(small.found.length * 4, -2);
    // Quadratic work would take 16 times as long for 4 times the text.
    expect(large.ms).toBeLessThan(Math.max(small.ms * 10, 2_000));
    for (const f of large.found) {
      expect(f.line.length).toBeLessThan(1_000);
      expect(f.line).toContain(f.match);
    }
  });

  it.each(BUILTIN_RULE_SETS)('keeps whole lines up to 16 KiB, as gitleaks does: %s rules', (name) => {
    const line = 'x'.repeat(10_000) + ' AKIALALEMEL33243OLIA ' + 'y'.repeat(5_000);
    const [f] = new Detector(builtinConfig(name)).detect({ raw: line, filePath: 'a.txt', startLine: 1 });
    expect(f!.line).toBe(line);
  });

  it.each(BUILTIN_RULE_SETS)('still honours gitleaks:allow and line allowlists anywhere on a long line: %s rules', (name) => {
    const line = `${'z'.repeat(40_000)} AKIALALEMEL33243OLIA ${'z'.repeat(40_000)}`;
    const detector = new Detector(builtinConfig(name));
    expect(detector.detect({ raw: line, filePath: 'a.txt', startLine: 1 })).toHaveLength(1);
    expect(detector.detect({ raw: `${line} // gitleaks:allow`, filePath: 'a.txt', startLine: 1 })).toEqual([]);
    const toml = `${AWS_RULE}\n[[rules.allowlists]]\nregexTarget = "line"\nregexes = ['''fixture$''']`;
    expect(detect(toml, { raw: `${line} fixture` })).toEqual([]);
  });
});

describe('generic findings shadowed by other rules', () => {
  /** detect/utils.go `filter`, as written there. */
  const reference = (findings: SecretFinding[]) =>
    findings.filter(
      (f) =>
        !f.ruleId.toLowerCase().includes('generic') ||
        !findings.some((g) => g.startLine === f.startLine && g.commit === f.commit && g.ruleId !== f.ruleId && g.secret.includes(f.secret) && !g.ruleId.toLowerCase().includes('generic')),
    );

  it('drops the same findings as a pairwise comparison, for few and for many findings on a line', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const str = (n: number) => Array.from({ length: n }, () => 'abcAB\0x'[Math.floor(rnd() * 7)]).join('');
    for (let t = 0; t < 400; t++) {
      const n = 1 + Math.floor(rnd() * (t % 20 === 0 ? 300 : 12));
      const findings = Array.from({ length: n }, () => ({
        ruleId: rnd() < 0.5 ? 'generic-api-key' : ['aws-access-token', 'x-generic', 'github-pat'][Math.floor(rnd() * 3)]!,
        startLine: Math.floor(rnd() * 3),
        commit: rnd() < 0.8 ? '' : 'c',
        secret: str(Math.floor(rnd() * (rnd() < 0.5 ? 12 : 3))),
      })) as SecretFinding[];
      expect(filterFindings(findings, 0)).toEqual(reference(findings));
    }
  });
});

describe('entropy', () => {
  it('is the same to the bit as the direct formula (the common case uses a table of terms)', () => {
    const direct = (s: string) => {
      const counts = new Map<string, number>();
      for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
      let e = 0;
      const inv = 1 / s.length;
      for (const code of [...counts.keys()].sort()) {
        const freq = counts.get(code)! * inv;
        e -= freq * Math.log2(freq);
      }
      return e;
    };
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_.';
    for (let i = 0; i < 2_000; i++) {
      const n = 1 + ((i * 7919) % (i % 10 === 0 ? 1_500 : 120));
      const k = 1 + (i % alphabet.length);
      const s = Array.from({ length: n }, (_, j) => alphabet[(j * 31 + i * 17 + ((j * j) % 13)) % k]).join('');
      expect(Object.is(shannonEntropy(s), direct(s))).toBe(true);
    }
  });
});
