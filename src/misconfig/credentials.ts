/**
 * What looks like a credential written in configuration: a name that says it holds one
 * (`DB_PASSWORD`, `apiKey`, `spring.datasource.password`) with a literal value, or a value in a
 * well-known token format whatever its name. Used for Dockerfile ENV/ARG, container env literals
 * and ConfigMap data.
 *
 * Deliberately conservative about names: the secret word must end the name (`SECRET_NAME`,
 * `TOKEN_TTL`, `PASSWORD_FILE` are not credentials), short words (`PASS`, `PWD`) only after a
 * separator (`BYPASS`, `PWD` are not). Values that are references (`$DB_PASSWORD`, `${X}`,
 * `$(X)`, `{{ .Values.x }}`), paths, booleans and empty strings are not literal secrets.
 */

const LONG_WORDS = /(password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key|secret[_-]?key|private[_-]?key|auth[_-]?key|credentials?)$/i;
const SHORT_WORDS = /(^|[_.-])(pass|pwd|pw)$/i;
const NOT_SECRETS = /^(pwd|oldpwd)$/i;

/** Well-known credential formats, with what they are. */
const TOKEN_FORMATS: readonly [RegExp, string][] = [
  [/-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----/, 'a private key'],
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/, 'an AWS access key id'],
  [/\bgh[pousr]_[A-Za-z0-9]{36,}\b/, 'a GitHub token'],
  [/\bglpat-[A-Za-z0-9_-]{20,}\b/, 'a GitLab token'],
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}\b/, 'a Slack token'],
  [/\bsk_live_[A-Za-z0-9]{16,}\b/, 'a Stripe secret key'],
  [/\bAIza[0-9A-Za-z_-]{35}\b/, 'a Google API key'],
];

export function isSecretName(name: string): boolean {
  const n = name.trim();
  if (NOT_SECRETS.test(n)) return false;
  return LONG_WORDS.test(n) || SHORT_WORDS.test(n);
}

/** A value someone typed in, rather than a reference, a path or a flag. */
export function isLiteralSecretValue(value: string): boolean {
  const v = value.trim().replace(/^(["'])(.*)\1$/, '$2').trim();
  if (v === '') return false;
  if (/^(true|false|yes|no|on|off|null|none|~|\[\]|\{\})$/i.test(v)) return false;
  if (/\$\{[^}]*\}|\$\([^)]*\)|\{\{.*\}\}|^\$[A-Za-z_]\w*$/.test(v)) return false;
  if (/^<[^>]*>$/.test(v)) return false; // a `<your-token>` placeholder
  if (v.startsWith('/') || v.startsWith('./') || v.startsWith('file:')) return false;
  return true;
}

/** The credential format a value is in, if any (`a GitHub token`). */
export function credentialFormat(value: string): string | undefined {
  return TOKEN_FORMATS.find(([re]) => re.test(value))?.[1];
}

/** Masks a secret for display: the first characters and the length, never the whole value. */
export function redact(value: string): string {
  const v = value.trim();
  if (v.length <= 4) return '****';
  return `${v.slice(0, Math.min(3, Math.floor(v.length / 4)))}****`;
}
