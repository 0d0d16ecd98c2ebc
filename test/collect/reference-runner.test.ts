import { describe, expect, it } from 'vitest';
import { BUILTIN_MODEL_SHAPES, referenceRequestJson, runReferenceStep } from '../../src/collect/index.js';

const llama = BUILTIN_MODEL_SHAPES.find((m) => m.id === 'Llama-3.1-8B');
if (!llama) throw new Error('missing Llama shape');

describe('reference runner (measuring side of silicon run)', () => {
  it('builds the request the python runner takes', () => {
    const request = JSON.parse(
      referenceRequestJson({ model: llama, tp: 1, phase: 'decode', batch: 8, kv: 1024 }),
    );
    expect(request).toMatchObject({ tp: 1, phase: 'decode', batch: 8, kv: 1024, isl: 0, layers: null });
    expect(request.model.hiddenSize).toBe(4096);
  });

  it('names the missing flag for an incomplete step', () => {
    expect(() => referenceRequestJson({ model: llama, tp: 1, phase: 'prefill', batch: 1 })).toThrow(/--isl/);
    expect(() => referenceRequestJson({ model: llama, tp: 1, phase: 'decode', batch: 1 })).toThrow(/--kv/);
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
