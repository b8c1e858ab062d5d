/** Throwaway X.509 certificates for signing tests, made with the openssl CLI (node:crypto cannot issue certificates). */
import { spawnSync } from 'node:child_process';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

export interface IssuedCertificate {
  cert: string;
  key: KeyObject;
  keyPem: string;
}

function openssl(dir: string, args: string[]): void {
  const run = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`openssl ${args[0]} failed: ${run.stderr}`);
}

/**
 * A P-256 certificate for `subject`: self-signed when `issuer` is absent, else issued by it.
 * `ca` marks a CA (basicConstraints CA:TRUE); leaves get `extendedKeyUsage` (default codeSigning).
 */
export function issueCertificate(subject: string, options: { issuer?: IssuedCertificate; ca?: boolean; extendedKeyUsage?: string } = {}): IssuedCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-cert-'));
  try {
    openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'key.pem']);
    const ext = options.ca ? 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' : `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=${options.extendedKeyUsage ?? 'codeSigning'}\n`;
    writeFileSync(join(dir, 'ext.cnf'), ext);
    if (options.issuer) {
      writeFileSync(join(dir, 'issuer.pem'), options.issuer.cert);
      writeFileSync(join(dir, 'issuer-key.pem'), options.issuer.keyPem);
      openssl(dir, ['req', '-new', '-key', 'key.pem', '-subj', `/CN=${subject}`, '-out', 'req.csr']);
      openssl(dir, ['x509', '-req', '-in', 'req.csr', '-CA', 'issuer.pem', '-CAkey', 'issuer-key.pem', '-CAcreateserial', '-days', '2', '-extfile', 'ext.cnf', '-out', 'cert.pem']);
    } else {
      openssl(dir, ['req', '-x509', '-new', '-key', 'key.pem', '-subj', `/CN=${subject}`, '-days', '2', '-extensions', 'v3', '-config', writeConfig(dir, ext), '-out', 'cert.pem']);
    }
    const keyPem = readFileSync(join(dir, 'key.pem'), 'utf8');
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: createPrivateKey(keyPem), keyPem };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function writeConfig(dir: string, ext: string): string {
  writeFileSync(join(dir, 'req.cnf'), `[req]\ndistinguished_name=dn\n[dn]\n[v3]\n${ext}`);
  return 'req.cnf';
}
