// A disk cache of decoded perf tables: parsing a large parquet or CSV table (and dropping its
// duplicate keys) costs about a second per command on aiconfigurator's data; reading the same
// table back from our binary format costs a few milliseconds. Best effort: any cache problem
// falls back to decoding the source, and a source that changes (size or mtime) misses the cache.
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeFileAtomicSync } from '../common/index.js';
import { BINARY_FORMAT_VERSION, encodeBinaryTable, readBinaryTable } from './binary-format.js';
import type { PerfTable } from './perf-table.js';
import type { TableName } from './table-schemas.js';

/**
 * Bump when what `buildPerfTable` makes of a source file changes (parsing, defaults, duplicate
 * handling): entries written by older code are then ignored.
 */
const TABLE_BUILD_VERSION = 1;

/** Where cached tables live, or undefined when caching is off (INFERPLAN_CACHE=off). */
export function tableCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env['INFERPLAN_CACHE'] === 'off') return undefined;
  if (env['INFERPLAN_CACHE_DIR']) return env['INFERPLAN_CACHE_DIR'];
  const base = env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(base, 'inferplan', 'tables');
}

function cachePath(dir: string, file: string, table: TableName): string | undefined {
  let size: number;
  let mtimeMs: number;
  try {
    ({ size, mtimeMs } = statSync(file));
  } catch {
    return undefined;
  }
  const key = [
    resolve(file),
    table,
    size,
    Math.floor(mtimeMs),
    BINARY_FORMAT_VERSION,
    TABLE_BUILD_VERSION,
  ].join('\0');
  return join(dir, `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.ipdb`);
}

/** The table decoded from `file`, from the cache when an entry for this exact file is there. */
export async function cachedTable(
  file: string,
  table: TableName,
  format: 'csv' | 'parquet',
  decode: () => Promise<PerfTable> | PerfTable,
): Promise<PerfTable> {
  const dir = tableCacheDir();
  const path = dir ? cachePath(dir, file, table) : undefined;
  if (path && existsSync(path)) {
    try {
      const hit = readBinaryTable(path, table);
      // Messages and provenance name the source file, not the cache entry.
      return { ...hit, source: { file, format } };
    } catch {
      // A damaged or foreign entry: decode the source and write the entry again.
    }
  }
  const decoded = await decode();
  if (path) {
    try {
      const provenance = {
        importedFrom: resolve(file),
        sourceFormat: format,
        importedAt: new Date().toISOString(),
        tool: 'inferplan table cache',
      };
      writeFileAtomicSync(path, encodeBinaryTable(decoded, provenance, 'none'));
    } catch {
      // A read-only or full disk only costs the next command the decode again.
    }
  }
  return decoded;
}
