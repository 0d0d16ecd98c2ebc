// The measuring side of `inferplan silicon run`: time one whole model step built from the
// collector's kernels (workers/torch/reference_model.py) on the local GPU.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { z } from 'zod';
import { CollectFailedError, UsageError } from '../common/index.js';
import type { MoeDistribution } from '../perfdb/index.js';
import type { ModelShape } from './model-shape.js';
import { defaultWorkerCommand, workerDir } from './provenance.js';
import { SAFE_GPU_ENV } from './worker-process.js';

export interface ReferenceStepRequest {
  readonly model: ModelShape;
  readonly tp: number;
  /** Attention data-parallel ranks (MoE models at tp 1); default 1. */
  readonly dp?: number;
  /** mixed: one prompt chunk of `isl` tokens beside `batch` decodes at `kv`. */
  readonly phase: 'prefill' | 'decode' | 'mixed';
  readonly batch: number;
  /** Prompt tokens per request (prefill; mixed: the chunk). */
  readonly isl?: number;
  /** Cached tokens per request (decode, mixed). */
  readonly kv?: number;
  /** Run only this many decoder layers (default: all of them). */
  readonly layers?: number;
  /** Expert routing of a MoE model, drawn as the collector's moe table draws it (default balanced). */
  readonly distribution?: MoeDistribution;
  /** CUDA device id (default 0); at TP > 1 a comma list of TP ids (default 0..TP-1). */
  readonly gpu?: string;
  readonly python?: string;
  readonly timeoutS?: number;
}

export const ReferenceMeasurementSchema = z.object({
  model: z.string().nullable(),
  tp: z.number().int(),
  dp: z.number().int().optional(),
  phase: z.enum(['prefill', 'decode', 'mixed']),
  batch: z.number().int(),
  isl: z.number().int(),
  kv: z.number().int(),
  layers: z.number().int(),
  latency_ms: z.number().positive(),
  eager_latency_ms: z.number().positive(),
  /** The same step replayed from a CUDA graph: GPU time alone (null when capture failed). */
  graph_latency_ms: z.number().positive().nullable().optional(),
  /** Host time to enqueue the step with the GPU held busy (diagnostic, see data/reference). */
  host_enqueue_ms: z.number().nonnegative().optional(),
  /** GPU time of the step launched eagerly with every launch queued ahead (no host stalls). */
  queued_eager_ms: z.number().positive().optional(),
  used_cuda_graph: z.boolean(),
  graph_error: z.string().nullable(),
  distribution: z.string().nullable().optional(),
  router_max_over_mean: z.number().nullable(),
  peak_mem_bytes: z.number(),
  torch: z.string(),
  device: z.string(),
  wall_s: z.number(),
});
export type ReferenceMeasurement = z.infer<typeof ReferenceMeasurementSchema>;

export function referenceScriptPath(): string {
  return join(workerDir(), 'reference_model.py');
}

/** The JSON request reference_model.py takes (validated there too). */
export function referenceRequestJson(request: ReferenceStepRequest): string {
  if (request.phase !== 'decode' && !(request.isl && request.isl > 0))
    throw new UsageError(`a ${request.phase} reference step needs --isl > 0`);
  if (request.phase !== 'prefill' && !(request.kv && request.kv > 0))
    throw new UsageError(`a ${request.phase} reference step needs --kv > 0`);
  if (!(request.batch > 0 && request.tp > 0 && (request.dp ?? 1) > 0))
    throw new UsageError('--batch, --tp and --dp must be positive');
  return JSON.stringify({
    model: request.model,
    tp: request.tp,
    dp: request.dp ?? 1,
    phase: request.phase,
    batch: request.batch,
    isl: request.isl ?? 0,
    kv: request.kv ?? 0,
    layers: request.layers ?? null,
    distribution: request.distribution ?? 'balanced',
  });
}

/**
 * The runner's arguments and visible GPUs: one process, or at tp x dp > 1 one process per GPU under
 * torch.distributed.run (each rank holds its shard and exchanges over NCCL).
 */
export function referenceRunnerLaunch(request: ReferenceStepRequest): { args: string[]; gpus: string } {
  const json = referenceRequestJson(request);
  const script = [referenceScriptPath(), '--request', json];
  const ranks = request.tp * (request.dp ?? 1);
  if (ranks <= 1) return { args: script, gpus: request.gpu ?? '0' };
  const gpus = request.gpu ?? Array.from({ length: ranks }, (_, i) => String(i)).join(',');
  if (gpus.split(',').length !== ranks)
    throw new UsageError(
      `--tp x --dp = ${ranks} runs on ${ranks} GPUs; --gpu lists ${gpus.split(',').length}`,
    );
  return {
    args: ['-m', 'torch.distributed.run', '--standalone', `--nproc_per_node=${ranks}`, ...script],
    gpus,
  };
}

/** Run one reference step on the GPU and return what was measured (latency per step, ms). */
export function runReferenceStep(request: ReferenceStepRequest): Promise<ReferenceMeasurement> {
  const launch = referenceRunnerLaunch(request);
  const python = request.python ?? defaultWorkerCommand()[0] ?? 'python3';
  const env = {
    ...process.env,
    ...SAFE_GPU_ENV,
    PYTHONUNBUFFERED: '1',
    CUDA_VISIBLE_DEVICES: launch.gpus,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(python, launch.args, {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    // SIGTERM first: torch.distributed.run passes it on to its ranks (a SIGKILL would leave them
    // holding GPUs); SIGKILL if anything is still there after a grace period.
    const timer = setTimeout(
      () => {
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      },
      (request.timeoutS ?? 600) * 1000,
    );
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new CollectFailedError(`could not start the reference runner (${python}): ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop() ?? '';
      let raw: unknown;
      try {
        raw = JSON.parse(last);
      } catch {
        const why = signal ? `signal ${signal}` : `exit code ${code}`;
        const tail = stderr.trim().split('\n').slice(-1)[0] ?? '';
        reject(new CollectFailedError(`reference runner failed (${why}): ${tail || 'no output'}`));
        return;
      }
      if (raw && typeof raw === 'object' && 'error' in raw) {
        reject(new CollectFailedError(`reference runner: ${String((raw as { error: unknown }).error)}`));
        return;
      }
      const parsed = ReferenceMeasurementSchema.safeParse(raw);
      if (!parsed.success) {
        reject(
          new CollectFailedError(`reference runner printed an unexpected answer: ${last.slice(0, 200)}`),
        );
        return;
      }
      resolve(parsed.data);
    });
  });
}
