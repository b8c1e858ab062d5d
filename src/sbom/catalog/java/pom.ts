/**
 * Maven pom.xml (https://maven.apache.org/pom.html): the dependencies a project declares, the way
 * its effective model lists them without touching the network.
 *
 * - Parent POMs are read from disk only: `<parent><relativePath>` (default `../pom.xml`; empty
 *   means "not local"), and only when the file found there has the coordinates the child names.
 *   Their properties, dependencies and dependencyManagement are inherited; the child wins.
 * - `${…}` is interpolated from `<properties>` and the model (`project.version`,
 *   `project.parent.groupId`, …). A version that stays unresolved (a property from a remote parent
 *   or a BOM import) is reported as no version rather than guessed.
 * - Profiles: those active by default, unless another profile is switched on by an absent
 *   property (`!name`), the only other activation a scan can decide.
 * - Build plugin dependencies are tooling, not part of the project, and are not reported.
 * - A dependency is identified by groupId:artifactId:type:classifier; the first declaration wins.
 */
import { posix } from 'node:path';
import { ParseError, errorMessage } from '../../../core/errors.ts';
import { LineIndex } from '../../../core/lines.ts';
import { makePurl } from '../../../core/purl.ts';
import type { InputIssue, Package, Scope } from '../../../core/types.ts';
import { baseName, type CatalogInput, type CatalogResult, type Cataloger } from '../cataloger.ts';
import { child, childText, children, elementLine, parseXml, rootElement, type XmlElement } from '../xml.ts';

const REPEATED = new Set(['dependency', 'profile']);
/** Parent chains deeper than this are cut (real ones are two or three levels). */
const MAX_PARENTS = 16;
/** Interpolated values longer than this are treated as unresolved (a property bomb). */
const MAX_VALUE_LENGTH = 4096;

interface Coordinates {
  groupId?: string;
  artifactId?: string;
  version?: string;
}

interface ParentRef extends Coordinates {
  /** Where to look for the parent, relative to the POM's directory; undefined: not on disk. */
  relativePath?: string;
}

/** A `<dependency>` as written, before interpolation. */
interface Declared extends Coordinates {
  type?: string;
  classifier?: string;
  scope?: string;
  optional?: string;
  /** Root-relative path and line of the POM that declares it. */
  path: string;
  line?: number;
}

interface PomModel extends Coordinates {
  /** Root-relative path. */
  path: string;
  /** Path relative to the scanned POM's directory (what `input.sibling` takes). */
  file: string;
  parent?: ParentRef;
  properties: Map<string, string>;
  dependencies: Declared[];
  managed: Declared[];
}

type Resolve = (value: string | undefined) => string | undefined;

export const pomCataloger: Cataloger = {
  name: 'java/pom',
  ecosystem: 'Maven',
  wants: (path) => baseName(path) === 'pom.xml',
  catalog: catalogPom,
};

async function catalogPom(input: CatalogInput): Promise<CatalogResult> {
  const project = readModel(await input.text(), input.path, baseName(input.path));
  const issues: InputIssue[] = [];
  const chain = [project, ...(await readParents(input, project, issues))];
  const resolve = resolver(effectiveProperties(chain));
  const managed = managedVersions(chain, resolve);

  const packages: Package[] = [];
  const seen = new Set<string>();
  for (const dep of chain.flatMap((m) => m.dependencies)) {
    const pkg = toPackage(dep, resolve, managed, issues);
    if (!pkg) continue;
    if (seen.has(pkg.key)) continue;
    seen.add(pkg.key);
    packages.push(pkg.pkg);
  }
  return { packages, ...(issues.length > 0 && { issues }) };
}

function readModel(text: string, path: string, file: string): PomModel {
  const project = rootElement(parseXml(text, REPEATED), 'project');
  if (!project) throw new ParseError('not a Maven POM: the root element is not <project>');
  const lines = new LineIndex(text);
  const profiles = activeProfiles(project);
  const declared = (owner: XmlElement | undefined) =>
    children(child(owner, 'dependencies'), 'dependency').map((d) => readDeclared(d, path, lines));
  // Profile content is injected over the project's: its properties override, and its dependencies
  // come first because the first declaration of a dependency wins.
  const injected = [...profiles, project];
  const model: PomModel = {
    path,
    file,
    properties: new Map([project, ...profiles].flatMap(readProperties)),
    dependencies: injected.flatMap((s) => declared(s)),
    managed: injected.flatMap((s) => declared(child(s, 'dependencyManagement'))),
    ...readCoordinates(project),
  };
  const parent = child(project, 'parent');
  if (parent) model.parent = { ...readCoordinates(parent), relativePath: parentPath(childText(parent, 'relativePath')) };
  return model;
}

