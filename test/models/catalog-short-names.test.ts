import { describe, expect, it } from 'vitest';
import { UnknownNameError } from '../../src/common/index.js';
import { loadModel } from '../../src/models/index.js';

describe('loadModel short names', () => {
  it('accepts a name without its organisation when exactly one catalog id ends with it', () => {
    expect(loadModel('Llama-3.1-8B').id).toBe('meta-llama/Llama-3.1-8B');
    expect(loadModel('qwen3-30b-a3b').id).toBe('Qwen/Qwen3-30B-A3B');
  });

  it('still lists the known models for a name that matches nothing', () => {
    expect(() => loadModel('Llama-9-1T')).toThrow(UnknownNameError);
  });
});
