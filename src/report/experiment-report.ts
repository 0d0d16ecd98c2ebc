// `exp` output: one comparison row per experiment, plus the combined chart spec.
import type { ExperimentOutcome } from '../search/index.js';
import { toCsv } from './csv-format.js';
import { describeDeploymentShort } from './deployment-text.js';
import { formatNumber } from './number-format.js';
import { renderTable } from './table.js';

const HEAD = [
  'experiment',
  'system',
  'backend',
  'best mode',
  'tok/s/gpu',
  'vs first',
  'tok/s/user',
  'TTFT ms',
  'TPOT ms',
  'GPUs used',
  'deployment (replicas x (prefill + decode) workers)',
];

function systemOf(o: ExperimentOutcome): string {
  return o.spec.decode_system ? `${o.spec.system} + ${o.spec.decode_system} (decode)` : o.spec.system;
}

export function renderExperimentComparison(outcomes: readonly ExperimentOutcome[]): string {
  const baseline = outcomes.find((o) => o.result?.best)?.result?.best;
  const rows = outcomes.map((o) => {
    const best = o.result?.best;
    if (!best) {
      const why = o.error ?? 'no configuration meets the SLA';
      return [
        o.spec.name,
        systemOf(o),
        o.spec.backend,
        '-',
        '-',
        '-',
        '-',
        '-',
        '-',
        '-',
        o.error ? 'failed, see below' : why,
      ];
    }
    return [
      o.spec.name,
      systemOf(o),
      o.spec.backend,
      best.mode,
      formatNumber(best.tokensPerSPerGpu),
      baseline ? `${(best.tokensPerSPerGpu / baseline.tokensPerSPerGpu).toFixed(2)}x` : '-',
      formatNumber(best.tokensPerSPerUser),
      formatNumber(best.metrics.ttftMs),
      formatNumber(best.metrics.tpotMs),
      `${best.gpusUsed} of ${o.spec.total_gpus}`,
      describeDeploymentShort(best),
    ];
  });
  const notes = outcomes.filter((o) => o.error).map((o) => `${o.spec.name}: ${o.error}\n`);
  return renderTable(HEAD, rows) + notes.join('');
}

export function experimentComparisonCsv(outcomes: readonly ExperimentOutcome[]): string {
  return toCsv(
    [
      'experiment',
      'model',
      'system',
      'decode_system',
      'backend',
      'total_gpus',
      'best_mode',
      'tokens_per_s_per_gpu',
      'tokens_per_s_per_user',
      'ttft_ms',
      'tpot_ms',
      'request_latency_ms',
      'total_tokens_per_s',
      'gpus_used',
      'cost_per_m_tokens_usd',
      'error',
    ],
    outcomes.map((o) => {
      const b = o.result?.best;
      return [
        o.spec.name,
        o.spec.model,
        o.spec.system,
        o.spec.decode_system,
        o.spec.backend,
        o.spec.total_gpus,
        b?.mode,
        b?.tokensPerSPerGpu,
        b?.tokensPerSPerUser,
        b?.metrics.ttftMs,
        b?.metrics.tpotMs,
        b?.metrics.requestLatencyMs,
        b?.totalTokensPerS,
        b?.gpusUsed,
        b?.costPerMTokensUsd,
        o.error ?? (b ? undefined : 'no configuration meets the SLA'),
      ];
    }),
  );
}
