/**
 * Kubernetes' URL library: `url(string)` accepts what Go's url.ParseRequestURI accepts (an
 * absolute URL, or an absolute path), `isURL(string)`, and the accessors `getScheme`, `getHost`
 * (with the port; IPv6 hosts keep their brackets), `getHostname` (no port, no brackets),
 * `getPort`, `getEscapedPath`, `getQuery` (map of lists).
 */
import type { Environment } from '@marcbachmann/cel-js';
import { CelEvalError } from '../errors.ts';

export class CelURL {
  readonly scheme: string;
  readonly host: string;
  readonly path: string;
  readonly rawQuery: string;
  private readonly source: string;

  constructor(source: string, scheme: string, host: string, path: string, rawQuery: string) {
    this.source = source;
    this.scheme = scheme;
    this.host = host;
    this.path = path;
    this.rawQuery = rawQuery;
  }

  hostname(): string {
    if (this.host.startsWith('[')) return this.host.slice(1, this.host.indexOf(']'));
    const colon = this.host.lastIndexOf(':');
    return colon < 0 ? this.host : this.host.slice(0, colon);
  }

  port(): string {
    const end = this.host.startsWith('[') ? this.host.indexOf(']') + 1 : 0;
    const colon = this.host.indexOf(':', end);
    return colon < 0 ? '' : this.host.slice(colon + 1);
  }

  query(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const part of this.rawQuery.split('&')) {
      if (!part) continue;
      const eq = part.indexOf('=');
      const key = decode(eq < 0 ? part : part.slice(0, eq));
      const value = eq < 0 ? '' : decode(part.slice(eq + 1));
      (out[key] ??= []).push(value);
    }
    return out;
  }

  toJSON(): string {
    return this.source;
  }

  toString(): string {
    return this.source;
  }
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

const ABSOLUTE = /^([A-Za-z][A-Za-z0-9+.-]*):(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?$/;

export function parseUrl(s: string): CelURL {
  if (s.startsWith('/')) {
    const q = s.indexOf('?');
    return new CelURL(s, '', '', q < 0 ? s : s.slice(0, q), q < 0 ? '' : s.slice(q + 1));
  }
  const m = ABSOLUTE.exec(s);
  if (!m || /\s/.test(s) || [...s].some((c) => c.charCodeAt(0) < 0x20)) throw new CelEvalError(`URL parse error during conversion from string: parse ${JSON.stringify(s)}: invalid URI for request`);
  const host = m[2] ?? '';
  if (host.includes('@') && !host.split('@')[1]) throw new CelEvalError(`URL parse error during conversion from string: parse ${JSON.stringify(s)}: invalid host`);
  return new CelURL(s, m[1]!, host.includes('@') ? host.slice(host.lastIndexOf('@') + 1) : host, m[3] ?? '', m[4] ?? '');
}

export function registerUrl(env: Environment): void {
  env
    .registerType('URL', CelURL)
    .registerFunction('url(string): URL', (s: string) => parseUrl(s))
    .registerFunction('isURL(string): bool', (s: string) => {
      try {
        parseUrl(s);
        return true;
      } catch {
        return false;
      }
    })
    .registerFunction('URL.getScheme(): string', (u: CelURL) => u.scheme)
    .registerFunction('URL.getHost(): string', (u: CelURL) => u.host)
    .registerFunction('URL.getHostname(): string', (u: CelURL) => u.hostname())
    .registerFunction('URL.getPort(): string', (u: CelURL) => u.port())
    .registerFunction('URL.getEscapedPath(): string', (u: CelURL) => u.path)
    .registerFunction('URL.getQuery(): map<string, list<string>>', (u: CelURL) => u.query())
    .registerFunction('string(URL): string', (u: CelURL) => u.toString());
}
