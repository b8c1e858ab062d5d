import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../src/ci/config.ts';
import { at, ids, run } from './helpers.ts';

const HASH = '11bd71901bbe5b1630ceea73d27597364c9af683';

describe('template-injection', () => {
  it('flags attacker-controlled contexts in run: with their exact position and grades them', () => {
    const text = `
      on: issues
      permissions: {}
      jobs:
        triage:
          runs-on: ubuntu-latest
          steps:
            - run: |
                echo "\${{ github.event.issue.title }}"
                echo "\${{ github.event.issue.html_url }}"
                echo "\${{ github.event.issue.number }} \${{ github.sha }}"
      `;
    const findings = run(text, { rules: ['template-injection'] });
    expect(findings.map((f) => [`${f.start.line}:${f.start.column}`, f.severity, f.confidence])).toEqual([
      [at(text, 'github.event.issue.title'), 'high', 'high'],
      [at(text, 'github.event.issue.html_url'), 'medium', 'high'],
    ]);
    expect(findings[0]!.message).toBe('github.event.issue.title may expand into attacker-controllable code');
  });

  it('flags actions/github-script scripts and other code inputs, not ordinary inputs', () => {
    const text = `
        on: issue_comment
        jobs:
          j:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/github-script@${HASH}
                with:
                  script: console.log("\${{ github.event.comment.body }}")
              - uses: actions/labeler@${HASH}
                with:
                  configuration-path: \${{ github.event.comment.body }}
        `;
    expect(ids(text, { rules: ['template-injection'] })).toEqual([`template-injection@${at(text, 'github.event.comment.body')}`]);
  });

  it('follows env: to decide whether env.X can carry attacker data', () => {
    const text = `
      on: push
      env:
        STATIC: hello
      jobs:
        j:
          runs-on: ubuntu-latest
          steps:
            - run: echo "\${{ env.STATIC }} \${{ env.DYNAMIC }}"
              env:
                DYNAMIC: \${{ github.head_ref }}
      `;
    expect(ids(text, { rules: ['template-injection'] })).toEqual([`template-injection@${at(text, 'env.DYNAMIC')}`]);
    expect(ids(text, { rules: ['template-injection'], persona: 'pedantic' })).toEqual([
      `template-injection@${at(text, 'env.STATIC')}`,
      `template-injection@${at(text, 'env.DYNAMIC')}`,
    ]);
  });

  it('treats matrix values as safe unless the matrix comes from an expression', () => {
    const text = (values: string) => `
      on: push
      jobs:
        j:
          runs-on: ubuntu-latest
          strategy:
            matrix:
              v: ${values}
          steps:
            - run: echo \${{ matrix.v }}
      `;
    expect(ids(text('[a, b]'), { rules: ['template-injection'] })).toEqual([]);
    const dynamic = text('${{ fromJSON(github.event.inputs.list) }}');
    expect(ids(dynamic, { rules: ['template-injection'] })).toEqual([`template-injection@${at(dynamic, 'matrix.v')}`]);
  });

  it('honours inline ignore comments anywhere in the step', () => {
    expect(
      ids(
        `
        on: issues
        jobs:
          j:
            runs-on: ubuntu-latest
            steps:
              - name: greet # palisade: ignore[template-injection]
                run: echo "\${{ github.event.issue.title }}"
        `,
        { rules: ['template-injection'] },
      ),
    ).toEqual([]);
  });
});

