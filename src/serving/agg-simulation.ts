// A discrete-event simulation of one engine's scheduler under a closed-loop load: `concurrency`
// clients each send a request, wait for it to finish, and send the next (what benchmark tools
// such as `--max-concurrency N` do). Steps follow continuous batching with chunked prefill, in
// one of two policies: 'mixed' (every running decode advances each step and waiting prefills
// fill the remaining token budget) or 'prefill-first' (a prefill-only step whenever requests
// wait; decodes advance only in steps without prefill). Queueing behind other prefills (the main
// error of fixed-factor TTFT models) falls out of it.
import { MinHeap, seededRandom } from '../common/index.js';
import { snapToGrid } from '../engine/index.js';
import type { StepShape } from '../models/index.js';

export interface AggSimulationInput {
  /** Clients per attention-DP rank. */
  readonly concurrency: number;
  /** Max requests running at once per rank (the engine's max batch). */
  readonly maxRunning: number;
  /** Context-token budget per step (decode tokens count against it). */
  readonly ctxTokens: number;
  readonly isl: number;
  readonly osl: number;
  readonly prefix: number;
  /** Tokens each decode step yields per request (1 + accepted draft tokens). */
  readonly tokensPerDecodeStep: number;
  /** Tokens each decoding request feeds the model per step (1 + nextn). */
  readonly genTokensPerRequest: number;
  /** Requests to complete in all (benchmarks run several waves of `concurrency`). */
  readonly totalRequests: number;
  /**
   * Request lengths are drawn uniformly from [ratio * nominal, nominal] for input and output
   * (the `--random-range-ratio` of common benchmark clients); 1 = every request exactly
   * isl/osl. Variation is what keeps clients from moving in lock-step waves.
   */
  readonly lengthRatio?: number;
  /** Seed of the length draws (same seed, same result). */
  readonly seed?: number;
  /**
   * Whether a prompt may be split over steps (default true). Without it a prompt runs whole in
   * one step and waits until the budget left beside the decodes holds it (TensorRT-LLM's default).
   */
  readonly chunkedPrefill?: boolean;
  /** How prefill and decode share steps (default 'mixed'). */
  readonly policy?: 'mixed' | 'prefill-first';
  /**
   * Whether the engine plans step n+1 and hands out step n-1's tokens while step n runs (SGLang's
   * and TensorRT-LLM's overlap schedulers). A client sends its next request when its previous
   * answer ends, at a step's end (its TTFT counts from there), and the request reaches the engine
   * while the next step runs, so it waits for the step already planned: one step without overlap,
   * two with it; with overlap its first token also leaves one step late.
   */
  readonly overlapScheduler?: boolean;
  /** Step latency, ms, for a step of this shape (cached by the caller). */
  readonly stepMs: (step: StepShape) => number;
}

/** Steps already planned when a request reaches a busy engine mid-step (see overlapScheduler). */
function stepsPlannedAhead(overlap: boolean): number {
  return overlap ? 2 : 1;
}

/**
 * Expected TTFT a request loses to the engine's step boundaries when it reaches a busy engine at
 * a random point of a step (a KV transfer finishing, for a disaggregated decode worker), in steps:
 * half the running step, the further planned steps, and the overlap scheduler's late hand-out of
 * the first token (0.5 without overlap, 2.5 with it). A closed-loop client's request is not
 * random: it is sent at a step's end and loses the whole running step (the agg simulation).
 */
export function arrivalLagSteps(overlap: boolean): number {
  return 0.5 + (stepsPlannedAhead(overlap) - 1) + (overlap ? 1 : 0);
}

