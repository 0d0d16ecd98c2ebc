import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { mergeCollections, renderK8sIndexedJob, renderSlurmArray } from '../../src/collect/index.js';
import { tempDir } from './campaign-helpers.js';

const options = {
  shards: 4,
  planPath: '/data/plan.json',
  resultsDir: '/data/results',
  gpusPerShard: 8,
  name: 'h200-gemm',
  image: 'registry/inferplan:1',
  volumeClaim: 'perf-pvc',
};

describe('collect shard manifests', () => {
  it('renders a Kubernetes Indexed Job whose completion index picks the shard', () => {
    const job = parseYaml(renderK8sIndexedJob({ ...options, target: 'k8s' })) as {
      kind: string;
      spec: {
        completionMode: string;
        completions: number;
        parallelism: number;
        template: {
          spec: {
            restartPolicy: string;
            containers: {
              image: string;
              command: string[];
              env: { name: string; value: string }[];
              resources: { limits: Record<string, number> };
            }[];
            volumes: { persistentVolumeClaim?: { claimName: string } }[];
          };
        };
      };
    };
    expect(job.kind).toBe('Job');
    expect(job.spec.completionMode).toBe('Indexed');
    expect(job.spec.completions).toBe(4);
    expect(job.spec.parallelism).toBe(4);
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    const container = pod.containers[0];
    expect(container?.image).toBe('registry/inferplan:1');
    expect(container?.resources.limits['nvidia.com/gpu']).toBe(8);
    const command = container?.command.join(' ') ?? '';
    expect(command).toContain('--shards 4 --shard-index "$JOB_COMPLETION_INDEX"');
    expect(command).toContain('--plan-file /data/plan.json');
    expect(command).toContain('--out /data/results/shard-$JOB_COMPLETION_INDEX');
    expect(container?.env).toContainEqual({ name: 'NCCL_NVLS_ENABLE', value: '0' });
    expect(pod.volumes[0]?.persistentVolumeClaim?.claimName).toBe('perf-pvc');
  });

  it('renders a Slurm job array whose task id picks the shard', () => {
    const script = renderSlurmArray({ ...options, target: 'slurm', partition: 'gpu' });
    expect(script.startsWith('#!/bin/bash\n')).toBe(true);
    expect(script).toContain('#SBATCH --array=0-3');
    expect(script).toContain('#SBATCH --gres=gpu:8');
    expect(script).toContain('#SBATCH --partition=gpu');
    expect(script).toContain('export TORCH_SYMM_MEM_DISABLE_MULTICAST=1');
    expect(script).toContain('--shard-index "$SLURM_ARRAY_TASK_ID"');
  });

  it('rejects names a scheduler would refuse', () => {
    expect(() => renderK8sIndexedJob({ ...options, target: 'k8s', name: 'Bad_Name' })).toThrow(/DNS-1123/);
  });
});

const HEADER = 'framework,version,device,op_name,kernel_source,gemm_dtype,m,n,k,latency';
function shard(root: string, rows: string[]): string {
  const dir = join(root, 'h200_sxm', 'torch', '2.11.0');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'gemm_perf.txt'), `${[HEADER, ...rows].join('\n')}\n`);
  return root;
}
const row = (m: number, latency: number) =>
  `torch,2.11.0,NVIDIA H200,gemm,torch_linear,bfloat16,${m},256,256,${latency}`;

describe('collect merge', () => {
  it('merges shards, keeps the later row for a repeated key and counts duplicates', () => {
    const dir = tempDir('merge');
    const a = shard(join(dir, 'a'), [row(1, 0.01), row(2, 0.02)]);
    const b = shard(join(dir, 'b'), [row(2, 0.03), row(3, 0.04)]);
    const report = mergeCollections([a, b], join(dir, 'merged'));
    expect(report.tables).toEqual([
      { relDir: 'h200_sxm/torch/2.11.0', file: 'gemm_perf.txt', rows: 3, duplicates: 1, inputs: 2 },
    ]);
    const merged = readFileSync(join(dir, 'merged', 'h200_sxm', 'torch', '2.11.0', 'gemm_perf.txt'), 'utf8');
    expect(merged.trim().split('\n')).toEqual([HEADER, row(1, 0.01), row(2, 0.03), row(3, 0.04)]);
  });

  it('fails validation on a bad latency and names the row', () => {
    const dir = tempDir('merge-bad');
    const a = shard(join(dir, 'a'), [row(1, 0.01), row(2, -1)]);
    expect(() => mergeCollections([a], join(dir, 'merged'))).toThrow(/gemm_perf.txt row 3: latency '-1'/);
  });
});
