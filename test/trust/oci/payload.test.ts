/** The bytes cosign signs and stores: Go's JSON encoding and the simple-signing payload. */
import { describe, expect, it } from 'vitest';
import { GoMap, goMarshal } from '../../../src/trust/oci/gojson.ts';
import { buildSimpleSigningPayload, parseSimpleSigningPayload } from '../../../src/trust/oci/simple-signing.ts';
import { dockerReferenceOf } from '../../../src/trust/oci/store.ts';
import { parseRegistryReference } from '../../../src/image/reference.ts';

const DIGEST = 'sha256:97fc222cee7991b5b061d4d4afdb5f3428fcb0c9054e1690313786befa1e4e36';
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

describe('goMarshal', () => {
  it('writes structs in field order and maps with keys sorted by bytes, integer-like keys included', () => {
    expect(text(goMarshal({ b: 1, a: new GoMap({ z: '1', '10': 'x', '2': 'y', B: true }) }))).toBe('{"b":1,"a":{"10":"x","2":"y","B":true,"z":"1"}}');
  });

  it("escapes like encoding/json's HTML-safe default and leaves out undefined fields", () => {
    expect(text(goMarshal({ s: '<a href="x">&\u2028é\n', skip: undefined, n: null }))).toBe('{"s":"\\u003ca href=\\"x\\"\\u003e\\u0026\\u2028é\\n","n":null}');
  });
});

describe('simple-signing payload', () => {
  it('is byte-identical to sigstore payload.Cosign marshalled by Go', () => {
    expect(text(buildSimpleSigningPayload('gcr.io/dlorenc-vmtest2/demo', DIGEST))).toBe(
      `{"critical":{"identity":{"docker-reference":"gcr.io/dlorenc-vmtest2/demo"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"cosign container image signature"},"optional":null}`,
    );
    expect(text(buildSimpleSigningPayload('r.example/app', DIGEST, { tag: 'v1', commit: 'abc' }))).toMatch(/"optional":\{"commit":"abc","tag":"v1"\}\}$/);
    expect(text(buildSimpleSigningPayload('r.example/app', DIGEST, {}))).toMatch(/"optional":null\}$/);
  });

  it('names Docker Hub repositories as go-containerregistry does', () => {
    expect(dockerReferenceOf(parseRegistryReference('alpine:3.20'))).toBe('index.docker.io/library/alpine');
    expect(dockerReferenceOf(parseRegistryReference('ghcr.io/org/app@' + DIGEST))).toBe('ghcr.io/org/app');
  });

  it("reads the spec's capitalised example and refuses other payload types", () => {
    const spec = '{"critical":{"identity":{"docker-reference":"testing/manifest"},"image":{"Docker-manifest-digest":"' + DIGEST + '"},"type":"cosign container image signature"},"optional":{"creator":"atomic","timestamp":1458239713}}';
    const claims = parseSimpleSigningPayload(Buffer.from(spec));
    expect(claims).toMatchObject({ dockerReference: 'testing/manifest', digest: DIGEST, optional: { creator: 'atomic', timestamp: 1458239713 } });
    expect(() => parseSimpleSigningPayload(Buffer.from(spec.replace('cosign container image signature', 'atomic container signature')))).toThrow(
      expect.objectContaining({ reason: 'MALFORMED_SIGNATURE' }),
    );
    expect(() => parseSimpleSigningPayload(Buffer.from('not json'))).toThrow(expect.objectContaining({ reason: 'MALFORMED_SIGNATURE' }));
    expect(() => parseSimpleSigningPayload(Buffer.from('{"critical":{"type":"cosign container image signature"}}'))).toThrow(/docker-manifest-digest/);
  });
});