export interface AggSimulationResult {
  readonly meanTtftMs: number;
  /** Parts of meanTtftMs: waiting for the first step carrying the prompt, ... */
  readonly meanQueueMs: number;
  /** ... from that step to the end of the one finishing the prompt, ... */
  readonly meanPrefillMs: number;
  /** ... and the overlap scheduler's late hand-out of the first token. */
  readonly meanHandOutMs: number;
  /**
   * Share of the time requests spent decoding that decode work takes: decode-only steps whole,
   * steps carrying prefill at what the same decodes cost alone (a prefill-only step: nothing),
   * over every decoding request's steps. The rest of TPOT is other requests' prefill.
   */
  readonly decodeShare: number;
  readonly meanTpotMs: number;
  readonly meanRequestLatencyMs: number;
  /** Output tokens per second of one rank over the whole run. */
  readonly outputTokensPerS: number;
  readonly requestsPerS: number;
  readonly steps: number;
  readonly durationMs: number;
}

interface Request {
  /** When its client sent it (TTFT counts from here): t = 0, or the end of the step that answered the client. */
  sentMs: number;
  /** Steps that must have run before the scheduler sees the request. */
  eligibleAfterStep: number;
  /** First-token hand-out delay past the end of its prefill step (overlap schedulers), ms. */
  outputLagMs: number;
  isl: number;
  osl: number;
  prefillLeft: number;
  prefillDone: number;
  /** Start of the first step that carried the prompt; -1 until then. */
  firstScheduledMs: number;
  firstTokenMs: number;
  /** Decode-step counter value when the request started decoding. */
  decodeStart: number;
  /** Decode-step counter value at which the request has all its tokens. */
  decodeEnd: number;
}

/** Kv lengths are bucketed (32 buckets per octave, <= ~3% error) so that steps share cache entries. */
export function bucketKvLen(kv: number): number {
  return Math.max(1, snapToGrid(kv, 5));
}

