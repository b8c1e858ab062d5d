/**
 * The files the deployment carries in ConfigMaps: policy files (checked the way `serve` will load
 * them, so a broken policy fails here, naming file and line, not in a crash-looping Pod) and public
 * keys. Each becomes one ConfigMap key, so names must be unique and valid keys, and the whole
 * ConfigMap must stay under the API server's 1 MiB limit.
 */
import { X509Certificate } from 'node:crypto';
import { basename } from 'node:path';
import { PalisadeError, errorMessage } from '../../core/errors.ts';
import { expandPaths, readText } from '../../policy/engine/documents.ts';
import { parsePolicies } from '../../policy/engine/load.ts';
import { loadPublicKey } from '../../trust/keys.ts';
import { encodePem, parsePem } from '../../trust/pem.ts';
import type { ConfigMapFile } from './objects.ts';

/** ConfigMap data, keys included, is capped at 1 MiB. */
export const CONFIGMAP_LIMIT = 1024 * 1024;
const CONFIGMAP_KEY = /^[-._a-zA-Z0-9]{1,253}$/;

/** Policy files and the files of policy directories; each must hold at least one Kyverno policy. */
export async function readPolicyFiles(paths: readonly string[]): Promise<ConfigMapFile[]> {
  const files: { path: string; text: string }[] = [];
  for (const path of await expandPaths(paths)) {
    const text = await readText(path);
    const set = parsePolicies(text, path);
    if (set.policies.length + set.foreign.length + set.exceptions.length === 0) {
      throw new PalisadeError('PARSE_ERROR', `${path}: holds no Kyverno policy (ClusterPolicy, Policy, ValidatingPolicy…)`);
    }
    files.push({ path, text });
  }
  if (files.length === 0) throw new PalisadeError('INPUT_NOT_FOUND', `no policy files (.yaml, .yml, .json) in ${paths.join(', ')}`);
  return configMapFiles(files, 'policy');
}

/** Public key files (PEM: PKIX, PKCS#1 RSA, or a certificate), as `serve --key` reads them. */
export async function readKeyFiles(paths: readonly string[]): Promise<ConfigMapFile[]> {
  const files: { path: string; text: string }[] = [];
  for (const path of paths) {
    const text = await readText(path);
    try {
      loadPublicKey(text);
    } catch (err) {
      throw new PalisadeError('PARSE_ERROR', `${path}: not a usable public key: ${errorMessage(err)}`, { cause: err });
    }
    files.push({ path, text });
  }
  return configMapFiles(files, 'key');
}

/** CA certificates (PEM) to keep in caBundle during a rotation; each must be a CA certificate. */
export async function readCaCertificates(path: string): Promise<string> {
  const text = await readText(path);
  let blocks;
  try {
    blocks = parsePem(text);
  } catch (err) {
    throw new PalisadeError('PARSE_ERROR', `${path}: ${errorMessage(err)}`, { cause: err });
  }
  if (blocks.length === 0) throw new PalisadeError('PARSE_ERROR', `${path}: no PEM certificate found`);
  return blocks
    .map((block, i) => {
      const where = `${path}: PEM block ${i + 1}`;
      if (block.label !== 'CERTIFICATE') throw new PalisadeError('PARSE_ERROR', `${where} is a ${block.label}, not a CERTIFICATE`);
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(block.der);
      } catch (err) {
        throw new PalisadeError('PARSE_ERROR', `${where}: not an X.509 certificate: ${errorMessage(err)}`, { cause: err });
      }
      if (!cert.ca) throw new PalisadeError('PARSE_ERROR', `${where} (${cert.subject}) is not a CA certificate`);
      return encodePem('CERTIFICATE', block.der);
    })
    .join('');
}

function configMapFiles(files: readonly { path: string; text: string }[], what: string): ConfigMapFile[] {
  const byName = new Map<string, string>();
  let size = 0;
  for (const { path } of files) {
    const name = basename(path);
    if (!CONFIGMAP_KEY.test(name)) throw new PalisadeError('USAGE', `${path}: the ${what} file name "${name}" is not a valid ConfigMap key (letters, digits, "-", "_", "."): rename it`);
    const other = byName.get(name);
    if (other !== undefined) throw new PalisadeError('USAGE', `two ${what} files are named ${name} (${other} and ${path}): they would share one ConfigMap key; rename one`);
    byName.set(name, path);
  }
  for (const { path, text } of files) size += Buffer.byteLength(basename(path)) + Buffer.byteLength(text);
  if (size > CONFIGMAP_LIMIT) throw new PalisadeError('USAGE', `the ${what} files add up to ${size} bytes, over the 1 MiB a ConfigMap can hold`);
  return files.map(({ path, text }) => ({ name: basename(path), text }));
}
