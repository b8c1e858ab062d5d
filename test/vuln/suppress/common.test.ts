import { describe, expect, it } from 'vitest';
import { parsePurl, purlCovers } from '../../../src/vuln/suppress/common.ts';

function covers(pattern: string, candidate: string): boolean {
  const p = parsePurl(pattern);
  const c = parsePurl(candidate);
  if (!p || !c) throw new Error(`not a purl: ${p ? candidate : pattern}`);
  return purlCovers(p, c);
}

describe('purl matching', () => {
  it('covers every version when the pattern has none, else only the same version', () => {
    expect(covers('pkg:npm/lodash', 'pkg:npm/lodash@4.17.21')).toBe(true);
    expect(covers('pkg:npm/lodash@4.17.21', 'pkg:npm/lodash@4.17.21')).toBe(true);
    expect(covers('pkg:npm/lodash@4.17.20', 'pkg:npm/lodash@4.17.21')).toBe(false);
    expect(covers('pkg:npm/lodash@4.17.21', 'pkg:npm/lodash')).toBe(false);
    expect(covers('pkg:npm/lodash', 'pkg:npm/lodash-es@4.17.21')).toBe(false);
    expect(covers('pkg:npm/lodash', 'pkg:pypi/lodash@4.17.21')).toBe(false);
  });

  it('compares namespaces and names in the canonical form of their type', () => {
    expect(covers('pkg:npm/%40Babel/Traverse', 'pkg:npm/%40babel/traverse@7.23.0')).toBe(true);
    expect(covers('pkg:npm/@babel/traverse@7.23.0', 'pkg:npm/%40babel/traverse@7.23.0')).toBe(true);
    expect(covers('pkg:pypi/Django_Rest', 'pkg:pypi/django-rest@1.0')).toBe(true);
    expect(covers('pkg:nuget/newtonsoft.json', 'pkg:nuget/Newtonsoft.Json@13.0.1')).toBe(true);
    expect(covers('pkg:maven/org.Foo/bar', 'pkg:maven/org.foo/bar@1')).toBe(false);
    expect(covers('pkg:npm/babel/traverse', 'pkg:npm/traverse@7.23.0')).toBe(false);
  });

  it('requires the qualifiers and subpath the pattern gives', () => {
    expect(covers('pkg:rpm/redhat/openssl?arch=x86_64', 'pkg:rpm/redhat/openssl@1.1.1k-6.el8?arch=x86_64&epoch=1')).toBe(true);
    expect(covers('pkg:rpm/redhat/openssl?arch=aarch64', 'pkg:rpm/redhat/openssl@1.1.1k-6.el8?arch=x86_64&epoch=1')).toBe(false);
    expect(covers('pkg:rpm/redhat/openssl?epoch=1', 'pkg:rpm/redhat/openssl@1.1.1k-6.el8')).toBe(false);
    expect(covers('pkg:golang/golang.org/x/net#http2', 'pkg:golang/golang.org/x/net@v0.17.0#http2')).toBe(true);
    expect(covers('pkg:golang/golang.org/x/net#html', 'pkg:golang/golang.org/x/net@v0.17.0#http2')).toBe(false);
  });

  it('returns undefined for text that is not a purl', () => {
    expect(parsePurl('lodash@4.17.21')).toBeUndefined();
    expect(parsePurl('pkg:npm/')).toBeUndefined();
  });
});
