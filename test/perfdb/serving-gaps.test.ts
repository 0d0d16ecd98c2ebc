// What serving-engine perf data never contains, and how each mode answers it anyway.
import { beforeAll, describe, expect, it } from 'vitest';
import { SystemRegistry } from '../../src/hardware/index.js';
import { openPerfDatabase, type TableDatabase } from '../../src/perfdb/index.js';
import { tempDir, writeLegacyCsvTree } from './perf-fixtures.js';

const system = new SystemRegistry().get('h200_sxm');

describe('gaps in serving-engine perf data', () => {
  let db: TableDatabase;
  beforeAll(async () => {
    const root = tempDir();
    writeLegacyCsvTree(root);
    db = await openPerfDatabase({
      system,
      backend: 'vllm',
      version: '0.9.0',
      perfDataDir: root,
      mode: 'silicon',
    });
  });

  it('prices elementwise ops with the memory-bound model when the backend has no elementwise table, even in silicon mode', () => {
    expect(db.hasTable('elementwise')).toBe(false);
    const norm = db.query({
      kind: 'elementwise',
      op: 'rms_norm',
      dtype: 'bfloat16',
      numTokens: 4096,
      width: 4096,
    });
    expect(norm.provenance).toBe('empirical');
    // bytes / (0.8 x bandwidth) + 3 us, with 2 bytes read + written per element.
    const bytes = 2 * 4096 * 4096 * 2;
    expect(norm.latencyMs).toBeCloseTo((bytes / (0.8 * 4.8e12)) * 1e3 + 0.003, 6);
  });

  it('extrapolates a collective across nodes from the full-node table entry', () => {
    const small = { kind: 'comm', op: 'all_reduce', dtype: 'bfloat16', messageElements: 7168 } as const;
    const inNode = db.query({ ...small, numGpus: 8 });
    const crossNode = db.query({ ...small, numGpus: 16 });
    expect(crossNode.provenance).toBe('extrapolated');
    // A small message pays latency, not bandwidth: two inter-node hops on top of the node's time.
    expect(crossNode.latencyMs).toBeGreaterThan(inNode.latencyMs);
    expect(crossNode.latencyMs).toBeLessThan(inNode.latencyMs * 2 + 0.05);
    const big = { ...small, messageElements: 64 * 2 ** 20 };
    // A big message is bound by the inter-node link, about 9x slower than NVLink here.
    expect(db.query({ ...big, numGpus: 16 }).latencyMs).toBeGreaterThan(
      db.query({ ...big, numGpus: 8 }).latencyMs * 5,
    );
  });
});
