import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  EXIT_CODES,
  InferplanError,
  InvalidInputError,
  PACKAGE_ROOT,
  PerfDataMissingError,
} from '../../src/common/index.js';
import { BACKENDS } from '../../src/engine/index.js';
import {
  type ExperimentSpec,
  experimentsToYaml,
  parseExperimentsYaml,
  runExperiments,
  searchOptionsFor,
} from '../../src/search/index.js';
import { FakeEstimator } from './fake-estimator.js';

const KNOWN = { systems: ['h100_sxm', 'h200_sxm', 'b200_sxm'], backends: BACKENDS };

const GOOD = `
defaults:
  model: Qwen/Qwen3-32B
  system: h200_sxm
  backend: vllm
  total_gpus: 8
  workload: { isl: 1000, osl: 101 }
  sla: { ttft_ms: 1000, tpot_ms: 14 }
  modes: [agg]
experiments:
  - name: a
  - name: b
    system: h100_sxm
    workload: { osl: 201 }
    sla: { strict: true }
`;

function errorOf(fn: () => unknown): InferplanError {
  try {
    fn();
  } catch (error) {
    if (error instanceof InferplanError) return error;
    throw error;
  }
  throw new Error('expected an error');
}

describe('experiment files', () => {
  it('merges defaults into each experiment, key by key', () => {
    const [a, b] = parseExperimentsYaml(GOOD, 'exp.yaml', KNOWN);
    expect(a!.system).toBe('h200_sxm');
    expect(b!.system).toBe('h100_sxm');
    expect(b!.workload).toEqual({ isl: 1000, osl: 201, prefix: 0, nextn: 0, nextn_accept: 0 });
    expect(b!.sla).toEqual({ ttft_ms: 1000, tpot_ms: 14, strict: true });
    expect(a!.objective).toBe('tokens-per-gpu');
    expect(a!.database_mode).toBe('silicon');
  });

  it('carries exhaustive search through to the search options (default: pruned)', () => {
    const [a] = parseExperimentsYaml(GOOD, 'exp.yaml', KNOWN);
    expect(a!.exhaustive).toBe(false);
    const estimator = new FakeEstimator();
    expect(searchOptionsFor(a!, estimator).exhaustive).toBe(false);
    const [b] = parseExperimentsYaml(
      `${GOOD}\n`.replace('modes: [agg]', 'modes: [agg]\n  exhaustive: true'),
      'e.yaml',
    );
    expect(searchOptionsFor(b!, estimator).exhaustive).toBe(true);
  });

  it('names the key path of an unknown system', () => {
    const text = GOOD.replace('system: h100_sxm', 'system: h900');
    const error = errorOf(() => parseExperimentsYaml(text, 'exp.yaml', KNOWN));
    // GOOD starts with a blank line: 'system: h900' is on line 13.
    expect(error.message).toMatch(
      /^exp\.yaml:13: experiments\[1\]\.system: unknown system 'h900'; known: h100_sxm/,
    );
    expect(error.exitCode).toBe(EXIT_CODES.unknownName);
  });

  it('names the key path of a schema error', () => {
    const missing = errorOf(() =>
      parseExperimentsYaml(
        'experiments:\n  - { name: x, model: m, system: s, backend: vllm, total_gpus: 1 }\n',
        'e.yaml',
      ),
    );
    expect(missing).toBeInstanceOf(InvalidInputError);
    expect(missing.message).toMatch(/^e\.yaml:2: experiments\[0\]\.workload: missing \(expected object\)$/);
    const wrongType = errorOf(() => parseExperimentsYaml(GOOD.replace('isl: 1000', 'isl: many'), 'e.yaml'));
    expect(wrongType.message).toMatch(/^e\.yaml:7: defaults\.workload\.isl: .*expected number/);
    const extra = errorOf(() =>
      parseExperimentsYaml(GOOD.replace('- name: a', '- name: a\n    gpus: 3'), 'e.yaml'),
    );
    // The unknown key is named with the field it most likely meant.
    expect(extra.message).toMatch(
      /^e\.yaml:12: experiments\[0\]\.gpus: unknown field \(did you mean 'total_gpus'\?\); fields are listed in docs\/search\.md$/,
    );
    // A typo in the defaults block is named there, and the field it leaves missing in each experiment too.
    const typo = errorOf(() => parseExperimentsYaml(GOOD.replace('isl: 1000', 'isll: 1000'), 'e.yaml'));
    expect(typo.message.split('\n')).toEqual([
      "e.yaml:7: defaults.workload.isll: unknown field (did you mean 'isl'?); fields are listed in docs/search.md",
      'e.yaml:11: experiments[0].workload.isl: missing (expected number)',
      'e.yaml:14: experiments[1].workload.isl: missing (expected number)',
    ]);
    const badMode = errorOf(() =>
      parseExperimentsYaml(GOOD.replace('modes: [agg]', 'modes: [agg, static]'), 'e.yaml'),
    );
    expect(badMode.message).toMatch(/^e\.yaml:9: defaults\.modes\[1\]: /);
    // The scheduler takes the engine's policies only.
    const badScheduler = errorOf(() =>
      parseExperimentsYaml(GOOD.replace('- name: a', '- name: a\n    scheduler: fifo'), 'e.yaml'),
    );
    expect(badScheduler.message).toMatch(
      /^e\.yaml:12: experiments\[0\]\.scheduler: .*"mixed"\|"prefill-first"/,
    );
    expect(
      parseExperimentsYaml(GOOD.replace('- name: a', '- name: a\n    scheduler: prefill-first'), 'e.yaml')[0]!
        .scheduler,
    ).toBe('prefill-first');
  });

  it('names problems of the defaults block as defaults.<key>, once, with its line', () => {
    const text = GOOD.replace('  modes: [agg]\n', '  modes: [agg]\n  bogus_key: 1\n');
    const error = errorOf(() => parseExperimentsYaml(text, 'e.yaml', KNOWN));
    // Both experiments inherit it; it is reported once, where it is written (line 10).
    expect(error.message).toBe(
      'e.yaml:10: defaults.bogus_key: unknown field; fields are listed in docs/search.md',
    );
    expect(error).toBeInstanceOf(InvalidInputError);
    // A bad value in defaults is the defaults' problem; one an experiment overrides is not reported.
    const badIsl = errorOf(() => parseExperimentsYaml(GOOD.replace('isl: 1000', 'isl: -1'), 'e.yaml'));
    expect(badIsl.message).toMatch(/^e\.yaml:7: defaults\.workload\.isl: Too small/);
    expect(badIsl.message.split('\n')).toHaveLength(1);
    const unknownSystem = errorOf(() =>
      parseExperimentsYaml(GOOD.replace('system: h200_sxm', 'system: h900_sxm'), 'e.yaml', KNOWN),
    );
    expect(unknownSystem.message).toMatch(/^e\.yaml:4: defaults\.system: unknown system 'h900_sxm'/);
    expect(unknownSystem.exitCode).toBe(EXIT_CODES.unknownName);
  });

  it('reports every problem, one line each in file order, up to ten', () => {
    const text = [
      'defaults:',
      '  model: Qwen/Qwen3-32B',
      '  system: h200_sxm',
      '  backend: vllm',
      '  total_gpus: 8',
      '  workload: { isl: 1000, osl: 100 }',
      'experiments:',
      '  - name: a',
      '    gpus: 3',
      '  - name: b',
      '    workload: { isl: many }',
      '  - name: c',
      '    modes: [agg, static]',
      '    system: h900',
    ].join('\n');
    const error = errorOf(() => parseExperimentsYaml(text, 'e.yaml', KNOWN));
    const lines = error.message.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^e\.yaml:9: experiments\[0\]\.gpus: unknown field \(did you mean 'total_gpus'\?\)/,
    );
    expect(lines[1]).toMatch(/^e\.yaml:11: experiments\[1\]\.workload\.isl: .*expected number/);
    expect(lines[2]).toMatch(/^e\.yaml:13: experiments\[2\]\.modes\[1\]: /);
    // Schema problems stop the name checks of that experiment; a mix exits as invalid input.
    expect(error.exitCode).toBe(EXIT_CODES.invalidInput);
    // Twelve bad experiments: ten lines, then a count of the rest.
    const many = `${GOOD.split('experiments:')[0]}experiments:\n${Array.from(
      { length: 12 },
      (_, i) => `  - { name: e${i}, top_n: 0 }\n`,
    ).join('')}`;
    const capped = errorOf(() => parseExperimentsYaml(many, 'e.yaml')).message.split('\n');
    expect(capped).toHaveLength(11);
    expect(capped[9]).toMatch(/^e\.yaml:\d+: experiments\[9\]\.top_n: /);
    expect(capped[10]).toBe('e.yaml: and 2 more problems');
  });

  it("checks perf_data folders with the caller's check, naming the YAML field", () => {
    const text = GOOD.replace('  modes: [agg]\n', '  modes: [agg]\n  perf_data: shared-data\n').replace(
      '    system: h100_sxm\n',
      '    system: h100_sxm\n    perf_data: own-data\n',
    );
    const checked: string[] = [];
    const error = errorOf(() =>
      parseExperimentsYaml(text, 'e.yaml', {
        perfData: (dir, field) => {
          checked.push(`${field}=${dir}`);
          throw new InvalidInputError(`${field} '${dir}' does not exist`);
        },
      }),
    );
    expect(checked).toEqual(['defaults.perf_data=shared-data', 'experiments[1].perf_data=own-data']);
    expect(error.message.split('\n')).toEqual([
      "e.yaml:10: defaults.perf_data 'shared-data' does not exist",
      "e.yaml:15: experiments[1].perf_data 'own-data' does not exist",
    ]);
  });

  it('rejects duplicate names, empty lists and YAML syntax errors with a location', () => {
    expect(() => parseExperimentsYaml(GOOD.replace('name: b', 'name: a'), 'e.yaml')).toThrow(
      /experiments\[1\]\.name: 'a' is also experiments\[0\]/,
    );
    expect(() => parseExperimentsYaml('experiments: []\n', 'e.yaml')).toThrow(/e\.yaml:1: experiments: /);
    expect(() => parseExperimentsYaml('experiments:\n  - name: [a\n', 'e.yaml')).toThrow(
      /^e\.yaml:\d+: YAML syntax/,
    );
    expect(errorOf(() => parseExperimentsYaml('experiment: []\n', 'e.yaml')).message.split('\n')).toEqual([
      "e.yaml:1: experiment: unknown field (did you mean 'experiments'?); fields are listed in docs/search.md",
      'e.yaml:1: experiments: missing (expected array)',
    ]);
  });

  it('writes YAML that reads back to the same experiments', () => {
    const specs = parseExperimentsYaml(GOOD, 'exp.yaml');
    const text = experimentsToYaml(specs, 'saved by a test');
    expect(text.startsWith('# saved by a test\n')).toBe(true);
    expect(parseExperimentsYaml(text, 'again.yaml')).toEqual(specs);
  });

  it('ships examples that validate', () => {
    const dir = join(PACKAGE_ROOT, 'examples');
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const file of files) {
      const specs = parseExperimentsYaml(readFileSync(join(dir, file), 'utf8'), file, KNOWN);
      expect(specs.length).toBeGreaterThan(0);
    }
  });
});

