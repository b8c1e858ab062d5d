/** Human-readable component list: one row per package, then totals per ecosystem. */
import type { Package } from '../../core/types.ts';
import { renderColumns } from '../../report/columns.ts';
import type { SbomDocument } from './document.ts';

export function toTable(doc: SbomDocument): string {
  const rows = doc.packages.map((p) => [p.ecosystem, p.name, versionText(p), p.scope, location(p)]);
  const totals = new Map<string, number>();
  for (const p of doc.packages) totals.set(p.ecosystem, (totals.get(p.ecosystem) ?? 0) + 1);
  const summary = [...totals.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([eco, n]) => [eco, String(n)]);
  let out = renderColumns(['ECOSYSTEM', 'NAME', 'VERSION', 'SCOPE', 'LOCATION'], rows);
  out += '\n' + renderColumns(['ECOSYSTEM', 'PACKAGES'], [...summary, ['total', String(doc.packages.length)]]);
  if (doc.issues.length > 0) out += `\nINCOMPLETE: ${doc.issues.length} input(s) could not be fully read (see warnings)\n`;
  return out;
}

function versionText(p: Package): string {
  if (p.version === undefined) return '(unresolved)';
  return p.groups?.includes('unpinned') ? `${p.version} (unpinned)` : p.version;
}

function location(p: Package): string {
  const first = p.locations[0];
  if (!first) return '';
  const where = first.line !== undefined ? `${first.path}:${first.line}` : first.path;
  return p.locations.length > 1 ? `${where} (+${p.locations.length - 1})` : where;
}
