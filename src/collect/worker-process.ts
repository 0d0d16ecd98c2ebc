// One worker process on one GPU (or on all of them, for collectives): spawn, wait for hello,
// send a case, wait for its answer with a timeout, and kill the whole process group if needed.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { makeFoldersSync } from '../common/index.js';
import {
  parseWorkerLine,
  type RunRequest,
  type WorkerError,
  type WorkerHello,
  type WorkerMessage,
  type WorkerResult,
} from './worker-protocol.js';

/** NVLink multicast stays off in every process we start (it can take shared GPUs out of service). */
export const SAFE_GPU_ENV: Readonly<Record<string, string>> = {
  NCCL_NVLS_ENABLE: '0',
  TORCH_SYMM_MEM_DISABLE_MULTICAST: '1',
  NVSHMEM_DISABLE_NVLS: '1',
};

export type CaseAnswer =
  | { readonly kind: 'result'; readonly result: WorkerResult }
  | { readonly kind: 'error'; readonly error: WorkerError }
  | { readonly kind: 'timeout'; readonly timeoutS: number }
  | { readonly kind: 'exited'; readonly code: number | null; readonly signal: string | null };

export interface WorkerSpawnOptions {
  readonly command: readonly string[];
  /** CUDA_VISIBLE_DEVICES for this worker ('' leaves the variable alone). */
  readonly visibleDevices: string;
  readonly logPath?: string;
  readonly helloTimeoutS: number;
  readonly extraEnv?: Readonly<Record<string, string>>;
}

export class WorkerProcess {
  private readonly child: ChildProcess;
  private readonly log: WriteStream | undefined;
  private pending: ((message: WorkerMessage | 'exit') => void) | undefined;
  private readonly queue: WorkerMessage[] = [];
  private exitInfo: { code: number | null; signal: string | null } | undefined;
  garbageLines = 0;
  casesRun = 0;

  private constructor(options: WorkerSpawnOptions) {
    const [cmd, ...args] = options.command;
    if (!cmd) throw new Error('empty worker command');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...SAFE_GPU_ENV,
      PYTHONUNBUFFERED: '1',
      ...options.extraEnv,
    };
    if (options.visibleDevices !== '') env['CUDA_VISIBLE_DEVICES'] = options.visibleDevices;
    if (options.logPath) {
      makeFoldersSync(dirname(options.logPath));
      this.log = createWriteStream(options.logPath, { flags: 'a' });
    }
    // detached: the worker leads its own process group, so a kill reaches its NCCL helper ranks too.
    this.child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child.stdin?.on('error', () => {});
    this.child.stderr?.on('data', (chunk: Buffer) => this.log?.write(chunk));
    const lines = createInterface({ input: this.child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      const message = parseWorkerLine(line);
      if (!message) {
        if (line.trim()) {
          this.garbageLines++;
          this.log?.write(`[inferplan] garbage on stdout: ${line.slice(0, 300)}\n`);
        }
        return;
      }
      this.deliver(message);
    });
    this.child.on('close', (code, signal) => {
      this.exitInfo = { code, signal };
      const waiter = this.pending;
      this.pending = undefined;
      waiter?.('exit');
    });
    this.child.on('error', (error) => {
      this.log?.write(`[inferplan] spawn error: ${error.message}\n`);
      this.exitInfo = { code: null, signal: 'spawn-error' };
      const waiter = this.pending;
      this.pending = undefined;
      waiter?.('exit');
    });
  }

  private deliver(message: WorkerMessage): void {
    const waiter = this.pending;
    if (waiter) {
      this.pending = undefined;
      waiter(message);
    } else this.queue.push(message);
  }

  private next(timeoutMs: number): Promise<WorkerMessage | 'exit' | 'timeout'> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.exitInfo) return Promise.resolve('exit');
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        resolve('timeout');
      }, timeoutMs);
      this.pending = (message) => {
        clearTimeout(timer);
        resolve(message);
      };
    });
  }

  /** Start a worker and wait for its hello; undefined hello means it failed to start. */
  static async start(
    options: WorkerSpawnOptions,
  ): Promise<{ worker: WorkerProcess; hello?: WorkerHello; failure?: string }> {
    const worker = new WorkerProcess(options);
    const deadline = Date.now() + options.helloTimeoutS * 1000;
    for (;;) {
      const message = await worker.next(Math.max(1, deadline - Date.now()));
      if (message === 'timeout') {
        worker.kill();
        return { worker, failure: `no hello within ${options.helloTimeoutS} s` };
      }
      if (message === 'exit') return { worker, failure: `exited before hello (${worker.describeExit()})` };
      if (message.type === 'hello') return { worker, hello: message };
      if (message.type === 'error') {
        worker.kill();
        return { worker, failure: `${message.error_type}: ${message.message}` };
      }
    }
  }

  describeExit(): string {
    if (!this.exitInfo) return 'running';
    return this.exitInfo.signal ? `signal ${this.exitInfo.signal}` : `exit code ${this.exitInfo.code}`;
  }

  get alive(): boolean {
    return this.exitInfo === undefined;
  }

  async runCase(request: RunRequest, timeoutS: number): Promise<CaseAnswer> {
    this.casesRun++;
    if (!this.alive) return { kind: 'exited', ...this.exitSummary() };
    this.child.stdin?.write(`${JSON.stringify(request)}\n`);
    const deadline = Date.now() + timeoutS * 1000;
    for (;;) {
      const message = await this.next(Math.max(1, deadline - Date.now()));
      if (message === 'timeout') {
        this.kill();
        return { kind: 'timeout', timeoutS };
      }
      if (message === 'exit') return { kind: 'exited', ...this.exitSummary() };
      // Answers for another case (a stale line) are ignored: completion is keyed by case id.
      if (message.type === 'result' && message.case_id === request.case_id)
        return { kind: 'result', result: message };
      if (message.type === 'error' && (message.case_id === request.case_id || message.case_id === null))
        return { kind: 'error', error: message };
    }
  }

  private exitSummary(): { code: number | null; signal: string | null } {
    return this.exitInfo ?? { code: null, signal: null };
  }

  kill(): void {
    if (this.child.pid !== undefined && this.exitInfo === undefined) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        this.child.kill('SIGKILL');
      }
    }
  }

  /** Ask for a clean exit; kill if it does not leave within graceS. */
  async shutdown(graceS = 10): Promise<void> {
    if (!this.alive) return this.closeLog();
    this.child.stdin?.write(`${JSON.stringify({ type: 'shutdown' })}\n`);
    this.child.stdin?.end();
    const exited = new Promise<void>((resolve) => this.child.once('close', () => resolve()));
    const timer = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), graceS * 1000).unref());
    if ((await Promise.race([exited.then(() => 'ok' as const), timer])) === 'late') this.kill();
    this.closeLog();
  }

  private closeLog(): void {
    this.log?.end();
  }
}
