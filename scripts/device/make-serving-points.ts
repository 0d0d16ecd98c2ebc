// Writes the serving-run points (workers/torch/serving_run.py) for catalog models:
//   npx tsx scripts/device/make-serving-points.ts > scripts/device/serving-points.jsonl
// Each line: model shape (from the models layer), catalog id, clients, lengths and client settings.
import { modelShapeOf } from '../../src/collect/index.js';
import { loadModel } from '../../src/models/index.js';

const WAVES = 10;
const LENGTH_RATIO = 0.8;
const CTX_TOKENS = 8192;
// [catalog id, clients, isl, osl]: low to high load, short and long prompts.
const RUNS: readonly [string, number, number, number][] = [
  // Cheapest first: a run cut short by the device call's time limit keeps the most points.
  ['meta-llama/Llama-3.1-8B-Instruct', 1, 1024, 128],
  ['meta-llama/Llama-3.1-8B-Instruct', 8, 1024, 128],
  ['meta-llama/Llama-3.1-8B-Instruct', 32, 1024, 128],
  ['meta-llama/Llama-3.1-8B-Instruct', 64, 1024, 128],
  ['Qwen/Qwen3-32B', 4, 1024, 128],
  ['Qwen/Qwen3-32B', 16, 1024, 128],
  ['Qwen/Qwen3-30B-A3B', 8, 1024, 128],
  ['meta-llama/Llama-3.1-8B-Instruct', 16, 4096, 128],
  ['Qwen/Qwen3-32B', 48, 1024, 128],
  ['Qwen/Qwen3-30B-A3B', 32, 1024, 128],
];

for (const [id, clients, isl, osl] of RUNS) {
  const shape = modelShapeOf(loadModel(id));
  const point = { model: shape, modelId: id, clients, isl, osl, lengthRatio: LENGTH_RATIO, waves: WAVES, ctxTokens: CTX_TOKENS, seed: 1 };
  process.stdout.write(`${JSON.stringify(point)}\n`);
}
