/**
 * Registry authentication: the `WWW-Authenticate` challenge decides between HTTP basic
 * credentials and bearer tokens from the registry's token service (the Docker token protocol,
 * also used by the OCI distribution registries). Tokens are cached per scope until they expire.
 */
import { errorMessage } from '../../core/errors.ts';
import type { Credentials } from './docker-config.ts';
import { RegistryError } from './errors.ts';
import { readBody } from './http.ts';
import type { Transport } from './http.ts';

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;
const MAX_TOKEN_RESPONSE = 1 << 20;
/** Tokens without an `expires_in` live 60 s per the token specification. */
const DEFAULT_TOKEN_SECONDS = 60;
/** Renew a little early so a token does not expire between the check and the request. */
const EXPIRY_MARGIN_MS = 5_000;

/** Parses one header value into its challenges (RFC 9110 §11.6.1: scheme, then auth-params). */
export function parseChallenges(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let pos = 0;
  const skip = (chars: RegExp) => {
    while (pos < header.length && chars.test(header[pos] ?? '')) pos++;
  };
  const token = (): string | undefined => {
    TOKEN.lastIndex = pos;
    const match = TOKEN.exec(header);
    if (match === null) return undefined;
    pos += match[0].length;
    return match[0];
  };
  while (pos < header.length) {
    skip(/[\s,]/);
    const word = token();
    if (word === undefined) {
      pos++;
      continue;
    }
    skip(/\s/);
    if (header[pos] !== '=') {
      challenges.push({ scheme: word.toLowerCase(), params: {} });
      continue;
    }
    pos++;
    skip(/\s/);
    const value = header[pos] === '"' ? quoted() : (token() ?? '');
    const current = challenges.at(-1);
    if (current !== undefined) current.params[word.toLowerCase()] = value;
  }
  return challenges;

  function quoted(): string {
    let value = '';
    for (pos++; pos < header.length && header[pos] !== '"'; pos++) {
      if (header[pos] === '\\') pos++;
      value += header[pos] ?? '';
    }
    pos++;
    return value;
  }
}

interface Token {
  value: string;
  expiresAt: number;
}

export interface AuthenticatorOptions {
  /** host[:port] of the registry API, for messages. */
  host: string;
  credentials: Credentials | undefined;
  transport: Transport;
  userAgent: string;
  /** Whether an http:// token realm may be used (plain-HTTP registries on loopback, or forced). */
  allowPlainHttpRealm: boolean;
}

export class Authenticator {
  readonly #options: AuthenticatorOptions;
  #basic = false;
  #bearer: { realm: URL; service: string | undefined } | undefined;
  readonly #tokens = new Map<string, Promise<Token>>();

  constructor(options: AuthenticatorOptions) {
    this.#options = options;
  }

  get hasCredentials(): boolean {
    return this.#options.credentials !== undefined;
  }

  /** The Authorization header for a request in `scope`, once the registry has said what it wants. */
  async header(scope: string | undefined): Promise<string | undefined> {
    const credentials = this.#options.credentials;
    if (this.#basic && credentials?.username !== undefined && credentials.password !== undefined) {
      return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    }
    if (this.#bearer === undefined) return undefined;
    const key = scope ?? '';
    const cached = this.#tokens.get(key);
    if (cached !== undefined) {
      const token = await cached.catch(() => undefined);
      if (token !== undefined && token.expiresAt > Date.now()) return `Bearer ${token.value}`;
    }
    return `Bearer ${(await this.#token(key, scope === undefined ? [] : [scope])).value}`;
  }

  /**
   * Reacts to a 401: learns the scheme and obtains what it asks for. Returns false when there is
   * nothing to retry with (basic auth wanted but no credentials, an unknown scheme).
   */
  async challenge(header: string | null, scope: string | undefined): Promise<boolean> {
    const challenges = parseChallenges(header ?? '');
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer !== undefined) {
      this.#bearer = { realm: this.#realm(bearer.params['realm']), service: bearer.params['service'] };
      const scopes = [scope, bearer.params['scope']].filter((s): s is string => s !== undefined && s !== '');
      await this.#token(scope ?? '', [...new Set(scopes)]);
      return true;
    }
    const credentials = this.#options.credentials;
    if (challenges.some((c) => c.scheme === 'basic') && credentials?.username !== undefined && credentials.password !== undefined) {
      if (this.#basic) return false;
      this.#basic = true;
      return true;
    }
    return false;
  }

  #realm(realm: string | undefined): URL {
    const host = this.#options.host;
    let url: URL;
    try {
      url = new URL(realm ?? '');
    } catch {
      throw new RegistryError('invalid-response', `${host} asked for a bearer token without a valid realm ("${realm ?? ''}")`);
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.#options.allowPlainHttpRealm)) {
      throw new RegistryError(
        'insecure',
        `${host} sends clients to the token service ${url.origin} over ${url.protocol.slice(0, -1)}; ` +
          'Palisade only uses plain-HTTP token services for --insecure registries',
      );
    }
    return url;
  }

