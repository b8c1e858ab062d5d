import { describe, expect, it } from 'vitest';
import { BUILTIN_RULE_SETS, builtinConfig, parseConfig, type SecretsConfig } from '../../src/secrets/config.ts';
import { fromPortable, toPortable } from '../../src/secrets/portable.ts';
import { decodePass, findEncodedMatches, type EncodedSegment } from '../../src/secrets/decode.ts';
import { KeywordAutomaton } from '../../src/secrets/prefilter.ts';

/** The runs WebAssembly lists in an ASCII text, as the detector takes them for a file's first decoding pass. */
function runsOf(text: string): Int32Array {
  const automaton = KeywordAutomaton.build(['zz']);
  return automaton.encodedRuns(automaton.scanBytes(Buffer.from(text, 'latin1')))!;
}
import { Detector, type DetectorOptions } from '../../src/secrets/detect.ts';

/** One rule, an AWS key id (its tags come first in a finding's tags). */
const AWS_RULE = `[[rules]]\nid = "aws-access-key"\nregex = '''(?:AKIA|ASIA)[A-Z0-9]{16}'''\ntags = ["key", "AWS"]\n`;
const KEY = 'AKIALALEMEL33243OLIA';
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const hex = (s: string) => Buffer.from(s).toString('hex');
const detect = (raw: string, options: DetectorOptions = {}, toml = AWS_RULE) => new Detector(parseConfig(toml), options).detect({ raw, filePath: 'a.txt', startLine: 1 });

/** Every pass until nothing is left to decode (the text after the last one). */
function decodeAll(text: string): string {
  let segments: EncodedSegment[] = [];
  for (;;) {
    const pass = decodePass(text, segments);
    if (pass.segments.length === 0) return text;
    ({ text, segments } = pass);
  }
}