describe('triggers', () => {
  it('flags pull_request_target and workflow_run but not the labeler-only pattern', () => {
    expect(ids('on: [pull_request_target, workflow_run]\njobs: {}\n', { rules: ['dangerous-triggers'] })).toEqual([
      'dangerous-triggers@1:1',
      'dangerous-triggers@1:1',
    ]);
    const labeler = `
      on: pull_request_target
      jobs:
        label:
          runs-on: ubuntu-latest
          steps:
            - uses: actions/labeler@${HASH}
      `;
    expect(ids(labeler, { rules: ['dangerous-triggers'] })).toEqual([]);
  });

  it('flags checking out the pull request head in a privileged workflow, and the secrets after it', () => {
    const findings = run(
      `
      on: pull_request_target
      jobs:
        build:
          runs-on: ubuntu-latest
          steps:
            - uses: actions/checkout@${HASH}
              with:
                ref: \${{ github.event.pull_request.head.sha }}
                persist-credentials: false
            - run: make test
              env:
                TOKEN: \${{ secrets.DEPLOY_TOKEN }}
      `,
      { rules: ['untrusted-checkout', 'secrets-in-untrusted-context'] },
    );
    expect(findings.map((f) => `${f.rule}@${f.start.line}:${f.confidence}`)).toEqual([
      'untrusted-checkout@8:high',
      'secrets-in-untrusted-context@12:medium',
    ]);
  });

  it('does not flag a checkout of the base in a privileged workflow, nor the head under pull_request', () => {
    const base = `
      on: pull_request_target
      jobs:
        j:
          runs-on: ubuntu-latest
          steps:
            - uses: actions/checkout@${HASH}
      `;
    expect(ids(base, { rules: ['untrusted-checkout'] })).toEqual([]);
    const pr = base.replace('pull_request_target', 'pull_request').replace(`@${HASH}`, `@${HASH}\n              with:\n                ref: \${{ github.head_ref }}`);
    expect(ids(pr, { rules: ['untrusted-checkout'] })).toEqual([]);
  });

  it('grades spoofable bot checks by whether they decide the condition alone', () => {
    const text = `
      on: pull_request_target
      jobs:
        merge:
          runs-on: ubuntu-latest
          if: github.actor == 'dependabot[bot]'
          steps:
            - run: gh pr merge
              if: \${{ github.actor == 'renovate[bot]' && github.repository == 'o/r' }}
            - run: echo fine
              if: github.event.pull_request.user.login == 'dependabot[bot]'
      `;
    const findings = run(text, { rules: ['bot-conditions'] });
    expect(findings.map((f) => `${f.start.line}:${f.start.column}:${f.confidence}`)).toEqual([
      `${at(text, "github.actor == 'dependabot")}:high`,
      `${at(text, "github.actor == 'renovate")}:medium`,
    ]);
  });

  it('reports self-hosted runners: regular on pull-request triggers, auditor-only otherwise', () => {
    const text = (on: string) => `
      on: ${on}
      jobs:
        j:
          runs-on: [self-hosted, linux]
          steps:
            - run: echo
      `;
    expect(ids(text('pull_request'), { rules: ['self-hosted-runner'] })).toEqual(['self-hosted-runner@4:5']);
    expect(ids(text('push'), { rules: ['self-hosted-runner'] })).toEqual([]);
    expect(ids(text('push'), { rules: ['self-hosted-runner'], persona: 'auditor' })).toEqual(['self-hosted-runner@4:5']);
  });
});

describe('excessive-permissions', () => {
  it('flags missing permissions on every job of a multi-job workflow and write-all anywhere', () => {
    const text = `
      on: push
      jobs:
        a:
          runs-on: ubuntu-latest
          steps: [{ run: echo }]
        b:
          runs-on: ubuntu-latest
          permissions: write-all
          steps: [{ run: echo }]
      `;
    expect(run(text, { rules: ['excessive-permissions'] }).map((f) => `${f.start.line}:${f.message}`)).toEqual([
      '1:default permissions used due to no permissions: block',
      '3:default permissions used due to no permissions: block',
      '8:uses write-all permissions',
    ]);
  });

  it('accepts permissions: {} at the top with grants per job', () => {
    const text = `
      on: push
      permissions: {}
      jobs:
        a:
          runs-on: ubuntu-latest
          permissions:
            contents: write
          steps: [{ run: echo }]
        b:
          runs-on: ubuntu-latest
          steps: [{ run: echo }]
      `;
    expect(ids(text, { rules: ['excessive-permissions'] })).toEqual([]);
  });
});

describe('pinning', () => {
  it('requires full commit SHAs for actions and reusable workflows; local actions are fine', () => {
    const text = `
      on: push
      jobs:
        call:
          uses: octo/repo/.github/workflows/ci.yml@main
        j:
          runs-on: ubuntu-latest
          steps:
            - uses: actions/checkout@v4
            - uses: actions/setup-node@${HASH} # v4.0.0
            - uses: ./.github/actions/local
      `;
    expect(ids(text, { rules: ['unpinned-uses'] })).toEqual(['unpinned-uses@4:11', 'unpinned-uses@8:15']);
  });

  it('lets an allow-list relax pinning for trusted owners', () => {
    const config = defaultConfig();
    config.pinPolicies.push({ pattern: 'actions/*', policy: 'ref-pin' });
    const text = 'on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: other/action@v1\n';
    expect(ids(text, { rules: ['unpinned-uses'], config })).toEqual(['unpinned-uses@7:15']);
  });

  it('flags unpinned and latest container images and Docker actions', () => {
    const text = `
      on: push
      jobs:
        j:
          runs-on: ubuntu-latest
          container: node:latest
          services:
            db:
              image: postgres
          steps:
            - uses: docker://alpine:3.20
            - uses: docker://alpine@sha256:${'a'.repeat(64)}
      `;
    expect(ids(text, { rules: ['unpinned-images'] })).toEqual(['unpinned-images@5:5', 'unpinned-images@8:9']);
    expect(ids(text, { rules: ['unpinned-images'], persona: 'pedantic' })).toContain('unpinned-images@10:24');
  });

  it('knows compromised actions from the built-in advisory table', () => {
    const findings = run(
      `
      on: push
      jobs:
        j:
          runs-on: ubuntu-latest
          steps:
            - uses: tj-actions/changed-files@v44
            - uses: tj-actions/changed-files@0e58ed8671d6b60d0890c21b07f8835ace038e67
            - uses: tj-actions/changed-files@v46.0.5
      `,
      { rules: ['known-vulnerable-actions'] },
    );
    // v44 is below the March 2025 fix (46.0.1) but above the 2023 one (41.0.0); v46.0.5 is fixed.
    expect(findings.map((f) => `${f.start.line}:${f.message.split(':')[0]}`)).toEqual(['6:GHSA-mrrh-fwg8-r2c3', '7:GHSA-mrrh-fwg8-r2c3']);
  });
});

