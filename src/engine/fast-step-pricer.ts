// Fast step latency for simulations and search: a mixed step's cost is split into parts that
// depend on few numbers each, priced once and cached:
//   shared ops over all tokens x (GEMMs, norms, collectives, MoE)  S(x)
//   ops only prefill tokens run (e.g. MLA's kv up-projection)    C(xCtx)
//   ops only decode tokens run (e.g. MLA's absorbed bmm)          G(xGen)
//   lm head over the rows that need logits                        L(rows)
//   prefill attention                                             Actx(requests, tokens, prefix)
//   decode attention                                              Agen(requests, kv)
//   one pipeline hop (added by the caller, once per hop)          P(x, link)
// Summed they equal pricing the whole decomposition (up to the token bucketing below), but the
// caches stay small, so a scheduler simulation of thousands of steps costs milliseconds.
import {
  decodeStep,
  type ModelOp,
  type ParallelConfig,
  prefillStep,
  prefixedShareOf,
  type StepShape,
} from '../models/index.js';
import type { CommQuery, OpQuery, PerfDatabase } from '../perfdb/index.js';
import type { BackendProfile } from './backend-profile.js';
import { prefixAttentionMultiplier, stretchedByPrefix } from './step-latency.js';
import { gridAbove, gridBelow, snapToGrid } from './token-grid.js';

export type Decompose = (parallel: ParallelConfig, step: StepShape) => readonly ModelOp[];

/** What the pricer takes from the backend profile. */
export type PricerProfile = Pick<BackendProfile, 'sustainedComputeFactor' | 'prefixAttentionFactor'>;

const CTX_ATTENTION_KINDS = new Set<OpQuery['kind']>(['context_attention', 'context_mla']);
const GEN_ATTENTION_KINDS = new Set<OpQuery['kind']>(['generation_attention', 'generation_mla']);

function isLmHead(op: ModelOp): boolean {
  return op.name.startsWith('lm_head');
}

/** The parts priced from one prefill step of `n` tokens (one decomposition serves both). */
interface CtxParts {
  readonly sharedMs: number;
  readonly ctxOnlyMs: number;
}

/** The parts taken from one decode step of `requests` requests (one decomposition serves both). */
interface GenParts {
  readonly genOnlyMs: number;
  /** Its attention ops, priced at other kv lengths by substituting kvLen. */
  readonly attention: readonly ModelOp[];
}

export class FastStepPricer {
  private readonly parallel: ParallelConfig;
  private readonly db: PerfDatabase;
  private readonly decompose: Decompose;
  private readonly genTokensPerRequest: number;
  private sharedNames: Set<string> | undefined;
  private readonly ctxParts = new Map<number, CtxParts>();
  private readonly genParts = new Map<number, GenParts>();
  private readonly lmCache = new Map<number, number>();
  private lmTemplate: readonly ModelOp[] | undefined;
  /** Prompt attention by (requests, tokens, prefix): the full-attention part and the rest. */
  private readonly ctxAttnCache = new Map<number, { readonly stretched: number; readonly rest: number }>();
  private readonly ctxAttnTemplates = new Map<number, readonly ModelOp[]>();
  private readonly genAttnCache = new Map<number, number>();
  private hopTemplate: readonly ModelOp[] | undefined;
  private readonly hopCache = new Map<number, number>();

  private readonly computeFactor: number;
  private readonly prefixAttentionFactor: number;

  constructor(
    parallel: ParallelConfig,
    db: PerfDatabase,
    decompose: Decompose,
    genTokensPerRequest: number,
    profile: PricerProfile,
  ) {
    this.parallel = parallel;
    this.db = db;
    this.decompose = decompose;
    this.genTokensPerRequest = genTokensPerRequest;
    this.computeFactor = profile.sustainedComputeFactor;
    this.prefixAttentionFactor = profile.prefixAttentionFactor;
  }

  /** One op's latency, stretched when compute-bound (see BackendProfile.sustainedComputeFactor). */
  private opMs(query: OpQuery): number {
    const answer = this.db.query(query);
    return answer.computeBound ? answer.latencyMs * this.computeFactor : answer.latencyMs;
  }

  private ctxStep(requests: number, tokens: number, prefix = 0): StepShape {
    return prefillStep(requests, tokens, prefix, this.genTokensPerRequest);
  }

