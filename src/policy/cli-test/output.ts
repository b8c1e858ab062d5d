/** Text and JSON output of `palisade policy test`, laid out like `kyverno test`. */
import { renderColumns } from '../../report/columns.ts';
import type { TestCaseReport, TestRow } from './runner.ts';

export interface TestCounts {
  passed: number;
  failed: number;
}

/** kyverno counts skipped results among the passed ones in its summary. */
export function countRows(reports: readonly TestCaseReport[]): TestCounts {
  let passed = 0;
  let failed = 0;
  for (const r of reports) {
    for (const row of r.rows) {
      if (row.passed) passed++;
      else failed++;
    }
  }
  return { passed, failed };
}

function rowCells(row: TestRow, id: number, detailed: boolean): string[] {
  const cells = [String(id), row.policy, row.rule, row.resource, row.passed ? 'Pass' : 'Fail', row.reason];
  if (detailed) cells.push(row.message);
  return cells;
}

const HEADER = ['ID', 'POLICY', 'RULE', 'RESOURCE', 'RESULT', 'REASON'];

/** The table per test, then `Test Summary: N tests passed and M tests failed`, then the failed rows again. */
export function renderTestReports(reports: readonly TestCaseReport[], options: { failOnly?: boolean; detailed?: boolean } = {}): string {
  const detailed = options.detailed ?? false;
  const header = detailed ? [...HEADER, 'MESSAGE'] : HEADER;
  let out = '';
  const failedRows: TestRow[] = [];
  for (const report of reports) {
    out += `Loading test ${report.test.name} (${report.test.path}) ...\n`;
    if (report.error) out += `  Error: ${report.error}\n`;
    const rows = report.rows.filter((r) => !options.failOnly || !r.passed);
    failedRows.push(...report.rows.filter((r) => !r.passed));
    if (rows.length > 0) out += renderColumns(header, rows.map((r, i) => rowCells(r, i + 1, detailed)));
    out += '\n';
  }
  const { passed, failed } = countRows(reports);
  out += options.failOnly
    ? `Test Summary: ${failed} out of ${passed + failed} tests failed\n`
    : `Test Summary: ${passed} tests passed and ${failed} tests failed\n`;
  if (failed > 0 && !options.failOnly) {
    out += '\nAggregated Failed Test Cases :\n';
    out += renderColumns(header, failedRows.map((r, i) => rowCells(r, i + 1, detailed)));
  }
  return out;
}

/** Machine-readable results: one entry per test with its rows, and the totals. */
export function testReportsJson(reports: readonly TestCaseReport[]): unknown {
  return {
    summary: countRows(reports),
    tests: reports.map((r) => ({
      name: r.test.name,
      path: r.test.path,
      ...(r.error && { error: r.error }),
      results: r.rows,
    })),
  };
}
