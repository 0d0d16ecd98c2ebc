import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WRITTEN_DIR_MARKER } from '../../src/common/index.js';
import {
  POINT_CSV_HEAD,
  renderExperimentComparison,
  writeExperimentsSaveDir,
  writeSearchSaveDir,
} from '../../src/report/index.js';
import { parseExperimentsYaml, runExperiments } from '../../src/search/index.js';
import { FakeEstimator } from '../search/fake-estimator.js';
import { sampleResult } from './report-fixtures.js';

const EXP = `defaults: { model: m, system: s, backend: vllm, total_gpus: 8, workload: { isl: 1000, osl: 101 }, sla: { ttft_ms: 1500, tpot_ms: 20 } }
experiments: [{ name: first }, { name: broken }]`;

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'inferplan-save-'));
}

describe('save-dir', () => {
  it('writes best configs, Pareto CSVs per mode, the chart, the summary and a re-runnable YAML', async () => {
    const root = tmp();
    const dir = join(root, 'out');
    const result = sampleResult();
    const specs = parseExperimentsYaml(EXP, 'e.yaml').slice(0, 1);
    const seen: number[] = [];
    await writeSearchSaveDir(dir, {
      result,
      experiments: specs,
      writeConfigFolders: async (staging, points) => {
        seen.push(points.length);
        mkdirSync(join(staging, 'configs'));
        writeFileSync(join(staging, 'configs', 'README'), 'generated later');
      },
    });
    expect(readdirSync(dir).sort()).toEqual([
      WRITTEN_DIR_MARKER,
      'best-configs.csv',
      'configs',
      'experiment.yaml',
      'pareto-agg.csv',
      'pareto-disagg.csv',
      'pareto.svg',
      'summary.txt',
    ]);
    const best = readFileSync(join(dir, 'best-configs.csv'), 'utf8').trimEnd().split('\n');
    expect(best[0]).toBe(POINT_CSV_HEAD.join(','));
    expect(best[1]!.startsWith(`${result.best!.mode},1,`)).toBe(true);
    expect(best.length - 1).toBe(seen[0]);
    const front = readFileSync(join(dir, 'pareto-agg.csv'), 'utf8').trimEnd().split('\n');
    expect(front.length - 1).toBe(result.paretoByMode.agg!.length);
    expect(parseExperimentsYaml(readFileSync(join(dir, 'experiment.yaml'), 'utf8'), 'x.yaml')).toEqual(specs);
    expect(readFileSync(join(dir, 'pareto.svg'), 'utf8')).toMatch(/^<svg /);
    expect(readFileSync(join(dir, 'summary.txt'), 'utf8')).toContain('Best: ');
    expect(readdirSync(root)).toEqual(['out']);
  });

  it('leaves no partial directory when a writer fails, and keeps the previous one', async () => {
    const root = tmp();
    const dir = join(root, 'out');
    const failing = async () => {
      throw new Error('generator failed');
    };
    await expect(
      writeSearchSaveDir(dir, { result: sampleResult(), writeConfigFolders: failing }),
    ).rejects.toThrow('generator failed');
    expect(readdirSync(root)).toEqual([]);
    mkdirSync(dir);
    writeFileSync(join(dir, 'old.txt'), 'previous run');
    await expect(
      writeSearchSaveDir(dir, { result: sampleResult(), writeConfigFolders: failing }),
    ).rejects.toThrow();
    expect(readdirSync(root)).toEqual(['out']);
    expect(readFileSync(join(dir, 'old.txt'), 'utf8')).toBe('previous run');
  });
});

describe('experiment comparison', () => {
  it('lists each experiment with its best, the ratio to the first, and failures', async () => {
    const { PerfDataMissingError } = await import('../../src/common/index.js');
    const specs = parseExperimentsYaml(EXP, 'e.yaml');
    const outcomes = await runExperiments(specs, (spec) => {
      if (spec.name === 'broken') throw new PerfDataMissingError('no perf data for s vllm');
      return { estimator: new FakeEstimator(), parallelSpace: { tpValues: [1, 2], ppValues: [1] } };
    });
    const table = renderExperimentComparison(outcomes);
    expect(table).toContain('first');
    expect(table).toContain('1.00x');
    expect(table).toContain('no perf data for s vllm');
    const root = tmp();
    const dir = join(root, 'exp');
    await writeExperimentsSaveDir(dir, { outcomes });
    expect(readdirSync(dir).sort()).toEqual([
      WRITTEN_DIR_MARKER,
      'comparison.csv',
      'experiments.yaml',
      'first',
      'pareto.svg',
      'summary.txt',
    ]);
    expect(existsSync(join(dir, 'first', 'best-configs.csv'))).toBe(true);
    const csv = readFileSync(join(dir, 'comparison.csv'), 'utf8').trimEnd().split('\n');
    expect(csv).toHaveLength(3);
    expect(csv[2]).toMatch(/^broken,.*no perf data for s vllm$/);
    expect(parseExperimentsYaml(readFileSync(join(dir, 'experiments.yaml'), 'utf8'), 'x.yaml')).toEqual(
      specs,
    );
  });
});
