// How one model replica is spread over GPUs, and the rules a layout must satisfy.
import { InvalidConfigError } from '../common/index.js';
import type { ModelSpec } from './model-spec.js';

export interface ParallelConfig {
  /** Attention (and dense MLP) tensor parallelism inside one attention-DP rank. */
  readonly tp: number;
  readonly pp: number;
  /** Attention data-parallel ranks sharing one MoE expert group (MoE models only). */
  readonly attentionDp: number;
  readonly moeTp: number;
  readonly moeEp: number;
}

/** GPUs one worker (engine instance) spans: expert parallelism reuses the attention GPUs. */
export function gpusPerWorker(parallel: ParallelConfig): number {
  return parallel.tp * parallel.pp * parallel.attentionDp;
}

function divisors(n: number): number[] {
  const out: number[] = [];
  for (let d = 1; d <= n; d++) if (n % d === 0) out.push(d);
  return out;
}

function listed(values: readonly number[]): string {
  return values.length > 8 ? `${values.slice(0, 8).join(', ')}, ...` : values.join(', ');
}

function fail(model: ModelSpec, message: string): never {
  throw new InvalidConfigError(`${model.id}: ${message}`);
}

/**
 * Throws InvalidConfigError with one line saying what is wrong and what would work.
 * Rules (docs/models.md "Parallel layouts"):
 * - every degree is a positive integer; pp <= layers (uneven splits are allowed);
 * - tp divides the query heads; kv heads are split when tp <= n_kv (tp divides n_kv) and
 *   replicated when tp > n_kv (then n_kv divides tp);
 * - dense models: attentionDp = 1 (run replicas instead); moeTp / moeEp are ignored (the MLP is
 *   split by tp, which must divide the MLP intermediate size);
 * - MoE models: tp * attentionDp = moeTp * moeEp (experts span the attention GPUs), moeEp divides
 *   the expert count, moeTp divides the expert intermediate size.
 */
export function validateParallel(model: ModelSpec, parallel: ParallelConfig): void {
  const { tp, pp, attentionDp, moeTp, moeEp } = parallel;
  // Expert degrees describe how experts are laid out; a dense model has none, so they are ignored.
  const degrees = model.moe ? { tp, pp, attentionDp, moeTp, moeEp } : { tp, pp, attentionDp };
  for (const [name, value] of Object.entries(degrees)) {
    if (!Number.isInteger(value) || value < 1) fail(model, `${name}=${value} must be a positive integer`);
  }
  if (pp > model.numLayers)
    fail(model, `pp=${pp} exceeds the ${model.numLayers} layers; use pp <= ${model.numLayers}`);
  const headOptions = divisors(model.numHeads);
  if (model.numHeads % tp !== 0) {
    fail(model, `tp=${tp} does not divide ${model.numHeads} heads; use ${listed(headOptions)}`);
  }
  if (!model.mla) {
    const kv = model.numKvHeads;
    if (tp <= kv ? kv % tp !== 0 : tp % kv !== 0) {
      const ok = headOptions.filter((t) => (t <= kv ? kv % t === 0 : t % kv === 0));
      fail(model, `tp=${tp} cannot split or evenly replicate ${kv} kv heads; use ${listed(ok)}`);
    }
  }
  if (!model.moe) {
    if (attentionDp !== 1) {
      fail(
        model,
        `attentionDp=${attentionDp} applies to MoE models only; for a dense model run ${attentionDp} replicas`,
      );
    }
    if (model.interSize % tp !== 0) {
      fail(model, `tp=${tp} does not divide the MLP intermediate size ${model.interSize}`);
    }
    return;
  }
  const moe = model.moe;
  const gpus = tp * attentionDp;
  if (moeTp * moeEp !== gpus) {
    const expertGpus = moeTp * moeEp;
    const dpFix = expertGpus % tp === 0 ? ` (or attentionDp=${expertGpus / tp})` : '';
    const examples = gpus === 1 ? 'moeTp=1, moeEp=1' : `moeTp=1, moeEp=${gpus} or moeTp=${gpus}, moeEp=1`;
    fail(
      model,
      `tp*attentionDp=${gpus} but moeTp*moeEp=${expertGpus}; the experts must span the same GPUs, e.g. ${examples}${dpFix}`,
    );
  }
  if (moe.numExperts % moeEp !== 0) {
    fail(
      model,
      `moeEp=${moeEp} does not divide ${moe.numExperts} experts; use ${listed(divisors(moe.numExperts))}`,
    );
  }
  if (moe.expertInterSize % moeTp !== 0) {
    fail(model, `moeTp=${moeTp} does not divide the expert intermediate size ${moe.expertInterSize}`);
  }
  const denseInter = moe.denseInterSize ?? model.interSize;
  if (moe.firstDenseLayers > 0 && denseInter % tp !== 0) {
    fail(model, `tp=${tp} does not divide the dense-layer intermediate size ${denseInter}`);
  }
  const sharedTotal = moe.numSharedExperts * moe.sharedInterSize;
  if (sharedTotal > 0 && sharedTotal % tp !== 0) {
    fail(model, `tp=${tp} does not divide the shared-expert intermediate size ${sharedTotal}`);
  }
}

/**
 * Pipeline hops (stage s - 1 sending its activations to stage s) inside one NVLink domain and
 * across domains, with the stages laid out in order on domains of `gpusPerDomain` GPUs: a stage
 * holds tp x attentionDp GPUs and rank i of one stage sends to rank i of the next. A hop where any
 * rank's pair straddles two domains runs at the slower link.
 */
export function pipelineHops(
  parallel: ParallelConfig,
  gpusPerDomain: number,
): { readonly inDomain: number; readonly crossDomain: number } {
  const stage = parallel.tp * parallel.attentionDp;
  let crossDomain = 0;
  for (let s = 1; s < parallel.pp; s++) {
    for (let i = 0; i < stage; i++) {
      if (Math.floor(((s - 1) * stage + i) / gpusPerDomain) !== Math.floor((s * stage + i) / gpusPerDomain)) {
        crossDomain++;
        break;
      }
    }
  }
  return { inDomain: Math.max(0, parallel.pp - 1 - crossDomain), crossDomain };
}

/**
 * Decoder layers per pipeline stage. Uneven splits give the extra layers to the earliest stages
 * (the last stage also holds the lm head, so this evens out the memory).
 */
export function layersPerStage(model: ModelSpec, pp: number): number[] {
  const base = Math.floor(model.numLayers / pp);
  const extra = model.numLayers % pp;
  return Array.from({ length: pp }, (_, i) => base + (i < extra ? 1 : 0));
}
