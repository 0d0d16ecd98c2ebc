import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidConfigError, InvalidInputError, UnknownNameError } from '../../src/common/index.js';
import { buildCatalog, catalogFileName, formatCatalogJson } from '../../src/models/catalog-builder.js';
import {
  listModels,
  listUnsupportedModels,
  loadModel,
  readCatalogDir,
  SHIPPED_MODELS_DIR,
} from '../../src/models/index.js';
import { LLAMA_3_1_8B_CONFIG } from '../helpers/hf-configs.js';

const root = mkdtempSync(join(tmpdir(), 'inferplan-catalog-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the shipped catalog', () => {
  it('has the models the planner is asked about, by id or alias, case-insensitively', () => {
    const wanted = [
      'meta-llama/Llama-3.1-8B',
      'meta-llama/Llama-3.1-8B-Instruct',
      'meta-llama/Llama-3.1-70B-Instruct',
      'meta-llama/Llama-3.1-405B-Instruct',
      'meta-llama/Llama-3.3-70B-Instruct',
      'Qwen/Qwen3-0.6B',
      'Qwen/Qwen3-8B',
      'Qwen/Qwen3-14B',
      'Qwen/Qwen3-32B',
      'Qwen/Qwen3-32B-FP8',
      'Qwen/Qwen3-30B-A3B',
      'Qwen/Qwen3-30B-A3B-FP8',
      'Qwen/Qwen3-235B-A22B',
      'Qwen/Qwen3-235B-A22B-FP8',
      'mistralai/Mixtral-8x7B-v0.1',
      'mistralai/Mixtral-8x22B-v0.1',
      'openai/gpt-oss-20b',
      'openai/gpt-oss-120b',
      'deepseek-ai/DeepSeek-V3',
      'deepseek-ai/DeepSeek-R1',
      'moonshotai/Kimi-K2-Instruct',
      'moonshotai/Kimi-K2.5',
      'nvidia/Llama-3.1-8B-Instruct-FP8',
      'MiniMaxAI/MiniMax-M2.5',
    ];
    for (const id of wanted) expect(loadModel(id.toLowerCase()).numLayers).toBeGreaterThan(0);
    expect(loadModel('META-LLAMA/LLAMA-3.1-8B-INSTRUCT').id).toBe('meta-llama/Llama-3.1-8B');
    expect(loadModel('meta-llama/Llama-3.3-70B-Instruct')).toMatchObject({ hiddenSize: 8192, numLayers: 80 });
    expect(loadModel('Qwen/Qwen3-14B')).toMatchObject({ hiddenSize: 5120, numLayers: 40, interSize: 17408 });
  });

  it('covers every model of the silicon dev set, or says why not', () => {
    const supported = [
      'Qwen/Qwen3-32B',
      'deepseek-ai/DeepSeek-R1',
      'Qwen/Qwen3-235B-A22B-FP8',
      'openai/gpt-oss-120b',
      'meta-llama/Llama-3.1-8B-Instruct',
      'meta-llama/Llama-3.1-70B',
      'MiniMaxAI/MiniMax-M2.5',
      'deepseek-ai/DeepSeek-V3',
      'moonshotai/Kimi-K2.5',
      'nvidia/Llama-3.1-8B-Instruct-FP8',
    ];
    for (const id of supported) expect(() => loadModel(id)).not.toThrow();
    for (const id of ['Qwen/Qwen3.5-397B-A17B', 'zhipuai/GLM-5']) {
      expect(() => loadModel(id)).toThrow(InvalidConfigError);
      expect(() => loadModel(id)).toThrow(/is not supported: /);
    }
    expect(listUnsupportedModels().map((u) => u.id)).toContain('deepseek-ai/DeepSeek-V3.2');
  });

  it('lists known ids for an unknown one', () => {
    expect(() => loadModel('acme/not-a-model')).toThrow(UnknownNameError);
    expect(() => loadModel('acme/not-a-model')).toThrow(
      /unknown model 'acme\/not-a-model'; known: deepseek-ai/,
    );
  });

  it('says what is wrong with a path instead of calling it an unknown model', () => {
    const notes = join(root, 'notes.md');
    writeFileSync(notes, '# not a config');
    const noConfig = join(root, 'no-config-dir');
    mkdirSync(noConfig, { recursive: true });
    expect(() => loadModel(notes)).toThrow(InvalidInputError);
    expect(() => loadModel(notes)).toThrow(/notes\.md: not valid JSON/);
    expect(() => loadModel(noConfig)).toThrow(/no-config-dir: no config\.json in this directory/);
    expect(() => loadModel('./nowhere/config.json')).toThrow(/nowhere\/config\.json: file does not exist/);
    // A catalog id is still a catalog id, and a bare unknown name still lists the catalog.
    expect(() => loadModel('Qwen/Qwen3-32B')).not.toThrow();
    expect(() => loadModel('acme/not-a-model')).toThrow(UnknownNameError);
  });

  it('lists models sorted by id with unique ids', () => {
    const ids = listModels().map((m) => m.id);
    expect(ids.length).toBeGreaterThanOrEqual(40);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((a, b) => a.localeCompare(b))).toEqual(ids);
  });
});

