// `inferplan silicon`: how right the predictions are, against serving runs (compare) and
// whole-model steps (run, reference).
import type { Command } from 'commander';
import type { GlobalOptions } from './run-command.js';
import { registerSiliconCompareCommand } from './silicon-compare-command.js';
import { registerReferenceCommands } from './silicon-reference-command.js';

export function registerSiliconCommand(program: Command, globals: () => GlobalOptions): void {
  const silicon = program
    .command('silicon')
    .description('compare predictions with measurements on real GPUs');
  registerReferenceCommands(silicon, globals);
  registerSiliconCompareCommand(silicon, globals);
}
