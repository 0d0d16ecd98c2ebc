// Writes the serving-run points (workers/torch/serving_run.py) for catalog models:
//   npx tsx scripts/device/make-serving-points.ts > scripts/device/serving-points.jsonl
//   npx tsx scripts/device/make-serving-points.ts heavy > scripts/device/serving-heavy-points.jsonl
//   npx tsx scripts/device/make-serving-points.ts prefill-first > scripts/device/serving-prefill-first-points.jsonl
//   npx tsx scripts/device/make-serving-points.ts graphs > scripts/device/serving-graphs-points.jsonl
//   npx tsx scripts/device/make-serving-points.ts heavy-graphs > scripts/device/serving-heavy-graphs-points.jsonl
//   npx tsx scripts/device/make-serving-points.ts holdout-graphs > scripts/device/serving-holdout-graphs-points.jsonl
//   npx tsx scripts/device/make-serving-points.ts holdout2-graphs > scripts/device/serving-holdout2-graphs-points.jsonl
//   npx tsx scripts/device/make-serving-points.ts holdout-fp8-graphs > scripts/device/serving-holdout-fp8-graphs-points.jsonl
//   npx tsx scripts/device/make-serving-points.ts holdout-prefix-graphs > scripts/device/serving-holdout-prefix-graphs-points.jsonl
//   npx tsx scripts/device/make-serving-points.ts holdout-chunked-graphs > scripts/device/serving-holdout-chunked-graphs-points.jsonl
// Each line: model shape (from the models layer), catalog id, clients, lengths and client settings.
import { modelShapeOf } from '../../src/collect/index.js';
import { loadModel } from '../../src/models/index.js';

