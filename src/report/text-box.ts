// A plain ASCII box around lines of text (fits the terminal width; long lines wrap).

function wrap(line: string, width: number): string[] {
  if (line.length <= width) return [line];
  const out: string[] = [];
  let rest = line;
  while (rest.length > width) {
    const cut = rest.lastIndexOf(' ', width);
    const at = cut > width / 3 ? cut : width;
    out.push(rest.slice(0, at));
    rest = `  ${rest.slice(at).trimStart()}`;
  }
  out.push(rest);
  return out;
}

export function renderBox(lines: readonly string[], maxWidth = 80): string {
  const inner = maxWidth - 4;
  const wrapped = lines.flatMap((l) => wrap(l, inner));
  const width = Math.min(inner, Math.max(...wrapped.map((l) => l.length), 10));
  const rule = `+${'-'.repeat(width + 2)}+`;
  return `${[rule, ...wrapped.map((l) => `| ${l.padEnd(width)} |`), rule].join('\n')}\n`;
}