describe('decoding passes', () => {
  it.each([
    ['base64 alone', b64('longer-encoded-secret-test'), 'longer-encoded-secret-test'],
    ['base64 amid text', `token: ${b64('longer-encoded-secret-test')} end`, 'token: longer-encoded-secret-test end'],
    ['base64 after `=` (the `=` is not part of it)', `some-encoded-secret=${b64('test-secret-value')}`, 'some-encoded-secret=test-secret-value'],
    ['unpadded URL-safe base64', 'Z2l0bGVha3M-PmZpbmRzLXNlY3JldHM', 'gitleaks>>finds-secrets'],
    ['hex of 32+ digits', `secret="${hex('FishMapHunky!!!634')}"`, 'secret="FishMapHunky!!!634"'],
    ['percent-encoded characters', 'secret%3D%22q%24%21%40%20asdf%22', 'secret="q$!@ asdf"'],
    ['a SHA-1 that decodes to binary stays', 'a3d3fa7c2bb99e469ba55e5834ce79ee4853a8a3', 'a3d3fa7c2bb99e469ba55e5834ce79ee4853a8a3'],
    ['long identifiers stay', 'const getElementsByTagName = some_long_identifier_name_v2', 'const getElementsByTagName = some_long_identifier_name_v2'],
    ['hex of hex of text', hex(hex('nested hex value!')), 'nested hex value!'],
    ['base64 of percent', b64('key%3Dvalue-1%21'), 'key=value-1!'],
    ['base64 without a digit or `+/-_` is not tried (as gitleaks)', b64('pass%3Dword%21%21'), b64('pass%3Dword%21%21')],
  ])('%s', (_, input, expected) => {
    expect(decodeAll(input)).toBe(expected);
  });

  it('keeps only printable ASCII decodings (binary data is left encoded)', () => {
    const binary = b64(Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from('AKIALALEMEL33243OLIA')]));
    expect(decodePass(binary, []).segments).toEqual([]);
    expect(decodePass(`x=${hex('\u0000\u0001 not text at all, no')}`, []).segments).toEqual([]);
    expect(decodePass('%00%01%02', []).segments).toEqual([]);
  });

  it('records where each segment was and where its decoded text is, shifted by the ones before it', () => {
    const text = `a ${b64('first-secret-1')} b ${b64('second-secret-2')}`;
    const { text: out, segments } = decodePass(text, []);
    expect(out).toBe('a first-secret-1 b second-secret-2');
    expect(segments.map((s) => [s.encoded.start, s.encoded.end, s.decoded.start, s.decoded.end, s.depth])).toEqual([
      [2, 22, 2, 16, 1],
      [25, 45, 19, 34, 1],
    ]);
  });

  it('leaves a match touching one of higher precedence for the next pass', () => {
    // The base64 run touches the percent run after it: only the percent run is decoded first.
    const { text, segments } = decodePass(`${b64('touching-base64!')}%41%42`, []);
    expect(segments.map((s) => s.value)).toEqual(['AB']);
    expect(decodePass(text, segments).segments.map((s) => [s.value, s.depth])).toEqual([['touching-base64!', 2]]);
  });

  it('finds the matches gitleaks\' combined pattern finds (leftmost-first), on random text', () => {
    const reference = /((?:%[0-9A-Fa-f]{2})+)|([0-9A-Fa-f]{32,})|([\w/+-]{16,}={0,3})/g;
    const alphabet = ['a', 'Z', 'f', 'F', '0', '9', '+', '/', '-', '_', '=', '%', '4', '1', ' ', '\n', '.', 'é'];
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let round = 0; round < 300; round++) {
      const hexOnly = round % 3 === 0;
      const asciiOnly = round % 2 === 0;
      let text = '';
      for (let i = 0, n = Math.floor(random() * 400); i < n; i++) {
        const pool = hexOnly && random() < 0.9 ? alphabet.filter((c) => /[0-9a-fA-F%]/.test(c)) : asciiOnly ? alphabet.filter((c) => c !== 'é') : alphabet;
        text += pool[Math.floor(random() * pool.length)];
      }
      const want = [...text.matchAll(reference)].map((m) => ({ start: m.index, end: m.index + m[0].length, kind: m[1] ? 1 : m[2] ? 2 : 4 }));
      expect(findEncodedMatches(text), text).toEqual(want);
      // Over a file's ASCII bytes the runs come from WebAssembly, without those no decoder would
      // try: fewer matches, the same decoding.
      if (asciiOnly) {
        const runs = runsOf(text);
        const listed = findEncodedMatches(text, runs);
        for (const m of listed) expect(want, text).toContainEqual(m);
        expect(decodePass(text, [], runs), text).toEqual(decodePass(text, []));
      } else {
        // Over UTF-8 bytes the runs are listed too, their offsets turned into UTF-16 ones.
        const automaton = KeywordAutomaton.build(['zz']);
        const runs = automaton.encodedRuns(automaton.scanUtf8(Buffer.from(`😀${text}`, 'utf8')))!;
        expect(decodePass(`😀${text}`, [], runs), text).toEqual(decodePass(`😀${text}`, []));
      }
    }
  });

  it('classes every byte value as gitleaks does: [\\w/+-] extends a run, and a digit or one of +/-_ makes it worth decoding', () => {
    for (let c = 0; c < 256; c++) {
      const ch = String.fromCharCode(c);
      const inRun = /[\w/+-]/.test(ch) && c < 128;
      expect(runsOf(`(abcdefgh${ch}ijklmno1)`).length, `byte ${c}: in a run`).toBe(inRun ? 2 : 0);
      expect(runsOf(`(abcdefgh${ch}ijklmnop)`).length, `byte ${c}: a likely one`).toBe(inRun && /[0-9+/_-]/.test(ch) ? 2 : 0);
    }
  });

  it('lists runs in batches: a text with more runs than one call takes decodes the same', () => {
    const text = Array.from({ length: 50_000 }, (_, i) => `k${i}abcdefghijklmnopq`).join(' ');
    expect(runsOf(text).length).toBe(100_000);
    expect(decodePass(text, [], runsOf(text))).toEqual(decodePass(text, []));
  });

  it('lists the runs a decoder could use: with a digit or one of +/-_, or right after a =', () => {
    const text = 'someLongIdentifierName QUtJQUxBTEVNRUwzMzI0M09MSUE= aGVsbG8gd29ybGQgdGhlcmU==abcdefabcdefabcdefabcdefabcdefabcd x';
    const runs = [...runsOf(text)];
    const spans = [];
    for (let i = 0; i < runs.length; i += 2) spans.push(text.slice(runs[i], runs[i + 1]));
    expect(spans).toEqual(['QUtJQUxBTEVNRUwzMzI0M09MSUE', 'aGVsbG8gd29ybGQgdGhlcmU', 'abcdefabcdefabcdefabcdefabcdefabcd']);
    expect(decodePass(text, [], runsOf(text))).toEqual(decodePass(text, []));
  });
});

