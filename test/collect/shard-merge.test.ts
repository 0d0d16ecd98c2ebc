import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  mergeCollections,
  renderK8sIndexedJob,
  renderSlurmArray,
  resolveShardRequest,
  savePlanFile,
} from '../../src/collect/index.js';
import { InvalidInputError } from '../../src/common/index.js';
import { runCli } from '../helpers/run-cli.js';
import { smallPlan, tempDir } from './campaign-helpers.js';

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

  it('warns when Kubernetes pods would lose their results or miss the plan, and points them at the claim', async () => {
    const dir = tempDir('shard-k8s');
    const plan = join(dir, 'plan.json');
    savePlanFile(plan, 'torch', smallPlan());
    const bare = await runCli(['collect', 'shard', '--plan', plan, '--shards', '2']);
    expect(bare.code).toBe(0);
    const lines = bare.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^warning: no --volume-claim: \/data in the pods is an emptyDir.*results are lost/,
    );
    expect(lines[1]).toContain('the pods read the plan at /data/plan.json, which an emptyDir does not hold');
    // The pods run the plan from the mount, never from a path on this machine.
    expect(bare.stdout).toContain('--plan-file /data/plan.json');
    expect(bare.stdout).not.toContain(plan);
    const claimed = await runCli([
      'collect',
      'shard',
      '--plan',
      plan,
      '--shards',
      '2',
      '--volume-claim',
      'pvc',
    ]);
    expect(claimed.stderr.trim()).toBe(
      `note: the pods read the plan at /data/plan.json: copy ${plan} there on claim pvc before applying the job (or pass --plan-path)`,
    );
    const placed = await runCli([
      'collect',
      'shard',
      '--plan',
      plan,
      '--shards',
      '2',
      '--volume-claim',
      'pvc',
      '--mount-path',
      '/mnt/perf',
      '--plan-path',
      '/mnt/perf/plans/p.json',
    ]);
    expect(placed.stderr).toBe('');
    const job = parseYaml(placed.stdout) as {
      spec: { template: { spec: { containers: { command: string[] }[] } } };
    };
    const command = job.spec.template.spec.containers[0]?.command.join(' ') ?? '';
    expect(command).toContain('--plan-file /mnt/perf/plans/p.json');
    expect(command).toContain('--out /mnt/perf/results/shard-$JOB_COMPLETION_INDEX');
  });

  it('creates the Slurm log folder before sbatch needs it, with absolute paths in the script', async () => {
    const dir = tempDir('shard-slurm');
    const plan = join(dir, 'plan.json');
    savePlanFile(plan, 'torch', smallPlan());
    const results = join(dir, 'results');
    const script = join(dir, 'job.sbatch');
    const slurm = (resultsDir: string, ...rest: string[]) =>
      runCli([
        'collect',
        'shard',
        '--plan',
        plan,
        '--shards',
        '3',
        '--target',
        'slurm',
        '--results-dir',
        resultsDir,
        ...rest,
      ]);
    const r = await slurm(results, '--out', script);
    expect(r.code).toBe(0);
    expect(readdirSync(join(results, 'logs'))).toEqual([]);
    const text = readFileSync(script, 'utf8');
    expect(text).toContain(`#SBATCH --output=${results}/logs/%A_%a.out`);
    expect(text).toContain(`--plan-file ${plan} `);
    const blocked = join(dir, 'a-file');
    writeFileSync(blocked, 'x');
    const cannot = await slurm(blocked);
    expect(cannot.code).toBe(0);
    expect(cannot.stderr).toMatch(
      /(^|\n)warning: cannot write .*a-file\/logs: .*; create .*a-file\/logs where the jobs run before sbatch/,
    );
  });

  it('warns when a Slurm plan sits in a folder the nodes rarely share', () => {
    const base = { target: 'slurm' as const, shards: 2, gpusPerShard: 1, name: 'c', resultsDir: '/shared/r' };
    const local = resolveShardRequest({ ...base, plan: '/tmp/plan.json' });
    expect(local.options.planPath).toBe('/tmp/plan.json');
    expect(local.notes).toEqual([
      'warning: the plan /tmp/plan.json is in a folder usually local to this machine; put it on storage the Slurm nodes share, or pass --plan-path',
    ]);
    const shared = resolveShardRequest({ ...base, plan: '/shared/plan.json' });
    expect(shared.notes).toEqual([]);
    expect(shared.options.resultsDir).toBe('/shared/r');
  });

  it('names --plan (not --plan-file) when the plan cannot be read', async () => {
    const r = await runCli(['collect', 'shard', '--plan', '/nonexistent/plan.json', '--shards', '2']);
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toBe(
      'error: --plan /nonexistent/plan.json: no such file; save a plan with collect --plan-only --save-plan FILE',
    );
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

  it('fails validation on a bad latency, names the file and line, and writes nothing', () => {
    const dir = tempDir('merge-bad');
    const a = shard(join(dir, 'a'), [row(1, 0.01), row(2, -1)]);
    const b = shard(join(dir, 'b'), [row(3, 0.01)]);
    const bad = join(a, 'h200_sxm', 'torch', '2.11.0', 'gemm_perf.txt');
    expect(() => mergeCollections([b, a], join(dir, 'merged'))).toThrow(
      `${bad} line 3: latency '-1' is not a positive number`,
    );
    expect(existsSync(join(dir, 'merged'))).toBe(false);
  });

  it('refuses a damaged or header-only table instead of merging it as empty (exit 3, nothing written)', async () => {
    const dir = tempDir('merge-corrupt');
    const good = shard(join(dir, 'good'), [row(1, 0.01)]);
    const damaged = shard(join(dir, 'damaged'), [row(2, 0.02)]);
    writeFileSync(join(damaged, 'h200_sxm', 'torch', '2.11.0', 'moe_perf.txt'), 'junk\n');
    const out = join(dir, 'merged');
    const r = await runCli(['collect', 'merge', good, damaged, '--out', out]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(
      `${join(damaged, 'h200_sxm', 'torch', '2.11.0', 'moe_perf.txt')} line 1: not a moe table, its header lacks framework`,
    );
    expect(existsSync(out)).toBe(false);
    const headerOnly = shard(join(dir, 'header-only'), []);
    expect(() => mergeCollections([good, headerOnly], out)).toThrow(InvalidInputError);
    expect(() => mergeCollections([good, headerOnly], out)).toThrow(
      /gemm_perf.txt line 2: the table has a header but no rows/,
    );
    expect(existsSync(out)).toBe(false);
  });
});