const LENGTH_RATIO = 0.8;
const CTX_TOKENS = 8192;
/** What a run sets beyond the defaults: its own scheduler (over its set's), fp8 GEMMs, cached prefix tokens, token budget. */
interface RunOptions {
  readonly scheduler?: string;
  readonly gemmQuant?: string;
  readonly prefix?: number;
  readonly ctxTokens?: number;
}
// [catalog id, clients, isl, osl, waves, options?]. Cheapest first in each set: a run cut short by
// the device call's time limit keeps the most points.
type Run = readonly [string, number, number, number, number, RunOptions?];
const SETS: Record<string, readonly Run[]> = {
  // Low to high load, short and long prompts.
  base: [
    ['meta-llama/Llama-3.1-8B-Instruct', 1, 1024, 128, 10],
    ['meta-llama/Llama-3.1-8B-Instruct', 8, 1024, 128, 10],
    ['meta-llama/Llama-3.1-8B-Instruct', 32, 1024, 128, 10],
    ['meta-llama/Llama-3.1-8B-Instruct', 64, 1024, 128, 10],
    ['Qwen/Qwen3-32B', 4, 1024, 128, 10],
    ['Qwen/Qwen3-32B', 16, 1024, 128, 10],
    ['Qwen/Qwen3-30B-A3B', 8, 1024, 128, 10],
    ['meta-llama/Llama-3.1-8B-Instruct', 16, 4096, 128, 10],
    ['Qwen/Qwen3-32B', 48, 1024, 128, 10],
    ['Qwen/Qwen3-30B-A3B', 32, 1024, 128, 10],
  ],
  // Where the development set's TTFT error is largest: most of TTFT spent queueing (long prompts
  // at many clients), 64-128 clients per rank, longer outputs. Fewer waves keep each run near a
  // minute; the rows record theirs.
  heavy: [
    ['meta-llama/Llama-3.1-8B-Instruct', 16, 8192, 128, 8],
    ['meta-llama/Llama-3.1-8B-Instruct', 64, 2048, 256, 5],
    ['Qwen/Qwen3-30B-A3B', 32, 4096, 256, 4],
    ['meta-llama/Llama-3.1-8B-Instruct', 128, 1024, 512, 3],
    ['Qwen/Qwen3-32B', 32, 2048, 256, 4],
    ['Qwen/Qwen3-30B-A3B', 96, 1024, 512, 3],
  ],
  // SGLang's scheduler on known setups: the same loop with prompt steps that carry no decodes,
  // at points the 'mixed' runs above also measured.
  'prefill-first': [
    ['meta-llama/Llama-3.1-8B-Instruct', 32, 1024, 128, 10],
    ['meta-llama/Llama-3.1-8B-Instruct', 16, 4096, 128, 10],
    ['Qwen/Qwen3-32B', 16, 1024, 128, 10],
    ['meta-llama/Llama-3.1-8B-Instruct', 64, 2048, 256, 5],
  ],
  // Both schedulers at the same points in one device call: an eager loop's host-bound steps
  // follow the machine's CPU (serving_heavy_repeat), so scheduler effects are compared on one machine.
  'scheduler-pairs': [
    ['meta-llama/Llama-3.1-8B-Instruct', 32, 1024, 128, 10],
    ['Qwen/Qwen3-32B', 16, 1024, 128, 10],
  ],
  // Decode-only steps replayed from CUDA graphs (what every serving engine runs), at base points:
  // the eager runs' host-bound decode (Qwen3-30B-A3B) and flash-vs-cuDNN attention gap go away.
  graphs: [
    ['meta-llama/Llama-3.1-8B-Instruct', 8, 1024, 128, 10],
    ['meta-llama/Llama-3.1-8B-Instruct', 32, 1024, 128, 10],
    ['Qwen/Qwen3-32B', 16, 1024, 128, 10],
    ['Qwen/Qwen3-30B-A3B', 8, 1024, 128, 10],
    ['Qwen/Qwen3-30B-A3B', 32, 1024, 128, 10],
    ['meta-llama/Llama-3.1-8B-Instruct', 64, 1024, 128, 10],
    ['meta-llama/Llama-3.1-8B-Instruct', 16, 4096, 128, 10],
    ['Qwen/Qwen3-32B', 48, 1024, 128, 10],
  ],
  // Held out (twelfth session): models and points no earlier run or modelling change used, their
  // predictions fixed by the commit that added this set, before the runs. Decode from CUDA graphs.
  holdout: [
    ['Qwen/Qwen3-8B', 16, 2048, 256, 6],
    ['mistralai/Mixtral-8x7B-v0.1', 12, 1024, 256, 5],
    ['Qwen/Qwen3-30B-A3B', 16, 2048, 256, 5],
    ['Qwen/Qwen3-14B', 24, 1536, 384, 4],
    ['meta-llama/Llama-3.1-8B-Instruct', 48, 3000, 200, 5],
    ['Qwen/Qwen3-32B', 24, 3000, 300, 3],
  ],
  // A second held-out set (twelfth session, committed before its run like the first): heavier
  // loads (48-128 clients), a long prompt at low load, and SGLang's prefill-first scheduler on
  // three of them.
  holdout2: [
    ['Qwen/Qwen3-8B', 96, 1024, 256, 3, { scheduler: 'prefill-first' }],
    ['meta-llama/Llama-3.1-8B-Instruct', 128, 2048, 256, 2],
    ['Qwen/Qwen3-14B', 64, 2048, 128, 3],
    ['mistralai/Mixtral-8x7B-v0.1', 48, 2048, 256, 2, { scheduler: 'prefill-first' }],
    ['Qwen/Qwen3-30B-A3B', 64, 1024, 512, 2, { scheduler: 'prefill-first' }],
    ['Qwen/Qwen3-32B', 8, 6000, 200, 4],
  ],
  // FP8 GEMMs (twelfth session, committed before the run): the projections and dense MLP as the
  // collector's fp8 case (dynamic per-row activation quantisation). The torch tables say that path
  // is slower than bf16 in decode (the quantisation costs more than the smaller weights save);
  // each point beside its bf16 twin at the same load.
  'holdout-fp8': [
    ['Qwen/Qwen3-8B', 16, 2048, 256, 5],
    ['Qwen/Qwen3-8B', 16, 2048, 256, 5, { gemmQuant: 'fp8' }],
    ['Qwen/Qwen3-32B', 16, 2048, 256, 3],
    ['Qwen/Qwen3-32B', 16, 2048, 256, 3, { gemmQuant: 'fp8' }],
    ['meta-llama/Llama-3.1-8B-Instruct', 64, 1024, 256, 3, { gemmQuant: 'fp8' }],
    ['Qwen/Qwen3-14B', 32, 4096, 128, 3, { gemmQuant: 'fp8' }],
  ],
  // Prefix-cache hits (twelfth session, committed before the run): every request finds the first
  // `prefix` prompt tokens cached, so its prefill computes the rest against them.
  'holdout-prefix': [
    ['Qwen/Qwen3-8B', 32, 4096, 256, 4, { prefix: 3072 }],
    ['meta-llama/Llama-3.1-8B-Instruct', 64, 2048, 128, 4, { prefix: 1024 }],
    ['Qwen/Qwen3-30B-A3B', 32, 2048, 256, 3, { prefix: 1536 }],
    ['Qwen/Qwen3-32B', 16, 4096, 256, 3, { prefix: 2048 }],
    ['Qwen/Qwen3-14B', 48, 3072, 192, 3, { scheduler: 'prefill-first', prefix: 2048 }],
  ],
  // Long prompts split over several steps by a small token budget (twelfth session, committed
  // before the run, after the torch profile began pricing attention after a cached prefix, which
  // every chunk after the first is, at its measured cost): a prospective check of that factor.
  'holdout-chunked': [
    ['meta-llama/Llama-3.1-8B-Instruct', 16, 8192, 128, 3, { ctxTokens: 2048 }],
    ['Qwen/Qwen3-8B', 24, 6144, 256, 3, { ctxTokens: 2048 }],
    ['Qwen/Qwen3-14B', 32, 4096, 256, 3, { scheduler: 'prefill-first', ctxTokens: 1024 }],
    ['Qwen/Qwen3-30B-A3B', 16, 8192, 256, 3, { ctxTokens: 2048 }],
    ['Qwen/Qwen3-32B', 8, 8192, 128, 3, { ctxTokens: 4096 }],
  ],
};
/** Sets whose engine runs another scheduler than the torch profile's 'mixed' (or both, paired). */
const SCHEDULERS: Record<string, readonly string[]> = {
  'prefill-first': ['prefill-first'],
  'scheduler-pairs': ['mixed', 'prefill-first'],
};

