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
    expect(error.message).toMatch(
      /^exp\.yaml: experiments\[1\]\.system: unknown system 'h900'; known: h100_sxm/,
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
    expect(missing.message).toMatch(/^e\.yaml: experiments\[0\]\.workload: missing \(expected object\)$/);
    const wrongType = errorOf(() => parseExperimentsYaml(GOOD.replace('isl: 1000', 'isl: many'), 'e.yaml'));
    expect(wrongType.message).toMatch(/experiments\[0\]\.workload\.isl: /);
    const extra = errorOf(() =>
      parseExperimentsYaml(GOOD.replace('- name: a', '- name: a\n    gpus: 3'), 'e.yaml'),
    );
    // The unknown key is reported first, with the field it most likely meant.
    expect(extra.message).toMatch(
      /^e\.yaml: experiments\[0\]: unknown field 'gpus' \(did you mean 'total_gpus'\?\); fields are listed in docs\/search\.md/,
    );
    const typo = errorOf(() => parseExperimentsYaml(GOOD.replace('isl: 1000', 'isll: 1000'), 'e.yaml'));
    expect(typo.message).toMatch(
      /workload: unknown field 'isll' \(did you mean 'isl'\?\).*\(and 1 more problem\)$/,
    );
    const badMode = errorOf(() =>
      parseExperimentsYaml(GOOD.replace('modes: [agg]', 'modes: [agg, static]'), 'e.yaml'),
    );
    expect(badMode.message).toMatch(/experiments\[0\]\.modes\[1\]: /);
    // The scheduler takes the engine's policies only.
    const badScheduler = errorOf(() =>
      parseExperimentsYaml(GOOD.replace('- name: a', '- name: a\n    scheduler: fifo'), 'e.yaml'),
    );
    expect(badScheduler.message).toMatch(/^e\.yaml: experiments\[0\]\.scheduler: .*"mixed"\|"prefill-first"/);
    expect(
      parseExperimentsYaml(GOOD.replace('- name: a', '- name: a\n    scheduler: prefill-first'), 'e.yaml')[0]!
        .scheduler,
    ).toBe('prefill-first');
  });

  it('rejects duplicate names, empty lists and YAML syntax errors with a location', () => {
    expect(() => parseExperimentsYaml(GOOD.replace('name: b', 'name: a'), 'e.yaml')).toThrow(
      /experiments\[1\]\.name: 'a' is also experiments\[0\]/,
    );
    expect(() => parseExperimentsYaml('experiments: []\n', 'e.yaml')).toThrow(/e\.yaml: experiments: /);
    expect(() => parseExperimentsYaml('experiments:\n  - name: [a\n', 'e.yaml')).toThrow(
      /^e\.yaml:\d+: YAML syntax/,
    );
    expect(() => parseExperimentsYaml('experiment: []\n', 'e.yaml')).toThrow(/e\.yaml: /);
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
