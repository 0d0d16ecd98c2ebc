// Rendering a sharded campaign for an existing scheduler: a Kubernetes Indexed Job (the
// completion index picks the shard) or a Slurm job array (SLURM_ARRAY_TASK_ID picks it).
// Each shard writes its own output and checkpoints; `collect merge` joins them afterwards.
import { stringify as stringifyYaml } from 'yaml';
import { UsageError } from '../common/index.js';
import { SAFE_GPU_ENV } from './worker-process.js';

export const SHARD_TARGETS = ['k8s', 'slurm'] as const;
export type ShardTarget = (typeof SHARD_TARGETS)[number];

export interface ShardRenderOptions {
  readonly target: ShardTarget;
  readonly shards: number;
  /** Path of the saved plan as the shards see it (a shared volume or file system). */
  readonly planPath: string;
  /** Folder the shards write under (shard-<k>/ each). */
  readonly resultsDir: string;
  readonly gpusPerShard: number;
  readonly name: string;
  readonly image?: string;
  readonly namespace?: string;
  /** k8s: PersistentVolumeClaim mounted at the plan's and results' folder. */
  readonly volumeClaim?: string;
  readonly mountPath?: string;
  readonly partition?: string;
  readonly timeLimit?: string;
  readonly extraArgs?: readonly string[];
  /** How the shard invokes the CLI (default `inferplan`). */
  readonly cli?: string;
}

function gpuList(count: number): string {
  return Array.from({ length: count }, (_, i) => String(i)).join(',');
}

/** The command one shard runs; `indexVar` is the scheduler's shard-index variable. */
export function shardCommand(options: ShardRenderOptions, indexVar: string): string {
  const parts = [
    options.cli ?? 'inferplan',
    'collect',
    '--plan-file',
    options.planPath,
    '--shards',
    String(options.shards),
    '--shard-index',
    `"$${indexVar}"`,
    '--gpus',
    gpuList(options.gpusPerShard),
    '--out',
    `${options.resultsDir}/shard-$${indexVar}`,
    '--checkpoint-dir',
    `${options.resultsDir}/shard-$${indexVar}/.checkpoints`,
    '--resume',
    ...(options.extraArgs ?? []),
  ];
  return parts.join(' ');
}

function validate(options: ShardRenderOptions): void {
  if (!(Number.isInteger(options.shards) && options.shards >= 1))
    throw new UsageError(`--shards must be an integer >= 1, got ${options.shards}`);
  if (!(Number.isInteger(options.gpusPerShard) && options.gpusPerShard >= 1))
    throw new UsageError(`--gpus-per-shard must be an integer >= 1, got ${options.gpusPerShard}`);
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(options.name))
    throw new UsageError(
      `--name '${options.name}' must be a DNS-1123 label (lowercase letters, digits, '-')`,
    );
}

export function renderK8sIndexedJob(options: ShardRenderOptions): string {
  validate(options);
  const mountPath = options.mountPath ?? '/data';
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: options.name,
      ...(options.namespace ? { namespace: options.namespace } : {}),
      labels: { app: 'inferplan-collect' },
    },
    spec: {
      completionMode: 'Indexed',
      completions: options.shards,
      parallelism: options.shards,
      // A failed shard is retried per index; its checkpoints make the retry resume.
      backoffLimitPerIndex: 2,
      template: {
        metadata: { labels: { app: 'inferplan-collect' } },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'collect',
              image: options.image ?? 'inferplan-collector:latest',
              command: ['bash', '-c', shardCommand(options, 'JOB_COMPLETION_INDEX')],
              env: Object.entries(SAFE_GPU_ENV).map(([name, value]) => ({ name, value })),
              resources: { limits: { 'nvidia.com/gpu': options.gpusPerShard } },
              volumeMounts: [{ name: 'data', mountPath }],
            },
          ],
          volumes: [
            options.volumeClaim
              ? { name: 'data', persistentVolumeClaim: { claimName: options.volumeClaim } }
              : { name: 'data', emptyDir: {} },
          ],
        },
      },
    },
  };
  return stringifyYaml(job);
}

export function renderSlurmArray(options: ShardRenderOptions): string {
  validate(options);
  const lines = [
    '#!/bin/bash',
    `#SBATCH --job-name=${options.name}`,
    `#SBATCH --array=0-${options.shards - 1}`,
    `#SBATCH --gres=gpu:${options.gpusPerShard}`,
    '#SBATCH --nodes=1',
    `#SBATCH --output=${options.resultsDir}/logs/%A_%a.out`,
    ...(options.partition ? [`#SBATCH --partition=${options.partition}`] : []),
    ...(options.timeLimit ? [`#SBATCH --time=${options.timeLimit}`] : []),
    'set -euo pipefail',
    '# NVLink multicast stays off (it can take shared GPUs out of service).',
    ...Object.entries(SAFE_GPU_ENV).map(([k, v]) => `export ${k}=${v}`),
    `mkdir -p ${options.resultsDir}/logs`,
    shardCommand(options, 'SLURM_ARRAY_TASK_ID'),
    '',
  ];
  return lines.join('\n');
}

export function renderShardManifest(options: ShardRenderOptions): string {
  return options.target === 'k8s' ? renderK8sIndexedJob(options) : renderSlurmArray(options);
}