describe('credentials', () => {
  it('flags checkout without persist-credentials: false, high when a later step uploads the workspace', () => {
    const findings = run(
      `
      on: push
      jobs:
        j:
          runs-on: ubuntu-latest
          steps:
            - uses: actions/checkout@${HASH}
            - uses: actions/upload-artifact@${HASH}
              with:
                path: .
      `,
      { rules: ['artipacked'] },
    );
    expect(findings.map((f) => `${f.start.line}:${f.severity}`)).toEqual(['6:high']);
  });

  it('flags secrets: inherit, toJSON(secrets), fromJSON(secrets.x) and literal registry passwords', () => {
    const text = `
      on: push
      jobs:
        call:
          uses: o/r/.github/workflows/x.yml@${HASH}
          secrets: inherit
        j:
          runs-on: ubuntu-latest
          container:
            image: registry.example.com/img@sha256:${'b'.repeat(64)}
            credentials:
              username: ci
              password: hunter2
          steps:
            - run: ./deploy
              env:
                ALL: \${{ toJSON(secrets) }}
                PART: \${{ fromJSON(secrets.CREDS).user }}
      `;
    expect(ids(text, { rules: ['secrets-inherit', 'overprovisioned-secrets', 'unredacted-secrets', 'hardcoded-container-credentials'] })).toEqual([
      `secrets-inherit@${at(text, 'o/r/.github')}`,
      `hardcoded-container-credentials@${at(text, 'password:')}`,
      `overprovisioned-secrets@${at(text, '${{ toJSON')}`,
      `unredacted-secrets@${at(text, '${{ fromJSON')}`,
    ]);
  });

  it('flags secrets printed through an encoder, not secrets piped into a login', () => {
    const text = `
      on: push
      jobs:
        j:
          runs-on: ubuntu-latest
          steps:
            - run: |
                echo "$TOKEN" | docker login --password-stdin ghcr.io
                echo "$TOKEN" | base64
              env:
                TOKEN: \${{ secrets.REGISTRY_TOKEN }}
      `;
    const findings = run(text, { rules: ['secrets-echoed'] });
    expect(findings.map((f) => `${f.start.line}:${f.severity}`)).toEqual(['8:high']);
  });
});

describe('environment files and commands', () => {
  it('flags dynamic GITHUB_ENV writes in privileged workflows only', () => {
    const text = (on: string) => `
      on: ${on}
      jobs:
        j:
          runs-on: ubuntu-latest
          steps:
            - run: |
                echo "NAME=$TITLE" >> "$GITHUB_ENV"
                echo "STATIC=1" >> $GITHUB_ENV
      `;
    expect(run(text('workflow_run'), { rules: ['github-env'] }).map((f) => f.message)).toEqual(['write to GITHUB_ENV may allow code execution']);
    expect(ids(text('push'), { rules: ['github-env'] })).toEqual([]);
  });

  it('flags ACTIONS_ALLOW_UNSECURE_COMMANDS and curl | sh', () => {
    const text = `
      on: push
      env:
        ACTIONS_ALLOW_UNSECURE_COMMANDS: true
      jobs:
        j:
          runs-on: ubuntu-latest
          steps:
            - run: curl -fsSL https://example.com/i.sh | sudo bash -s --
            - run: curl -fsSL -o i.sh https://example.com/i.sh && sha256sum -c sums && sh i.sh
      `;
    expect(ids(text, { rules: ['insecure-commands', 'curl-pipe-shell'] })).toEqual(['insecure-commands@2:1', 'curl-pipe-shell@8:14']);
  });
});

