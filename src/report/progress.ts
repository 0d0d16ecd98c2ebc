// A progress bar with rate and ETA on a TTY; silent when output is piped or quiet is asked.
import cliProgress from 'cli-progress';

export interface Progress {
  /** Set the absolute position (and the total, which may grow as work is discovered). */
  update(done: number, total?: number): void;
  stop(): void;
}

export interface ProgressOptions {
  readonly label: string;
  readonly total: number;
  /** Default process.stderr. */
  readonly stream?: NodeJS.WriteStream;
  /** Force on/off; default: on when the stream is a TTY. */
  readonly enabled?: boolean;
  /** Injectable clock (ms) for the rate. */
  readonly nowMs?: () => number;
  /** Unit shown with the rate, e.g. 'configs'. */
  readonly unit?: string;
}

const SILENT: Progress = { update: () => {}, stop: () => {} };

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  if (!(options.enabled ?? stream.isTTY === true)) return SILENT;
  const now = options.nowMs ?? (() => performance.now());
  const unit = options.unit ?? 'items';
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${options.label} [{bar}] {percentage}% | {value}/{total} | {rate} ${unit}/s | ETA {eta_formatted}`,
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
      fps: 10,
    },
    cliProgress.Presets.legacy,
  );
  const started = now();
  let stopped = false;
  bar.start(Math.max(1, options.total), 0, { rate: '0' });
  return {
    update(done: number, total?: number) {
      if (stopped) return;
      if (total !== undefined) bar.setTotal(Math.max(1, total));
      const seconds = (now() - started) / 1000;
      bar.update(done, { rate: seconds > 0 ? (done / seconds).toFixed(0) : '0' });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
