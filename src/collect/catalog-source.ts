// The model-driven planner's op source backed by the models layer: the shipped catalog and
// `decomposeStep` (the same decomposition the engine prices), in bf16, each MoE shape under
// balanced, power-law and (where its rows stand for the expectation) random routing.
import { UnknownNameError } from '../common/index.js';
import {
  BF16_QUANT,
  decodeStep,
  decomposeStep,
  listModels,
  loadModel,
  type ModelSpec,
  prefillStep,
} from '../models/index.js';
import { type OpQuery, randomRoutingRowsApply } from '../perfdb/index.js';
import type { ModelOpSource, StepShape } from './model-plan.js';

export function catalogModelSource(): ModelOpSource {
  const cache = new Map<string, ModelSpec>();
  const spec = (name: string): ModelSpec => {
    let s = cache.get(name);
    if (!s) {
      s = loadModel(name);
      cache.set(name, s);
      // Later calls name the model by its id: for `--model <config dir>` that id is no catalog name.
      cache.set(s.id, s);
    }
    return s;
  };
  return {
    listModels: () => listModels().map((m) => m.id),
    resolveModel: (name) => {
      // loadModel resolves short names itself; an unsupported model's reason (InvalidConfigError)
      // or an ambiguous short name reaches the user as it is.
      try {
        return spec(name).id;
      } catch (error) {
        if (error instanceof UnknownNameError) return undefined;
        throw error;
      }
    },
    stepOps: (modelId: string, tp: number, ep: number, step: StepShape): readonly OpQuery[] => {
      const model = spec(modelId);
      const isMoe = model.moe !== undefined;
      const parallel = { tp, pp: 1, attentionDp: 1, moeTp: isMoe ? tp / ep : tp, moeEp: isMoe ? ep : 1 };
      const shape =
        step.phase === 'context'
          ? prefillStep(step.batchSize, step.isl)
          : decodeStep(step.batchSize, step.kvLen);
      // Each MoE shape under the routings the estimator asks for: 'balanced' (the reference
      // runner's, and what random routing is priced from), one skewed routing, and 'random' (its
      // default: independent picks) where each expert expects a few picks (randomRoutingRowsApply;
      // below, the balanced rows give the expectation, checked on the H200: docs/perf-database.md).
      const ops = decomposeStep(model, parallel, BF16_QUANT, shape, { moeDistribution: 'balanced' }).map(
        (o) => o.query,
      );
      const routed = ops.flatMap((q) =>
        q.kind === 'moe'
          ? [
              ...(randomRoutingRowsApply(q.numTokens, q.topk, q.numExperts)
                ? [{ ...q, distribution: 'random' as const }]
                : []),
              { ...q, distribution: 'power_law_1.01' as const },
            ]
          : [],
      );
      return [...ops, ...routed];
    },
  };
}
