// A parsed measured-serving row for tests: a Qwen3-32B aggregated run on H200 at 1024/128 tokens,
// with the columns a test names replacing those defaults.
import { type SiliconRow, SiliconRowSchema } from '../../src/silicon/index.js';

export function siliconRow(columns: Record<string, string> = {}): SiliconRow {
  return SiliconRowSchema.parse({
    id: 'r',
    backend: 'vllm',
    model_path: 'Qwen/Qwen3-32B',
    system: 'h200_sxm',
    mode: 'agg',
    isl: '1024',
    osl: '128',
    silicon_ttft_ms: '100',
    silicon_tpot_ms: '10',
    ...columns,
  });
}
