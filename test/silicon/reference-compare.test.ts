// Reference points become the step shapes the engine prices; a mixed step is a prompt chunk
// beside decodes, priced from the embedded torch tables like any scheduler step.
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SystemRegistry } from '../../src/hardware/index.js';
import { BF16_QUANT, decomposeStep, loadModel } from '../../src/models/index.js';
import { openPerfDatabase } from '../../src/perfdb/index.js';
import { predictReferenceStep, referenceStep, shippedReferenceFiles } from '../../src/silicon/index.js';

describe('reference steps', () => {
  it('maps each phase to its step shape', () => {
    const base = { tp: 1, layers: 32, isl: 1024, kv: 2048, batch: 8 };
    expect(referenceStep({ ...base, phase: 'prefill' })).toMatchObject({
      ctxRequests: 8,
      ctxTokens: 1024,
      genRequests: 0,
    });
    expect(referenceStep({ ...base, phase: 'decode' })).toMatchObject({
      ctxRequests: 0,
      genRequests: 8,
      genKvLen: 2048,
    });
    expect(referenceStep({ ...base, phase: 'mixed' })).toMatchObject({
      ctxRequests: 1,
      ctxTokens: 1024,
      ctxPrefix: 0,
      genRequests: 8,
      genKvLen: 2048,
    });
  });

  it('runs a mixed step as the chunk causal over itself and the decodes over their caches', () => {
    const model = loadModel('meta-llama/Llama-3.1-8B');
    const step = referenceStep({ tp: 1, layers: 32, batch: 32, isl: 1024, kv: 2048, phase: 'mixed' });
    const ops = decomposeStep(model, { tp: 1, pp: 1, attentionDp: 1, moeTp: 1, moeEp: 1 }, BF16_QUANT, step);
    const ctx = ops.find((o) => o.name === 'context_attention');
    const gen = ops.find((o) => o.name === 'generation_attention');
    expect(ctx?.query).toMatchObject({ batchSize: 1, isl: 1024, prefix: 0 });
    expect(gen?.query).toMatchObject({ batchSize: 32, kvLen: 2048 });
    // Every other op runs over all 1024 + 32 tokens; the lm head over the chunk's last token and the decodes.
    expect(ops.find((o) => o.name === 'qkv_proj')?.query).toMatchObject({ m: 1056 });
    expect(ops.find((o) => o.name === 'lm_head')?.query).toMatchObject({ m: 33 });
  });

  it('prices a mixed step above its prompt chunk alone and below the chunk plus a separate decode step', async () => {
    const system = new SystemRegistry([]).get('h200_sxm');
    const db = await openPerfDatabase({ system, backend: 'torch', mode: 'silicon' });
    const model = loadModel('meta-llama/Llama-3.1-8B');
    const base = { tp: 1, layers: 32, batch: 32, isl: 1024, kv: 2048 };
    const mixed = predictReferenceStep(model, system, db, { ...base, phase: 'mixed' }).predictedMs;
    const chunk = predictReferenceStep(model, system, db, {
      ...base,
      batch: 1,
      phase: 'prefill',
    }).predictedMs;
    const decode = predictReferenceStep(model, system, db, { ...base, phase: 'decode' }).predictedMs;
    expect(mixed).toBeGreaterThan(chunk);
    // The decodes' GEMM work rides along the chunk's (weights read once), so the sum overstates it.
    expect(mixed).toBeLessThan(chunk + decode);
  });
});

describe('shippedReferenceFiles', () => {
  it('lists the files the shipped step accuracy was measured on, and says what to do without it', () => {
    const files = shippedReferenceFiles();
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(existsSync(file)).toBe(true);
    const absent = join(tmpdir(), 'no-such-dir', 'torch-steps.json');
    expect(() => shippedReferenceFiles(absent)).toThrow(
      new RegExp(`${absent.replaceAll('/', '\\/')} is missing: name the CSV files to compare$`),
    );
  });
});