  private genStep(requests: number, kvLen: number): StepShape {
    return decodeStep(requests, kvLen, this.genTokensPerRequest);
  }

  private price(ops: readonly ModelOp[], keep: (op: ModelOp) => boolean): number {
    let ms = 0;
    for (const op of ops) if (keep(op)) ms += this.opMs(op.query) * op.count;
    return ms;
  }

  /** Names of the non-attention ops both a prefill and a decode step run (their cost depends on x only). */
  private shared(): Set<string> {
    if (!this.sharedNames) {
      const ctxNames = new Set(this.decompose(this.parallel, this.ctxStep(1, 64)).map((op) => op.name));
      const genOps = this.decompose(this.parallel, this.genStep(64, 64));
      this.sharedNames = new Set(
        genOps
          .filter((op) => ctxNames.has(op.name) && !isLmHead(op) && !GEN_ATTENTION_KINDS.has(op.query.kind))
          .map((op) => op.name),
      );
    }
    return this.sharedNames;
  }

  /** f(n) interpolated linearly between the grid points around n (0 for n <= 0). */
  private interpolated(n: number, at: (gridPoint: number) => number): number {
    if (n <= 0) return 0;
    const lo = gridBelow(n);
    const hi = gridAbove(n, lo);
    const vLo = at(Math.max(1, lo));
    if (hi === lo) return vLo;
    const vHi = at(hi);
    return vLo + ((vHi - vLo) * (n - lo)) / (hi - lo);
  }

  private ctxPartsAt(tokens: number): CtxParts {
    let parts = this.ctxParts.get(tokens);
    if (parts === undefined) {
      const names = this.shared();
      const ops = this.decompose(this.parallel, this.ctxStep(1, tokens));
      parts = {
        sharedMs: this.price(ops, (op) => names.has(op.name)),
        ctxOnlyMs: this.price(
          ops,
          (op) => !names.has(op.name) && !isLmHead(op) && !CTX_ATTENTION_KINDS.has(op.query.kind),
        ),
      };
      this.ctxParts.set(tokens, parts);
    }
    return parts;
  }

  private genPartsAt(requests: number): GenParts {
    let parts = this.genParts.get(requests);
    if (parts === undefined) {
      const names = this.shared();
      const ops = this.decompose(this.parallel, this.genStep(requests, 1));
      parts = {
        genOnlyMs: this.price(
          ops,
          (op) => !names.has(op.name) && !isLmHead(op) && !GEN_ATTENTION_KINDS.has(op.query.kind),
        ),
        attention: ops.filter((op) => GEN_ATTENTION_KINDS.has(op.query.kind)),
      };
      this.genParts.set(requests, parts);
    }
    return parts;
  }

  private sharedMs(tokens: number): number {
    return this.interpolated(tokens, (n) => this.ctxPartsAt(n).sharedMs);
  }

  private ctxOnlyMs(tokens: number): number {
    return this.interpolated(tokens, (n) => this.ctxPartsAt(n).ctxOnlyMs);
  }

  /** The lm head (and its logits gather) at `rows` rows: one template, the row count substituted. */
  private lmHeadMs(ctxRequests: number, genRequests: number): number {
    const rows = ctxRequests + genRequests * this.genTokensPerRequest;
    let v = this.lmCache.get(rows);
    if (v === undefined) {
      // One decoding request: as many rows as decode tokens per request (MTP heads included).
      this.lmTemplate ??= this.decompose(this.parallel, this.genStep(1, 1)).filter(isLmHead);
      const templateRows = this.genTokensPerRequest;
      v = 0;
      for (const op of this.lmTemplate) {
        // GEMM m and message sizes scale with the rows.
        const q = op.query;
        const query =
          q.kind === 'gemm'
            ? { ...q, m: rows }
            : q.kind === 'comm'
              ? { ...q, messageElements: (q.messageElements / templateRows) * rows }
              : q;
        v += this.opMs(query) * op.count;
      }
      this.lmCache.set(rows, v);
    }
    return v;
  }