describe('passes after the first', () => {
  it('find what a search of the whole text finds, looking only around what the pass before decoded', () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]!;
    const b64 = (s: string) => Buffer.from(s).toString(pick(['base64', 'base64url'] as const));
    const hex = (s: string) => Buffer.from(s).toString('hex');
    const pct = (s: string) => [...Buffer.from(s)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
    const words = ['token=', 'secret', 'AKIAIOSFODNN7EXAMPLE', 'ghp_0123456789abcdefABCDEF', 'value', '12345', 'x', '"', ':', ' ', '=', '==', '%', '%4', 'é', '😀', '/', '+', '-', '_', '\n', 'deadbeefcafe0123456789abcdef0123'];
    const piece = (depth: number): string => {
      if (depth === 0 || rnd(3) === 0) return pick(words);
      const inner = Array.from({ length: 1 + rnd(4) }, () => piece(depth - 1)).join(pick(['', ' ', '', ':']));
      return pick([b64, b64, hex, pct])(inner.length < 8 ? `${inner} padded out a little` : inner);
    };
    let later = 0;
    for (let n = 0; n < 400; n++) {
      const text = Array.from({ length: 1 + rnd(6) }, () => piece(3)).join(pick(['', ' ', '=', '%', ',', 'é']));
      let pass = decodePass(text, []);
      for (let depth = 2; depth <= 5 && pass.segments.length > 0; depth++) {
        const zoned = decodePass(pass.text, pass.segments);
        const whole = decodePass(pass.text, []);
        expect(zoned.text).toBe(whole.text);
        expect(zoned.segments.map((s) => [s.encoded, s.decoded, s.value])).toEqual(whole.segments.map((s) => [s.encoded, s.decoded, s.value]));
        later += zoned.segments.length;
        pass = zoned;
      }
    }
    // Texts encoded two and three times over: later passes have plenty to find.
    expect(later).toBeGreaterThan(300);
  });
});