describe('conditions', () => {
  it('flags always-true conditions, substring contains() and falsy pseudo-ternaries', () => {
    const text = `
      on: push
      jobs:
        j:
          runs-on: ubuntu-latest
          steps:
            - run: echo
              if: |
                \${{ github.ref == 'refs/heads/main' }}
            - run: echo
              if: contains('refs/heads/main refs/heads/dev', github.ref)
            - run: echo \${{ github.ref && '' || 'x' }}
            - run: echo
              if: contains(fromJSON('["refs/heads/main"]'), github.ref)
      `;
    expect(ids(text, { rules: ['unsound-condition', 'unsound-contains', 'unsound-ternary'] })).toEqual([
      `unsound-condition@${at(text, 'if: |')}`,
      `unsound-contains@${at(text, "if: contains('refs")}`,
      `unsound-ternary@${at(text, "''")}`,
    ]);
  });

  it('flags obfuscated uses: paths and constant expressions', () => {
    const text = `
      on: push
      jobs:
        j:
          runs-on: ubuntu-latest
          steps:
            - uses: actions/checkout/./@${HASH}
            - run: echo \${{ format('{0}', 'x') }}
      `;
    expect(run(text, { rules: ['obfuscation'] }).map((f) => `${f.start.line}:${f.message}`)).toEqual([
      "6:actions reference contains '.'",
      '6:actions reference contains empty component',
      '7:can be replaced by its static evaluation',
    ]);
  });
});

describe('cache-poisoning', () => {
  it('flags caches restored by release workflows, and respects opt-outs', () => {
    const text = `
      on:
        push:
          tags: ['v*']
      jobs:
        release:
          runs-on: ubuntu-latest
          steps:
            - uses: actions/setup-go@${HASH} # v5.0.0
            - uses: actions/setup-go@${HASH} # v5.0.0
              with:
                cache: false
            - uses: actions/setup-node@${HASH} # v4.0.0
      `;
    expect(run(text, { rules: ['cache-poisoning'] }).map((f) => `${f.start.line}:${f.message}`)).toEqual(['8:omitting `cache` enables caching']);
  });

  it('leaves non-release workflows alone', () => {
    const text = `on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/cache@${HASH}\n`;
    expect(ids(text, { rules: ['cache-poisoning'] })).toEqual([]);
  });
});

describe('actions and Dependabot', () => {
  it('audits composite action steps', () => {
    const text = `
      name: a
      description: d
      runs:
        using: composite
        steps:
          - run: echo "\${{ inputs.name }}"
            shell: bash
          - uses: actions/checkout@v4
      `;
    expect(ids(text, { kind: 'action', rules: ['template-injection', 'unpinned-uses', 'artipacked'] })).toEqual([
      `template-injection@${at(text, 'inputs.name')}`,
      `artipacked@${at(text, 'uses: actions/checkout')}`,
      `unpinned-uses@${at(text, 'actions/checkout@v4')}`,
    ]);
  });

  it('flags insecure external code execution and missing cooldowns', () => {
    const text = `
      version: 2
      updates:
        - package-ecosystem: npm
          directory: /
          insecure-external-code-execution: allow
          cooldown:
            default-days: 7
        - package-ecosystem: pip
          directory: /
      `;
    expect(ids(text, { kind: 'dependabot' })).toEqual(['dependabot-execution@5:5', 'dependabot-cooldown@8:5']);
  });
});

describe('configuration', () => {
  it('reads zizmor.yml: disable, ignore by file:line and rule settings', () => {
    const config = parseConfig(
      'rules:\n  artipacked:\n    disable: true\n  unpinned-uses:\n    ignore: [wf.yml:6]\n    config:\n      policies:\n        "*": hash-pin\n',
      'zizmor.yml',
    );
    expect(config.disabled.has('artipacked')).toBe(true);
    expect(config.ignores.get('unpinned-uses')).toEqual([{ file: 'wf.yml', line: 6 }]);
  });

  it('rejects invalid settings instead of ignoring them', () => {
    expect(() => parseConfig('rules:\n  unpinned-uses:\n    config:\n      policies:\n        "foo/": any\n', 'c')).toThrow(/invalid pattern/);
    expect(() => parseConfig('rules:\n  dependabot-cooldown:\n    config:\n      days: 0\n', 'c')).toThrow(/positive/);
    expect(() => parseConfig('rules:\n  forbidden-uses:\n    config:\n      maybe: [x/y]\n', 'c')).toThrow(/allow: or deny:/);
  });
});

describe('scorecard and provenance', () => {
  it('raises missing-provenance on a publishing workflow without provenance', () => {
    const text = `
      on:
        release:
          types: [published]
      permissions: {}
      jobs:
        publish:
          runs-on: ubuntu-latest
          steps:
            - run: npm publish
      `;
    expect(ids(text, { rules: ['missing-provenance'] })).toEqual(['missing-provenance@1:1']);
  });
});
