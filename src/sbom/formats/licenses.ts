/** SPDX license identifiers and expressions, for writers that must tell them from free text. */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const LICENSE_IDS = new Set<string>(require('spdx-license-ids') as string[]);
const DEPRECATED_IDS = new Set<string>(require('spdx-license-ids/deprecated.json') as string[]);

export function isSpdxLicenseId(value: string): boolean {
  return LICENSE_IDS.has(value) || DEPRECATED_IDS.has(value);
}

/** `MIT OR Apache-2.0`, `(GPL-2.0-only WITH Classpath-exception-2.0)`: ids joined by operators. */
export function isSpdxExpression(value: string): boolean {
  const tokens = value.replace(/[()]/g, ' ').split(/\s+/).filter(Boolean);
  if (tokens.length < 3) return false;
  return tokens.every((t, i) =>
    i % 2 === 1 ? t === 'AND' || t === 'OR' || t === 'WITH' : isSpdxLicenseId(t.replace(/\+$/, '')) || /^LicenseRef-[A-Za-z0-9.-]+$/.test(t) || /-exception/.test(t),
  );
}
