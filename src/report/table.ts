// Plain-text tables for the terminal (boxed with cli-table3).
import Table from 'cli-table3';

export interface TableOptions {
  /**
   * Widest a column's text may run (characters, padding excluded); longer cells wrap at spaces.
   * Keeps a box inside a terminal when one value is a sentence.
   */
  readonly maxWidths?: readonly (number | undefined)[];
}

/** Cell padding cli-table3 adds on each side of a column. */
const PADDING = 2;

export function renderTable(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  options: TableOptions = {},
): string {
  const widths = options.maxWidths?.map((max, col) => {
    if (max === undefined) return null;
    const longest = Math.max(head[col]?.length ?? 0, ...rows.map((r) => r[col]?.length ?? 0));
    return Math.min(longest, max) + PADDING;
  });
  const table = new Table({
    head: [...head],
    style: { head: [], border: [] },
    // No rule between body rows: long tables stay readable.
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    ...(widths ? { colWidths: widths, wordWrap: true } : {}),
  });
  for (const row of rows) table.push([...row]);
  return `${table.toString()}\n`;
}