function readCoordinates(element: XmlElement): Coordinates {
  const coordinates: Coordinates = {};
  for (const key of ['groupId', 'artifactId', 'version'] as const) {
    const value = childText(element, key);
    if (value) coordinates[key] = value;
  }
  return coordinates;
}

function readDeclared(element: XmlElement, path: string, lines: LineIndex): Declared {
  const dep: Declared = { path, ...readCoordinates(element) };
  for (const key of ['type', 'classifier', 'scope', 'optional'] as const) {
    const value = childText(element, key);
    if (value) dep[key] = value;
  }
  const line = elementLine(element, lines);
  if (line !== undefined) dep.line = line;
  return dep;
}

function readProperties(section: XmlElement): [string, string][] {
  const properties = child(section, 'properties');
  if (!properties) return [];
  return Object.keys(properties)
    .filter((name) => !name.startsWith('@_') && name !== '#text')
    .map((name) => [name, childText(properties, name) ?? '']);
}

/** `<relativePath>` absent means `../pom.xml`; empty means the parent is not on disk. */
function parentPath(relativePath: string | undefined): string | undefined {
  if (relativePath === undefined) return '../pom.xml';
  if (relativePath === '') return undefined;
  // Maven appends pom.xml when the path names a directory.
  return /\.(xml|pom)$/.test(relativePath) ? relativePath : posix.join(relativePath, 'pom.xml');
}

function activeProfiles(project: XmlElement): XmlElement[] {
  const profiles = children(child(project, 'profiles'), 'profile');
  const triggered = profiles.filter(isTriggeredByAbsentProperty);
  if (triggered.length > 0) return triggered;
  return profiles.filter((p) => childText(child(p, 'activation'), 'activeByDefault') === 'true');
}

/** `<activation><property><name>!x</name></property></activation>`: on when no -Dx is given. */
function isTriggeredByAbsentProperty(profile: XmlElement): boolean {
  const activation = child(profile, 'activation');
  if (!activation || Object.keys(activation).some((k) => k !== 'property' && k !== 'activeByDefault')) return false;
  const property = child(activation, 'property');
  const name = childText(property, 'name');
  return name !== undefined && name.startsWith('!') && childText(property, 'value') === undefined;
}

/** Follow `<parent>` on disk while the POM found there is the one named. */
async function readParents(input: CatalogInput, project: PomModel, issues: InputIssue[]): Promise<PomModel[]> {
  const parents: PomModel[] = [];
  const visited = new Set([project.file]);
  const inputDir = posix.dirname(input.path);
  let current = project;
  while (current.parent?.relativePath !== undefined && parents.length < MAX_PARENTS) {
    const file = posix.normalize(posix.join(posix.dirname(current.file), current.parent.relativePath));
    if (visited.has(file)) break;
    visited.add(file);
    const text = await input.sibling(file);
    if (text === undefined) break;
    let model: PomModel;
    try {
      model = readModel(text, posix.normalize(posix.join(inputDir, file)), file);
    } catch (err) {
      issues.push({ path: input.path, message: `parent POM ${file} not read: ${errorMessage(err)}` });
      break;
    }
    if (!isNamedParent(current.parent, model)) break;
    parents.push(model);
    current = model;
  }
  return parents;
}

function isNamedParent(ref: ParentRef, model: PomModel): boolean {
  const groupId = model.groupId ?? model.parent?.groupId;
  const version = model.version ?? model.parent?.version;
  if (ref.groupId !== groupId || ref.artifactId !== model.artifactId) return false;
  if (ref.version === undefined || version === undefined) return true;
  return ref.version === version || ref.version.includes('${') || version.includes('${');
}

/** Properties of the whole chain (the child overriding its parents), then the model's own values. */
function effectiveProperties(chain: PomModel[]): Map<string, string> {
  const properties = new Map<string, string>();
  for (const model of [...chain].reverse()) for (const [k, v] of model.properties) properties.set(k, v);
  const project = chain[0]!;
  const model: Record<string, string | undefined> = {
    groupId: project.groupId ?? project.parent?.groupId,
    artifactId: project.artifactId,
    version: project.version ?? project.parent?.version,
    'parent.groupId': project.parent?.groupId,
    'parent.artifactId': project.parent?.artifactId,
    'parent.version': project.parent?.version,
  };
  for (const [key, value] of Object.entries(model)) {
    if (value === undefined) continue;
    properties.set(`project.${key}`, value);
    properties.set(`pom.${key}`, value);
  }
  return properties;
}

