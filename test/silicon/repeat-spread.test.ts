import { describe, expect, it } from 'vitest';
import { repeatSpread, repeatSpreadLine } from '../../src/silicon/index.js';
import { siliconRow } from '../helpers/silicon-row.js';

function row(id: string, ttft: number, tpot: number, extra: Record<string, string> = {}) {
  return siliconRow({
    id,
    silicon_data_source: `run ${id}; silicon_concurrency=8`,
    tp_size: '2',
    batch_size: '8',
    silicon_ttft_ms: String(ttft),
    silicon_tpot_ms: String(tpot),
    ...extra,
  });
}

describe('repeatSpread', () => {
  it('scores each repeat against the mean of the others, by configuration and concurrency', () => {
    const spread = repeatSpread([
      // One configuration measured three times: TTFT 100, 200, 300 ms; TPOT the same each time.
      row('a', 100, 10),
      row('b', 200, 10),
      row('c', 300, 10),
      // Identical copies (the same run exported twice) carry no spread.
      row('d', 50, 5, { isl: '2048' }),
      row('e', 50, 5, { isl: '2048' }),
      // Other concurrency or layout: not repeats of the above.
      row('f', 999, 99, { silicon_data_source: 'silicon_concurrency=16' }),
      row('g', 999, 99, { tp_size: '4' }),
    ]);
    // a vs mean(200, 300) = 250: 150%; b vs 200: 0%; c vs 150: 50%.
    expect(spread).toMatchObject({ groups: 2, rows: 5, differingRows: 3 });
    expect(spread!.ttftMapePct).toBeCloseTo(200 / 3, 9);
    expect(spread!.ttftMedianApePct).toBeCloseTo(50, 9);
    expect(spread!.tpotMapePct).toBe(0);
    expect(repeatSpreadLine(spread!)).toMatch(
      /^measured more than once: 5 rows in 2 configurations, 3 with differing results; .*TTFT MAPE 66\.7% \(median 50\.0%\)/,
    );
  });

  it('is undefined when no configuration repeats', () => {
    expect(repeatSpread([row('a', 100, 10), row('b', 100, 10, { osl: '256' })])).toBeUndefined();
  });
});
