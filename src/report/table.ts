// Plain-text tables for the terminal (boxed with cli-table3).
import Table from 'cli-table3';

export function renderTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const table = new Table({
    head: [...head],
    style: { head: [], border: [] },
    // No rule between body rows: long tables stay readable.
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const row of rows) table.push([...row]);
  return `${table.toString()}\n`;
}
