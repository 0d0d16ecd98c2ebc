import { describe, expect, it } from 'vitest';
import { InvalidConfigError } from '../../src/common/index.js';
import {
  layersPerStage,
  loadModel,
  type ParallelConfig,
  pipelineHops,
  validateParallel,
} from '../../src/models/index.js';

function layout(extra: Partial<ParallelConfig>): ParallelConfig {
  return { tp: 1, pp: 1, attentionDp: 1, moeTp: 1, moeEp: 1, ...extra };
}

function messageOf(fn: () => void): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigError);
    const message = (error as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    return message;
  }
  throw new Error('expected an InvalidConfigError');
}

describe('validateParallel', () => {
  const qwen32 = loadModel('Qwen/Qwen3-32B');
  const llama = loadModel('meta-llama/Llama-3.1-8B');
  const moe = loadModel('Qwen/Qwen3-30B-A3B');
  const ds = loadModel('deepseek-ai/DeepSeek-V3');

  it('accepts the usual layouts', () => {
    for (const tp of [1, 2, 4, 8]) validateParallel(qwen32, layout({ tp, moeTp: tp }));
    validateParallel(llama, layout({ tp: 16 })); // kv heads replicated
    validateParallel(llama, layout({ tp: 2, pp: 3 })); // uneven pipeline split is allowed
    validateParallel(moe, layout({ tp: 4, moeEp: 4 }));
    validateParallel(moe, layout({ tp: 1, attentionDp: 8, moeEp: 8 }));
    validateParallel(ds, layout({ tp: 8, moeTp: 1, moeEp: 8 }));
    validateParallel(ds, layout({ tp: 1, attentionDp: 8, moeTp: 1, moeEp: 8 }));
  });

  it('says which tp values divide the heads', () => {
    expect(messageOf(() => validateParallel(qwen32, layout({ tp: 3 })))).toBe(
      'Qwen/Qwen3-32B: tp=3 does not divide 64 heads; use 1, 2, 4, 8, 16, 32, 64',
    );
  });

  it('rejects kv heads that cannot be split or replicated evenly', () => {
    const qwen14 = loadModel('Qwen/Qwen3-14B'); // 40 heads, 8 kv heads
    expect(messageOf(() => validateParallel(qwen14, layout({ tp: 5, moeTp: 5 })))).toMatch(
      /tp=5 cannot split or evenly replicate 8 kv heads; use 1, 2, 4, 8, 40/,
    );
  });

  it('requires the experts to span the attention GPUs', () => {
    expect(messageOf(() => validateParallel(moe, layout({ tp: 4, moeEp: 2 })))).toMatch(
      /tp\*attentionDp=4 but moeTp\*moeEp=2; .*moeEp=4/,
    );
    expect(messageOf(() => validateParallel(moe, layout({ tp: 1, attentionDp: 3, moeEp: 3 })))).toMatch(
      /moeEp=3 does not divide 128 experts/,
    );
  });

  it('keeps attention DP to MoE models and ignores expert degrees of dense ones', () => {
    expect(messageOf(() => validateParallel(llama, layout({ attentionDp: 2 })))).toMatch(/run 2 replicas/);
    // Expert degrees mean nothing for a dense model and are ignored (data often records 0 or tp).
    validateParallel(llama, layout({ tp: 2, moeTp: 0, moeEp: 2 }));
  });

  it('requires tp / moeTp to divide the MLP, expert, dense-layer and shared-expert intermediate sizes', () => {
    expect(messageOf(() => validateParallel({ ...llama, interSize: 14334 }, layout({ tp: 4 })))).toBe(
      'meta-llama/Llama-3.1-8B: tp=4 does not divide the MLP intermediate size 14334',
    );
    const oddExperts = { ...moe, moe: { ...moe.moe!, expertInterSize: 770 } };
    expect(messageOf(() => validateParallel(oddExperts, layout({ tp: 4, moeTp: 4 })))).toBe(
      'Qwen/Qwen3-30B-A3B: moeTp=4 does not divide the expert intermediate size 770',
    );
    const ep4 = layout({ tp: 4, moeEp: 4 });
    const oddDense = { ...ds, moe: { ...ds.moe!, denseInterSize: 18434 } };
    expect(messageOf(() => validateParallel(oddDense, ep4))).toBe(
      'deepseek-ai/DeepSeek-V3: tp=4 does not divide the dense-layer intermediate size 18434',
    );
    const oddShared = { ...ds, moe: { ...ds.moe!, sharedInterSize: 2050 } };
    expect(messageOf(() => validateParallel(oddShared, ep4))).toBe(
      'deepseek-ai/DeepSeek-V3: tp=4 does not divide the shared-expert intermediate size 2050',
    );
    // The same layouts pass with the real sizes.
    validateParallel(llama, layout({ tp: 4 }));
    validateParallel(moe, layout({ tp: 4, moeTp: 4 }));
    validateParallel(ds, ep4);
  });

  it('rejects non-positive degrees and pp beyond the layers', () => {
    expect(messageOf(() => validateParallel(llama, layout({ pp: 0 })))).toMatch(
      /pp=0 must be a positive integer/,
    );
    expect(messageOf(() => validateParallel(llama, layout({ pp: 33 })))).toMatch(
      /pp=33 exceeds the 32 layers/,
    );
  });
});

describe('layersPerStage', () => {
  it('gives the extra layers to the first stages', () => {
    expect(layersPerStage(loadModel('deepseek-ai/DeepSeek-V3'), 4)).toEqual([16, 15, 15, 15]);
    expect(layersPerStage(loadModel('meta-llama/Llama-3.1-8B'), 2)).toEqual([16, 16]);
  });
});

describe('pipelineHops', () => {
  const layout = (tp: number, pp: number, attentionDp = 1): ParallelConfig => ({
    tp,
    pp,
    attentionDp,
    moeTp: tp,
    moeEp: 1,
  });
  it('counts the hops whose stages sit in different NVLink domains', () => {
    // Stages of a whole node each: every hop leaves the node.
    expect(pipelineHops(layout(8, 4), 8)).toEqual({ inDomain: 0, crossDomain: 3 });
    // Two stages per node: only the hop from stage 1 to stage 2 crosses.
    expect(pipelineHops(layout(4, 4), 8)).toEqual({ inDomain: 2, crossDomain: 1 });
    // Attention-DP ranks widen a stage like tp does.
    expect(pipelineHops(layout(2, 4, 2), 8)).toEqual({ inDomain: 2, crossDomain: 1 });
    // Stages that do not tile the node: stage 1 (GPUs 3-5) to stage 2 (6-8) straddles it.
    expect(pipelineHops(layout(3, 3), 8)).toEqual({ inDomain: 1, crossDomain: 1 });
    // One node, or one 72-GPU NVLink domain: nothing crosses.
    expect(pipelineHops(layout(2, 4), 8)).toEqual({ inDomain: 3, crossDomain: 0 });
    expect(pipelineHops(layout(8, 8), 72)).toEqual({ inDomain: 7, crossDomain: 0 });
    expect(pipelineHops(layout(8, 1), 8)).toEqual({ inDomain: 0, crossDomain: 0 });
  });
});
