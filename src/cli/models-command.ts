// `inferplan models [model]`: the model catalog, or one model's facts (catalog id or config path).
import type { Command } from 'commander';
import {
  attentionType,
  countParams,
  describeQuant,
  listCatalogEntries,
  listUnsupportedModels,
  loadModel,
  type ModelSpec,
  resolveQuant,
} from '../models/index.js';
import { renderTable } from '../report/index.js';
import { type GlobalOptions, printJson } from './run-command.js';

/** The GPU generation the default-quantisation column describes (H100 / H200). */
const TABLE_SM = 90;

/** Column caps of `models --unsupported` (the longest id today is 50 characters). */
const UNSUPPORTED_ID_WIDTH = 50;
const UNSUPPORTED_REASON_WIDTH = 58;

function billions(n: number): string {
  return n >= 100e9 ? (n / 1e9).toFixed(0) : (n / 1e9).toFixed(1);
}

function summary(spec: ModelSpec) {
  const params = countParams(spec);
  const quant = resolveQuant(spec, TABLE_SM);
  return {
    id: spec.id,
    architecture: spec.architecture,
    hf_architecture: spec.hfArchitecture,
    total_params: params.totalParams,
    active_params: params.activeParams,
    layers: spec.numLayers,
    experts: spec.moe ? { num_experts: spec.moe.numExperts, topk: spec.moe.topk } : null,
    attention: attentionType(spec),
    default_quant_sm90: quant,
    default_quant_sm90_label: describeQuant(spec, quant),
  };
}

export function registerModelsCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('models [model]')
    .description('list the model catalog, or show one model (catalog id or a directory with config.json)')
    .option('--unsupported', 'list known checkpoints whose architecture cannot be modelled, with the reason')
    .action((model: string | undefined, options: { unsupported?: boolean }) => {
      const json = globals().json;
      if (model) {
        const spec = loadModel(model);
        if (json) {
          printJson({ ...spec, ...summary(spec) });
          return;
        }
        const s = summary(spec);
        const rows: string[][] = [
          ['id', spec.id],
          ['architecture', `${spec.architecture} (${spec.hfArchitecture})`],
          ['params', `${billions(s.total_params)} B total, ${billions(s.active_params)} B active`],
          ['hidden / layers', `${spec.hiddenSize} / ${spec.numLayers}`],
          ['heads / kv heads / head dim', `${spec.numHeads} / ${spec.numKvHeads} / ${spec.headDim}`],
          ['attention', s.attention + (spec.slidingWindow ? ` (window ${spec.slidingWindow.size})` : '')],
          ['intermediate', `${spec.interSize}`],
          ['vocab', `${spec.vocabSize}${spec.tieWordEmbeddings ? ' (tied)' : ''}`],
        ];
        if (spec.moe) {
          rows.push([
            'experts',
            `${spec.moe.numExperts} top-${spec.moe.topk}, inter ${spec.moe.expertInterSize}, shared ${spec.moe.numSharedExperts}, first dense ${spec.moe.firstDenseLayers}`,
          ]);
        }
        if (spec.nextnLayers > 0) rows.push(['MTP layers', `${spec.nextnLayers}`]);
        rows.push(['default quant (SM90)', s.default_quant_sm90_label]);
        process.stdout.write(renderTable(['field', 'value'], rows));
        return;
      }
      if (options.unsupported) {
        const list = listUnsupportedModels();
        if (json) {
          printJson(list);
          return;
        }
        // The architecture goes under the id and the reason wraps, so the box stays ~115 columns.
        process.stdout.write(
          renderTable(
            ['model (architecture)', 'why not'],
            list.map((u) => [`${u.id}\n(${u.hfArchitecture})`, u.reason]),
            { maxWidths: [UNSUPPORTED_ID_WIDTH, UNSUPPORTED_REASON_WIDTH] },
          ),
        );
        return;
      }
      const entries = listCatalogEntries();
      if (json) {
        printJson(entries.map((e) => ({ ...summary(e.spec), aliases: e.aliases })));
        return;
      }
      const rows = entries.map((e) => {
        const s = summary(e.spec);
        return [
          e.spec.id,
          billions(s.total_params),
          billions(s.active_params),
          `${e.spec.numLayers}`,
          e.spec.moe ? `${e.spec.moe.numExperts}/${e.spec.moe.topk}` : '-',
          s.attention,
          s.default_quant_sm90_label,
        ];
      });
      process.stdout.write(
        renderTable(
          ['model', 'params B', 'active B', 'layers', 'experts E/topk', 'attention', 'quant (SM90)'],
          rows,
        ),
      );
    });
}
