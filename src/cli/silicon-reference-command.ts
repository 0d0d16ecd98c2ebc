// `inferplan silicon run` and `silicon reference`: whole-model steps timed on a GPU (or recorded)
// beside the torch tables' prediction.
import { basename } from 'node:path';
import type { Command } from 'commander';
import { modelShapeOf, runReferenceStep } from '../collect/index.js';
import { InvalidInputError, UsageError, writeFileAtomic } from '../common/index.js';
import type { SystemSpec } from '../hardware/index.js';
import { SystemRegistry } from '../hardware/index.js';
import { loadModel } from '../models/index.js';
import { openPerfDatabase, type PerfDatabase } from '../perfdb/index.js';
import { renderTable } from '../report/index.js';
import {
  predictReferenceCsv,
  predictReferenceStep,
  type ReferencePoint,
  type ReferencePrediction,
  type ReferenceRow,
  refuseOverwritingInputs,
  refuseRepeatedFiles,
  shippedReferenceFiles,
  stepAccuracy,
} from '../silicon/index.js';
import { parseDatabaseMode, parsePositiveInt } from './deployment-context.js';
import { type GlobalOptions, printJson } from './run-command.js';

function referenceTable(rows: readonly (ReferenceRow & ReferencePrediction)[]): string {
  const body = rows.map((r) => [
    r.model,
    r.dp && r.dp > 1 ? `${r.tp} dp${r.dp}` : `${r.tp}`,
    r.phase,
    `${r.batch}`,
    r.phase === 'prefill'
      ? `isl ${r.isl}`
      : r.phase === 'decode'
        ? `kv ${r.kv}`
        : `isl ${r.isl} + kv ${r.kv}`,
    `${r.layers}`,
    r.measuredMs.toFixed(3),
    r.predictedMs.toFixed(3),
    `${(((r.predictedMs - r.measuredMs) / r.measuredMs) * 100).toFixed(1)}%`,
    `${(r.dataShare * 100).toFixed(0)}%`,
  ]);
  const errors = rows.map((r) => Math.abs(r.predictedMs - r.measuredMs) / r.measuredMs);
  const mean = errors.reduce((a, b) => a + b, 0) / Math.max(1, errors.length);
  return (
    renderTable(
      [
        'model',
        'tp',
        'phase',
        'batch',
        'tokens',
        'layers',
        'measured ms',
        'predicted ms',
        'error',
        'from data',
      ],
      body,
    ) + `mean absolute error ${(mean * 100).toFixed(1)}% over ${rows.length} steps\n`
  );
}

interface ReferenceFlags {
  system: string;
  perfData?: string;
  version?: string;
  databaseMode: string;
  systemsDir?: string[];
}

interface RunFlags extends ReferenceFlags {
  model: string;
  tp: string;
  dp: string;
  phase: string;
  batch: string;
  isl?: string;
  kv?: string;
  layers?: string;
  gpu?: string;
}

async function openTorchDatabase(flags: ReferenceFlags): Promise<{ db: PerfDatabase; system: SystemSpec }> {
  const system = new SystemRegistry(flags.systemsDir ?? []).get(flags.system);
  const db = await openPerfDatabase({
    system,
    backend: 'torch',
    mode: parseDatabaseMode(flags.databaseMode),
    ...(flags.version ? { version: flags.version } : {}),
    ...(flags.perfData ? { perfDataDir: flags.perfData } : {}),
  });
  return { db, system };
}

