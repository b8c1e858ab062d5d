import { describe, expect, it } from 'vitest';
import { gitCommit, vcsUrl } from '../../../../src/sbom/catalog/javascript/git-source.ts';

const SHA = '0a2d2506c1fe299691fc5db53a2097db3bd615bc';

describe('gitCommit', () => {
  it.each([
    [`git+ssh://git@github.com:G-Rath/npm-git-repo-2#${SHA}`],
    [`ssh://github.com/substack/minimist.git#${SHA}`],
    [`git://github.com/angular/bower-angular-animate.git#${SHA}`],
    [`https://github.com/bats-core/bats-core#${SHA}`],
    [`https://dummy-token@github.com/jonschlinkert/is-number.git#${SHA}`],
    [`https://github.com/my-org/my-first-package.git#commit=${SHA}`],
    [`https://github.com/typegoose/typegoose.git#commit:${SHA}`],
    [`https://codeload.github.com/G-Rath/npm-git-repo-1/tar.gz/${SHA}`],
    [`https://gitlab.com/kornelski/babel-preset-php/repository/archive.tar.gz?ref=${SHA}`],
    [`github:jonschlinkert/is-number#${SHA}`],
  ])('finds the commit in %s', (source) => {
    expect(gitCommit(source)).toBe(SHA);
  });

  it.each([
    ['a registry tarball checksum', `https://registry.yarnpkg.com/etag/-/etag-1.8.1.tgz#${SHA}`],
    ['a branch', 'git+https://github.com/my-org/my-package.git#main'],
    ['a tag', 'https://github.com/vuejs/vue.git#v2.6.12'],
    ['a plain version', '1.2.3'],
    ['a local path', 'file:./vendor/lib'],
    ['a ref query off the git hosts', `https://example.com/archive.tar.gz?ref=${SHA}`],
  ])('finds none in %s', (_, source) => {
    expect(gitCommit(source)).toBeUndefined();
  });
});

describe('vcsUrl', () => {
  it.each([
    [`git+ssh://git@github.com:G-Rath/npm-git-repo-2#${SHA}`, 'git+https://github.com/G-Rath/npm-git-repo-2'],
    [`https://codeload.github.com/G-Rath/npm-git-repo-1/tar.gz/${SHA}`, 'git+https://github.com/G-Rath/npm-git-repo-1'],
    ['git@bitbucket.org:my-org/my-project.git', 'git+https://bitbucket.org/my-org/my-project'],
    ['ssh://git@git.example.com:2222/team/repo.git', 'git+https://git.example.com:2222/team/repo'],
    ['github:jonschlinkert/is-number#master', 'git+https://github.com/jonschlinkert/is-number'],
    ['https://gitlab.com/kornelski/babel-preset-php/repository/archive.tar.gz?ref=abc', 'git+https://gitlab.com/kornelski/babel-preset-php'],
  ])('normalises %s', (source, repo) => {
    expect(vcsUrl(source, SHA)).toBe(`${repo}@${SHA}`);
  });

  it('drops credentials', () => {
    expect(vcsUrl(`https://user:s3cret@github.com/acme/private.git#${SHA}`, SHA)).toBe(`git+https://github.com/acme/private@${SHA}`);
  });
});
