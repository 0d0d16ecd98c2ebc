// Progress per op on stderr: cli-progress bars on a TTY, a plain line every few seconds otherwise.
import cliProgress from 'cli-progress';
import type { CampaignEvent } from './campaign.js';

interface OpCounter {
  total: number;
  alreadyDone: number;
  done: number;
  failed: number;
  startedAt: number;
}

export interface ProgressDisplay {
  readonly onEvent: (event: CampaignEvent) => void;
  stop(): void;
}

const fmtEta = (seconds: number): string =>
  !Number.isFinite(seconds)
    ? '?'
    : seconds >= 3600
      ? `${(seconds / 3600).toFixed(1)}h`
      : seconds >= 60
        ? `${Math.round(seconds / 60)}m`
        : `${Math.round(seconds)}s`;

export function createProgressDisplay(
  stream: NodeJS.WriteStream = process.stderr,
  plainIntervalMs = 10_000,
  now: () => number = Date.now,
): ProgressDisplay {
  const counters = new Map<string, OpCounter>();
  const isTty = Boolean(stream.isTTY);
  const multibar = isTty
    ? new cliProgress.MultiBar(
        {
          stream,
          format: '{op} [{bar}] {value}/{total} failed {failed} | {rate}/s | ETA {eta_formatted}',
          hideCursor: true,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  const bars = new Map<string, cliProgress.SingleBar>();
  let lastPlain = 0;

  const line = (op: string, c: OpCounter): string => {
    const finished = c.done + c.failed;
    const elapsedS = (now() - c.startedAt) / 1000;
    const rate = elapsedS > 0 ? finished / elapsedS : 0;
    const remaining = c.total - c.alreadyDone - finished;
    return `${op}: ${c.alreadyDone + finished}/${c.total} (failed ${c.failed}, ${rate.toFixed(1)}/s, ETA ${fmtEta(rate > 0 ? remaining / rate : Number.NaN)})`;
  };

  const plain = (force: boolean): void => {
    if (isTty) return;
    if (!force && now() - lastPlain < plainIntervalMs) return;
    lastPlain = now();
    const parts = [...counters].map(([op, c]) => line(op, c));
    if (parts.length) stream.write(`[collect] ${parts.join(' | ')}\n`);
  };

  return {
    onEvent: (event) => {
      if (event.type === 'worker') {
        if (multibar) multibar.log(`${event.gpu}: ${event.message}\n`);
        else stream.write(`[collect] gpu ${event.gpu}: ${event.message}\n`);
        return;
      }
      if (event.type === 'plan') {
        counters.set(event.op, {
          total: event.total,
          alreadyDone: event.alreadyDone,
          done: 0,
          failed: 0,
          startedAt: now(),
        });
        if (multibar)
          bars.set(
            event.op,
            multibar.create(event.total, event.alreadyDone, {
              op: event.op.padEnd(20),
              failed: 0,
              rate: '0.0',
            }),
          );
        else
          stream.write(
            `[collect] ${event.op}: ${event.total} cases planned, ${event.alreadyDone} already done\n`,
          );
        return;
      }
      const c = counters.get(event.op);
      if (!c || event.outcome === 'retry') return;
      if (event.outcome === 'done') c.done++;
      else c.failed++;
      const bar = bars.get(event.op);
      if (bar) {
        const elapsedS = (now() - c.startedAt) / 1000;
        bar.update(c.alreadyDone + c.done + c.failed, {
          failed: c.failed,
          rate: elapsedS > 0 ? ((c.done + c.failed) / elapsedS).toFixed(1) : '0.0',
        });
      }
      plain(false);
    },
    stop: () => {
      multibar?.stop();
      plain(true);
    },
  };
}
