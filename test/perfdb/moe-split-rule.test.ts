import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SystemRegistry } from '../../src/hardware/index.js';
import { type MoeQuery, openPerfDatabase } from '../../src/perfdb/index.js';
import { assessMoeSplits, type MoeGroupRows, prefersSameSplit } from '../../src/perfdb/moe-split-rule.js';
import { moeRows, type Row, tempDir, writeCsv } from './perf-fixtures.js';

const h200 = new SystemRegistry().get('h200_sxm');
const TOKENS = [1, 4, 16, 64, 256, 1024, 4096];
const SPLITS = [2, 4, 8];

/** Latency of a layout in two kinds of engine: efficiency lost with the work share (either split), or only with expert parallelism. */
function layoutMs(kind: 'share' | 'ep-only', tokens: number, tp: number, ep: number): number {
  const unsplit = 0.02 + 0.0005 * tokens;
  const gpus = tp * ep;
  if (kind === 'share') return unsplit / gpus ** 0.6;
  return ep > 1 ? unsplit / ep ** 0.3 : unsplit / tp;
}

/** A group of points [E, topk, hidden, inter, tp, ep, tokens] with a flat SOL (latency ratios are what count). */
function group(kind: 'share' | 'ep-only'): MoeGroupRows {
  const points: number[][] = [];
  for (const t of TOKENS) {
    points.push([128, 8, 4096, 1536, 1, 1, t]);
    for (const n of SPLITS) points.push([128, 8, 4096, 1536, n, 1, t], [128, 8, 4096, 1536, 1, n, t]);
  }
  return {
    forEachLeaf: (visit) => {
      for (const p of points) visit(Float64Array.from(p), layoutMs(kind, p[6]!, p[4]!, p[5]!));
    },
    sol: (p) => 1 / (p[4]! * p[5]!),
  };
}

describe('carrying MoE utilisation to uncollected expert layouts', () => {
  it("scores holding the unsplit kernel against the same split of the other kind on a table's own shapes", () => {
    const share = assessMoeSplits([group('share')]);
    expect(share.map((e) => `${e.axis}${e.gpus}`)).toEqual(['ep2', 'ep4', 'ep8', 'tp2', 'tp4', 'tp8']);
    for (const e of share) {
      expect(e.comparisons).toBe(TOKENS.length);
      // Same share, same latency: the same split is exact; holding the unsplit kernel is not.
      expect(e.sameSplitErrorPct).toBeCloseTo(0, 9);
      expect(e.holdErrorPct).toBeGreaterThan(20);
    }
    const epOnly = assessMoeSplits([group('ep-only')]);
    const tp8 = epOnly.find((e) => e.axis === 'tp' && e.gpus === 8)!;
    expect(tp8.holdErrorPct).toBeCloseTo(0, 9);
    expect(tp8.sameSplitErrorPct).toBeGreaterThan(100);
  });

  it('prefers the same split only on enough evidence, taken from the nearest split of that axis', () => {
    const evidence = (comparisons: number) => [
      { axis: 'tp' as const, gpus: 2, comparisons, holdErrorPct: 5, sameSplitErrorPct: 8 },
      { axis: 'tp' as const, gpus: 8, comparisons, holdErrorPct: 30, sameSplitErrorPct: 10 },
    ];
    expect(prefersSameSplit(evidence(100), 'tp', 2)).toBe(false);
    expect(prefersSameSplit(evidence(100), 'tp', 8)).toBe(true);
    expect(prefersSameSplit(evidence(100), 'tp', 16)).toBe(true);
    expect(prefersSameSplit(evidence(100), 'ep', 8)).toBe(false);
    expect(prefersSameSplit(evidence(10), 'tp', 8)).toBe(false);
  });

  it('prices a missing moe_tp layout at the same split of expert parallelism where the table says so', async () => {
    const moeQuery = (fields: Partial<MoeQuery>): MoeQuery => ({
      kind: 'moe',
      dtype: 'bfloat16',
      numTokens: 64,
      hiddenSize: 2880,
      interSize: 2880,
      topk: 4,
      numExperts: 128,
      moeTp: 1,
      moeEp: 1,
      distribution: 'balanced',
      ...fields,
    });
    const open = async (kind: 'share' | 'ep-only') => {
      const root = tempDir();
      const rows: Row[] = [];
      const layoutRows = (hidden: number, inter: number, topk: number, tp: number, ep: number) =>
        moeRows(
          TOKENS,
          {
            moe_dtype: 'bfloat16',
            hidden_size: hidden,
            inter_size: inter,
            topk,
            num_experts: 128,
            distribution: 'balanced',
          },
          (t) => layoutMs(kind, t, tp, ep),
        ).map((r) => ({ ...r, moe_tp_size: tp, moe_ep_size: ep }));
      // Shapes collected under every layout (5 x 7 token counts: the evidence) and one under
      // expert parallelism only.
      for (const inter of [512, 768, 1024, 1536, 2048]) {
        for (const [tp, ep] of [
          [1, 1],
          ...SPLITS.flatMap((n) => [
            [n, 1],
            [1, n],
          ]),
        ] as const) {
          rows.push(...layoutRows(4096, inter, 8, tp, ep));
        }
      }
      for (const ep of [1, ...SPLITS]) rows.push(...layoutRows(2880, 2880, 4, 1, ep));
      writeCsv(join(root, 'h200_sxm', 'trtllm', '1.0.0', 'moe_perf.txt'), rows);
      return openPerfDatabase({ system: h200, backend: 'trtllm', perfDataDir: root, mode: 'silicon' });
    };

    const share = await open('share');
    const tp8 = share.query(moeQuery({ moeTp: 8 }));
    const ep8 = share.query(moeQuery({ moeEp: 8 }));
    expect(tp8.latencyMs).toBeCloseTo((tp8.solMs * ep8.latencyMs) / ep8.solMs, 12);
    expect(tp8.provenance).toBe('interpolated');
    expect(tp8.source).toContain('utilisation of moe_tp=1 moe_ep=8 (the same split)');

    const epOnly = await open('ep-only');
    const held = epOnly.query(moeQuery({ moeTp: 8 }));
    const unsplit = epOnly.query(moeQuery({}));
    expect(held.latencyMs).toBeCloseTo((held.solMs * unsplit.latencyMs) / unsplit.solMs, 12);
    expect(held.source).toContain('moe_tp_size util-hold from 1');
    expect(held.source).not.toContain('same split');
  });
});