describe('detection in decoded text', () => {
  it('finds a base64-encoded secret, tagged and located at the encoded text', () => {
    const encoded = b64(`aws_key = ${KEY}`);
    const raw = `first line\ntoken: ${encoded}\n`;
    const [f, ...rest] = detect(raw);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ secret: KEY, match: KEY, startLine: 2, endLine: 2, line: `\ntoken: ${encoded}`, tags: ['key', 'AWS', 'decoded:base64', 'decode-depth:1'] });
    // Columns count from the newline before, as gitleaks' do: the encoded text starts at 8.
    expect([f!.startColumn, f!.endColumn]).toEqual([9, 8 + encoded.length]);
    // Over the file's bytes (the pre-filter's path, with gates) the same.
    const fromBytes = new Detector(parseConfig(AWS_RULE)).detect({ raw, bytes: Buffer.from(raw), filePath: 'a.txt', startLine: 1 });
    expect(fromBytes).toEqual([f]);
  });

  it('finds hex- and percent-encoded secrets; a match reaching beyond the segment widens the location', () => {
    const hexed = detect(`k=${hex(KEY)}`);
    expect(hexed.map((f) => [f.secret, f.startColumn, f.endColumn, f.tags.slice(2)])).toEqual([[KEY, 3, 2 + 2 * KEY.length, ['decoded:hex', 'decode-depth:1']]]);
    // Only "LALEMEL" is encoded: the match starts at AKIA and ends at OLIA, outside the segment.
    const raw = 'k=AKIA%4C%41%4C%45%4D%45%4C33243OLIA';
    const percent = detect(raw);
    expect(percent.map((f) => [f.secret, f.startColumn, f.endColumn, f.tags.slice(2)])).toEqual([[KEY, 3, raw.length, ['decoded:percent', 'decode-depth:1']]]);
  });

  it('decodes nested encodings up to the depth limit, and not at all at depth 0', () => {
    const twice = b64(b64(`key ${KEY}`));
    expect(detect(twice).map((f) => f.tags.slice(2))).toEqual([['decoded:base64', 'decode-depth:2']]);
    expect(detect(twice, { maxDecodeDepth: 2 })).toHaveLength(1);
    expect(detect(twice, { maxDecodeDepth: 1 })).toEqual([]);
    expect(detect(b64(`key ${KEY}`), { maxDecodeDepth: 0 })).toEqual([]);
    const mixed = hex(`x=${b64(`y ${KEY}`)}`);
    expect(detect(mixed).map((f) => f.tags.slice(2))).toEqual([['decoded:hex', 'decoded:base64', 'decode-depth:2']]);
  });

  it('does not report again what a decoding pass finds outside the segments it decoded', () => {
    const raw = `k=${KEY}\nnote: ${b64('nothing secret in here')}\n`;
    expect(detect(raw).map((f) => [f.startLine, f.tags])).toEqual([[1, ['key', 'AWS']]]);
  });

  it('runs a rule on a decoded text only when the decoded text holds its keyword, not when only the encoded text did', () => {
    // "3d61" occurs in the hex of "secret=abcdefghijk" and nowhere in what it decodes to.
    const rule = `[[rules]]\nid = "kw-only-encoded"\nregex = '''secret=([a-z]{8,})'''\nkeywords = ["3d61"]\n`;
    const encoded = hex('secret=abcdefghijk');
    expect(encoded).toContain('3d61');
    for (const raw of [`v: ${encoded}\n`, `v: ${encoded} é\n`]) {
      expect(detect(raw, {}, rule)).toEqual([]);
      expect(new Detector(parseConfig(rule)).detect({ raw, bytes: Buffer.from(raw), filePath: 'a.txt', startLine: 1 })).toEqual([]);
      // With the keyword outside the encoded text too, the decoded secret is found.
      expect(detect(`${raw}3d61\n`, {}, rule).map((f) => f.secret)).toEqual(['abcdefghijk']);
    }
  });

  it('ignores base64 that decodes to binary data', () => {
    const binary = b64(Buffer.concat([Buffer.from([0xff, 0]), Buffer.from(` ${KEY} `)]));
    expect(detect(`blob: ${binary}`)).toEqual([]);
  });

  it('honours gitleaks:allow on the encoded line and line allowlists on the decoded one', () => {
    const encoded = b64(`aws_key = ${KEY}`);
    expect(detect(`token: ${encoded} # gitleaks:allow`)).toEqual([]);
    const lineAllowlist = `${AWS_RULE}
[[rules.allowlists]]
regexTarget = "line"
regexes = ['''aws_key = ''']`;
    expect(detect(`token: ${encoded}`, {}, lineAllowlist)).toEqual([]);
    expect(detect(`token: aws_key = ${KEY}`, {}, lineAllowlist)).toEqual([]);
  });
});

