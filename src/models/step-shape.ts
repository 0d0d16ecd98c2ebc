// One forward step of one attention-DP rank, as the serving layer describes it.
import { InvalidConfigError } from '../common/index.js';

/** ONE attention-DP rank's share of a forward step (ranks run in lockstep); checked by validateStep. */
export interface StepShape {
  /** Requests doing prefill (or a prefill chunk) this step (integer >= 0). */
  readonly ctxRequests: number;
  /** New tokens per prefill request this step (integer >= 0). */
  readonly ctxTokens: number;
  /** Tokens already in cache before them (prefix-cache hit or earlier chunks; integer >= 0). */
  readonly ctxPrefix: number;
  /** Requests decoding this step (integer >= 0). */
  readonly genRequests: number;
  /** KV length the decoding requests attend over (integer >= 0). */
  readonly genKvLen: number;
  /** 1, or nextn + 1 with speculative decoding (MTP): query tokens per decoding request. */
  readonly genTokensPerRequest: number;
  /**
   * Share (0-1) of the step's prompt-attention work in chunks that start after cached tokens (a
   * prefix-cache hit or the request's earlier chunks), where chunks of one step differ; absent:
   * all of it when ctxPrefix > 0, none otherwise. Pricing only (kernels that run such chunks
   * apart may run them at another speed); the ops are the same.
   */
  readonly ctxPrefixedShare?: number;
}

const COUNT_FIELDS = ['ctxRequests', 'ctxTokens', 'ctxPrefix', 'genRequests', 'genKvLen'] as const;

/**
 * Checks a step by hand (no schema library): every decomposition runs it, and the search
 * decomposes thousands of steps.
 */
export function validateStep(step: StepShape): StepShape {
  for (const field of COUNT_FIELDS) {
    const v = step[field];
    if (!Number.isInteger(v) || v < 0) {
      throw new InvalidConfigError(`step shape field '${field}': must be an integer >= 0, got ${v}`);
    }
  }
  const g = step.genTokensPerRequest;
  if (!Number.isInteger(g) || g < 1) {
    throw new InvalidConfigError(`step shape field 'genTokensPerRequest': must be an integer >= 1, got ${g}`);
  }
  const share = step.ctxPrefixedShare;
  if (share !== undefined && !(share >= 0 && share <= 1)) {
    throw new InvalidConfigError(`step shape field 'ctxPrefixedShare': must be in [0, 1], got ${share}`);
  }
  return step;
}

/**
 * A prefill-only step: `requests` prompts of `tokens` new tokens each after `prefix` cached ones.
 * `tokensPerDecodeRequest` (1 + nextn) is kept so the step prices the same layers (MTP) as decode.
 */
export function prefillStep(
  requests: number,
  tokens: number,
  prefix = 0,
  tokensPerDecodeRequest = 1,
): StepShape {
  return {
    ctxRequests: requests,
    ctxTokens: tokens,
    ctxPrefix: prefix,
    genRequests: 0,
    genKvLen: 0,
    genTokensPerRequest: tokensPerDecodeRequest,
  };
}

/** A decode-only step: `requests` requests attending over `kvLen` cached tokens, 1 + nextn queries each. */
export function decodeStep(requests: number, kvLen: number, tokensPerRequest = 1): StepShape {
  return {
    ctxRequests: 0,
    ctxTokens: 0,
    ctxPrefix: 0,
    genRequests: requests,
    genKvLen: kvLen,
    genTokensPerRequest: tokensPerRequest,
  };
}

/** The share of a step's prompt-attention work that continues after cached tokens (see ctxPrefixedShare). */
export function prefixedShareOf(step: StepShape): number {
  return step.ctxPrefixedShare ?? (step.ctxRequests > 0 && step.ctxPrefix > 0 ? 1 : 0);
}