const setName = process.argv[2] ?? 'base';
// '<set>-graphs': that set's runs with decode replayed from CUDA graphs.
const runs = SETS[setName] ?? SETS[setName.replace(/-graphs$/, '')];
if (!runs) {
  process.stderr.write(`unknown set '${setName}'; known: ${Object.keys(SETS).join(', ')} (each also as <set>-graphs)\n`);
  process.exit(2);
}
for (const [id, clients, isl, osl, waves, options = {}] of runs) {
  const shape = modelShapeOf(loadModel(id));
  const schedulers = options.scheduler ? [options.scheduler] : (SCHEDULERS[setName] ?? [undefined]);
  for (const scheduler of schedulers) writePoint(shape, id, clients, isl, osl, waves, { ...options, scheduler });
}

function writePoint(
  shape: ReturnType<typeof modelShapeOf>,
  id: string,
  clients: number,
  isl: number,
  osl: number,
  waves: number,
  { scheduler, gemmQuant, prefix, ctxTokens }: RunOptions,
): void {
  const point = {
    model: shape,
    modelId: id,
    clients,
    isl,
    osl,
    lengthRatio: LENGTH_RATIO,
    waves,
    ctxTokens: ctxTokens ?? CTX_TOKENS,
    seed: 1,
    ...(scheduler ? { scheduler } : {}),
    ...(gemmQuant ? { gemmQuant } : {}),
    ...(prefix ? { prefix } : {}),
    ...(setName.endsWith('graphs') ? { cudaGraphs: true } : {}),
  };
  process.stdout.write(`${JSON.stringify(point)}\n`);
}