describe('decoding passes try only the places whose matches can reach a decoded segment', () => {
  /** The same configuration with no longest match known: every place of a pass is tried. */
  const unbounded = (config: SecretsConfig) => {
    const portable = toPortable(config);
    for (const rule of portable.rules.values()) if (rule.regex) delete (rule.regex as { maxLength?: number }).maxLength;
    return fromPortable(portable);
  };

  it.each(BUILTIN_RULE_SETS)('finds what trying every place finds: %s rules, on text dense with keywords around encoded secrets', (name) => {
    let seed = 11;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
    const token = (n: number) => Array.from({ length: n }, () => pick([...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'])).join('');
    const secrets = [() => `aws_access_key_id = AKIA${token(16).toUpperCase()}`, () => `api_key = "${token(32)}"`, () => `password: "${token(14)}"`, () => `token=ghp_${token(36)}`];
    const noise = ['const secret = config.secret;', 'api_key: ${API_KEY}', 'password = getPassword(user)', 'headers.token = token', 'the key to the api', 'x'];
    const bounded = new Detector(builtinConfig(name));
    const every = new Detector(unbounded(builtinConfig(name)));
    for (let round = 0; round < 40; round++) {
      const lines: string[] = [];
      for (let i = 0; i < 60; i++) {
        const r = rnd();
        if (r < 0.1) lines.push(`blob = "${b64(pick(secrets)())}"`);
        else if (r < 0.13) lines.push(`hex: ${hex(pick(secrets)())}`);
        else if (r < 0.16) lines.push(pick(secrets)());
        else lines.push(Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => pick(noise)).join(rnd() < 0.5 ? ' ' : ''));
      }
      const raw = lines.join(rnd() < 0.3 ? ' ' : '\n');
      const fragment = { raw, bytes: Buffer.from(raw), filePath: 'a.ts', startLine: 1 };
      expect(bounded.detect(fragment), `round ${round}`).toEqual(every.detect(fragment));
    }
  });
});

describe('places near decoded segments, in long texts', () => {
  const PREFIX_RULE = `[[rules]]\nid = "prefixed"\nregex = '''(?i)[\\w.-]{0,25}?secret[ =]{1,3}"([A-Za-z0-9]{12,40})"'''\nsecretGroup = 1\nkeywords = ["secret"]\n`;
  const unbounded = (config: SecretsConfig) => {
    const portable = toPortable(config);
    for (const rule of portable.rules.values()) if (rule.regex) delete (rule.regex as { maxLength?: number }).maxLength;
    return fromPortable(portable);
  };
  const both = (toml: string, raw: string) => {
    const config = parseConfig(toml);
    const fragment = { raw, bytes: Buffer.from(raw), filePath: 'a.txt', startLine: 1 };
    return [new Detector(config).detect(fragment), new Detector(unbounded(config)).detect(fragment)] as const;
  };

  it('keeps a place whose match reaches back, through its prefix, into a decoded segment far from other places', () => {
    const filler = 'plain words without the keyword '.repeat(100);
    const raw = `${filler}${b64('production_database_admin')}.app_secret = "Q7wLm2Px9Rt4Kv8N"\n${filler}secret = "Zz9Yy8Xx7Ww6Vv5U"\n${filler}`;
    const [bounded, every] = both(PREFIX_RULE, raw);
    expect(bounded).toEqual(every);
    expect(bounded.some((f) => f.tags.includes('decoded:base64'))).toBe(true);
  });

  it('keeps a place whose match reaches forward into a decoded segment, and leaves clusters far away out', () => {
    const filler = 'nothing to see here '.repeat(200);
    // The decoded value is the secret: the match runs from the keyword into the segment.
    const raw = `${filler}secret = "${b64('Q7wLm2Px9Rt4Kv8NzzYy')}"\n${filler}secret = "Zz9Yy8Xx7Ww6Vv5U"\n${filler}`;
    const [bounded, every] = both(PREFIX_RULE, raw);
    expect(bounded).toEqual(every);
    expect(bounded.filter((f) => f.tags.includes('decoded:base64')).map((f) => f.secret)).toEqual(['Q7wLm2Px9Rt4Kv8NzzYy']);
  });
});
