/**
 * The block-YAML reader of manifests and cluster dumps over real-world manifests
 * (../shared/corpus/k8s-manifests): every file it reads must come out as the full parsers read
 * it — values as js-yaml with the manifest schema, document lines and the line of every key and
 * list item as the position-tracking `yaml` package — and everything else it must leave to them. Prints how many files it reads and
 * why it leaves the others.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBlockYaml } from '../../src/misconfig/block-yaml.ts';
import { parsePlainDocuments } from '../../src/policy/engine/documents.ts';
import { corpusDir } from '../helpers/corpus.ts';
import { precise } from '../helpers/yaml-lines.ts';

const root = corpusDir('k8s-manifests');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    const info = statSync(full);
    return info.isDirectory() ? yamlFiles(full) : /\.ya?ml$/.test(name) && info.size < 4 * 1024 * 1024 ? [full] : [];
  });
}

describe.skipIf(!root)('block-YAML reader on ../shared/corpus/k8s-manifests', () => {
  it('reads what it reads exactly as the full parsers do', () => {
    const files = yamlFiles(root!).sort();
    const left = new Map<string, number>();
    const disagreements: string[] = [];
    let read = 0;
    let yamlRefused = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      let why = '';
      const docs = readBlockYaml(text, { fieldLines: true, onUnsupported: (reason) => (why = reason.replace(/ at line \d+$/, '').replace(/^(scalar|key) .*/, '$1 …')) });
      if (!docs) {
        left.set(why, (left.get(why) ?? 0) + 1);
        continue;
      }
      read++;
      const name = relative(root!, file);
      const plain = parsePlainDocuments(text, file);
      if (JSON.stringify(plain.map((d) => [d.value, d.line])) !== JSON.stringify(docs.map((d) => [d.value, d.line]))) disagreements.push(`${name}: values`);
      let reference;
      try {
        reference = precise(text);
      } catch {
        // The `yaml` package refuses what js-yaml and go-yaml read (quoted scalars continued at or left of their key): no lines to compare.
        yamlRefused++;
        continue;
      }
      const lines = (m: ReadonlyMap<string, number>) => JSON.stringify([...m].sort());
      if (reference.length !== docs.length || reference.some((r, i) => lines(r.lines) !== lines(docs[i]!.fieldLines!))) disagreements.push(`${name}: lines`);
    }
    const reasons = [...left].sort((a, b) => b[1] - a[1]).map(([why, n]) => `${why} ×${n}`).join(', ');
    console.log(`[compat] block-yaml: read ${read} of ${files.length} YAML files; left to the full parsers: ${reasons || 'none'}; read but refused by the yaml package: ${yamlRefused}`);
    expect(disagreements).toEqual([]);
    expect(read / files.length).toBeGreaterThan(0.85);
  });
});
