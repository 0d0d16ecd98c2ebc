// Waiting time in a queue of c identical servers with Poisson arrivals (Erlang C), corrected for
// deterministic service times (Allen-Cunneen: half the M/M/c wait). Used for disaggregated prefill.

/** Probability an arrival waits in an M/M/c queue with offered load a = lambda / mu (a < c). */
export function erlangC(servers: number, offeredLoad: number): number {
  if (offeredLoad <= 0) return 0;
  if (offeredLoad >= servers) return 1;
  // Erlang B by its stable recurrence, then C from B.
  let b = 1;
  for (let k = 1; k <= servers; k++) b = (offeredLoad * b) / (k + offeredLoad * b);
  const rho = offeredLoad / servers;
  return b / (1 - rho + rho * b);
}

/** Mean wait before service, same time unit as `serviceTime`. */
export function meanWaitMdc(servers: number, arrivalRate: number, serviceTime: number): number {
  const c = Math.max(1, Math.round(servers));
  const offered = arrivalRate * serviceTime;
  const rho = offered / c;
  if (rho >= 0.999) return Infinity;
  const pWait = erlangC(c, offered);
  const waitMmc = (pWait * serviceTime) / (c * (1 - rho));
  return waitMmc / 2;
}
