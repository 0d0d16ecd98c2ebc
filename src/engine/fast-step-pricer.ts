// Fast step latency for simulations and search: a mixed step's cost is split into parts that
// depend on few numbers each, priced once and cached:
//   shared ops over all tokens x (GEMMs, norms, collectives, MoE)  S(x)
//   ops only prefill tokens run (e.g. MLA's kv up-projection)    C(xCtx)
//   ops only decode tokens run (e.g. MLA's absorbed bmm)          G(xGen)
//   lm head over the rows that need logits                        L(rows)
//   prefill attention                                             Actx(requests, tokens, prefix)
//   decode attention                                              Agen(requests, kv)
// Summed they equal pricing the whole decomposition (up to the token bucketing below), but the
// caches stay small, so a scheduler simulation of thousands of steps costs milliseconds.
import {
  decodeStep,
  type ModelOp,
  type ParallelConfig,
  prefillStep,
  type StepShape,
} from '../models/index.js';
import type { OpQuery, PerfDatabase } from '../perfdb/index.js';
import { NO_LAUNCH_COST } from './backend-profile.js';
import { launchProfile } from './step-latency.js';

export type Decompose = (parallel: ParallelConfig, step: StepShape) => readonly ModelOp[];

const CTX_ATTENTION_KINDS = new Set<OpQuery['kind']>(['context_attention', 'context_mla']);
const GEN_ATTENTION_KINDS = new Set<OpQuery['kind']>(['generation_attention', 'generation_mla']);

function isLmHead(op: ModelOp): boolean {
  return op.name.startsWith('lm_head');
}

/** Token counts are priced at 16 points per octave and interpolated linearly between them. */
const POINTS_PER_OCTAVE = 16;

const LOG2_POINTS = Math.log2(POINTS_PER_OCTAVE);

/** Largest grid point <= n (n >= 1). */
function gridBelow(n: number, log2Points = LOG2_POINTS): number {
  const whole = Math.floor(n);
  if (whole <= 1 << log2Points) return whole;
  const shift = 31 - Math.clz32(whole) - log2Points;
  return (whole >>> shift) << shift;
}

/** Smallest grid point > below (the next one up). */
function gridAbove(n: number, below: number, log2Points = LOG2_POINTS): number {
  if (below === n) return n;
  if (below < 1 << log2Points) return below + 1;
  return below + (1 << (31 - Math.clz32(below) - log2Points));
}

/** Nearest grid point (2^log2Points per octave). */
export function snapToGrid(n: number, log2Points = LOG2_POINTS): number {
  if (n <= 1 << log2Points) return Math.round(n);
  const lo = gridBelow(n, log2Points);
  const hi = gridAbove(n, lo, log2Points);
  return n - lo < hi - n ? lo : hi;
}

export class FastStepPricer {
  private readonly parallel: ParallelConfig;
  private readonly db: PerfDatabase;
  private readonly decompose: Decompose;
  private readonly genTokensPerRequest: number;
  private sharedNames: Set<string> | undefined;
  private readonly sharedCache = new Map<number, number>();
  private readonly ctxOnlyCache = new Map<number, number>();
  private readonly genOnlyCache = new Map<number, number>();
  private readonly lmCache = new Map<number, number>();
  private lmTemplate: readonly ModelOp[] | undefined;
  private readonly launchCounts = new Map<
    number,
    { instances: number; eagerHostMs: number; eagerGpuGapMs?: number }
  >();
  private readonly ctxAttnCache = new Map<number, number>();
  private readonly genAttnTemplates = new Map<number, readonly ModelOp[]>();
  private readonly ctxAttnTemplates = new Map<number, readonly ModelOp[]>();
  private readonly genAttnCache = new Map<number, number>();

  private readonly computeFactor: number;
  private readonly eagerLaunchMs: Readonly<Record<OpQuery['kind'], number>>;
  private readonly eagerGapMs: Readonly<Record<OpQuery['kind'], number>> | undefined;

