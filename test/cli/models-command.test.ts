import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'inferplan-models-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('inferplan models', () => {
  it('prints the catalog with params, layers, experts, attention type and SM90 quantisation', async () => {
    const result = await runCli(['models']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /meta-llama\/Llama-3\.1-8B\s*│\s*8\.0\s*│\s*8\.0\s*│\s*32\s*│\s*-\s*│\s*GQA\s*│\s*bf16/,
    );
    expect(result.stdout).toMatch(
      /deepseek-ai\/DeepSeek-V3\s*│\s*671\s*│\s*37\.6\s*│\s*61\s*│\s*256\/8\s*│\s*MLA\s*│\s*fp8_block/,
    );
    expect(result.stdout).toMatch(
      /openai\/gpt-oss-120b\s*│.*│\s*128\/4\s*│\s*SWA\s*│\s*moe mxfp4, gemm bf16/,
    );
  });

  it('prints JSON with --json', async () => {
    const result = await runCli(['--json', 'models']);
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout) as { id: string; aliases: string[]; total_params: number }[];
    const llama = rows.find((r) => r.id === 'meta-llama/Llama-3.1-8B')!;
    expect(llama.aliases).toContain('meta-llama/Llama-3.1-8B-Instruct');
    expect(llama.total_params / 1e9).toBeCloseTo(8.03, 2);
  });

  it('shows one model by alias or from a config directory', async () => {
    const one = await runCli(['models', 'qwen/qwen3-32b']);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/heads \/ kv heads \/ head dim\s*│\s*64 \/ 8 \/ 128/);
    const dir = join(root, 'my-model');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({
        architectures: ['MistralForCausalLM'],
        hidden_size: 4096,
        num_hidden_layers: 32,
        num_attention_heads: 32,
        num_key_value_heads: 8,
        intermediate_size: 14336,
        vocab_size: 32000,
        sliding_window: 4096,
        max_position_embeddings: 32768,
      }),
    );
    const fromDir = await runCli(['--json', 'models', dir]);
    expect(fromDir.code).toBe(0);
    expect(JSON.parse(fromDir.stdout)).toMatchObject({ id: 'my-model', attention: 'SWA', layers: 32 });
  });

  it('lists unsupported checkpoints with the reason, in a table that fits a terminal', async () => {
    const result = await runCli(['models', '--unsupported']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    // It was ~250 columns wide; the reason now wraps inside its column.
    expect(Math.max(...lines.map((l) => [...l].length))).toBeLessThanOrEqual(120);
    const row = lines.findIndex((l) => /│ Qwen\/Qwen3\.5-397B-A17B\s/.test(l));
    expect(row).toBeGreaterThan(0);
    expect(lines[row + 1]).toMatch(/│ \(Qwen3_5MoeForConditionalGeneration\)\s/);
    // The reason's words read in order down its column.
    const reason = lines
      .slice(row, row + 3)
      .map((l) => l.split('│')[2]!.trim())
      .join(' ');
    expect(reason).toContain('3 of 4 layers use Gated DeltaNet linear attention');
  });

  it('refuses a config.json with absurd dimensions in one line naming the field', async () => {
    const dir = join(root, 'huge');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({
        architectures: ['LlamaForCausalLM'],
        hidden_size: 1e12,
        num_hidden_layers: 32,
        num_attention_heads: 32,
        intermediate_size: 14336,
        vocab_size: 32000,
      }),
    );
    const result = await runCli(['models', dir]);
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(
      "huge/config.json: field 'hidden_size': expected an integer from 1 to 65536, got 1000000000000",
    );
  });

  it('fails with one line for an unknown or unsupported model', async () => {
    const unknown = await runCli(['models', 'acme/nothing']);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    const unsupported = await runCli(['models', 'zhipuai/GLM-5']);
    expect(unsupported.code).toBe(6);
    expect(unsupported.stderr).toMatch(/not supported: DeepSeek sparse attention/);
  });
});
