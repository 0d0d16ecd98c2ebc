// A discrete-event simulation of one engine's scheduler under a closed-loop load: `concurrency`
// clients each send a request, wait for it to finish, and send the next (what benchmark tools
// such as `--max-concurrency N` do). Steps follow continuous batching with chunked prefill:
// every running decode advances each step, and waiting prefills fill the remaining token budget.
// Queueing behind other prefills (the main error of fixed-factor TTFT models) falls out of it.
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
  /** Step latency, ms, for a step of this shape (cached by the caller). */
  readonly stepMs: (step: StepShape) => number;
}

export interface AggSimulationResult {
  readonly meanTtftMs: number;
  readonly meanTpotMs: number;
  readonly meanRequestLatencyMs: number;
  /** Output tokens per second of one rank over the whole run. */
  readonly outputTokensPerS: number;
  readonly requestsPerS: number;
  readonly steps: number;
  readonly durationMs: number;
}

interface Request {
  arrivalMs: number;
  prefillLeft: number;
  prefillDone: number;
  firstTokenMs: number;
  generated: number;
}

/** Kv lengths are bucketed (32 buckets per octave, <= ~3% error) so that steps share cache entries. */
export function bucketKvLen(kv: number): number {
  if (kv <= 16) return Math.max(1, Math.round(kv));
  const quantum = Math.max(1, 2 ** (Math.floor(Math.log2(kv)) - 5));
  return Math.round(kv / quantum) * quantum;
}

export function simulateAgg(input: AggSimulationInput): AggSimulationResult {
  const prefillTokens = Math.max(1, input.isl - input.prefix);
  const maxRunning = Math.max(1, Math.min(input.maxRunning, input.concurrency));
  const waiting: Request[] = [];
  const running: Request[] = []; // admitted: prefilling (prefillLeft > 0) or decoding
  let now = 0;
  let issued = 0;
  let completed = 0;
  let steps = 0;
  let sumTtft = 0;
  let sumTpot = 0;
  let sumLatency = 0;
  let outputTokens = 0;

  const issue = (atMs: number): void => {
    if (issued >= input.totalRequests) return;
    issued++;
    waiting.push({
      arrivalMs: atMs,
      prefillLeft: prefillTokens,
      prefillDone: 0,
      firstTokenMs: -1,
      generated: 0,
    });
  };
  for (let i = 0; i < input.concurrency; i++) issue(0);

  const finish = (r: Request): void => {
    completed++;
    const ttft = r.firstTokenMs - r.arrivalMs;
    sumTtft += ttft;
    sumTpot += input.osl > 1 ? (now - r.firstTokenMs) / (input.osl - 1) : 0;
    sumLatency += now - r.arrivalMs;
    outputTokens += input.osl;
    issue(now);
  };

  // Guard against a pathological budget that cannot make progress.
  const budget = Math.max(input.ctxTokens, input.genTokensPerRequest * maxRunning + 1);

  while (completed < input.totalRequests) {
    while (running.length < maxRunning && waiting.length > 0) running.push(waiting.shift()!);
    const decoding = running.filter((r) => r.prefillLeft === 0);
    const prefilling = running.filter((r) => r.prefillLeft > 0);
    if (decoding.length === 0 && prefilling.length === 0) break;

    if (prefilling.length === 0) {
      // Only decodes: fast-forward to the next completion (identical steps except a slowly growing kv).
      let minLeft = Infinity;
      let kvSum = 0;
      for (const r of decoding) {
        minLeft = Math.min(minLeft, input.osl - r.generated);
        kvSum += input.isl + r.generated;
      }
      const k = Math.max(1, Math.ceil(minLeft / input.tokensPerDecodeStep));
      const kvMid = kvSum / decoding.length + (k * input.tokensPerDecodeStep) / 2;
      const ms = input.stepMs({
        ctxRequests: 0,
        ctxTokens: 0,
        ctxPrefix: 0,
        genRequests: decoding.length,
        genKvLen: bucketKvLen(kvMid),
        genTokensPerRequest: input.genTokensPerRequest,
      });
      now += k * ms;
      steps += k;
      for (const r of decoding)
        r.generated = Math.min(input.osl, r.generated + k * input.tokensPerDecodeStep);
    } else {
      let left = budget - decoding.length * input.genTokensPerRequest;
      let chunkTokens = 0;
      let chunkRequests = 0;
      let prefixSum = 0;
      const chunks: [Request, number][] = [];
      for (const r of prefilling) {
        if (left <= 0) break;
        const take = Math.min(r.prefillLeft, left);
        chunks.push([r, take]);
        chunkTokens += take;
        chunkRequests++;
        prefixSum += input.prefix + r.prefillDone;
        left -= take;
      }
      let kvSum = 0;
      for (const r of decoding) kvSum += input.isl + r.generated;
      const ms = input.stepMs({
        ctxRequests: chunkRequests,
        ctxTokens: chunkRequests > 0 ? Math.ceil(chunkTokens / chunkRequests) : 0,
        ctxPrefix: chunkRequests > 0 ? Math.round(prefixSum / chunkRequests) : 0,
        genRequests: decoding.length,
        genKvLen: decoding.length > 0 ? bucketKvLen(kvSum / decoding.length) : 0,
        genTokensPerRequest: input.genTokensPerRequest,
      });
      now += ms;
      steps++;
      for (const r of decoding) r.generated = Math.min(input.osl, r.generated + input.tokensPerDecodeStep);
      for (const [r, take] of chunks) {
        r.prefillLeft -= take;
        r.prefillDone += take;
        if (r.prefillLeft === 0) {
          // The step that finishes a prefill samples the request's first token.
          r.firstTokenMs = now;
          r.generated = 1;
        }
      }
    }
    for (let i = running.length - 1; i >= 0; i--) {
      const r = running[i]!;
      if (r.prefillLeft === 0 && r.generated >= input.osl) {
        running.splice(i, 1);
        finish(r);
      }
    }
  }
  const durationMs = Math.max(now, 1e-9);
  return {
    meanTtftMs: sumTtft / Math.max(1, completed),
    meanTpotMs: sumTpot / Math.max(1, completed),
    meanRequestLatencyMs: sumLatency / Math.max(1, completed),
    outputTokensPerS: (outputTokens / durationMs) * 1000,
    requestsPerS: (completed / durationMs) * 1000,
    steps,
    durationMs,
  };
}
