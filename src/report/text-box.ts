// A plain ASCII box around lines of text (fits the terminal width; long lines wrap).

/**
 * Continuation lines hang under the value of a "Label   value" line (the text after its first run
 * of two or more spaces), else two spaces in.
 */
function hangingIndent(line: string, width: number): number {
  const label = /^\s*\S(?:\S| (?! ))*\s{2,}/.exec(line);
  return label && label[0].length <= width / 3 ? label[0].length : 2;
}

function wrap(line: string, width: number): string[] {
  if (line.length <= width) return [line];
  const indent = ' '.repeat(hangingIndent(line, width));
  const out: string[] = [];
  let rest = line;
  while (rest.length > width) {
    const cut = rest.lastIndexOf(' ', width);
    const at = cut > width / 3 ? cut : width;
    out.push(rest.slice(0, at).trimEnd());
    rest = `${indent}${rest.slice(at).trimStart()}`;
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
