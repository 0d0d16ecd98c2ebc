import { describe, expect, it } from 'vitest';
import { buildContext } from '../../src/cli/deployment-context.js';
import { flagsOf } from '../../src/cli/experiment-estimators.js';
import { ExperimentSpecSchema } from '../../src/search/index.js';

describe('experiment quantisation policy', () => {
  const spec = ExperimentSpecSchema.parse({
    name: 'fastest',
    model: 'meta-llama/Llama-3.1-8B',
    system: 'h200_sxm',
    backend: 'torch',
    database_mode: 'sol',
    total_gpus: 8,
    workload: { isl: 1000, osl: 100 },
    quant: { policy: 'fastest', kv_cache: 'bfloat16' },
  });

  it('passes quant.policy on to the deployment, under the per-component overrides', async () => {
    const flags = flagsOf(spec, [], process.cwd());
    expect(flags.quantPolicy).toBe('fastest');
    const fastest = await buildContext(flags);
    // Hopper's fastest formats are FP8; the experiment's kv_cache override still wins.
    expect(fastest.quant).toMatchObject({ gemm: 'fp8', moe: 'fp8', kvCache: 'bfloat16' });
    const checkpoint = await buildContext({ ...flags, quantPolicy: 'checkpoint' });
    expect(checkpoint.quant.gemm).toBe('bfloat16');
  });
});
