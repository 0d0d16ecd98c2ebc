// `inferplan exp FILE.yaml`: several searches from one experiment file, compared side by side.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { InvalidInputError } from '../common/index.js';
import { BACKENDS } from '../engine/index.js';
import { SystemRegistry } from '../hardware/index.js';
import { listModels } from '../models/index.js';
import { scanPerfData } from '../perfdb/index.js';
import {
  experimentsJson,
  renderExperimentComparison,
  renderSearchReport,
  writeExperimentsSaveDir,
} from '../report/index.js';
import { parseExperimentsYaml, runExperiments } from '../search/index.js';
import { experimentEstimators } from './experiment-estimators.js';
import { type GlobalOptions, printJson } from './run-command.js';

interface ExpFlags {
  saveDir?: string;
  systemsDir?: string[];
  detail?: boolean;
}

export function registerExpCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('exp <file>')
    .description('run the experiments of a YAML file (compare backends, quantisation, GPUs) and compare them')
    .option('--systems-dir <dir...>', 'extra directories of system YAML files')
    .option('--detail', "print each experiment's full search report", false)
    .option('--save-dir <dir>', 'write comparison CSV, combined Pareto SVG and per-experiment results')
    .action(async (file: string, flags: ExpFlags) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        throw new InvalidInputError(`cannot read experiment file '${file}'`);
      }
      const systems = new SystemRegistry(flags.systemsDir ?? []);
      // Relative perf_data paths are read from the experiment file's folder (as experimentEstimators does).
      const baseDir = dirname(resolve(file));
      const specs = parseExperimentsYaml(text, file, {
        systems: systems.names(),
        backends: BACKENDS,
        models: listModels().map((m) => m.id),
        // A missing or misplaced folder is an input error found up front, named by its YAML field.
        perfData: (dir, field) => {
          scanPerfData(resolve(baseDir, dir), field);
        },
      });
      const outcomes = await runExperiments(
        specs,
        (spec) => experimentEstimators(spec, flags.systemsDir ?? [], baseDir),
        (i, n, spec) => {
          if (!globals().json) process.stderr.write(`[${i + 1}/${n}] ${spec.name}\n`);
        },
      );
      if (flags.saveDir) await writeExperimentsSaveDir(flags.saveDir, { outcomes });
      if (globals().json) {
        printJson(experimentsJson(outcomes));
      } else {
        if (flags.detail) {
          for (const o of outcomes)
            if (o.result) process.stdout.write(`\n== ${o.spec.name}\n${renderSearchReport(o.result)}`);
        }
        process.stdout.write(renderExperimentComparison(outcomes));
        if (flags.saveDir) process.stdout.write(`saved to ${flags.saveDir}\n`);
      }
      if (outcomes.some((o) => o.error)) process.exitCode = 6;
    });
}
