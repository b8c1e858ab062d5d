/**
 * XML for the manifest catalogers (pom.xml, Gradle verification metadata, packages.config), read
 * with fast-xml-parser. Values stay strings (a version `1.10` must not become the number 1.1),
 * attributes are kept under `@_name`, namespace prefixes are dropped, and every element node
 * remembers where it starts so catalogers can report line numbers.
 */
import { XMLParser } from 'fast-xml-parser';
import { ParseError, errorMessage } from '../../core/errors.ts';
import type { LineIndex } from '../../core/lines.ts';

/** An element with children or attributes; leaf elements are plain strings. */
export type XmlElement = Record<string, unknown>;

const META = XMLParser.getMetaDataSymbol() as unknown as symbol;

/**
 * Parse and validate a document. `arrays` names the elements that may repeat, so they are always
 * arrays even when the file has one. Malformed XML becomes a ParseError with its line.
 */
export function parseXml(text: string, arrays: ReadonlySet<string>): XmlElement {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    parseAttributeValue: false,
    removeNSPrefix: true,
    captureMetaData: true,
    isArray: (name, _path, _leaf, isAttribute) => !isAttribute && arrays.has(name),
  });
  try {
    return parser.parse(text, true) as XmlElement;
  } catch (err) {
    // fast-xml-parser's validation messages end in `:line:column`.
    const message = errorMessage(err);
    const at = /:(\d+):(\d+|undefined)$/.exec(message);
    throw new ParseError(`invalid XML: ${at ? message.slice(0, at.index) : message}`, at ? Number(at[1]) : undefined);
  }
}

/** The document's root element by name, or undefined when the root is something else. */
export function rootElement(doc: XmlElement, name: string): XmlElement | undefined {
  const roots = Object.keys(doc).filter((k) => !k.startsWith('?') && !k.startsWith('!'));
  if (roots.length !== 1 || roots[0] !== name) return undefined;
  const root = doc[name];
  // `<project/>` or `<project>text</project>` parse as strings: a root with nothing in it.
  return isElement(root) ? root : {};
}

export function isElement(value: unknown): value is XmlElement {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A child element, when it is one (not a leaf string). */
export function child(element: XmlElement | undefined, name: string): XmlElement | undefined {
  const value = element?.[name];
  return isElement(value) ? value : undefined;
}

/** Repeated children as element nodes (leaf strings such as `<dependency/>` are skipped). */
export function children(element: XmlElement | undefined, name: string): XmlElement[] {
  const value = element?.[name];
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.filter(isElement);
}

/** Trimmed text of a leaf child element; undefined when absent. */
export function childText(element: XmlElement | undefined, name: string): string | undefined {
  const value = element?.[name];
  if (typeof value === 'string') return value.trim();
  if (isElement(value) && typeof value['#text'] === 'string') return value['#text'].trim();
  if (isElement(value)) return '';
  return undefined;
}

/** Trimmed value of an attribute; undefined when absent. */
export function attribute(element: XmlElement, name: string): string | undefined {
  const value = element[`@_${name}`];
  return typeof value === 'string' ? value.trim() : undefined;
}

/** 1-based line where an element's start tag begins. */
export function elementLine(element: XmlElement, lines: LineIndex): number | undefined {
  const meta = (element as Record<symbol, { startIndex?: number } | undefined>)[META];
  return meta?.startIndex === undefined ? undefined : lines.lineAt(meta.startIndex);
}
