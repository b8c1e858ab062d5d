/**
 * Installed gems: the `specifications/*.gemspec` files RubyGems writes for every installed gem
 * (`/usr/local/bundle/specifications/`, `…/gems/3.2.0/specifications/`, and `default/` below it
 * for the gems that ship with Ruby). RubyGems generates them with `Gem::Specification#to_ruby`,
 * so the fields we need are plain literal assignments (`s.name = "rake".freeze`); they are read
 * with patterns, never evaluated.
 */
import { ParseError } from '../../../core/errors.ts';
import { LineIndex } from '../../../core/lines.ts';
import { makePurl } from '../../../core/purl.ts';
import type { Package } from '../../../core/types.ts';
import type { Cataloger, CatalogInput, CatalogResult } from '../cataloger.ts';

/** A Ruby string literal as RubyGems writes it: "x", 'x', or %q{x} in old RubyGems versions. */
const STRING = String.raw`(?:"([^"]*)"|'([^']*)'|%q\{([^}]*)\})`;

/** `<receiver>.<field> = <value>` at the start of a line; the block variable may be `s`, `spec`, `gem`. */
function assignment(field: string, value: string): RegExp {
  return new RegExp(String.raw`^[ \t]*\w+\.${field}[ \t]*=[ \t]*${value}`, 'm');
}

const NAME = assignment('name', STRING);
const VERSION = assignment('version', String.raw`(?:Gem::Version\.new\(\s*)?${STRING}`);
const PLATFORM = assignment('platform', STRING);
const LICENSES = assignment('licenses?', String.raw`(\[[^\]]*\]|${STRING})`);

export const gemspecCataloger: Cataloger = {
  name: 'ruby/gemspec',
  ecosystem: 'RubyGems',
  wants: (path) => /(?:^|\/)specifications\/(?:default\/)?[^/]+\.gemspec$/.test(path),
  catalog: catalogGemspec,
};

async function catalogGemspec(input: CatalogInput): Promise<CatalogResult> {
  const text = await input.text();
  if (text.includes('\0')) throw new ParseError('not a gemspec: binary content');
  const name = NAME.exec(text);
  const version = VERSION.exec(text);
  const gemName = name ? literal(name) : '';
  const gemVersion = version ? literal(version) : '';
  if (!name || gemName === '' || gemVersion === '') {
    return { packages: [], issues: [{ path: input.path, message: 'skipped gemspec without a literal name and version' }] };
  }
  const platform = PLATFORM.exec(text);
  const qualifiers = platform && literal(platform) !== 'ruby' ? { platform: literal(platform) } : undefined;
  const licenses = readLicenses(text);
  const pkg: Package = {
    name: gemName,
    version: gemVersion,
    ecosystem: 'RubyGems',
    purl: makePurl('RubyGems', gemName, gemVersion, qualifiers),
    locations: [{ path: input.path, line: new LineIndex(text).lineAt(name.index) }],
    scope: 'required',
    ...(licenses.length > 0 && { licenses }),
  };
  return { packages: [pkg] };
}

/** The string captured by whichever quoting alternative of STRING matched. */
function literal(match: RegExpMatchArray): string {
  return match.slice(1).find((g) => g !== undefined) ?? '';
}

/** `s.licenses = ["MIT".freeze, "Ruby".freeze]` or `s.license = "MIT"`. */
function readLicenses(text: string): string[] {
  const m = LICENSES.exec(text);
  if (!m) return [];
  const strings = m[1]!.matchAll(new RegExp(STRING, 'g'));
  return [...strings].map(literal).filter((l) => l !== '');
}
