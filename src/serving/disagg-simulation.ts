// Request-level simulation of a disaggregated deployment under a closed-loop benchmark: every
// client sends its first request at once, then its next as soon as the previous one finishes.
// Prefill is a FIFO queue in front of identical request slots (prefill ranks x batch); decode is
// taken as a fixed time per request (its batch is set by the closed-loop solution outside). What
// the steady-state queueing formula leaves out and this keeps: the opening burst, when all clients
// wait for prefill together, and how the stagger it leaves behind carries into later waves.
import { NumberMinHeap, seededRandom } from '../common/index.js';

export interface DisaggSimulationInput {
  readonly clients: number;
  /** Requests prefilled at once over all prefill workers. */
  readonly prefillSlots: number;
  /** Time one prefill slot takes per request, ms. */
  readonly prefillMs: number;
  /** From the end of prefill to the request's end: KV transfer, hand-off and decoding, ms, at the nominal output length. */
  readonly afterPrefillMs: number;
  /** Requests sent in all (benchmarks run several waves of `clients`). */
  readonly totalRequests: number;
  /** Output lengths uniform in [ratio, 1] x nominal (the decode time scales with it); 1 = fixed. */
  readonly lengthRatio: number;
  readonly seed?: number;
}

export interface DisaggSimulationResult {
  /** Mean time requests waited for a prefill slot, ms. */
  readonly meanPrefillWaitMs: number;
}

export function simulateDisagg(input: DisaggSimulationInput): DisaggSimulationResult {
  const clients = Math.max(1, Math.round(input.clients));
  const slots = Math.max(1, Math.round(input.prefillSlots));
  const total = Math.max(clients, Math.round(input.totalRequests));
  const ratio = Math.min(1, Math.max(0, input.lengthRatio));
  const random = seededRandom(input.seed ?? 1);
  // Output lengths vary, prompt lengths count only through the prefill time (kept nominal here).
  const afterPrefill = () =>
    ratio >= 1 ? input.afterPrefillMs : input.afterPrefillMs * (ratio + (1 - ratio) * random());

  // When each client sends next, and when each prefill slot is free next.
  const sends = new NumberMinHeap(clients);
  for (let i = 0; i < clients; i++) sends.push(0);
  const freeAt = new NumberMinHeap(slots);
  for (let i = 0; i < slots; i++) freeAt.push(0);
  let issued = clients;
  let waitSum = 0;
  // Sends are served in time order; FIFO over identical slots: each takes the earliest free one.
  for (let served = 0; served < total; served++) {
    const sent = sends.pop()!;
    const start = Math.max(sent, freeAt.pop()!);
    const prefilled = start + input.prefillMs;
    freeAt.push(prefilled);
    waitSum += start - sent;
    const end = prefilled + afterPrefill();
    if (issued < total) {
      sends.push(end);
      issued++;
    }
  }
  return { meanPrefillWaitMs: waitSum / total };
}
