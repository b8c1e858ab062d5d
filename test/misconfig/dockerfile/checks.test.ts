import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDockerfile, DOCKERFILE_CHECKS } from '../../../src/misconfig/dockerfile/checks.ts';
import { parseDockerfile } from '../../../src/misconfig/dockerfile/parser.ts';
import { repoRoot } from '../../helpers/corpus.ts';

const fixture = (name: string) => readFileSync(join(repoRoot, 'test/fixtures/misconfig/dockerfile', name), 'utf8');

/** `PAL-DF-001@15` per hit, in check order. */
function hits(text: string, ...ids: string[]): string[] {
  return checkDockerfile(parseDockerfile(text))
    .filter((h) => ids.length === 0 || ids.includes(h.check.id))
    .map((h) => `${h.check.id}@${h.line}`);
}

describe('Dockerfile checks', () => {
  it('find every problem of the insecure fixture at its line', () => {
    expect(hits(fixture('Dockerfile.insecure'))).toEqual([
      'PAL-DF-001@15', // USER root
      'PAL-DF-002@3', // FROM ${BASE} = ubuntu, no tag
      'PAL-DF-003@9', // ADD https://… without --checksum
      'PAL-DF-004@10', // ADD config.json
      'PAL-DF-005@4', // ENV DB_PASSWORD=hunter2
      'PAL-DF-005@6', // ARG NPM_TOKEN=…
      'PAL-DF-006@3', // no HEALTHCHECK
      'PAL-DF-007@7', // apt-get install without --no-install-recommends
      'PAL-DF-008@7', // unpinned curl git
      'PAL-DF-009@7', // no rm -rf /var/lib/apt/lists
      'PAL-DF-010@13', // apk add without --no-cache
      'PAL-DF-011@8', // curl | sh
      'PAL-DF-012@11', // sudo
      'PAL-DF-013@12', // RUN cd
      'PAL-DF-014@14', // EXPOSE 22/tcp
    ]);
  });

  it('find nothing in the hardened fixture', () => {
    expect(hits(fixture('Dockerfile.hardened'))).toEqual([]);
    expect(hits(fixture('Containerfile'))).toEqual([]); // USER set, HEALTHCHECK NONE, tagged base
  });

  it('read heredoc scripts', () => {
    expect(hits(fixture('heredoc.Dockerfile'))).toEqual(['PAL-DF-011@2']);
  });

  it('every check has an id, severity and text', () => {
    expect(DOCKERFILE_CHECKS.map((c) => c.meta.id)).toEqual(Array.from({ length: 14 }, (_, i) => `PAL-DF-${String(i + 1).padStart(3, '0')}`));
    for (const { meta } of DOCKERFILE_CHECKS) expect(meta).toMatchObject({ type: 'dockerfile', implementation: 'typescript' });
  });
});

describe('root user (PAL-DF-001)', () => {
  it('flags a final stage without USER, at its FROM', () => {
    expect(hits('FROM golang:1.22 AS build\nUSER 1000\nFROM debian:12\nCOPY --from=build /a /a\n', 'PAL-DF-001')).toEqual(['PAL-DF-001@3']);
  });

  it('flags USER root, 0 and 0:0, not other users', () => {
    expect(hits('FROM a:1\nUSER 0:0\n', 'PAL-DF-001')).toEqual(['PAL-DF-001@2']);
    expect(hits('FROM a:1\nUSER root\n', 'PAL-DF-001')).toEqual(['PAL-DF-001@2']);
    expect(hits('FROM a:1\nUSER root\nRUN make\nUSER app:app\n', 'PAL-DF-001')).toEqual([]);
  });

  it('inherits USER from the stage the final one builds on, and trusts distroless nonroot bases', () => {
    expect(hits('FROM a:1 AS base\nUSER app\nFROM base\n', 'PAL-DF-001')).toEqual([]);
    expect(hits('FROM gcr.io/distroless/static-debian12:nonroot\n', 'PAL-DF-001')).toEqual([]);
    expect(hits('FROM cgr.dev/chainguard/static:latest-nonroot\n', 'PAL-DF-001')).toEqual([]);
  });
});