  constructor(
    parallel: ParallelConfig,
    db: PerfDatabase,
    decompose: Decompose,
    genTokensPerRequest: number,
    sustainedComputeFactor = 1,
    eagerLaunchMs: Readonly<Record<OpQuery['kind'], number>> = NO_LAUNCH_COST,
    eagerGapMs?: Readonly<Record<OpQuery['kind'], number>>,
  ) {
    this.eagerLaunchMs = eagerLaunchMs;
    this.eagerGapMs = eagerGapMs;
    this.parallel = parallel;
    this.db = db;
    this.decompose = decompose;
    this.genTokensPerRequest = genTokensPerRequest;
    this.computeFactor = sustainedComputeFactor;
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

  private interpolated(cache: Map<number, number>, n: number, exact: (n: number) => number): number {
    if (n <= 0) return 0;
    const lo = gridBelow(n);
    const hi = gridAbove(n, lo);
    const at = (m: number): number => {
      let v = cache.get(m);
      if (v === undefined) {
        v = exact(m);
        cache.set(m, v);
      }
      return v;
    };
    const vLo = at(Math.max(1, lo));
    if (hi === lo) return vLo;
    const vHi = at(hi);
    return vLo + ((vHi - vLo) * (n - lo)) / (hi - lo);
  }

  private sharedMs(tokens: number): number {
    const names = this.shared();
    return this.interpolated(this.sharedCache, tokens, (n) =>
      this.price(this.decompose(this.parallel, this.ctxStep(1, n)), (op) => names.has(op.name)),
    );
  }

  private ctxOnlyMs(tokens: number): number {
    const names = this.shared();
    return this.interpolated(this.ctxOnlyCache, tokens, (n) =>
      this.price(
        this.decompose(this.parallel, this.ctxStep(1, n)),
        (op) => !names.has(op.name) && !isLmHead(op) && !CTX_ATTENTION_KINDS.has(op.query.kind),
      ),
    );
  }

  private genOnlyMs(requests: number): number {
    const names = this.shared();
    let v = this.genOnlyCache.get(requests);
    if (v === undefined) {
      v = this.price(
        this.decompose(this.parallel, this.genStep(requests, 1)),
        (op) => !names.has(op.name) && !isLmHead(op) && !GEN_ATTENTION_KINDS.has(op.query.kind),
      );
      this.genOnlyCache.set(requests, v);
    }
    return v;
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

  private ctxAttentionMs(requests: number, rawTokens: number, rawPrefix: number): number {
    // Chunk sizes and prefixes vary step to step; a 16-per-octave grid keeps the cache small (< 3%
    // error on attention alone).
    const tokens = Math.max(1, snapToGrid(rawTokens, 4));
    const prefix = snapToGrid(rawPrefix, 4);
    const key = (requests * 1_048_583 + tokens) * 4_194_319 + prefix;
    let v = this.ctxAttnCache.get(key);
    if (v === undefined) {
      // The attention ops of a prefill step differ only in isl and prefix: reuse their queries.
      let template = this.ctxAttnTemplates.get(requests);
      if (!template) {
        template = this.decompose(this.parallel, this.ctxStep(requests, 64)).filter((op) =>
          CTX_ATTENTION_KINDS.has(op.query.kind),
        );
        this.ctxAttnTemplates.set(requests, template);
      }
      v = 0;
      for (const op of template) {
        const query = { ...op.query, isl: tokens, prefix } as OpQuery;
        v += this.opMs(query) * op.count;
      }
      this.ctxAttnCache.set(key, v);
    }
    return v;
  }

  private genAttentionMs(requests: number, rawKvLen: number): number {
    // 16 points per octave of kv length (< 3% error on attention alone).
    const kvLen = Math.max(1, snapToGrid(rawKvLen, 4));
    const key = requests * 16_777_259 + kvLen;
    let v = this.genAttnCache.get(key);
    if (v === undefined) {
      let template = this.genAttnTemplates.get(requests);
      if (!template) {
        template = this.decompose(this.parallel, this.genStep(requests, 1)).filter((op) =>
          GEN_ATTENTION_KINDS.has(op.query.kind),
        );
        this.genAttnTemplates.set(requests, template);
      }
      v = 0;
      for (const op of template) {
        const query = { ...op.query, kvLen } as OpQuery;
        v += this.opMs(query) * op.count;
      }
      this.genAttnCache.set(key, v);
    }
    return v;
  }

  /** Op instances and eager host launch time of a step with or without prefill and decode parts. */
  launches(
    hasCtx: boolean,
    hasGen: boolean,
  ): { instances: number; eagerHostMs: number; eagerGpuGapMs?: number } {
    const key = (hasCtx ? 2 : 0) + (hasGen ? 1 : 0);
    let value = this.launchCounts.get(key);
    if (value === undefined) {
      const step: StepShape = {
        ...this.ctxStep(hasCtx ? 1 : 0, hasCtx ? 64 : 0),
        genRequests: hasGen ? 1 : 0,
        genKvLen: hasGen ? 64 : 0,
      };
      value = launchProfile(this.decompose(this.parallel, step), this.eagerLaunchMs, this.eagerGapMs);
      this.launchCounts.set(key, value);
    }
    return value;
  }

  /** GPU time of one step, ms. */
  stepMs(step: StepShape): number {
    const xCtx = step.ctxRequests * step.ctxTokens;
    const genRows = step.genRequests * step.genTokensPerRequest;
    const x = xCtx + genRows;
    if (x === 0) return 0;
    let ms = this.sharedMs(x) + this.lmHeadMs(step.ctxRequests, step.genRequests);
    if (xCtx > 0)
      ms += this.ctxOnlyMs(xCtx) + this.ctxAttentionMs(step.ctxRequests, step.ctxTokens, step.ctxPrefix);
    if (genRows > 0)
      ms += this.genOnlyMs(step.genRequests) + this.genAttentionMs(step.genRequests, step.genKvLen);
    return ms;
  }
}
