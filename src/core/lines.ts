/**
 * Maps character offsets in a text to 1-based line numbers, for formats whose parser
 * gives no positions (JSON): find the key's offset with indexOf, then ask for its line.
 */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  /** 1-based line of the character at `offset` (binary search over line starts). */
  lineAt(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}

/** Parse JSON, turning a syntax error into a ParseError-friendly message with the line number. */
export function lineOfJsonError(text: string, err: unknown): number | undefined {
  const m = /position (\d+)/.exec(err instanceof Error ? err.message : '');
  if (m) return new LineIndex(text).lineAt(Number(m[1]));
  const lc = /line (\d+) column/.exec(err instanceof Error ? err.message : '');
  return lc ? Number(lc[1]) : undefined;
}