export function registerReferenceCommands(silicon: Command, globals: () => GlobalOptions): void {
  silicon
    .command('run')
    .description(
      'time a whole model step on this GPU (reference model from the torch kernels) beside the prediction',
    )
    .requiredOption('--model <id|path>', 'catalog id or Hugging Face config')
    .option('--tp <n>', 'tensor parallel size: one process per GPU, all-reducing over NCCL', '1')
    .option('--dp <n>', 'attention data-parallel ranks (MoE models at --tp 1; --batch per rank)', '1')
    .requiredOption(
      '--phase <phase>',
      'prefill, decode or mixed (one prompt chunk of --isl tokens beside --batch decodes at --kv)',
    )
    .option('--batch <n>', 'requests in the step (mixed: the decoding ones)', '1')
    .option('--isl <n>', 'prompt tokens per request (prefill; mixed: the chunk)')
    .option('--kv <n>', 'cached tokens per request (decode, mixed)')
    .option('--layers <n>', 'run only the first N decoder layers (the prediction uses the same)')
    .option('--gpu <ids>', 'CUDA device (one per rank, comma-separated; default 0..tp x dp - 1)')
    .option('--system <name>', 'GPU system whose torch tables predict the step', 'h200_sxm')
    .option('--perf-data <dir>', 'perf data folder (default: embedded)')
    .option('--version <version>', 'torch version of the tables (default: newest)')
    .option('--database-mode <mode>', 'silicon, hybrid, empirical or sol', 'silicon')
    .option('--systems-dir <dir...>', 'extra directories of system YAML files')
    .action(async (flags: RunFlags) => {
      if (flags.phase !== 'prefill' && flags.phase !== 'decode' && flags.phase !== 'mixed') {
        throw new UsageError(`--phase must be prefill, decode or mixed, got '${flags.phase}'`);
      }
      const model = loadModel(flags.model);
      const { db, system } = await openTorchDatabase(flags);
      const dp = parsePositiveInt('--dp', flags.dp);
      const point: ReferencePoint = {
        tp: parsePositiveInt('--tp', flags.tp),
        ...(dp > 1 ? { dp } : {}),
        phase: flags.phase,
        batch: parsePositiveInt('--batch', flags.batch),
        isl: flags.phase !== 'decode' ? parsePositiveInt('--isl', flags.isl) : 0,
        kv: flags.phase !== 'prefill' ? parsePositiveInt('--kv', flags.kv) : 0,
        layers: flags.layers ? parsePositiveInt('--layers', flags.layers) : model.numLayers,
      };
      const prediction = predictReferenceStep(model, system, db, point);
      const measured = await runReferenceStep({
        model: modelShapeOf(model),
        tp: point.tp,
        ...(point.dp ? { dp: point.dp } : {}),
        phase: point.phase,
        batch: point.batch,
        ...(point.phase !== 'decode' ? { isl: point.isl } : {}),
        ...(point.phase !== 'prefill' ? { kv: point.kv } : {}),
        layers: point.layers,
        ...(flags.gpu ? { gpu: flags.gpu } : {}),
      });
      const row = { model: model.id, ...point, measuredMs: measured.latency_ms, ...prediction };
      if (globals().json) {
        printJson({
          ...row,
          device: measured.device,
          torch: measured.torch,
          used_cuda_graph: measured.used_cuda_graph,
        });
        return;
      }
      const path = measured.used_cuda_graph ? 'CUDA graph replay' : 'eager';
      process.stdout.write(`${measured.device}, torch ${measured.torch}, ${path}\n`);
      process.stdout.write(referenceTable([row]));
    });

  silicon
    .command('reference [csv...]')
    .description(
      'predict recorded reference-step measurements and report the error (no files: the shipped H200 steps behind data/accuracy/torch-steps.json)',
    )
    .option('--system <name>', 'GPU system whose torch tables predict the steps', 'h200_sxm')
    .option('--perf-data <dir>', 'perf data folder (default: embedded)')
    .option('--version <version>', 'torch version of the tables (default: newest)')
    .option('--database-mode <mode>', 'silicon, hybrid, empirical or sol', 'silicon')
    .option('--systems-dir <dir...>', 'extra directories of system YAML files')
    .option(
      '--save-accuracy <file>',
      'write the median and p90 step-time errors (JSON; `estimate` quotes data/accuracy/torch-steps.json)',
    )
    .action(async (csvPaths: string[], flags: ReferenceFlags & { saveAccuracy?: string }) => {
      const files = csvPaths.length > 0 ? csvPaths : shippedReferenceFiles();
      refuseRepeatedFiles(files);
      refuseOverwritingInputs(files, [['--save-accuracy', flags.saveAccuracy]]);
      const { db, system } = await openTorchDatabase(flags);
      const rows: (ReferenceRow & ReferencePrediction)[] = [];
      for (const csvPath of files) rows.push(...predictReferenceCsv(csvPath, db, system));
      if (rows.length === 0)
        throw new InvalidInputError(`${files.join(', ')}: no reference steps to predict`);
      if (flags.saveAccuracy) {
        const accuracy = stepAccuracy(
          rows.map((r) => ((r.predictedMs - r.measuredMs) / r.measuredMs) * 100),
          {
            backend: 'torch',
            system: system.name,
            measurements: files.map((p) => basename(p)),
            measuredAt: new Date().toISOString().slice(0, 10),
          },
        );
        await writeFileAtomic(flags.saveAccuracy, `${JSON.stringify(accuracy, null, 2)}\n`);
      }
      if (globals().json) {
        printJson(rows);
        return;
      }
      process.stdout.write(referenceTable(rows));
    });
}