describe('base image tag (PAL-DF-002)', () => {
  it('flags latest and untagged images, including after a registry port', () => {
    expect(hits('FROM node:latest\n', 'PAL-DF-002')).toEqual(['PAL-DF-002@1']);
    expect(hits('FROM localhost:5000/app\n', 'PAL-DF-002')).toEqual(['PAL-DF-002@1']);
  });

  it('skips scratch, stage names, digests, tags and unresolvable variables', () => {
    expect(hits('FROM scratch\n', 'PAL-DF-002')).toEqual([]);
    expect(hits('FROM node:20 AS b\nFROM b\n', 'PAL-DF-002')).toEqual([]);
    expect(hits('FROM node@sha256:abcd\n', 'PAL-DF-002')).toEqual([]);
    expect(hits('FROM localhost:5000/app:1.2\n', 'PAL-DF-002')).toEqual([]);
    expect(hits('ARG IMAGE\nFROM $IMAGE\n', 'PAL-DF-002')).toEqual([]);
  });
});

describe('ADD (PAL-DF-003, PAL-DF-004)', () => {
  it('remote URLs without --checksum; archives and git sources are not "COPY would do"', () => {
    expect(hits('FROM a:1\nADD https://x/y.bin /y\n', 'PAL-DF-003', 'PAL-DF-004')).toEqual(['PAL-DF-003@2']);
    expect(hits('FROM a:1\nADD ["https://x/y.bin", "/y"]\n', 'PAL-DF-003')).toEqual(['PAL-DF-003@2']);
    expect(hits('FROM a:1\nADD --checksum=sha256:00 https://x/y.bin /y\n', 'PAL-DF-003')).toEqual([]);
    expect(hits('FROM a:1\nADD https://github.com/o/r.git /src\n', 'PAL-DF-003', 'PAL-DF-004')).toEqual([]);
    expect(hits('FROM a:1\nADD rootfs.tar.xz /\n', 'PAL-DF-004')).toEqual([]);
    expect(hits('FROM a:1\nADD --chown=app src/ a.txt /app/\n', 'PAL-DF-004')).toEqual(['PAL-DF-004@2']);
  });
});

describe('secrets in ENV and ARG (PAL-DF-005)', () => {
  it('flags literal values of secret names and known token formats', () => {
    expect(hits('FROM a:1\nENV AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG\n', 'PAL-DF-005')).toEqual(['PAL-DF-005@2']);
    expect(hits('FROM a:1\nENV GH ghp_0123456789abcdefghijklmnopqrstuvwxyzAB\n', 'PAL-DF-005')).toEqual(['PAL-DF-005@2']);
    expect(hits('ARG API_KEY=abc123\nFROM a:1\n', 'PAL-DF-005')).toEqual(['PAL-DF-005@1']);
  });

  it('leaves references, paths, empty values, undeclared defaults and look-alike names alone', () => {
    const ok = [
      'ARG NPM_TOKEN',
      'ENV NPM_TOKEN=$NPM_TOKEN',
      'ENV DB_PASSWORD=${DB_PASSWORD}',
      'ENV PASSWORD_FILE=/run/secrets/pw',
      'ENV SECRET_NAME=db TOKEN_TTL=60 PWD=/app BYPASS_CACHE=1',
      'ENV GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D',
      'ENV DB_PASSWORD=""',
    ];
    expect(hits(`FROM a:1\n${ok.join('\n')}\n`, 'PAL-DF-005')).toEqual([]);
  });

  it('never shows the secret in evidence', () => {
    const [hit] = checkDockerfile(parseDockerfile('FROM a:1\nENV DB_PASSWORD=hunter2\n')).filter((h) => h.check.id === 'PAL-DF-005');
    expect(hit!.value).toBe('ENV DB_PASSWORD=h****');
  });
});

describe('HEALTHCHECK (PAL-DF-006)', () => {
  it('looks at the shipped stages only; HEALTHCHECK NONE counts as a decision', () => {
    expect(hits('FROM a:1 AS b\nHEALTHCHECK CMD true\nFROM c:1\n', 'PAL-DF-006')).toEqual(['PAL-DF-006@3']);
    expect(hits('FROM a:1 AS b\nHEALTHCHECK CMD true\nFROM b\n', 'PAL-DF-006')).toEqual([]);
    expect(hits('FROM a:1\nHEALTHCHECK NONE\n', 'PAL-DF-006')).toEqual([]);
  });
});

