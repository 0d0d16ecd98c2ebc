// `inferplan systems`: the GPU systems known to this installation.
import type { Command } from 'commander';
import { SystemRegistry } from '../hardware/index.js';
import { renderTable } from '../report/index.js';
import { type GlobalOptions, printJson } from './run-command.js';

export function registerSystemsCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('systems')
    .description('list the GPU systems (data/systems and --systems-dir)')
    .option('--systems-dir <dir...>', 'extra directories of system YAML files')
    .action((options: { systemsDir?: string[] }) => {
      const registry = new SystemRegistry(options.systemsDir ?? []);
      const systems = registry.list();
      if (globals().json) {
        printJson(systems);
        return;
      }
      const rows = systems.map((s) => [
        s.name,
        `${(s.gpu.mem_capacity_bytes / 2 ** 30).toFixed(0)}`,
        `${(s.gpu.mem_bandwidth_bytes_per_s / 1e12).toFixed(2)}`,
        `${((s.gpu.tensor_flops_per_s['bfloat16'] ?? 0) / 1e12).toFixed(0)}`,
        s.gpu.tensor_flops_per_s['fp8'] ? `${(s.gpu.tensor_flops_per_s['fp8'] / 1e12).toFixed(0)}` : '-',
        `${s.gpu.sm_version}`,
        `${s.node.gpus_per_node}`,
        `${(s.node.intra_node_bandwidth_bytes_per_s / 1e9).toFixed(0)}`,
        s.spec_only ? 'spec only' : '',
      ]);
      process.stdout.write(
        renderTable(
          [
            'system',
            'mem GiB',
            'mem TB/s',
            'bf16 TFLOP/s',
            'fp8 TFLOP/s',
            'SM',
            'GPUs/node',
            'intra GB/s',
            'note',
          ],
          rows,
        ),
      );
    });
}
