import { describe, expect, it } from 'vitest';
import { renderBox } from '../../src/report/index.js';

describe('renderBox', () => {
  it('fits its widest line and pads the rest', () => {
    expect(renderBox(['short', 'a longer line'])).toBe(
      '+---------------+\n| short         |\n| a longer line |\n+---------------+\n',
    );
  });

  it('wraps a long "Label   value" line with the continuation under the value', () => {
    const line = `Deployment   ${'word '.repeat(20).trim()}`;
    const box = renderBox([line], 60).split('\n');
    const body = box.slice(1, -2).map((l) => l.slice(2, -2).trimEnd());
    // 56 characters inside: the label and eight words, then lines under the value.
    expect(body[0]).toBe(`Deployment   ${'word '.repeat(8).trim()}`);
    expect(body.length).toBe(3);
    for (const rest of body.slice(1)) expect(rest).toMatch(/^ {13}word/);
    // Nothing is lost: the words come back in order.
    expect(body.join(' ').split(/\s+/).filter(Boolean)).toEqual(line.split(/\s+/));
    const widths = new Set(box.slice(0, -1).map((l) => l.length));
    expect(widths.size).toBe(1);
    expect([...widths][0]).toBeLessThanOrEqual(60);
  });

  it('indents a plain sentence by two spaces when it wraps', () => {
    const box = renderBox(['one two three four five six seven eight nine ten'], 24).split('\n');
    expect(box.slice(1, 4)).toEqual([
      '| one two three four |',
      '|   five six seven   |',
      '|   eight nine ten   |',
    ]);
  });
});
