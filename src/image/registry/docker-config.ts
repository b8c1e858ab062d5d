/**
 * Registry credentials from Docker's client configuration (`~/.docker/config.json`, or
 * `$DOCKER_CONFIG/config.json`): the `auths` map written by `docker login`. Credential helpers
 * (`credsStore`, `credHelpers`) would mean running another program, which Palisade does not do; it
 * says so and carries on anonymously.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PalisadeError, errorMessage } from '../../core/errors.ts';
import { isRecord } from '../../core/json.ts';
import type { Logger } from '../../core/log.ts';

export interface Credentials {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (`identitytoken`), exchanged at the token endpoint. */
  identityToken?: string;
}

/** Docker Hub answers to several names; docker stores its credentials under the v1 index URL. */
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/** The name a registry is known by in `auths`: no scheme, no path, Docker Hub folded to docker.io. */
export function credentialHost(hostOrUrl: string): string {
  const host = hostOrUrl.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
  return DOCKER_HUB_ALIASES.has(host) ? 'docker.io' : host;
}

export function defaultDockerConfigPath(): string {
  const dir = process.env['DOCKER_CONFIG'];
  return dir ? join(dir, 'config.json') : join(homedir(), '.docker', 'config.json');
}

interface AuthEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
  identitytoken?: unknown;
}

/**
 * Credentials for `registryHost`, or undefined for anonymous access. `path` given explicitly must
 * exist; the default location may be absent.
 */
export async function loadDockerCredentials(
  registryHost: string,
  options: { path?: string; log: Logger },
): Promise<Credentials | undefined> {
  const path = options.path ?? defaultDockerConfigPath();
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (options.path === undefined && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PalisadeError('INPUT_NOT_FOUND', `cannot read the Docker config ${path}: ${errorMessage(err)}`);
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (err) {
    throw new PalisadeError('PARSE_ERROR', `the Docker config ${path} is not valid JSON: ${errorMessage(err)}`);
  }
  if (!isRecord(config)) throw new PalisadeError('PARSE_ERROR', `the Docker config ${path} is not a JSON object`);

  const host = credentialHost(registryHost);
  const entry = findEntry(config['auths'], host);
  const credentials = entry === undefined ? undefined : entryCredentials(entry, host, path, options.log);
  if (credentials !== undefined) return credentials;

  const helper = helperFor(config, host);
  if (helper !== undefined) {
    options.log.warn(
      `the credentials for ${host} are kept by the Docker credential helper "docker-credential-${helper}" ` +
        `(credsStore/credHelpers in ${path}); Palisade does not run credential helpers, so it tries anonymous ` +
        'access. To authenticate, put the credentials in "auths" of a Docker config file and pass it ' +
        '(--docker-config) or set DOCKER_CONFIG.',
    );
  }
  return undefined;
}

function findEntry(auths: unknown, host: string): AuthEntry | undefined {
  if (!isRecord(auths)) return undefined;
  for (const [key, value] of Object.entries(auths)) {
    if (credentialHost(key) === host && isRecord(value)) return value as AuthEntry;
  }
  return undefined;
}

function entryCredentials(entry: AuthEntry, host: string, path: string, log: Logger): Credentials | undefined {
  if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') {
    const username = typeof entry.username === 'string' ? entry.username : undefined;
    return { identityToken: entry.identitytoken, ...(username ? { username } : {}) };
  }
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) {
      log.warn(`ignoring the "auth" of ${host} in ${path}: it is not base64 of "user:password"`);
      return undefined;
    }
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (typeof entry.username === 'string' && typeof entry.password === 'string') {
    return { username: entry.username, password: entry.password };
  }
  return undefined;
}

function helperFor(config: Record<string, unknown>, host: string): string | undefined {
  const helpers = config['credHelpers'];
  if (isRecord(helpers)) {
    for (const [key, value] of Object.entries(helpers)) {
      if (credentialHost(key) === host && typeof value === 'string') return value;
    }
  }
  const store = config['credsStore'];
  return typeof store === 'string' && store !== '' ? store : undefined;
}
