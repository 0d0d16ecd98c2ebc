// The parent's side of the worker protocol (workers/torch/protocol.py): every line a worker
// prints is checked here; anything else on stdout is garbage and is logged, never trusted.
import { z } from 'zod';

export const FAILURE_CLASSES = [
  'collector_bug',
  'unsupported_config',
  'framework_bug',
  'resource_issue',
  'transient',
] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];

export const HelloSchema = z.object({
  type: z.literal('hello'),
  protocol: z.number().int(),
  pid: z.number().int().optional(),
  torch: z.string(),
  cuda: z.string().nullable().optional(),
  python: z.string().optional(),
  device: z.string().nullable(),
  sm: z.number().int().nullable(),
  free_mem_bytes: z.number().optional(),
  total_mem_bytes: z.number().optional(),
  gpu_count: z.number().int().optional(),
  driver: z.string().nullable().optional(),
  cudnn: z.number().nullable().optional(),
});
export type WorkerHello = z.infer<typeof HelloSchema>;

export const ResultSchema = z.object({
  type: z.literal('result'),
  case_id: z.string(),
  kernel_source: z.string().optional(),
  latency_ms: z.number().positive(),
  runs: z.number().int().optional(),
  repeat_n: z.number().int().optional(),
  used_cuda_graph: z.boolean().optional(),
  timed_ms: z.number().nullable().optional(),
  case_wall_ms: z.number().optional(),
  eager_latency_ms: z.number().optional(),
  graph_error: z.string().optional(),
  power_w: z.number().optional(),
  power_limit_w: z.number().optional(),
  throttled: z.boolean().optional(),
  spread: z.number().optional(),
  info: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
});
export type WorkerResult = z.infer<typeof ResultSchema>;

export const ErrorSchema = z.object({
  type: z.literal('error'),
  case_id: z.string().nullable(),
  error_type: z.string(),
  message: z.string(),
  traceback: z.string().optional(),
  fatal: z.boolean(),
  classification: z.enum(FAILURE_CLASSES).optional(),
});
export type WorkerError = z.infer<typeof ErrorSchema>;

export const WorkerMessageSchema = z.discriminatedUnion('type', [HelloSchema, ResultSchema, ErrorSchema]);
export type WorkerMessage = z.infer<typeof WorkerMessageSchema>;

/** Parse one stdout line; undefined for garbage (not JSON, or not a protocol message). */
export function parseWorkerLine(line: string): WorkerMessage | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  const parsed = WorkerMessageSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

export interface RunRequest {
  readonly type: 'run';
  readonly case_id: string;
  readonly op: string;
  readonly params: Readonly<Record<string, number | string>>;
  readonly options: { readonly measure_power?: boolean };
}
