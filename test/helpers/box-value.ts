// Reads one metric's value out of a boxed metric/value table, joining the lines a long value
// wrapped onto (rows whose metric cell is blank).
export function boxValue(box: string, metric: string): string | undefined {
  const cells = box
    .split('\n')
    .map((line) => line.split('│').map((c) => c.trim()))
    .filter((c) => c.length >= 4);
  const at = cells.findIndex((c) => c[1] === metric);
  if (at < 0) return undefined;
  const parts = [cells[at]![2]!];
  for (let i = at + 1; i < cells.length && cells[i]![1] === ''; i++) parts.push(cells[i]![2]!);
  return parts.join(' ');
}
