// Where a predicted TTFT and TPOT go, as text: the parts a user can act on (queueing calls for
// more replicas or a smaller batch, prefill for more prefill capacity, interference for
// disaggregation or a smaller chunk budget).
import type { TpotParts, TtftParts } from '../serving/index.js';
import { formatNumber } from './number-format.js';

type Format = (ms: number) => string;

/** "serving stack 45 + queue 386.4 + prefill 131.5 + hand-off 20 ms", zero parts left out but queue and prefill. */
export function describeTtftParts(parts: TtftParts, format: Format = formatNumber): string {
  const text: string[] = [];
  if (parts.overheadMs > 0) text.push(`serving stack ${format(parts.overheadMs)}`);
  text.push(`queue ${format(parts.queueMs)}`, `prefill ${format(parts.prefillMs)}`);
  if (parts.handOffMs > 0) text.push(`hand-off ${format(parts.handOffMs)}`);
  return `${text.join(' + ')} ms`;
}

/** "decode 19.37 + other requests' prefill 5.85 ms". */
export function describeTpotParts(parts: TpotParts, format: Format = formatNumber): string {
  return `decode ${format(parts.decodeMs)} + other requests' prefill ${format(parts.prefillInterferenceMs)} ms`;
}

/** The TTFT parts under --json (ms). */
export function ttftPartsJson(parts: TtftParts): Record<string, number> {
  return {
    serving_stack: parts.overheadMs,
    queue: parts.queueMs,
    prefill: parts.prefillMs,
    hand_off: parts.handOffMs,
  };
}

/** The TPOT parts under --json (ms). */
export function tpotPartsJson(parts: TpotParts): Record<string, number> {
  return { decode: parts.decodeMs, prefill_interference: parts.prefillInterferenceMs };
}