describe('building the catalog from a config directory', () => {
  const configs = join(root, 'configs');
  mkdirSync(configs, { recursive: true });
  writeFileSync(
    join(configs, 'meta-llama--Meta-Llama-3.1-8B_config.json'),
    JSON.stringify(LLAMA_3_1_8B_CONFIG),
  );
  writeFileSync(
    join(configs, 'acme--Hybrid-1B_config.json'),
    JSON.stringify({ architectures: ['NemotronHForCausalLM'], hidden_size: 1 }),
  );
  writeFileSync(join(configs, 'acme--Broken_config.json'), '{');

  it('writes canonical ids, aliases, derived models and the unsupported list', () => {
    const built = buildCatalog(configs);
    const ids = built.entries.map((e) => e.spec.id);
    expect(ids).toContain('meta-llama/Llama-3.1-8B');
    expect(ids).toContain('nvidia/Llama-3.1-8B-Instruct-FP8');
    expect(ids).toContain('Qwen/Qwen3-14B');
    const entry = built.entries.find((e) => e.spec.id === 'meta-llama/Llama-3.1-8B')!;
    expect(entry.aliases).toContain('meta-llama/Llama-3.1-8B-Instruct');
    expect(entry.source).toBe('meta-llama--Meta-Llama-3.1-8B_config.json');
    expect(built.unsupported).toEqual([
      expect.objectContaining({ id: 'acme/Hybrid-1B', hfArchitecture: 'NemotronHForCausalLM' }),
    ]);
    expect(built.failed).toEqual([expect.stringMatching(/^acme--Broken_config\.json: .*not valid JSON/)]);

    // What the script writes reads back as a catalog.
    const out = join(root, 'catalog-out');
    mkdirSync(out, { recursive: true });
    for (const e of built.entries) writeFileSync(join(out, catalogFileName(e.spec.id)), formatCatalogJson(e));
    writeFileSync(join(out, 'unsupported.json'), formatCatalogJson(built.unsupported));
    const catalog = readCatalogDir(out);
    expect(catalog.byName.get('meta-llama/meta-llama-3.1-8b-instruct')?.spec.id).toBe(
      'meta-llama/Llama-3.1-8B',
    );
    expect(catalog.unsupported.get('acme/hybrid-1b')?.reason).toMatch(/Mamba/);
  });

  it('rejects a catalog file that does not match the schema, naming file and field', () => {
    const dir = join(root, 'bad-catalog');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'x.json'), JSON.stringify({ spec: { id: 'x', architecture: 'dense' } }));
    expect(() => readCatalogDir(dir)).toThrow(InvalidInputError);
    expect(() => readCatalogDir(dir)).toThrow(/x\.json: field 'spec\.hfArchitecture'/);
  });

  it('says when the catalog directory is missing or two entries claim one name', () => {
    const missing = join(root, 'no-such-catalog');
    expect(() => readCatalogDir(missing)).toThrow(InvalidInputError);
    expect(() => readCatalogDir(missing)).toThrow(`model catalog directory '${missing}' does not exist`);
    const dir = join(root, 'clashing-catalog');
    mkdirSync(dir, { recursive: true });
    const llama = JSON.parse(readFileSync(join(SHIPPED_MODELS_DIR, 'meta-llama--Llama-3.1-8B.json'), 'utf8'));
    writeFileSync(join(dir, 'a.json'), JSON.stringify(llama));
    const copy = {
      ...llama,
      spec: { ...llama.spec, id: 'acme/Llama-copy' },
      aliases: ['META-LLAMA/llama-3.1-8b'],
    };
    writeFileSync(join(dir, 'b.json'), JSON.stringify(copy));
    expect(() => readCatalogDir(dir)).toThrow(InvalidInputError);
    expect(() => readCatalogDir(dir)).toThrow(
      /b\.json: name 'META-LLAMA\/llama-3\.1-8b' is also used by 'meta-llama\/Llama-3\.1-8B'$/,
    );
  });
});
