// The summary box of a search: the winner, what it delivers, how it is deployed, how trustworthy.
import type { EvaluatedPoint, SearchResult, SlaConstraint } from '../search/index.js';
import { describeDeployment, describeWorkers } from './deployment-text.js';
import { formatNumber } from './number-format.js';
import { renderProvenanceLine } from './provenance-line.js';
import { renderBox } from './text-box.js';
import { describeTpotParts, describeTtftParts } from './time-parts.js';

const OBJECTIVE_TEXT = {
  'tokens-per-gpu': 'tokens/s/gpu',
  'total-throughput': 'total tokens/s',
  cost: 'cost per million tokens',
  energy: 'energy per token',
} as const;

const CONSTRAINT_TEXT: Record<SlaConstraint, string> = {
  ttft: 'TTFT',
  tpot: 'TPOT',
  requestLatency: 'request latency',
};

export function describeSla(result: SearchResult): string {
  const s = result.sla;
  const parts: string[] = [];
  if (s.ttftMs !== undefined) parts.push(`TTFT <= ${formatNumber(s.ttftMs)} ms`);
  if (s.tpotMs !== undefined) parts.push(`TPOT <= ${formatNumber(s.tpotMs)} ms`);
  if (s.requestLatencyMs !== undefined) {
    parts.push(`request latency <= ${formatNumber(s.requestLatencyMs)} ms${s.strict ? '' : ' (advisory)'}`);
  }
  return parts.length > 0 ? parts.join(', ') + (s.strict ? ' [strict]' : '') : 'no latency targets';
}

function pointLines(point: EvaluatedPoint, result: SearchResult): string[] {
  const m = point.metrics;
  const lines = [
    `Throughput   ${formatNumber(point.totalTokensPerS)} tokens/s   ${formatNumber(point.tokensPerSPerGpu)} tokens/s/gpu   ${formatNumber(point.tokensPerSPerUser)} tokens/s/user`,
    `Latency      TTFT ${formatNumber(m.ttftMs)} ms   TPOT ${formatNumber(m.tpotMs)} ms   request ${formatNumber(m.requestLatencyMs)} ms`,
    `  TTFT is    ${describeTtftParts(m.ttftParts)}`,
    `  TPOT is    ${describeTpotParts(m.tpotParts)}`,
    `Deployment   ${describeDeployment(point, result.totalGpus)}`,
    `Workers      ${describeWorkers(point)}`,
  ];
  const extras: string[] = [];
  if (point.costPerMTokensUsd !== undefined)
    extras.push(`$${formatNumber(point.costPerMTokensUsd)} per million tokens`);
  if (point.energyJPerToken !== undefined) extras.push(`${formatNumber(point.energyJPerToken)} J/token`);
  if (extras.length > 0) lines.push(`Cost         ${extras.join('   ')}`);
  lines.push(renderProvenanceLine(m.provenance));
  return lines;
}

function footer(result: SearchResult): string {
  const c = result.counts;
  return (
    `Searched ${c.evaluated} configurations (${c.meetingSla} meet the SLA, ${c.infeasible} out of memory) ` +
    `in ${formatNumber(result.elapsedMs)} ms`
  );
}

export function renderSearchSummary(result: SearchResult): string {
  const w = result.workload;
  const head = `${result.totalGpus} GPUs, isl ${w.isl}, osl ${w.osl}${w.prefix > 0 ? `, prefix ${w.prefix}` : ''}; SLA: ${describeSla(result)}`;
  const best = result.best;
  if (!best) {
    const failed = result.failures.failedByConstraint;
    const counts = (Object.keys(failed) as SlaConstraint[])
      .filter((k) => failed[k] > 0)
      .map((k) => `${CONSTRAINT_TEXT[k]} missed by ${failed[k]}`);
    const lines = [
      head,
      'No configuration meets the SLA.',
      `Of ${result.counts.evaluated} evaluated: ${counts.join(', ') || 'none'}`,
    ];
    const closest = result.failures.closest[0];
    if (closest) {
      lines.push(
        `Closest: ${closest.mode} TTFT ${formatNumber(closest.metrics.ttftMs)} ms, TPOT ${formatNumber(closest.metrics.tpotMs)} ms, ${describeWorkers(closest)}`,
        'Relax the target that fails most, add GPUs, or try another quantisation.',
      );
    }
    lines.push(footer(result));
    return renderBox(lines);
  }
  let title = `Best: ${best.mode}`;
  if (result.comparison) {
    title += `, ${result.comparison.ratio.toFixed(2)}x the best ${result.comparison.otherMode} on ${OBJECTIVE_TEXT[result.objective]}`;
  } else if (result.modes.length > 1) {
    const notes = result.modes
      .filter((m) => m !== best.mode)
      .map((m) =>
        result.points.some((p) => p.mode === m)
          ? `no ${m} configuration meets the SLA`
          : `no ${m} configuration fits ${result.totalGpus} GPU${result.totalGpus === 1 ? '' : 's'}`,
      );
    title += ` (${notes.join('; ')})`;
  }
  return renderBox([head, title, ...pointLines(best, result), footer(result)]);
}
