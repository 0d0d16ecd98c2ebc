import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress } from '../../src/report/index.js';

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
  Object.assign(stream, {
    isTTY,
    columns: 120,
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
  });
  stream.on('data', (c: Buffer) => chunks.push(c.toString()));
  return { stream, text: () => chunks.join('') };
}

describe('createProgress', () => {
  it('stays silent when the stream is not a terminal', () => {
    const { stream, text } = fakeStream(false);
    const p = createProgress({ label: 'search', total: 10, stream });
    p.update(5);
    p.stop();
    expect(text()).toBe('');
  });

  it('shows a bar with the rate and ETA on a terminal', async () => {
    const { stream, text } = fakeStream(true);
    let now = 0;
    const p = createProgress({ label: 'search', total: 10, stream, nowMs: () => now, unit: 'configs' });
    now = 2000;
    p.update(4, 20);
    p.stop();
    await new Promise((r) => setImmediate(r));
    expect(text()).toMatch(/search \[.*\] \d+% \| 4\/20 \| 2 configs\/s \| ETA /);
  });
});