  /** An attention template's ops with their lengths substituted, summed; cached by `key`. */
  private attentionMs(
    cache: Map<number, number>,
    key: number,
    template: () => readonly ModelOp[],
    lengths: { readonly kvLen: number },
  ): number {
    let v = cache.get(key);
    if (v === undefined) {
      v = 0;
      for (const op of template()) v += this.opMs({ ...op.query, ...lengths } as OpQuery) * op.count;
      cache.set(key, v);
    }
    return v;
  }

  /**
   * Prompt attention of a step: the full-attention part (which the profile's prefix factor
   * stretches by the step's prefixed share) and the rest (MLA, sliding-window layers).
   */
  private ctxAttentionMs(requests: number, rawTokens: number, rawPrefix: number, multiplier: number): number {
    // Chunk sizes and prefixes vary step to step; a 16-per-octave grid keeps the cache small (< 3%
    // error on attention alone).
    const tokens = Math.max(1, snapToGrid(rawTokens));
    const prefix = snapToGrid(rawPrefix);
    const key = (requests * 1_048_583 + tokens) * 4_194_319 + prefix;
    let parts = this.ctxAttnCache.get(key);
    if (parts === undefined) {
      // The attention ops of a prefill step differ only in isl and prefix: reuse their queries.
      let template = this.ctxAttnTemplates.get(requests);
      if (!template) {
        template = this.decompose(this.parallel, this.ctxStep(requests, 64)).filter((op) =>
          CTX_ATTENTION_KINDS.has(op.query.kind),
        );
        this.ctxAttnTemplates.set(requests, template);
      }
      let stretched = 0;
      let rest = 0;
      for (const op of template) {
        const query = { ...op.query, isl: tokens, prefix } as OpQuery;
        const ms = this.opMs(query) * op.count;
        if (stretchedByPrefix(query)) stretched += ms;
        else rest += ms;
      }
      parts = { stretched, rest };
      this.ctxAttnCache.set(key, parts);
    }
    return parts.stretched * multiplier + parts.rest;
  }

  private genAttentionMs(requests: number, rawKvLen: number): number {
    // 16 points per octave of kv length (< 3% error on attention alone).
    const kvLen = Math.max(1, snapToGrid(rawKvLen));
    const key = requests * 16_777_259 + kvLen;
    return this.attentionMs(this.genAttnCache, key, () => this.genPartsAt(requests).attention, { kvLen });
  }

  /**
   * One pipeline hop (a stage's activations sent to the next) for a step of `tokens` tokens over a
   * link spanning `spanGpus` GPUs (2 inside an NVLink domain; two domains' worth across them, which
   * prices the inter-node link). The pricer leaves the hops out of stepMs: they are the only ops
   * that depend on pp, so layouts differing only in pp share everything else (see StepEngine).
   */
  pipelineHopMs(tokens: number, spanGpus: number): number {
    return this.interpolated(tokens, (n) => {
      const key = n * 1_048_576 + spanGpus;
      let v = this.hopCache.get(key);
      if (v === undefined) {
        // The hop of a two-stage layout at one token; its message grows with the tokens.
        this.hopTemplate ??= this.decompose({ ...this.parallel, pp: 2 }, this.ctxStep(1, 1)).filter(
          (op) => op.query.kind === 'comm' && op.query.op === 'p2p',
        );
        v = 0;
        for (const op of this.hopTemplate) {
          const q = op.query as CommQuery;
          v += this.opMs({ ...q, numGpus: spanGpus, messageElements: q.messageElements * n });
        }
        this.hopCache.set(key, v);
      }
      return v;
    });
  }

  /** GPU time of one step, ms. */
  stepMs(step: StepShape): number {
    const xCtx = step.ctxRequests * step.ctxTokens;
    const genRows = step.genRequests * step.genTokensPerRequest;
    const x = xCtx + genRows;
    if (x === 0) return 0;
    let ms = this.sharedMs(x) + this.lmHeadMs(step.ctxRequests, step.genRequests);
    if (xCtx > 0)
      ms +=
        this.ctxOnlyMs(xCtx) +
        this.ctxAttentionMs(
          step.ctxRequests,
          step.ctxTokens,
          step.ctxPrefix,
          prefixAttentionMultiplier(this.prefixAttentionFactor, prefixedShareOf(step)),
        );
    if (genRows > 0)
      ms +=
        this.genPartsAt(step.genRequests).genOnlyMs + this.genAttentionMs(step.genRequests, step.genKvLen);
    return ms;
  }
}
