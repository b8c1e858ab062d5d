/**
 * Installed Python distributions (site-packages in images and root filesystems): the core
 * metadata file (https://packaging.python.org/en/latest/specifications/core-metadata/) of
 * `*.dist-info/METADATA` (wheels), `*.egg-info/PKG-INFO` and `EGG-INFO/PKG-INFO` (setuptools
 * eggs), and the single-file `*.egg-info` distutils writes. It is RFC 822 style: `Key: value`
 * headers, continuation lines indented, then a blank line and the long description.
 * Licenses, best first: `License-Expression` (SPDX, PEP 639), a one-line `License`, then the
 * `Classifier: License :: …` trove names.
 */
import { ParseError } from '../../../core/errors.ts';
import type { CatalogInput, CatalogResult, Cataloger } from '../cataloger.ts';
import { baseName } from '../cataloger.ts';
import { pypiPackage } from './common.ts';

/** A `License` longer than this, or on several lines, is the license text, not its name. */
const MAX_LICENSE_NAME = 100;
const HEADER = /^([A-Za-z0-9][A-Za-z0-9-]*):[ \t]*(.*)$/;

interface Header {
  key: string;
  value: string;
  line: number;
}

export const pythonInstalledCataloger: Cataloger = {
  name: 'python/installed',
  ecosystem: 'PyPI',
  wants: wantsMetadata,
  catalog: catalogInstalled,
};

function wantsMetadata(path: string): boolean {
  const base = baseName(path);
  if (base.endsWith('.egg-info')) return base.length > '.egg-info'.length;
  const parent = baseName(path.slice(0, Math.max(0, path.length - base.length - 1)));
  if (base === 'METADATA') return parent.endsWith('.dist-info');
  if (base === 'PKG-INFO') return parent.endsWith('.egg-info') || parent === 'EGG-INFO';
  return false;
}

async function catalogInstalled(input: CatalogInput): Promise<CatalogResult> {
  const headers = parseHeaders(await input.text());
  const first = (key: string) => headers.find((h) => h.key === key.toLowerCase());
  const name = first('Name');
  const version = first('Version');
  if (!name?.value || !version?.value) {
    const message = 'skipped installed distribution: no Name or Version header';
    return { packages: [], issues: [{ path: input.path, message }] };
  }
  const pkg = pypiPackage({ name: name.value, version: version.value, path: input.path, line: name.line });
  const licenses = licensesOf(headers);
  if (licenses.length > 0) pkg.licenses = licenses;
  return { packages: [pkg] };
}

/** The header block, keys lower-cased (they are case-insensitive), continuations joined with `\n`. */
function parseHeaders(text: string): Header[] {
  const headers: Header[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    // Only a truly empty line ends the headers; a blank line inside a folded value is indented.
    if (line === '') break;
    const last = headers.at(-1);
    if (/^[ \t]/.test(line) && last) {
      last.value += `\n${line.trim()}`;
      continue;
    }
    const m = HEADER.exec(line);
    if (!m) throw new ParseError('not a Python core metadata file: expected `Key: value` headers', i + 1);
    headers.push({ key: m[1]!.toLowerCase(), value: m[2]!.trim(), line: i + 1 });
  }
  return headers;
}

function licensesOf(headers: Header[]): string[] {
  const expression = headers.find((h) => h.key === 'license-expression')?.value;
  if (expression) return [expression];
  const license = headers.find((h) => h.key === 'license')?.value;
  if (license && isLicenseName(license)) return [license];
  const classifiers = headers
    .filter((h) => h.key === 'classifier' && h.value.startsWith('License ::'))
    .map((h) => h.value.split('::').at(-1)!.trim())
    .filter((name) => name !== '' && name !== 'OSI Approved');
  return [...new Set(classifiers)];
}

/** A short, single-line `License` value that names a license (`UNKNOWN` is what setuptools writes for none). */
function isLicenseName(value: string): boolean {
  return !value.includes('\n') && value.length <= MAX_LICENSE_NAME && value.toUpperCase() !== 'UNKNOWN';
}
