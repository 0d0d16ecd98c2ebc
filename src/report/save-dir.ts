// --save-dir: everything a search produced, written to a staging folder and renamed into place,
// so the directory is either the complete previous one or the complete new one, never partial.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDirAtomic } from '../common/index.js';
import {
  type EvaluatedPoint,
  type ExperimentOutcome,
  type ExperimentSpec,
  experimentsToYaml,
  type SearchResult,
} from '../search/index.js';
import { pointsToCsv } from './csv-format.js';
import { experimentComparisonCsv, renderExperimentComparison } from './experiment-report.js';
import { experimentsChartSpec, paretoChartSpec } from './pareto-chart.js';
import { renderSearchReport } from './search-report.js';
import { renderSvgChart } from './svg-chart.js';

/**
 * Extension point for the config generator (a later issue): called with the staging folder and the
 * configurations to emit (the overall best first, then each mode's top N), it writes per-config
 * folders such as `configs/<mode>-<rank>/`. It runs before the rename, so a generator failure
 * leaves no save-dir behind.
 */
export type ConfigFoldersWriter = (stagingDir: string, points: readonly EvaluatedPoint[]) => Promise<void>;

export interface SearchSaveOptions {
  readonly result: SearchResult;
  /** The experiment(s) this search stands for: written as a re-runnable `experiment.yaml`. */
  readonly experiments?: readonly ExperimentSpec[];
  /** The console report; default: renderSearchReport(result). */
  readonly reportText?: string;
  readonly writeConfigFolders?: ConfigFoldersWriter;
}

/** Points worth saving as "best": the winner, then each mode's top N (without repeating it). */
export function bestPoints(result: SearchResult): EvaluatedPoint[] {
  const out: EvaluatedPoint[] = result.best ? [result.best] : [];
  for (const mode of result.modes)
    for (const p of result.topByMode[mode] ?? []) if (p !== result.best) out.push(p);
  return out;
}

async function fillSearch(dir: string, options: SearchSaveOptions): Promise<void> {
  const { result } = options;
  const best = bestPoints(result);
  await writeFile(join(dir, 'best-configs.csv'), pointsToCsv(best));
  for (const mode of result.modes) {
    await writeFile(join(dir, `pareto-${mode}.csv`), pointsToCsv(result.paretoByMode[mode] ?? []));
  }
  await writeFile(join(dir, 'pareto.svg'), renderSvgChart(paretoChartSpec(result)));
  await writeFile(join(dir, 'summary.txt'), options.reportText ?? renderSearchReport(result));
  if (options.experiments && options.experiments.length > 0) {
    await writeFile(
      join(dir, 'experiment.yaml'),
      experimentsToYaml(options.experiments, 'Re-run with: inferplan exp experiment.yaml'),
    );
  }
  if (options.writeConfigFolders) await options.writeConfigFolders(dir, best);
}

/**
 * Files: best-configs.csv, pareto-<mode>.csv, pareto.svg, summary.txt, experiment.yaml (when the
 * experiment is given), plus whatever `writeConfigFolders` adds.
 */
export async function writeSearchSaveDir(dir: string, options: SearchSaveOptions): Promise<void> {
  await writeDirAtomic(dir, (staging) => fillSearch(staging, options));
}

export interface ExperimentsSaveOptions {
  readonly outcomes: readonly ExperimentOutcome[];
  readonly writeConfigFolders?: ConfigFoldersWriter;
}

/**
 * Files: comparison.csv, pareto.svg (all experiments), summary.txt, experiments.yaml (re-runnable),
 * and per experiment `<name>/` with that search's files.
 */
export async function writeExperimentsSaveDir(dir: string, options: ExperimentsSaveOptions): Promise<void> {
  const { outcomes } = options;
  await writeDirAtomic(dir, async (staging) => {
    await writeFile(join(staging, 'comparison.csv'), experimentComparisonCsv(outcomes));
    await writeFile(join(staging, 'pareto.svg'), renderSvgChart(experimentsChartSpec(outcomes)));
    await writeFile(join(staging, 'summary.txt'), renderExperimentComparison(outcomes));
    await writeFile(
      join(staging, 'experiments.yaml'),
      experimentsToYaml(
        outcomes.map((o) => o.spec),
        'Re-run with: inferplan exp experiments.yaml',
      ),
    );
    for (const o of outcomes) {
      if (!o.result) continue;
      const sub = join(staging, o.spec.name);
      await mkdir(sub);
      await fillSearch(sub, {
        result: o.result,
        experiments: [o.spec],
        ...(options.writeConfigFolders ? { writeConfigFolders: options.writeConfigFolders } : {}),
      });
    }
  });
}
