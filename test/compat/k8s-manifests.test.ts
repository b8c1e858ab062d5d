/**
 * Smoke suite: misconfiguration scanning over real-world manifests (../shared/corpus/k8s-manifests:
 * kubernetes/examples, the GCP and Sock Shop microservice demos, kube-prometheus, trivy-operator,
 * the Gatekeeper and Kubescape libraries' samples…). There are no expected findings; the suite
 * requires that every source scans without crashing and that no built-in check fails to evaluate,
 * then prints findings per source and per check, and flags as suspicious any check that fires on
 * more than 90% of the objects of the kinds it fired on (a check that fires on nearly everything
 * says little).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/types.ts';
import { parseManifests } from '../../src/misconfig/manifests.ts';
import { listChecks, scanMisconfig } from '../../src/misconfig/scan.ts';
import type { ScanTargetResult } from '../../src/report/scan-report.ts';
import { corpusDir } from '../helpers/corpus.ts';

const root = corpusDir('k8s-manifests');
const SUSPICIOUS_SHARE = 0.9;
/** Below this many objects a share says nothing. */
const MIN_OBJECTS = 20;

interface Scanned {
  source: string;
  result: ScanTargetResult;
}

describe.skipIf(!root)('misconfiguration scanning smoke test (../shared/corpus/k8s-manifests)', () => {
  it('scans every source without crashing and reports what fires', async () => {
    const sources = readdirSync(root!).filter((d) => statSync(join(root!, d)).isDirectory()).sort();
    const scanned: Scanned[] = [];
    const crashes: string[] = [];
    for (const source of sources) {
      try {
        scanned.push({ source, result: await scanMisconfig(join(root!, source)) });
      } catch (err) {
        crashes.push(`${source}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      }
    }

    for (const { source, result } of scanned) printSource(source, result);
    const files = scanned.reduce((n, s) => n + s.result.misconfig!.files.length, 0);
    const objects = scanned.reduce((n, s) => n + s.result.misconfig!.objects, 0);
    console.log(`[compat] k8s-manifests total: ${files} configuration files, ${objects} objects, ${scanned.reduce((n, s) => n + s.result.findings.length, 0)} findings`);

    const suspicious = printChecks(scanned, objectsByKind(scanned));
    console.log(`[compat] k8s-manifests suspicious checks (>90% of objects): ${suspicious.length > 0 ? suspicious.join(', ') : 'none'}`);

    for (const c of crashes) console.log(`[compat]   ✗ crash ${c}`);
    expect(crashes).toEqual([]);
    expect(objects).toBeGreaterThan(1000);
    // A built-in policy that errors is a bug in the policy or the engine, never the input's fault.
    const evaluationErrors = scanned.flatMap(({ result }) => result.incomplete.filter((i) => /could not be evaluated/.test(i.message)));
    expect(evaluationErrors).toEqual([]);
  });
});

function printSource(source: string, result: ScanTargetResult): void {
  const f = result.findings;
  const bySeverity = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'].map((s) => `${s}: ${f.filter((x) => x.severity === s).length}`).join(', ');
  console.log(
    `[compat] k8s-manifests ${source}: ${result.misconfig!.files.length} files, ${result.misconfig!.objects} objects, ${f.length} findings (${bySeverity}), ${result.incomplete.length} input issues`,
  );
  for (const i of result.incomplete.slice(0, 5)) console.log(`[compat]     issue ${i.path}${i.line !== undefined ? `:${i.line}` : ''}: ${i.message}`);
  if (result.incomplete.length > 5) console.log(`[compat]     … and ${result.incomplete.length - 5} more input issues`);
}

/** One line per check: findings, objects hit out of the objects of the kinds it fired on, per source. Returns the suspicious ids. */
function printChecks(scanned: Scanned[], kinds: Map<string, number>): string[] {
  const hits = scanned.flatMap(({ source, result }) => result.findings.map((f) => ({ source, f })));
  const suspicious: string[] = [];
  for (const check of listChecks()) {
    const own = hits.filter(({ f }) => f.id === check.id);
    const objects = new Set(own.map(({ source, f }) => `${source}\0${objectKey(f)}`));
    const applicable = [...new Set(own.map(({ f }) => f.misconfig?.object.kind ?? ''))].reduce((n, k) => n + (kinds.get(k) ?? 0), 0);
    const share = applicable > 0 ? objects.size / applicable : 0;
    const flagged = check.type === 'kubernetes' && applicable >= MIN_OBJECTS && share > SUSPICIOUS_SHARE;
    if (flagged) suspicious.push(check.id);
    const perSource = [...new Set(own.map((h) => h.source))].map((s) => `${s}: ${own.filter((h) => h.source === s).length}`).join(', ');
    console.log(
      `[compat]   ${check.id.padEnd(11)} ${check.severity.padEnd(6)} ${String(own.length).padStart(5)} findings, ${String(objects.size).padStart(4)}/${String(applicable).padEnd(4)} objects (${(share * 100).toFixed(0).padStart(3)}%) ${check.title}` +
        `${flagged ? '  SUSPICIOUS' : ''}${perSource ? `  [${perSource}]` : ''}`,
    );
  }
  return suspicious;
}

function objectKey(f: Finding): string {
  const o = f.misconfig?.object;
  return `${f.location?.path}\0${o?.kind}\0${o?.namespace ?? ''}\0${o?.name}`;
}

/** Objects per kind across the corpus (scan results count objects, not their kinds). */
function objectsByKind(scanned: Scanned[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { source, result } of scanned) {
    for (const file of result.misconfig!.files) {
      if (!/\.(ya?ml|json)$/i.test(file)) continue;
      for (const m of parseManifests(readFileSync(join(root!, source, file), 'utf8'), file).manifests) counts.set(m.kind, (counts.get(m.kind) ?? 0) + 1);
    }
  }
  return counts;
}
