/** Plain aligned columns for terminal tables; no borders, so output stays grep- and diff-friendly. */

// SGR colour sequences take no room on screen: widths are measured without them.
// eslint-disable-next-line no-control-regex -- matching ESC is the point
const SGR = /\x1b\[[0-9;]*m/g;

export function visibleLength(text: string): number {
  return text.includes('\x1b') ? text.replace(SGR, '').length : text.length;
}

export function renderColumns(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - visibleLength(c))))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}
