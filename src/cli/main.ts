// The inferplan command line: parse, call the layer below, render. No computation here.
import { Command } from 'commander';
import { registerDbCommand } from './db-command.js';
import { registerModelsCommand } from './models-command.js';
import { type GlobalOptions, reportError } from './run-command.js';
import { registerSystemsCommand } from './systems-command.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('inferplan')
    .description('Plan LLM serving deployments from measured per-operation GPU latency tables')
    .version('0.1.0')
    .option('--json', 'machine-readable JSON output', false)
    .option('--debug', 'show stack traces for errors', false)
    .showHelpAfterError()
    .exitOverride();
  const globals = (): GlobalOptions => {
    const opts = program.opts<{ json: boolean; debug: boolean }>();
    return { json: opts.json, debug: opts.debug };
  };
  registerSystemsCommand(program, globals);
  registerDbCommand(program, globals);
  registerModelsCommand(program, globals);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
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