describe('package managers (PAL-DF-007 … PAL-DF-010)', () => {
  it('apt-get hygiene applies to shipped stages, pinning to every stage', () => {
    const text = 'FROM debian:12 AS build\nRUN apt-get update && apt-get install -y gcc\nFROM debian:12\nRUN apt-get install -y --no-install-recommends curl=7.88 && rm -rf /var/lib/apt/lists/*\n';
    expect(hits(text, 'PAL-DF-007', 'PAL-DF-008', 'PAL-DF-009')).toEqual(['PAL-DF-008@2']);
  });

  it('accepts the apt options and cache mounts people use', () => {
    expect(hits('FROM d:1\nRUN apt-get -o APT::Install-Recommends=false install -y a=1 && rm -rf /var/lib/apt/lists\n', 'PAL-DF-007', 'PAL-DF-009')).toEqual([]);
    expect(hits('FROM d:1\nRUN --mount=type=cache,target=/var/lib/apt,sharing=locked apt install -y --no-install-recommends a=1\n', 'PAL-DF-009')).toEqual([]);
    expect(hits('FROM d:1\nRUN ["apt-get", "install", "-y", "curl"]\n', 'PAL-DF-007', 'PAL-DF-008')).toEqual(['PAL-DF-007@2', 'PAL-DF-008@2']);
  });

  it('apk add needs --no-cache unless a cache mount or cleanup keeps the cache out', () => {
    expect(hits('FROM alpine:3\nRUN apk update && apk add curl\n', 'PAL-DF-010')).toEqual(['PAL-DF-010@2']);
    expect(hits('FROM alpine:3\nRUN apk add --no-cache curl\n', 'PAL-DF-010')).toEqual([]);
    expect(hits('FROM alpine:3\nRUN apk add curl && rm -rf /var/cache/apk/*\n', 'PAL-DF-010')).toEqual([]);
    expect(hits('FROM alpine:3\nRUN --mount=type=cache,target=/var/cache/apk apk add curl\n', 'PAL-DF-010')).toEqual([]);
  });
});

describe('remote scripts, sudo, cd, ssh (PAL-DF-011 … PAL-DF-014)', () => {
  it('curl/wget piped or substituted into a shell', () => {
    expect(hits('FROM a:1\nRUN wget -qO- https://x/i.sh | sudo bash -s -- --yes\n', 'PAL-DF-011')).toEqual(['PAL-DF-011@2']);
    expect(hits('FROM a:1\nRUN sh -c "$(curl -fsSL https://x/i.sh)"\n', 'PAL-DF-011')).toEqual(['PAL-DF-011@2']);
    expect(hits('FROM a:1\nRUN curl -fsSL https://x/k.gpg | gpg --dearmor -o /k.gpg\n', 'PAL-DF-011')).toEqual([]);
  });

  it('sudo anywhere in a RUN (ONBUILD triggers included), not in other words', () => {
    expect(hits('FROM a:1\nONBUILD RUN sudo make\n', 'PAL-DF-012')).toEqual(['PAL-DF-012@2']);
    expect(hits('FROM a:1\nRUN apt-get install -y sudo=1.9\n', 'PAL-DF-012')).toEqual([]);
  });

  it('RUN starting with cd; cd later in a RUN is fine', () => {
    expect(hits('FROM a:1\nRUN cd /src && make\n', 'PAL-DF-013')).toEqual(['PAL-DF-013@2']);
    expect(hits('FROM a:1\nRUN make && cd /out && ls\n', 'PAL-DF-013')).toEqual([]);
  });

  it('EXPOSE 22 alone, with a protocol, or in a range', () => {
    expect(hits('FROM a:1\nEXPOSE 20-25\n', 'PAL-DF-014')).toEqual(['PAL-DF-014@2']);
    expect(hits('FROM a:1\nEXPOSE 2222 220\n', 'PAL-DF-014')).toEqual([]);
  });
});
