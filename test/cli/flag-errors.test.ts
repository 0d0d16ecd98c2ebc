// One-line errors and exit codes for bad flags and unreadable measurement files.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { llamaFixtureFlags, writeServingPerfData } from '../helpers/serving-perf-fixture.js';

let perfData = '';
let dir = '';
const base = () => llamaFixtureFlags(perfData);

beforeAll(() => {
  perfData = writeServingPerfData();
  dir = mkdtempSync(join(tmpdir(), 'flag-errors-'));
  writeFileSync(join(dir, 'no-columns.csv'), 'id,backend\nr1,vllm\n');
  writeFileSync(join(dir, 'ragged.csv'), 'a,b\n"unterminated,1\n');
});

describe('bad flags and files get one line and an exit code', () => {
  const cases: [string, () => string[], number, RegExp][] = [
    [
      'default --serving-mode',
      () => ['default', ...base(), '--gpus', '2', '--serving-mode', 'mixed'],
      2,
      /^error: --serving-mode must be agg, disagg or both, got 'mixed'$/m,
    ],
    [
      'default --objective',
      () => ['default', ...base(), '--gpus', '2', '--objective', 'speed'],
      2,
      /^error: --objective must be one of .*tokens-per-gpu.*, got 'speed'$/m,
    ],
    [
      'recommend --serving-mode',
      () => ['recommend', ...base(), '--target-rate', '5', '--serving-mode', 'mixed'],
      2,
      /^error: --serving-mode must be agg, disagg or both, got 'mixed'$/m,
    ],
    [
      'recommend --objective',
      () => ['recommend', ...base(), '--target-rate', '5', '--objective', 'speed'],
      2,
      /^error: --objective must be one of .*, got 'speed'$/m,
    ],
    [
      'estimate --mode',
      () => ['estimate', ...base(), '--tp', '1', '--mode', 'fast'],
      2,
      /^error: --mode must be static, agg or disagg, got 'fast'$/m,
    ],
    [
      'estimate --prefix >= --isl',
      () => ['estimate', ...base(), '--tp', '1', '--isl', '100', '--prefix', '100'],
      2,
      /^error: --prefix 100 must be smaller than --isl 100$/m,
    ],
    [
      'estimate --nextn-accept > --nextn',
      () => ['estimate', ...base(), '--tp', '1', '--nextn', '1', '--nextn-accept', '2'],
      2,
      /^error: --nextn-accept 2 cannot exceed --nextn 1$/m,
    ],
    [
      'silicon compare without the required columns',
      () => ['silicon', 'compare', join(dir, 'no-columns.csv'), '--perf-data', perfData],
      3,
      /no-columns\.csv: missing columns .*; expected at least /,
    ],
    [
      'silicon compare on a file that is not CSV',
      () => ['silicon', 'compare', join(dir, 'ragged.csv'), '--perf-data', perfData],
      3,
      /ragged\.csv: not a readable CSV/,
    ],
    [
      'silicon compare on a missing file',
      () => ['silicon', 'compare', join(dir, 'absent.csv'), '--perf-data', perfData],
      3,
      /cannot read '.*absent\.csv'; pass the path of a measured-results CSV/,
    ],
    [
      'silicon compare --length-ratio',
      () => ['silicon', 'compare', join(dir, 'no-columns.csv'), '--length-ratio', 'half'],
      2,
      /^error: --length-ratio must be a non-negative number, got 'half'$/m,
    ],
    [
      'silicon compare --waves',
      () => ['silicon', 'compare', join(dir, 'no-columns.csv'), '--waves', '0'],
      2,
      /^error: --waves must be a positive integer, got '0'$/m,
    ],
    [
      'a hexadecimal count',
      () => ['default', ...base(), '--gpus', '0x10'],
      2,
      /^error: --gpus must be a positive integer, got '0x10'$/m,
    ],
    [
      'more GPUs than any search',
      () => ['default', ...base(), '--gpus', '100000'],
      2,
      /^error: --gpus 100000 is more than the 65536 supported$/m,
    ],
    [
      'a negative latency target',
      () => ['default', ...base(), '--gpus', '2', '--ttft', '-1'],
      2,
      /^error: --ttft must be a positive number, got '-1'$/m,
    ],
    [
      'clients in exponent form',
      () => ['estimate', ...base(), '--tp', '1', '--clients', '1e10'],
      2,
      /^error: --clients must be a positive integer, got '1e10'$/m,
    ],
    [
      'a disagg role flag in an agg estimate',
      () => ['estimate', ...base(), '--mode', 'agg', '--p-tp', '2', '--d-workers', '3'],
      2,
      /^error: --p-tp, --d-workers: only --mode disagg has prefill and decode roles$/m,
    ],
    [
      'an agg worker flag in a disagg estimate',
      () => ['estimate', ...base(), '--mode', 'disagg', '--p-tp', '1', '--d-tp', '1', '--batch-size', '4'],
      2,
      /^error: --batch-size: with --mode disagg give each role's own/m,
    ],
    [
      'clients in a static estimate',
      () => ['estimate', ...base(), '--mode', 'static', '--clients', '4'],
      2,
      /^error: --clients: a static estimate runs one batch/m,
    ],
    [
      'a context budget in a static estimate',
      () => ['estimate', ...base(), '--mode', 'static', '--ctx-tokens', '4096'],
      2,
      /^error: --ctx-tokens: a static estimate prefills whole prompts/m,
    ],
    [
      'an expert-parallel flag on a dense model',
      () => ['estimate', ...base(), '--moe-ep', '2'],
      2,
      /^error: --moe-ep applies to MoE models; meta-llama\/Llama-3.1-8B is dense$/m,
    ],
    [
      'an expert format on a dense model',
      () => ['estimate', ...base(), '--moe-quant', 'fp8'],
      2,
      /^error: --moe-quant applies to MoE models; meta-llama\/Llama-3.1-8B is dense$/m,
    ],
    [
      'a decode system without disaggregation',
      () => ['default', ...base(), '--gpus', '2', '--serving-mode', 'agg', '--decode-system', 'h100_sxm'],
      2,
      /^error: --decode-system places disaggregated decode workers/m,
    ],
    [
      'disaggregation on one GPU',
      () => ['default', ...base(), '--gpus', '1', '--serving-mode', 'disagg'],
      2,
      /^error: --serving-mode disagg needs at least 2 GPUs/m,
    ],
    [
      'an unknown flag: the nearest names, not the whole option list',
      () => ['estimate', ...base(), '--tpp', '2'],
      2,
      /^error: unknown option '--tpp'\n\(Did you mean one of --pp, --tp\?\)\n\(add --help for the options\)\n$/,
    ],
    [
      'systems --systems-dir naming a file',
      () => ['systems', '--systems-dir', join(dir, 'ragged.csv')],
      3,
      /^error: systems directory '.*ragged\.csv' is a file; pass the folder that holds the system YAML files$/m,
    ],
    [
      'silicon reference on a file that is not CSV',
      () => ['silicon', 'reference', join(dir, 'ragged.csv')],
      3,
      /ragged\.csv: cannot read as CSV/,
    ],
  ];
  for (const [name, args, code, message] of cases) {
    it(name, async () => {
      const r = await runCli(args());
      expect(r.code).toBe(code);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    });
  }
});
