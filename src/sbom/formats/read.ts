/**
 * Reading SBOMs other tools produced, for `palisade scan sbom.json`. The format is told from
 * the content, never the file name: CycloneDX 1.2–1.7 (JSON, XML) and SPDX 2.2/2.3 (JSON, YAML,
 * tag-value). Anything else — not an SBOM, SPDX RDF/XML, SPDX 3 JSON-LD, CycloneDX versions
 * outside that range — is a PalisadeError UNSUPPORTED_FORMAT naming the file and the reason.
 */
import { parse as parseYaml } from 'yaml';
import { PalisadeError, errorMessage } from '../../core/errors.ts';
import { lineOfJsonError } from '../../core/lines.ts';
import { parseXml, rootElement, type XmlElement } from '../catalog/xml.ts';
import { CYCLONEDX_XML_ARRAYS, cycloneDxXmlToJson, readCycloneDx } from './read-cyclonedx.ts';
import { asObject, type DocumentInput, type SbomReadResult } from './read-model.ts';
import { readSpdx, spdxTagValueToJson } from './read-spdx.ts';

export type { SbomComponentWithoutPurl, SbomReadResult, SbomUnscannableComponent } from './read-model.ts';

const SUPPORTED = 'expected CycloneDX 1.2–1.7 (JSON or XML) or SPDX 2.2/2.3 (JSON, YAML or tag-value)';

/**
 * Read an SBOM. `path` names the file in messages and is the location of packages whose SBOM
 * records none. Malformed entries are skipped with an issue; a document that is not a supported
 * SBOM throws PalisadeError('UNSUPPORTED_FORMAT').
 */
export function readSbom(text: string, path: string): SbomReadResult {
  const body = text.replace(/^\uFEFF/, '');
  const start = body.trimStart();
  if (start.startsWith('{') || start.startsWith('[')) return readJson(body, path);
  if (start.startsWith('<')) return readXml(body, path);
  if (/^(#[^\n]*\n\s*)*SPDXVersion:/.test(start)) {
    return readSpdx(spdxTagValueToJson(body), { path, text: body, encoding: 'tag-value' });
  }
  return readYaml(body, path);
}

function readJson(text: string, path: string): SbomReadResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const message = errorMessage(err);
    const line = /\bline \d+/.test(message) ? undefined : lineOfJsonError(text, err);
    throw unsupported(path, `not valid JSON (${message}${line ? `, line ${line}` : ''})`);
  }
  return readDocument(doc, { path, text, encoding: 'json' });
}

function readDocument(doc: unknown, input: DocumentInput): SbomReadResult {
  const object = asObject(doc);
  if (object?.bomFormat === 'CycloneDX') return readCycloneDx(object, input);
  if (object && typeof object.spdxVersion === 'string') return readSpdx(object, input);
  if (object && isSpdx3(object)) throw unsupported(input.path, 'SPDX 3 JSON-LD is not supported; export SPDX 2.3 JSON instead');
  const what = input.encoding === 'json' ? 'JSON' : 'YAML';
  throw unsupported(input.path, `${what} but neither CycloneDX (no "bomFormat": "CycloneDX") nor SPDX (no "spdxVersion"); ${SUPPORTED}`);
}

function isSpdx3(doc: Record<string, unknown>): boolean {
  return JSON.stringify(doc['@context'] ?? '').includes('spdx.org/rdf/3');
}

function readXml(text: string, path: string): SbomReadResult {
  let doc: XmlElement;
  try {
    doc = parseXml(text, CYCLONEDX_XML_ARRAYS);
  } catch (err) {
    throw unsupported(path, `not well-formed XML (${errorMessage(err)})`);
  }
  const bom = rootElement(doc, 'bom');
  // The parser drops namespace declarations; the spec version is in the namespace URI.
  const namespace = /xmlns(?::\w+)?=["']https?:\/\/cyclonedx\.org\/schema\/bom\/(\d+\.\d+)["']/.exec(text);
  if (bom && namespace) return readCycloneDx(cycloneDxXmlToJson(bom, namespace[1]!), { path, text, encoding: 'xml' });
  if (rootElement(doc, 'RDF')) throw unsupported(path, 'SPDX RDF/XML is not supported; convert it to SPDX JSON (e.g. with the SPDX tools)');
  throw unsupported(path, `XML but not a CycloneDX <bom>; ${SUPPORTED}`);
}

/** SPDX also has a YAML form (the JSON model); anything else that YAML accepts is not an SBOM. */
function readYaml(text: string, path: string): SbomReadResult {
  let doc: unknown;
  try {
    doc = parseYaml(text, { logLevel: 'silent' });
  } catch {
    throw unsupported(path, `not an SBOM; ${SUPPORTED}`);
  }
  if (!asObject(doc)) throw unsupported(path, `not an SBOM; ${SUPPORTED}`);
  return readDocument(doc, { path, text, encoding: 'yaml' });
}

function unsupported(path: string, reason: string): PalisadeError {
  return new PalisadeError('UNSUPPORTED_FORMAT', `${path}: ${reason}`);
}
