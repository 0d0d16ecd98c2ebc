// Loads and validates GPU system files; the shipped ones plus any the user points at.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DATA_DIR, type Dtype, InvalidInputError, UnknownNameError } from '../common/index.js';
import { type SystemSpec, SystemSpecSchema } from './system-spec.js';

export const SHIPPED_SYSTEMS_DIR = join(DATA_DIR, 'systems');

/** Parse and validate one system file; errors name the file and the field. */
export function loadSystemFile(path: string): SystemSpec {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InvalidInputError(`${path}: not valid YAML (${(error as Error).message.split('\n')[0]})`);
  }
  const parsed = SystemSpecSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || '(top level)';
    throw new InvalidInputError(`${path}: field '${field}': ${issue.message}; fix the system file`);
  }
  const expected = basename(path).replace(/\.ya?ml$/, '');
  if (parsed.data.name !== expected) {
    throw new InvalidInputError(
      `${path}: field 'name' is '${parsed.data.name}' but the file is named '${expected}'`,
    );
  }
  return parsed.data;
}

function checkDir(dir: string): void {
  if (!existsSync(dir)) throw new InvalidInputError(`systems directory '${dir}' does not exist`);
  if (!statSync(dir).isDirectory()) {
    throw new InvalidInputError(
      `systems directory '${dir}' is a file; pass the folder that holds the system YAML files`,
    );
  }
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .filter((file) => /\.ya?ml$/.test(file));
}

/** Every known system: shipped ones, then each extra directory (later ones override by name). */
export class SystemRegistry {
  /** A parsed spec, or the path of a shipped file not parsed yet (its name is its file name). */
  private readonly systems = new Map<string, SystemSpec | string>();

  constructor(extraDirs: readonly string[] = []) {
    // Shipped files are parsed when asked for (a command uses one or two of them; tests check
    // every one); a user's folder is checked whole up front, so a broken file is found at once.
    checkDir(SHIPPED_SYSTEMS_DIR);
    for (const file of yamlFiles(SHIPPED_SYSTEMS_DIR)) {
      this.systems.set(file.replace(/\.ya?ml$/, ''), join(SHIPPED_SYSTEMS_DIR, file));
    }
    for (const dir of extraDirs) {
      checkDir(dir);
      for (const file of yamlFiles(dir)) {
        const spec = loadSystemFile(join(dir, file));
        this.systems.set(spec.name, spec);
      }
    }
  }

  names(): string[] {
    return [...this.systems.keys()].sort();
  }

  list(): SystemSpec[] {
    return this.names().map((n) => this.get(n));
  }

  get(name: string): SystemSpec {
    const entry = this.systems.get(name);
    if (entry === undefined) {
      throw new UnknownNameError('system', name, this.names(), 'add one with --systems-dir DIR');
    }
    if (typeof entry !== 'string') return entry;
    const spec = loadSystemFile(entry);
    this.systems.set(name, spec);
    return spec;
  }
}

/** Formats meant for low-precision tensor cores (the weight-only formats are W4A16 everywhere). */
const LOW_PRECISION_MMA: ReadonlySet<Dtype> = new Set(['fp8', 'fp8_block', 'nvfp4', 'int8']);

/**
 * A low-precision format the GPU has no tensor cores for, so `tensorFlopsPerS` prices it at the
 * 16-bit rate, as engines run it there (weight-only): worth a warning when a deployment uses one.
 */
export function weightOnlyOn(system: SystemSpec, dtype: Dtype): boolean {
  return (
    LOW_PRECISION_MMA.has(dtype) &&
    tensorFlopsPerS(system, dtype) === system.gpu.tensor_flops_per_s['bfloat16']
  );
}

/** Dense tensor-core FLOP/s for a compute dtype; formats without tensor support fall back to bf16 rate. */
export function tensorFlopsPerS(system: SystemSpec, dtype: Dtype): number {
  const table = system.gpu.tensor_flops_per_s;
  const direct = table[dtype];
  if (direct !== undefined) return direct;
  // Weight-only formats dequantise to bf16 before the MMA (GPT-OSS's MXFP4 experts on Hopper are W4A16).
  if (dtype === 'int4_wo' || dtype === 'mxfp4' || dtype === 'float32') return table['bfloat16']!;
  // Without FP4 tensor cores (Hopper and older) engines run NVFP4 weight-only (e.g. vLLM's Marlin
  // kernels), dequantising to 16-bit math; block-scaled FP8 runs on FP8 tensor cores where there are any.
  if (dtype === 'fp8_block') return table['fp8'] ?? table['bfloat16']!;
  return table['bfloat16']!;
}

/** NCCL buffer memory reserved for a communicator of `gpus` ranks (nearest listed size at or below). */
export function ncclMemBytes(system: SystemSpec, gpus: number): number {
  const entries = Object.entries(system.memory.nccl_bytes_by_gpus)
    .map(([k, v]) => [Number(k), v] as const)
    .sort((a, b) => a[0] - b[0]);
  let best = 0;
  for (const [size, bytes] of entries) if (size <= gpus) best = bytes;
  return gpus <= 1 ? 0 : best;
}