export function simulateAgg(input: AggSimulationInput): AggSimulationResult {
  const ratio = Math.min(1, Math.max(0, input.lengthRatio ?? 1));
  const random = seededRandom(input.seed ?? 1);
  const draw = (nominal: number): number =>
    ratio >= 1 ? nominal : Math.max(1, Math.round(nominal * (ratio + (1 - ratio) * random())));
  const maxRunning = Math.max(1, Math.min(input.maxRunning, input.concurrency));
  const advance = input.tokensPerDecodeStep;
  const prefillFirst = input.policy === 'prefill-first';
  const chunked = input.chunkedPrefill ?? true;
  const overlap = input.overlapScheduler ?? false;
  // Steps already planned when a request arrives mid-step (see overlapScheduler).
  const plannedAhead = stepsPlannedAhead(overlap);
  // Requests whose first token the latest step sampled: an overlap scheduler hands it out when
  // the next step ends.
  const handingOut: Request[] = [];
  const takes: number[] = [];

  // Waiting requests and admitted prefills are FIFO queues (arrays with a moving head).
  const waiting: Request[] = [];
  let waitingHead = 0;
  const prefilling: Request[] = [];
  let prefillingHead = 0;
  // Decoding requests by the step at which they finish.
  const decoding = new MinHeap<Request>((r) => r.decodeEnd);
  // Every running decode advances each step, so one counter tracks them all; the kv sum is
  // sum(isl + 1 - start * advance) + count * counter * advance.
  let decodeCounter = 0;
  let kvBase = 0;

  let now = 0;
  let issued = 0;
  let completed = 0;
  let steps = 0;
  let sumTtft = 0;
  let sumQueue = 0;
  let sumHandOut = 0;
  // Wall time of steps while requests were decoding, and what their decodes alone would cost,
  // each step weighted by the requests decoding through it (as their TPOTs see it).
  let decodingWallMs = 0;
  let decodeWorkMs = 0;
  let sumTpot = 0;
  let tpotSamples = 0;
  let sumLatency = 0;
  let outputTokens = 0;

  const issue = (atMs: number): void => {
    if (issued >= input.totalRequests) return;
    issued++;
    const isl = Math.max(input.prefix + 1, draw(input.isl));
    const osl = draw(input.osl);
    const r: Request = {
      sentMs: atMs,
      eligibleAfterStep: atMs > 0 ? steps + plannedAhead : 0,
      outputLagMs: 0,
      isl,
      osl,
      prefillLeft: Math.max(1, isl - input.prefix),
      prefillDone: 0,
      firstScheduledMs: -1,
      firstTokenMs: -1,
      decodeStart: 0,
      decodeEnd: 0,
    };
    waiting.push(r);
  };
  /** The step just run (ms each, `count` of them) hands out the first tokens sampled before it. */
  const ranSteps = (ms: number, count: number): void => {
    for (const r of handingOut) r.outputLagMs = ms;
    handingOut.length = 0;
    steps += count;
  };
  for (let i = 0; i < Math.min(input.concurrency, input.totalRequests); i++) issue(0);

  const finish = (r: Request): void => {
    completed++;
    sumTtft += r.firstTokenMs + r.outputLagMs - r.sentMs;
    sumQueue += r.firstScheduledMs - r.sentMs;
    sumHandOut += r.outputLagMs;
    if (r.osl > 1) {
      sumTpot += (now - r.firstTokenMs) / (r.osl - 1);
      tpotSamples++;
    }
    sumLatency += now - r.sentMs;
    outputTokens += r.osl;
    issue(now);
  };
  const retireFinished = (): void => {
    for (let top = decoding.peek(); top && top.decodeEnd <= decodeCounter; top = decoding.peek()) {
      decoding.pop();
      kvBase -= top.isl + 1 - top.decodeStart * advance;
      finish(top);
    }
  };
  const startDecoding = (r: Request): void => {
    // The step that finishes a prefill samples the request's first token.
    r.firstTokenMs = now;
    if (overlap) handingOut.push(r);
    if (r.osl <= 1) {
      finish(r);
      return;
    }
    r.decodeStart = decodeCounter;
    r.decodeEnd = decodeCounter + Math.ceil((r.osl - 1) / advance);
    kvBase += r.isl + 1 - r.decodeStart * advance;
    decoding.push(r);
  };

  // Guard against a pathological budget that cannot make progress.
  const budget = Math.max(input.ctxTokens, input.genTokensPerRequest * maxRunning + 1);

  while (completed < input.totalRequests) {
    let admitted = prefilling.length - prefillingHead + decoding.size;
    if (admitted === 0 && waitingHead < waiting.length) {
      // An idle engine picks requests up as they arrive: no step is in flight to wait for.
      for (let i = waitingHead; i < waiting.length; i++) waiting[i]!.eligibleAfterStep = steps;
    }
    while (
      admitted < maxRunning &&
      waitingHead < waiting.length &&
      waiting[waitingHead]!.eligibleAfterStep <= steps
    ) {
      prefilling.push(waiting[waitingHead++]!);
      admitted++;
    }
    const nDecoding = decoding.size;
    const nPrefilling = prefilling.length - prefillingHead;
    if (nDecoding === 0 && nPrefilling === 0) break;
    const kvMean = nDecoding > 0 ? kvBase / nDecoding + decodeCounter * advance : 0;

    if (nPrefilling === 0) {
      // Only decodes: fast-forward to the next completion (identical steps except a slowly growing
      // kv), or to the step after which a waiting request becomes visible.
      let k = Math.max(1, decoding.peek()!.decodeEnd - decodeCounter);
      if (waitingHead < waiting.length && admitted < maxRunning) {
        k = Math.max(1, Math.min(k, waiting[waitingHead]!.eligibleAfterStep - steps));
      }
      const ms = input.stepMs({
        ctxRequests: 0,
        ctxTokens: 0,
        ctxPrefix: 0,
        genRequests: nDecoding,
        genKvLen: bucketKvLen(kvMean + (k * advance) / 2),
        genTokensPerRequest: input.genTokensPerRequest,
      });
      now += k * ms;
      decodingWallMs += k * ms * nDecoding;
      decodeWorkMs += k * ms * nDecoding;
      ranSteps(ms, k);
      decodeCounter += k;
      retireFinished();
    } else {
      // Prefill-first steps carry no decodes: the whole budget goes to prefill chunks.
      const decodesInStep = prefillFirst ? 0 : nDecoding;
      let left = budget - decodesInStep * input.genTokensPerRequest;
      let chunkTokens = 0;
      let chunkRequests = 0;
      let prefixSum = 0;
      // Attention work (score entries) of the chunks, and of those that start after cached tokens.
      let attentionWork = 0;
      let prefixedWork = 0;
      takes.length = 0;
      for (let i = prefillingHead; i < prefilling.length && left > 0; i++) {
        const r = prefilling[i]!;
        let take = Math.min(r.prefillLeft, left);
        if (!chunked && take < r.prefillLeft) {
          // Without chunking a prompt runs whole; one longer than the budget runs alone.
          if (chunkRequests > 0) break;
          take = r.prefillLeft;
        }
        takes.push(take);
        chunkTokens += take;
        chunkRequests++;
        const cached = input.prefix + r.prefillDone;
        prefixSum += cached;
        const work = take * (cached + take / 2);
        attentionWork += work;
        if (cached > 0) prefixedWork += work;
        left -= take;
      }
      const ms = input.stepMs({
        ctxRequests: chunkRequests,
        ctxTokens: Math.ceil(chunkTokens / chunkRequests),
        ctxPrefix: Math.round(prefixSum / chunkRequests),
        ctxPrefixedShare: attentionWork > 0 ? prefixedWork / attentionWork : 0,
        genRequests: decodesInStep,
        genKvLen: decodesInStep > 0 ? bucketKvLen(kvMean) : 0,
        genTokensPerRequest: input.genTokensPerRequest,
      });
      for (let i = 0; i < takes.length; i++) {
        const r = prefilling[prefillingHead + i]!;
        if (r.firstScheduledMs < 0) r.firstScheduledMs = now;
      }
      if (nDecoding > 0) {
        decodingWallMs += ms * nDecoding;
        if (decodesInStep > 0)
          decodeWorkMs +=
            nDecoding *
            input.stepMs({
              ctxRequests: 0,
              ctxTokens: 0,
              ctxPrefix: 0,
              genRequests: decodesInStep,
              genKvLen: bucketKvLen(kvMean),
              genTokensPerRequest: input.genTokensPerRequest,
            });
      }
      now += ms;
      ranSteps(ms, 1);
      if (decodesInStep > 0) {
        decodeCounter++;
        retireFinished();
      }
      // Advance the requests by the chunks the step carried (all but the last are whole).
      for (const take of takes) {
        const r = prefilling[prefillingHead]!;
        r.prefillLeft -= take;
        r.prefillDone += take;
        if (r.prefillLeft > 0) break;
        prefillingHead++;
        startDecoding(r);
      }
    }
    if (prefillingHead > 1024 && prefillingHead * 2 > prefilling.length) {
      prefilling.splice(0, prefillingHead);
      prefillingHead = 0;
    }
    if (waitingHead > 1024 && waitingHead * 2 > waiting.length) {
      waiting.splice(0, waitingHead);
      waitingHead = 0;
    }
  }
  const durationMs = Math.max(now, 1e-9);
  const done = Math.max(1, completed);
  return {
    meanTtftMs: sumTtft / done,
    meanQueueMs: sumQueue / done,
    meanPrefillMs: (sumTtft - sumQueue - sumHandOut) / done,
    meanHandOutMs: sumHandOut / done,
    decodeShare: decodingWallMs > 0 ? Math.min(1, decodeWorkMs / decodingWallMs) : 1,
    meanTpotMs: sumTpot / Math.max(1, tpotSamples),
    meanRequestLatencyMs: sumLatency / done,
    outputTokensPerS: (outputTokens / durationMs) * 1000,
    requestsPerS: (completed / durationMs) * 1000,
    steps,
    durationMs,
  };
}