describe('runExperiments', () => {
  it('runs each experiment with the factory and records user-facing failures', async () => {
    const specs = parseExperimentsYaml(GOOD, 'exp.yaml');
    const seen: string[] = [];
    const outcomes = await runExperiments(specs, async (spec: ExperimentSpec) => {
      seen.push(spec.name);
      if (spec.name === 'b') throw new PerfDataMissingError('no perf data for h100_sxm vllm');
      return {
        estimator: new FakeEstimator(),
        parallelSpace: { tpValues: [1, 2], ppValues: [1] },
        gpuHourUsd: 2,
      };
    });
    expect(seen).toEqual(['a', 'b']);
    expect(outcomes[0]!.result!.best!.tokensPerSPerGpu).toBeCloseTo(4000 / 14, 9);
    expect(outcomes[0]!.result!.best!.costPerMTokensUsd).toBeGreaterThan(0);
    expect(outcomes[1]!.error).toBe('no perf data for h100_sxm vllm');
  });

  it('lets bugs propagate instead of recording them', async () => {
    const specs = parseExperimentsYaml(GOOD, 'exp.yaml');
    await expect(
      runExperiments(specs, () => {
        throw new TypeError('a bug');
      }),
    ).rejects.toThrow(TypeError);
  });

  it('accepts a bare Estimator from the factory', async () => {
    const specs = parseExperimentsYaml(GOOD, 'exp.yaml').slice(0, 1);
    const [outcome] = await runExperiments(specs, () => new FakeEstimator());
    expect(outcome!.result!.totalGpus).toBe(8);
  });
});
