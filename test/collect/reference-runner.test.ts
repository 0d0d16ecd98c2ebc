import { describe, expect, it } from 'vitest';
import {
  modelShapeOf,
  referenceRequestJson,
  referenceRunnerLaunch,
  runReferenceStep,
} from '../../src/collect/index.js';
import { loadModel } from '../../src/models/index.js';

const llama = modelShapeOf(loadModel('meta-llama/Llama-3.1-8B'));

describe('reference runner (measuring side of silicon run)', () => {
  it('builds the request the python runner takes', () => {
    const request = JSON.parse(
      referenceRequestJson({ model: llama, tp: 1, phase: 'decode', batch: 8, kv: 1024 }),
    );
    expect(request).toMatchObject({ tp: 1, phase: 'decode', batch: 8, kv: 1024, isl: 0, layers: null });
    // Experts follow the routing the moe table was timed with (the engine queries balanced).
    expect(request.distribution).toBe('balanced');
    const skewed = JSON.parse(
      referenceRequestJson({
        model: llama,
        tp: 1,
        phase: 'decode',
        batch: 8,
        kv: 1024,
        distribution: 'power_law_1.2',
      }),
    );
    expect(skewed.distribution).toBe('power_law_1.2');
    expect(request.model.hiddenSize).toBe(4096);
  });

  it('takes the shape the runner needs from the catalog spec', () => {
    expect(llama).toEqual({
      id: 'meta-llama/Llama-3.1-8B',
      hiddenSize: 4096,
      numLayers: 32,
      numHeads: 32,
      numKvHeads: 8,
      headDim: 128,
      interSize: 14336,
      vocabSize: 128256,
    });
    const oss = modelShapeOf(loadModel('openai/gpt-oss-20b'));
    expect(oss.moe).toEqual({ numExperts: 32, topk: 4, expertInterSize: 2880 });
    expect(oss.slidingWindow).toBe(128);
    expect(oss.qkNorm).toBeUndefined();
    // Qwen3 normalises q and k per head: the runner runs that op as the op list prices it.
    expect(modelShapeOf(loadModel('Qwen/Qwen3-30B-A3B')).qkNorm).toBe(true);
  });

  it('names the missing flag for an incomplete step', () => {
    expect(() => referenceRequestJson({ model: llama, tp: 1, phase: 'prefill', batch: 1 })).toThrow(/--isl/);
    expect(() => referenceRequestJson({ model: llama, tp: 1, phase: 'decode', batch: 1 })).toThrow(/--kv/);
    expect(() => referenceRequestJson({ model: llama, tp: 1, phase: 'mixed', batch: 4, isl: 512 })).toThrow(
      /mixed reference step needs --kv/,
    );
    expect(
      JSON.parse(referenceRequestJson({ model: llama, tp: 1, phase: 'mixed', batch: 4, isl: 512, kv: 2048 })),
    ).toMatchObject({ phase: 'mixed', batch: 4, isl: 512, kv: 2048 });
  });

  it('runs TP > 1 as one process per GPU under torch.distributed.run', () => {
    const one = referenceRunnerLaunch({ model: llama, tp: 1, phase: 'decode', batch: 8, kv: 1024 });
    expect(one.gpus).toBe('0');
    expect(one.args[0]).toMatch(/reference_model\.py$/);
    const two = referenceRunnerLaunch({ model: llama, tp: 2, phase: 'decode', batch: 8, kv: 1024 });
    expect(two.gpus).toBe('0,1');
    expect(two.args.slice(0, 4)).toEqual([
      '-m',
      'torch.distributed.run',
      '--standalone',
      '--nproc_per_node=2',
    ]);
    expect(() =>
      referenceRunnerLaunch({ model: llama, tp: 2, phase: 'decode', batch: 8, kv: 1024, gpu: '3' }),
    ).toThrow(/--tp x --dp = 2 runs on 2 GPUs; --gpu lists 1/);
    const dp = referenceRunnerLaunch({ model: llama, tp: 1, dp: 2, phase: 'decode', batch: 8, kv: 1024 });
    expect(dp.args[3]).toBe('--nproc_per_node=2');
    expect(JSON.parse(dp.args.at(-1)!)).toMatchObject({ tp: 1, dp: 2 });
  });

  it('reports a runner that cannot start as one collect failure', async () => {
    await expect(
      runReferenceStep({
        model: llama,
        tp: 1,
        phase: 'prefill',
        batch: 1,
        isl: 128,
        python: '/nonexistent/python3',
      }),
    ).rejects.toThrow(/could not start the reference runner|reference runner failed/);
  });
});