  /** Fetches a fresh token, sharing one request among concurrent callers of the same scope. */
  #token(key: string, scopes: string[]): Promise<Token> {
    const pending = this.#fetchToken(scopes);
    this.#tokens.set(key, pending);
    pending.catch(() => {
      if (this.#tokens.get(key) === pending) this.#tokens.delete(key);
    });
    return pending;
  }

  async #fetchToken(scopes: string[]): Promise<Token> {
    const bearer = this.#bearer;
    if (bearer === undefined) throw new Error('token requested before a bearer challenge');
    const { credentials, transport, userAgent, host } = this.#options;
    const url = new URL(bearer.realm);
    const headers: Record<string, string> = { 'user-agent': userAgent, accept: 'application/json' };
    let method = 'GET';
    let body: Uint8Array | undefined;
    if (credentials?.identityToken !== undefined) {
      // OAuth2 refresh-token grant, as docker does with an identity token.
      const form = new URLSearchParams({ grant_type: 'refresh_token', client_id: 'palisade', refresh_token: credentials.identityToken });
      if (bearer.service !== undefined) form.set('service', bearer.service);
      if (scopes.length > 0) form.set('scope', scopes.join(' '));
      method = 'POST';
      body = Buffer.from(form.toString());
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else {
      if (bearer.service !== undefined) url.searchParams.set('service', bearer.service);
      for (const scope of scopes) url.searchParams.append('scope', scope);
      if (credentials?.username !== undefined && credentials.password !== undefined) {
        headers['authorization'] = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
      }
    }
    const exchange = await transport.send({ method, url, headers, ...(body ? { body } : {}) });
    const text = Buffer.from(await readBody(exchange, MAX_TOKEN_RESPONSE, `the token from ${url.host}`)).toString('utf8');
    const status = exchange.response.status;
    if (status === 401 || status === 403) {
      const who = credentials?.username !== undefined ? `the credentials of "${credentials.username}"` : 'anonymous access';
      throw new RegistryError(
        'unauthorized',
        `the token service ${url.host} of ${host} refused ${who} (HTTP ${status})` +
          (credentials === undefined ? '; log in with docker login or pass a Docker config with credentials' : ''),
        { status },
      );
    }
    if (status !== 200) {
      throw new RegistryError(
        status === 429 ? 'rate-limited' : status >= 500 ? 'server' : 'invalid-response',
        `the token service ${url.host} of ${host} answered HTTP ${status}`,
        { status },
      );
    }
    return parseToken(text, url.host);
  }
}

function parseToken(text: string, host: string): Token {
  let json: { token?: unknown; access_token?: unknown; expires_in?: unknown };
  try {
    json = JSON.parse(text) as typeof json;
  } catch (err) {
    throw new RegistryError('invalid-response', `the token service ${host} sent invalid JSON: ${errorMessage(err)}`);
  }
  const value = typeof json.token === 'string' && json.token !== '' ? json.token : json.access_token;
  if (typeof value !== 'string' || value === '') {
    throw new RegistryError('invalid-response', `the token service ${host} sent no token`);
  }
  const seconds = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : DEFAULT_TOKEN_SECONDS;
  return { value, expiresAt: Date.now() + Math.max(seconds * 1000 - EXPIRY_MARGIN_MS, 1000) };
}