/**
 * Interpolate `${name}` references. Each property is expanded once (memoised, cycles cut), and a
 * value that keeps an unknown reference or grows past MAX_VALUE_LENGTH is unresolved.
 */
function resolver(properties: Map<string, string>): Resolve {
  const memo = new Map<string, string | null>();
  const lookup = (name: string): string | undefined => {
    const known = memo.get(name);
    if (known !== undefined || memo.has(name)) return known ?? undefined;
    memo.set(name, null);
    const raw = properties.get(name);
    const value = raw === undefined ? undefined : expand(raw);
    memo.set(name, value ?? null);
    return value;
  };
  const expand = (text: string): string | undefined => {
    let unresolved = false;
    const out = text.replace(/\$\{([^}]*)\}/g, (_, name: string) => {
      const value = lookup(name.trim());
      if (value === undefined) unresolved = true;
      return value ?? '';
    });
    return unresolved || out.length > MAX_VALUE_LENGTH ? undefined : out.trim();
  };
  return (value) => (value === undefined ? undefined : expand(value));
}

function managementKey(groupId: string, artifactId: string, type: string | undefined, classifier: string | undefined): string {
  return `${groupId}:${artifactId}:${type || 'jar'}:${classifier ?? ''}`;
}

/** dependencyManagement of the chain, child first; BOM imports need the network and are skipped. */
function managedVersions(chain: PomModel[], resolve: Resolve): Map<string, Declared> {
  const managed = new Map<string, Declared>();
  for (const dep of chain.flatMap((m) => m.managed)) {
    const groupId = resolve(dep.groupId);
    const artifactId = resolve(dep.artifactId);
    if (!groupId || !artifactId || resolve(dep.scope) === 'import') continue;
    const key = managementKey(groupId, artifactId, resolve(dep.type), resolve(dep.classifier));
    if (!managed.has(key)) managed.set(key, dep);
  }
  return managed;
}

function toPackage(
  dep: Declared,
  resolve: Resolve,
  managed: Map<string, Declared>,
  issues: InputIssue[],
): { key: string; pkg: Package } | undefined {
  const groupId = resolve(dep.groupId);
  const artifactId = resolve(dep.artifactId);
  if (!groupId || !artifactId) {
    const what = !dep.groupId || !dep.artifactId ? 'has no groupId or artifactId' : 'uses an undefined property';
    issues.push({ path: dep.path, ...(dep.line !== undefined && { line: dep.line }), message: `dependency ${what}; skipped` });
    return undefined;
  }
  const type = resolve(dep.type) || 'jar';
  const classifier = resolve(dep.classifier) || undefined;
  const key = managementKey(groupId, artifactId, type, classifier);
  const management = managed.get(key);
  const version = pinnedVersion(resolve(dep.version ?? management?.version));
  const scope = resolve(dep.scope ?? management?.scope) || 'compile';
  const optional = (resolve(dep.optional ?? management?.optional) ?? '') === 'true';

  const name = `${groupId}:${artifactId}`;
  const qualifiers: Record<string, string> = {};
  if (type !== 'jar') qualifiers['type'] = type;
  if (classifier) qualifiers['classifier'] = classifier;
  const groups = [...(scope !== 'compile' ? [scope] : []), ...(optional ? ['optional'] : [])];
  const pkg: Package = {
    name,
    ...(version !== undefined && { version }),
    ecosystem: 'Maven',
    purl: makePurl('Maven', name, version, qualifiers),
    locations: [{ path: dep.path, ...(dep.line !== undefined && { line: dep.line }) }],
    scope: packageScope(scope, optional),
    ...(groups.length > 0 && { groups }),
    direct: true,
  };
  return { key, pkg };
}

/** test → dev; optional → optional; compile, runtime, provided (the container supplies it), system → required. */
function packageScope(scope: string, optional: boolean): Scope {
  if (scope === 'test') return 'dev';
  return optional ? 'optional' : 'required';
}

/**
 * A plain version is a soft requirement: that version. A range pins nothing; its inclusive lower
 * bound (`[1.0]`, `[1.0,2.0)`) is the least version it allows, anything else stays unresolved.
 */
function pinnedVersion(spec: string | undefined): string | undefined {
  if (!spec) return undefined;
  if (!/^[[(]/.test(spec)) return spec;
  return /^\[\s*([^,\])\s]+)\s*[,\]]/.exec(spec)?.[1];
}
