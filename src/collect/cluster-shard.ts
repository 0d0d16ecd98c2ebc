// Rendering a sharded campaign for an existing scheduler: a Kubernetes Indexed Job (the
// completion index picks the shard) or a Slurm job array (SLURM_ARRAY_TASK_ID picks it).
// Each shard writes its own output and checkpoints; `collect merge` joins them afterwards.
import { basename, isAbsolute, posix, resolve } from 'node:path';
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
    // Slurm opens --output before this line runs: `collect shard` creates the logs folder (see
    // slurmLogDir); this only covers a results folder moved or cleaned since.
    `mkdir -p ${options.resultsDir}/logs`,
    shardCommand(options, 'SLURM_ARRAY_TASK_ID'),
    '',
  ];
  return lines.join('\n');
}

export function renderShardManifest(options: ShardRenderOptions): string {
  return options.target === 'k8s' ? renderK8sIndexedJob(options) : renderSlurmArray(options);
}

/** The folder Slurm writes each task's log into; it must exist before the array starts. */
export function slurmLogDir(options: Pick<ShardRenderOptions, 'resultsDir'>): string {
  return `${options.resultsDir}/logs`;
}

/** What the user typed for `collect shard`, before defaults that depend on the target. */
export interface ShardRequest extends Omit<ShardRenderOptions, 'planPath' | 'resultsDir'> {
  /** The plan file on this machine. */
  readonly plan: string;
  readonly planPath?: string;
  readonly resultsDir?: string;
}

// Usually local to one machine: a Slurm node will not see a plan there.
const LOCAL_ONLY = ['/tmp/', '/var/tmp/', '/dev/shm/'];

/**
 * Fill the target's defaults and say, one line each, what the user must know for the jobs to
 * work. A plan is MBs (the full grids: ~18 MB), beyond a ConfigMap's 1 MiB, so it is not
 * embedded: Kubernetes pods read it from the volume claim, Slurm tasks from shared storage.
 */
export function resolveShardRequest(request: ShardRequest): {
  options: ShardRenderOptions;
  notes: string[];
} {
  const notes: string[] = [];
  const { plan, ...rest } = request;
  if (request.target === 'k8s') {
    const mountPath = request.mountPath ?? '/data';
    const resultsDir = request.resultsDir ?? posix.join(mountPath, 'results');
    const planPath = request.planPath ?? posix.join(mountPath, basename(plan));
    const onMount = (path: string) =>
      path === mountPath || path.startsWith(`${mountPath.replace(/\/$/, '')}/`);
    if (!request.volumeClaim)
      notes.push(
        `warning: no --volume-claim: ${mountPath} in the pods is an emptyDir, so each pod's results are lost when it ends; pass --volume-claim PVC`,
      );
    else if (!onMount(resultsDir))
      notes.push(
        `warning: --results-dir ${resultsDir} is outside the claim mounted at ${mountPath}, so results are lost when each pod ends`,
      );
    if (!request.planPath)
      notes.push(
        request.volumeClaim
          ? `note: the pods read the plan at ${planPath}: copy ${plan} there on claim ${request.volumeClaim} before applying the job (or pass --plan-path)`
          : `note: the pods read the plan at ${planPath}, which an emptyDir does not hold: pass --volume-claim with the plan on it, or --plan-path to a plan in the image`,
      );
    return { options: { ...rest, mountPath, resultsDir, planPath }, notes };
  }
  // Slurm: absolute paths, so the tasks' working folder does not matter.
  const resultsDir = resolve(request.resultsDir ?? 'collect-results');
  const planPath = request.planPath ?? resolve(plan);
  if (!request.planPath && LOCAL_ONLY.some((dir) => planPath.startsWith(dir)))
    notes.push(
      `warning: the plan ${planPath} is in a folder usually local to this machine; put it on storage the Slurm nodes share, or pass --plan-path`,
    );
  if (request.planPath && !isAbsolute(request.planPath))
    notes.push(
      `warning: --plan-path ${request.planPath} is relative: the tasks resolve it from the folder sbatch runs in`,
    );
  return { options: { ...rest, resultsDir, planPath }, notes };
}
