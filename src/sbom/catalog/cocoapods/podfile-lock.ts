/**
 * Podfile.lock, written by CocoaPods (https://guides.cocoapods.org/using/using-cocoapods.html).
 * YAML with these sections:
 *   PODS:                 every installed pod as `Name (1.2.3)`, or a map `Name (1.2.3)` → its
 *                         dependencies (`Other (~> 1.0)`); subspecs appear as `Name/Sub (1.2.3)`;
 *   DEPENDENCIES:         what the Podfile asks for (the direct dependencies);
 *   EXTERNAL SOURCES:     pods not from a spec repo (`:git:`, `:path:`, `:podspec:`);
 *   CHECKOUT OPTIONS:     the `:commit:` a git pod was checked out at.
 * A subspec is part of its root pod (same podspec, same version, same advisories), so subspecs
 * fold into one package named after the root pod. Pods from a local `:path:` are the project's
 * own code and are left out.
 */
import { LineCounter, isMap, isScalar, isSeq } from 'yaml';
import type { YAMLMap } from 'yaml';
import { ParseError } from '../../../core/errors.ts';
import { makePurl } from '../../../core/purl.ts';
import type { InputIssue, Package } from '../../../core/types.ts';
import { baseName, type Cataloger, type CatalogInput, type CatalogResult } from '../cataloger.ts';
import { lineOf, parseYamlMap } from '../yaml.ts';

export const podfileLockCataloger: Cataloger = {
  name: 'cocoapods/podfile-lock',
  ecosystem: 'CocoaPods',
  wants: (path) => baseName(path) === 'Podfile.lock',
  catalog: catalogPodfileLock,
};

interface Pod {
  name: string;
  version: string;
  line?: number;
  /** Root names of the pods this one (or one of its subspecs) depends on. */
  deps: Set<string>;
}

async function catalogPodfileLock(input: CatalogInput): Promise<CatalogResult> {
  const lineCounter = new LineCounter();
  const root = parseYamlMap(await input.text(), lineCounter, 'Podfile.lock');
  const podsNode = root.get('PODS', true);
  if (!isSeq(podsNode)) throw new ParseError('not a Podfile.lock: no `PODS` list');

  const issues: InputIssue[] = [];
  const pods = new Map<string, Pod>();
  for (const item of podsNode.items) {
    const line = lineOf(item, lineCounter);
    const problem = addPod(pods, item, line);
    if (problem) issues.push({ path: input.path, ...(line !== undefined && { line }), message: problem });
  }

  const external = mapAt(root, 'EXTERNAL SOURCES');
  const checkouts = mapAt(root, 'CHECKOUT OPTIONS');
  const direct = new Set(stringsAt(root, 'DEPENDENCIES').map(rootName));
  const purls = new Map<string, string>();
  const packages: Package[] = [];
  for (const pod of pods.values()) {
    const source = external?.get(pod.name);
    if (isMap(source) && source.has(':path')) continue;
    const checkout = checkouts?.get(pod.name);
    const commit = isMap(checkout) ? stringAt(checkout, ':commit') : undefined;
    const git = isMap(checkout) ? stringAt(checkout, ':git') : undefined;
    const purl = makePurl('CocoaPods', pod.name, pod.version, commit && git ? { vcs_url: `git+${git}@${commit}` } : undefined);
    purls.set(pod.name, purl);
    packages.push({
      name: pod.name,
      version: pod.version,
      ecosystem: 'CocoaPods',
      purl,
      locations: [{ path: input.path, ...(pod.line !== undefined && { line: pod.line }) }],
      scope: 'required',
      ...(direct.has(pod.name) && { direct: true }),
      ...(commit !== undefined && { commit }),
    });
  }
  for (const pkg of packages) {
    const deps = [...(pods.get(pkg.name)?.deps ?? [])].map((d) => purls.get(d)).filter((p): p is string => p !== undefined);
    if (deps.length > 0) pkg.dependsOn = [...new Set(deps)].sort();
  }
  return { packages, ...(issues.length > 0 && { issues }) };
}

/** Record one `PODS` item (folding subspecs into their root pod); returns a problem, if any. */
function addPod(pods: Map<string, Pod>, item: unknown, line: number | undefined): string | undefined {
  let spec: unknown = item;
  let deps: string[] = [];
  if (isMap(item)) {
    const pair = item.items[0];
    spec = pair?.key;
    deps = isSeq(pair?.value) ? pair.value.items.flatMap((d) => (isScalar(d) ? [String(d.value)] : [])) : [];
  }
  const text = isScalar(spec) ? String(spec.value) : '';
  const m = /^(\S+) \(([^()]+)\)$/.exec(text.trim());
  if (!m) return `skipped pod \`${text}\`: expected \`Name (version)\``;
  const name = rootName(m[1]!);
  const version = m[2]!.trim();
  const pod = pods.get(name) ?? { name, version, ...(line !== undefined && { line }), deps: new Set<string>() };
  if (pod.version !== version) return `skipped ${m[1]} ${version}: ${name} is already locked at ${pod.version}`;
  pods.set(name, pod);
  for (const dep of deps) {
    const depName = rootName(dep);
    if (depName !== name) pod.deps.add(depName);
  }
  return undefined;
}

/** `Firebase/Core (~> 8.0)` → `Firebase`. */
function rootName(spec: string): string {
  return spec.trim().split(/[\s/(]/)[0]!;
}

function mapAt(map: YAMLMap, key: string): YAMLMap | undefined {
  const value = map.get(key);
  return isMap(value) ? value : undefined;
}

function stringsAt(map: YAMLMap, key: string): string[] {
  const value = map.get(key);
  return isSeq(value) ? value.items.flatMap((d) => (isScalar(d) ? [String(d.value)] : [])) : [];
}

function stringAt(map: YAMLMap, key: string): string | undefined {
  const value = map.get(key);
  return typeof value === 'string' && value !== '' ? value : undefined;
}
