// Collector provenance: git sha of the checkout and a hash of the worker code that measured.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../common/index.js';

export const COLLECTOR_VERSION = '1';

export function workerDir(): string {
  return join(PACKAGE_ROOT, 'workers', 'torch');
}

export function defaultWorkerCommand(): string[] {
  return [process.env['INFERPLAN_PYTHON'] ?? 'python3', join(workerDir(), 'worker.py')];
}

/** INFERPLAN_GIT_SHA wins (a checkout copied without .git); 'unknown' when neither works. */
export function collectorGitSha(): string {
  const fromEnv = process.env['INFERPLAN_GIT_SHA'];
  if (fromEnv) return fromEnv;
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: PACKAGE_ROOT,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
  } catch {
    return 'unknown';
  }
}

export function collectorCodeHash(): string {
  const hash = createHash('sha256').update(`collector ${COLLECTOR_VERSION}\n`);
  const dir = workerDir();
  if (existsSync(dir))
    for (const name of readdirSync(dir)
      .filter((n) => n.endsWith('.py'))
      .sort())
      hash.update(`${name}\n`).update(readFileSync(join(dir, name)));
  return hash.digest('hex').slice(0, 16);
}
