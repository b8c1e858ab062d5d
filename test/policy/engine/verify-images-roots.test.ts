/**
 * keyless.roots compiled into trusted roots are kept, but boundedly: past MAX_COMPILED_ROOTS
 * distinct roots the least recently used is dropped (and compiled again when asked for), so a
 * server that sees many policies does not keep every root it ever saw.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as chain from '../../../src/trust/certificate-chain.ts';
import { MAX_COMPILED_ROOTS, TrustImageVerifier } from '../../../src/policy/engine/verify-images-trust.ts';
import type { ImageVerificationRequest } from '../../../src/policy/engine/verify-images-spec.ts';
import { hasOpenssl, issueCertificate } from '../../trust/certificate-helpers.ts';

vi.mock('../../../src/trust/certificate-chain.ts', async (original) => {
  const actual = await original<typeof chain>();
  return { ...actual, parseCertificates: vi.fn(actual.parseCertificates) };
});

describe.skipIf(!hasOpenssl)('TrustImageVerifier keyless.roots', () => {
  let pem = '';
  let dir = '';

  beforeAll(() => {
    pem = issueCertificate('roots test CA', { ca: true }).cert;
    dir = mkdtempSync(join(tmpdir(), 'palisade-roots-'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A keyless request whose roots are `pem` under a distinct label (distinct PEM text, same certificate). */
  const request = (n: number): ImageVerificationRequest => ({
    kind: 'signature',
    // No such layout: the roots are compiled, then the verification fails without a registry.
    image: `oci:${join(dir, 'missing')}`,
    attestor: { kind: 'keyless', subject: 'ci@example.com', issuer: 'https://issuer.example.com', roots: `root ${n}\n${pem}` },
  });

  it('keeps the most recently used roots compiled and drops the least recently used beyond the bound', async () => {
    const parse = vi.mocked(chain.parseCertificates);
    const verifier = new TrustImageVerifier();
    const compiles = async (n: number) => {
      const before = parse.mock.calls.length;
      await verifier.verify(request(n)).catch(() => undefined);
      return parse.mock.calls.length - before;
    };
    for (let n = 0; n < MAX_COMPILED_ROOTS; n++) expect(await compiles(n)).toBe(1);
    // Root 0 used again: a hit, and now the most recent.
    expect(await compiles(0)).toBe(0);
    // One more distinct root: the least recently used (root 1) goes, root 0 stays.
    expect(await compiles(MAX_COMPILED_ROOTS)).toBe(1);
    expect(await compiles(0)).toBe(0);
    expect(await compiles(MAX_COMPILED_ROOTS)).toBe(0);
    expect(await compiles(1)).toBe(1);
  });
});
