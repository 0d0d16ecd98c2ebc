// Schema of a GPU system file (data/systems/*.yaml); the type is inferred from it.
import { z } from 'zod';

const positive = z.number().positive();

export const SystemSpecSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9_]+$/, 'use lower-case letters, digits and _'),
    description: z.string().default(''),
    spec_only: z.boolean().default(false),
    gpu: z
      .object({
        mem_capacity_bytes: positive,
        mem_bandwidth_bytes_per_s: positive,
        tensor_flops_per_s: z.record(z.string(), positive).refine((r) => 'bfloat16' in r, {
          message: 'must list at least bfloat16',
        }),
        power_w: positive,
        sm_version: z.number().int().min(70),
      })
      .strict(),
    node: z
      .object({
        gpus_per_node: z.number().int().positive(),
        gpus_per_nvlink_domain: z.number().int().positive().optional(),
        intra_node_bandwidth_bytes_per_s: positive,
        inter_node_bandwidth_bytes_per_s: positive,
        pcie_bandwidth_bytes_per_s: positive,
        p2p_latency_s: z.number().nonnegative(),
      })
      .strict(),
    memory: z
      .object({
        nccl_bytes_by_gpus: z.record(z.string().regex(/^\d+$/), z.number().nonnegative()),
        framework_bytes: z.number().nonnegative(),
      })
      .strict(),
    price: z.object({ gpu_hour_usd: positive }).strict().optional(),
  })
  .strict();

export type SystemSpec = z.infer<typeof SystemSpecSchema>;
