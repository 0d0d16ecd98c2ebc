// `inferplan db ...`: list, query, validate, import and export perf data. Parse -> call perfdb -> render.
import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import {
  DTYPES,
  type Dtype,
  InvalidInputError,
  UnknownNameError,
  UsageError,
  ValidationFailedError,
} from '../common/index.js';
import { SystemRegistry } from '../hardware/index.js';
import {
  COMM_OPS,
  DATABASE_MODES,
  type DatabaseMode,
  ELEMENTWISE_OPS,
  exportPerfDataCsv,
  importPerfData,
  listPerfData,
  MOE_DISTRIBUTIONS,
  OP_KINDS,
  type OpKind,
  type OpQuery,
  openPerfDatabase,
  scanPerfDataDir,
  validatePerfData,
} from '../perfdb/index.js';
import { createProgress, renderTable } from '../report/index.js';
import { type GlobalOptions, printJson } from './run-command.js';

/** Long kernel names (TRT-LLM plugin paths) would make the table unreadable; --json has them whole. */
function shorten(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 3)}...`;
}

function pick<T extends string>(kind: string, flag: string, value: string, known: readonly T[]): T {
  if ((known as readonly string[]).includes(value)) return value as T;
  throw new UnknownNameError(kind, value, known, `pass one with ${flag}`);
}

/**
 * Numeric shape flag, required unless a default is given. Sizes must be positive (a zero-sized
 * op has no latency to look up); `zeroOk` flags use 0 as "none" or "same as" (prefix, window, kv heads).
 */
function intFlag(
  options: Record<string, unknown>,
  key: string,
  flag: string,
  fallback?: number,
  zeroOk = false,
): number {
  const raw = options[key];
  if (raw === undefined) {
    if (fallback !== undefined) return fallback;
    throw new UsageError(`missing ${flag} <n> for this table`);
  }
  const parsed = z.coerce
    .number()
    .int()
    .min(zeroOk ? 0 : 1)
    .safeParse(raw);
  if (!parsed.success)
    throw new UsageError(
      `${flag} must be a ${zeroOk ? 'non-negative' : 'positive'} integer, got '${String(raw)}'`,
    );
  return parsed.data;
}

/**
 * The folder argument of validate / import / export: these take it positionally, so a missing
 * one must not be reported as a --perf-data problem.
 */
function sourceFolder(command: string, dir: string, what = '<dir>'): string {
  if (!existsSync(dir))
    throw new InvalidInputError(
      `db ${command}: ${what} '${dir}' does not exist; pass an existing perf data folder`,
    );
  if (!statSync(dir).isDirectory())
    throw new InvalidInputError(
      `db ${command}: ${what} '${dir}' is a file, not a folder; pass the folder that holds <system>/<backend>/<version>/ tables`,
    );
  return dir;
}

function buildQuery(kind: OpKind, o: Record<string, unknown>): OpQuery {
  const dtype = (flag = '--dtype', key = 'dtype', fallback: Dtype = 'bfloat16'): Dtype =>
    pick('dtype', flag, String(o[key] ?? fallback), DTYPES);
  const i = (key: string, flag: string, fallback?: number) => intFlag(o, key, flag, fallback);
  const i0 = (key: string, flag: string, fallback: number) => intFlag(o, key, flag, fallback, true);
  switch (kind) {
    case 'gemm':
      return { kind, dtype: dtype(), m: i('m', '--m'), n: i('n', '--n'), k: i('k', '--k') };
    case 'context_attention':
      return {
        kind,
        batchSize: i('batch', '--batch', 1),
        isl: i('isl', '--isl'),
        prefix: i0('prefix', '--prefix', 0),
        numHeads: i('heads', '--heads'),
        numKvHeads: i0('kvHeads', '--kv-heads', 0),
        headDim: i('headDim', '--head-dim', 128),
        windowSize: i0('window', '--window', 0),
        attnDtype: dtype(),
        kvCacheDtype: dtype('--kv-dtype', 'kvDtype', dtype()),
      };
    case 'generation_attention':
      return {
        kind,
        batchSize: i('batch', '--batch', 1),
        kvLen: i('kvLen', '--kv-len'),
        numHeads: i('heads', '--heads'),
        numKvHeads: i0('kvHeads', '--kv-heads', 0),
        headDim: i('headDim', '--head-dim', 128),
        windowSize: i0('window', '--window', 0),
        kvCacheDtype: dtype('--kv-dtype', 'kvDtype'),
      };
    case 'context_mla':
      return {
        kind,
        batchSize: i('batch', '--batch', 1),
        isl: i('isl', '--isl'),
        prefix: i0('prefix', '--prefix', 0),
        numHeads: i('heads', '--heads'),
        mlaDtype: dtype(),
        kvCacheDtype: dtype('--kv-dtype', 'kvDtype', dtype()),
      };
    case 'generation_mla':
      return {
        kind,
        batchSize: i('batch', '--batch', 1),
        kvLen: i('kvLen', '--kv-len'),
        numHeads: i('heads', '--heads'),
        kvCacheDtype: dtype('--kv-dtype', 'kvDtype'),
      };
    case 'mla_bmm':
      return {
        kind,
        phase: pick('phase', '--phase', String(o['phase'] ?? 'pre'), ['pre', 'post'] as const),
        dtype: dtype(),
        numTokens: i('tokens', '--tokens'),
        numHeads: i('heads', '--heads'),
      };
    case 'moe':
      return {
        kind,
        dtype: dtype(),
        numTokens: i('tokens', '--tokens'),
        hiddenSize: i('hidden', '--hidden'),
        interSize: i('inter', '--inter'),
        topk: i('topk', '--topk'),
        numExperts: i('experts', '--experts'),
        moeTp: i('moeTp', '--moe-tp', 1),
        moeEp: i('moeEp', '--moe-ep', 1),
        distribution: pick(
          'distribution',
          '--distribution',
          String(o['distribution'] ?? 'balanced'),
          MOE_DISTRIBUTIONS,
        ),
      };
    case 'comm':
      return {
        kind,
        op: pick('comm op', '--op', String(o['op'] ?? 'all_reduce'), COMM_OPS),
        dtype: dtype(),
        numGpus: i('gpus', '--gpus'),
        messageElements: i('elements', '--elements'),
      };
    case 'elementwise':
      return {
        kind,
        op: pick('elementwise op', '--op', String(o['op'] ?? ''), ELEMENTWISE_OPS),
        dtype: dtype(),
        numTokens: i('tokens', '--tokens'),
        width: i('width', '--width'),
      };
  }
}

export function registerDbCommand(program: Command, globals: () => GlobalOptions): void {
  const db = program.command('db').description('inspect, query, validate, import and export perf data');

  db.command('ls')
    .description('systems x backends x versions x tables with row counts and kernel sources')
    .option('--perf-data <dir>', 'perf data folder (default: the embedded database)')
    .action(async (options: { perfData?: string }) => {
      if (options.perfData) sourceFolder('ls', options.perfData, '--perf-data');
      const entries = await listPerfData(options.perfData);
      if (globals().json) {
        printJson(entries);
        return;
      }
      if (entries.length === 0) {
        process.stdout.write(`no perf data found${options.perfData ? ` in ${options.perfData}` : ''}\n`);
        return;
      }
      const rows = entries.map((e) => [
        e.system,
        e.backend,
        e.version,
        e.table,
        String(e.rows),
        shorten(e.kernelSources.join(', '), 60),
        e.reusedFrom ? `${e.format} (reuses ${e.reusedFrom})` : e.format,
      ]);
      process.stdout.write(
        renderTable(['system', 'backend', 'version', 'table', 'rows', 'kernel sources', 'format'], rows),
      );
      const ignored = scanPerfDataDir(options.perfData).ignoredFiles;
      if (ignored.length > 0)
        process.stdout.write(
          `${ignored.length} perf file(s) of tables inferplan does not model were skipped (e.g. ${basename(ignored[0]!)})\n`,
        );
    });

  db.command('query')
    .description('latency of one op: provenance, SOL and % of SOL')
    .argument('<table>', `op kind: ${OP_KINDS.join(', ')} (nccl / custom_allreduce = comm)`)
    .requiredOption('--system <name>', 'GPU system (see inferplan systems)')
    .requiredOption('--backend <name>', 'backend (vllm, sglang, trtllm, torch, ...)')
    .option('--version <v>', 'backend version (default: newest available)')
    .option('--perf-data <dir>', 'perf data folder (default: the embedded database)')
    .option('--systems-dir <dir...>', 'extra directories of system YAML files')
    .option('--database-mode <mode>', `one of ${DATABASE_MODES.join(', ')}`, 'silicon')
    .option('--dtype <dtype>', 'compute dtype (gemm_dtype, attn_dtype, moe_dtype, ...)')
    .option('--kv-dtype <dtype>', 'kv cache dtype')
    .option('--m <n>')
    .option('--n <n>')
    .option('--k <n>')
    .option('--batch <n>', 'batch size')
    .option('--isl <n>', 'new tokens per request (context)')
    .option('--prefix <n>', 'cached prefix tokens (context)')
    .option('--kv-len <n>', 'kv length (generation)')
    .option('--heads <n>', 'attention heads (per GPU)')
    .option('--kv-heads <n>', 'kv heads (0 = same as heads)')
    .option('--head-dim <n>')
    .option('--window <n>', 'sliding window (0 = full)')
    .option('--tokens <n>')
    .option('--hidden <n>')
    .option('--inter <n>')
    .option('--topk <n>')
    .option('--experts <n>')
    .option('--moe-tp <n>')
    .option('--moe-ep <n>')
    .option('--distribution <d>', MOE_DISTRIBUTIONS.join(', '))
    .option('--phase <p>', 'mla_bmm phase: pre or post')
    .option('--op <op>', `comm: ${COMM_OPS.join(', ')}; elementwise: ${ELEMENTWISE_OPS.join(', ')}`)
    .option('--gpus <n>')
    .option('--elements <n>', 'message size in elements')
    .option('--width <n>', 'elements per token (elementwise)')
    .action(async (tableArg: string, options: Record<string, unknown>) => {
      const kindName = tableArg === 'nccl' || tableArg === 'custom_allreduce' ? 'comm' : tableArg;
      const kind = pick('table', '<table>', kindName, OP_KINDS);
      const mode = pick(
        'database mode',
        '--database-mode',
        String(options['databaseMode']),
        DATABASE_MODES,
      ) as DatabaseMode;
      const query = buildQuery(kind, options);
      if (options['perfData']) sourceFolder('query', String(options['perfData']), '--perf-data');
      const system = new SystemRegistry((options['systemsDir'] as string[] | undefined) ?? []).get(
        String(options['system']),
      );
      const database = await openPerfDatabase({
        system,
        backend: String(options['backend']),
        ...(options['version'] ? { version: String(options['version']) } : {}),
        ...(options['perfData'] ? { perfDataDir: String(options['perfData']) } : {}),
        mode,
      });
      const result = database.query(query);
      const percentOfSol = result.latencyMs > 0 ? (100 * result.solMs) / result.latencyMs : 100;
      if (globals().json) {
        printJson({
          system: database.systemName,
          backend: database.backend,
          version: database.version,
          mode,
          query,
          latency_ms: result.latencyMs,
          sol_ms: result.solMs,
          sol_percent: percentOfSol,
          provenance: result.provenance,
          source: result.source,
          ...(result.powerW !== undefined ? { power_w: result.powerW } : {}),
        });
        return;
      }
      const rows = [
        ['database', `${database.systemName} / ${database.backend} / ${database.version} (${mode})`],
        ['latency', `${result.latencyMs.toPrecision(5)} ms`],
        ['provenance', result.provenance],
        ['SOL', `${result.solMs.toPrecision(5)} ms`],
        ['% of SOL', `${percentOfSol.toFixed(1)}%`],
        ['source', result.source],
      ];
      if (result.powerW !== undefined) rows.push(['power', `${result.powerW.toFixed(0)} W`]);
      process.stdout.write(renderTable(['', kind], rows));
    });

  db.command('validate')
    .description('quality gates over every table in a folder; non-zero exit on failure')
    .argument('<dir>', 'perf data folder')
    .option('--systems-dir <dir...>', 'extra directories of system YAML files')
    .action(async (dir: string, options: { systemsDir?: string[] }) => {
      const registry = new SystemRegistry(options.systemsDir ?? []);
      const known = new Set(registry.names());
      const report = await validatePerfData(sourceFolder('validate', dir), (name) =>
        known.has(name) ? registry.get(name) : undefined,
      );
      if (globals().json) printJson(report);
      else {
        const rows = report.tables.flatMap((t) =>
          t.results
            .filter((r) => r.status !== 'pass')
            .map((r) => [
              `${t.system}/${t.backend}/${t.version}`,
              t.table,
              r.gate,
              r.status.toUpperCase(),
              r.detail,
            ]),
        );
        const failed = report.tables.filter((t) => t.results.some((r) => r.status === 'fail')).length;
        if (rows.length)
          process.stdout.write(renderTable(['data', 'table', 'gate', 'status', 'detail'], rows));
        process.stdout.write(
          `${report.tables.length} table(s) checked: ${report.tables.length - failed} passed, ${failed} failed\n`,
        );
      }
      if (report.tables.length === 0) throw new ValidationFailedError(`no perf tables found in ${dir}`);
      if (!report.ok)
        throw new ValidationFailedError(`perf data in ${dir} failed quality gates (see the report above)`);
    });

  db.command('import')
    .description('convert aiconfigurator (or collector CSV) data into the embedded binary format')
    .argument('<dir>', 'source folder (either aiconfigurator layout, CSV or parquet)')
    .requiredOption('--out <dir>', 'destination folder (data/perf layout)')
    .option('--no-compress', 'store columns uncompressed (faster load, ~6x larger)')
    .action(async (dir: string, options: { out: string; compress: boolean }) => {
      const bar = createProgress({ label: 'import', unit: 'tables', total: 1 });
      const converted = await importPerfData(
        sourceFolder('import', dir),
        options.out,
        (done, total) => bar.update(done, total),
        options.compress ? 'gzip' : 'none',
      );
      bar.stop();
      if (globals().json) {
        printJson(converted);
        return;
      }
      const rows = converted.map((c) => [
        `${c.system}/${c.backend}/${c.version}`,
        c.table,
        String(c.rows),
        String(c.duplicateKeys),
        `${(c.bytes / 1024).toFixed(0)} KiB`,
      ]);
      process.stdout.write(renderTable(['data', 'table', 'rows', 'duplicates dropped', 'size'], rows));
      process.stdout.write(`${converted.length} table(s) written under ${options.out}\n`);
    });

  db.command('export')
    .description('write perf data back out as legacy-layout CSV (<table>_perf.txt)')
    .argument('<dir>', 'source folder')
    .requiredOption('--out <dir>', 'destination folder')
    .option('--format <format>', 'output format (csv)', 'csv')
    .action(async (dir: string, options: { out: string; format: string }) => {
      pick('export format', '--format', options.format, ['csv'] as const);
      const bar = createProgress({ label: 'export', unit: 'tables', total: 1 });
      const converted = await exportPerfDataCsv(sourceFolder('export', dir), options.out, (done, total) =>
        bar.update(done, total),
      );
      bar.stop();
      if (globals().json) printJson(converted);
      else process.stdout.write(`${converted.length} table(s) written as CSV under ${options.out}\n`);
    });
}
