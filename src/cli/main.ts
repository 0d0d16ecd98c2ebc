// The inferplan command line: parse, call the layer below, render. No computation here.
import { Command } from 'commander';
import { registerCollectCommand } from './collect-command.js';
import { registerDbCommand } from './db-command.js';
import { registerDefaultCommand } from './default-command.js';
import { registerEstimateCommand } from './estimate-command.js';
import { registerExpCommand } from './exp-command.js';
import { registerModelsCommand } from './models-command.js';
import { registerRecommendCommand } from './recommend-command.js';
import { type GlobalOptions, reportError } from './run-command.js';
import { registerSiliconCommand } from './silicon-command.js';
import { registerSystemsCommand } from './systems-command.js';

const CLI_VERSION = '0.1.0';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('inferplan')
    .description('Plan LLM serving deployments from measured per-operation GPU latency tables')
    .version(CLI_VERSION, '-V, --inferplan-version', 'print the inferplan version')
    .option('--json', 'machine-readable JSON output', false)
    .option('--debug', 'show stack traces for errors', false)
    // One line per mistake (commander adds "did you mean"), not the whole option list.
    .showHelpAfterError('(add --help for the options)')
    .exitOverride();
  const globals = (): GlobalOptions => {
    const opts = program.opts<{ json: boolean; debug: boolean }>();
    return { json: opts.json, debug: opts.debug };
  };
  registerSystemsCommand(program, globals);
  registerDefaultCommand(program, globals);
  registerEstimateCommand(program, globals);
  registerExpCommand(program, globals);
  registerRecommendCommand(program, globals);
  registerSiliconCommand(program, globals);
  registerDbCommand(program, globals);
  registerModelsCommand(program, globals);
  registerCollectCommand(program, globals);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  // `--version` belongs to the subcommands (backend version of the perf data); alone it prints ours.
  if (argv.length === 1 && argv[0] === '--version') {
    process.stdout.write(`${CLI_VERSION}\n`);
    return 0;
  }
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    // Commands that finish with a verdict (e.g. no configuration meets the SLA) set exitCode.
    const code = typeof process.exitCode === 'number' ? process.exitCode : 0;
    process.exitCode = 0;
    return code;
  } catch (error) {
    // commander signals help/version/usage through exceptions when exitOverride is on.
    if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string') {
      const code = error.code as string;
      if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help')
        return 0;
      if (code.startsWith('commander.')) return 2;
    }
    return reportError(error, argv.includes('--debug'));
  }
}
