// Finds perf tables on disk in either aiconfigurator layout (legacy `<system>/<backend>/<version>/`,
// current `<system>/<family>/<backend>/<version>/`) and in our own embedded layout (legacy shape,
// `.ipdb` files), honouring `reuse.yaml` version aliases. Reads directory listings only.
import { type Dirent, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InvalidInputError } from '../common/index.js';
import { FAMILIES, type PerfFileFormat, type TableName, tableNameOfFile } from './table-schemas.js';
import { sortVersions } from './version-order.js';

export interface TableFileRef {
  readonly table: TableName;
  readonly file: string;
  readonly format: PerfFileFormat;
  /** Set when this version has the table through a reuse.yaml alias: the version that holds it. */
  readonly reusedFrom?: string;
}

/** backend -> version -> table -> file. */
export type BackendCatalog = Map<string, Map<string, Map<TableName, TableFileRef>>>;

export interface PerfCatalog {
  readonly root: string;
  /** system -> backend catalog. */
  readonly systems: ReadonlyMap<string, BackendCatalog>;
  /** Files that look like perf tables we do not model (wideep_*, ...), for `db ls`. */
  readonly ignoredFiles: readonly string[];
}

/** Backend name under which NCCL tables are filed (they version with NCCL, not with a framework). */
export const NCCL_BACKEND = 'nccl';

const FORMAT_PREFERENCE: Readonly<Record<PerfFileFormat, number>> = { ipdb: 3, parquet: 2, csv: 1 };

const ReuseFileSchema = z.union([
  z.object({ reuse: z.string() }).strict(),
  z.object({ reuse: z.record(z.string(), z.string()) }).strict(),
  z.record(z.string(), z.union([z.string(), z.number()])),
]);

/**
 * A folder's entries, or none where it cannot be read: a perf data root may be any folder, and an
 * unreadable corner of it (permissions, a dangling link) holds no tables rather than stopping the scan.
 */
function readEntries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** Whether a link resolves to a folder or a file (false when it dangles or cannot be read). */
function isLinkTo(path: string, kind: 'dir' | 'file'): boolean {
  try {
    const target = statSync(path);
    return kind === 'dir' ? target.isDirectory() : target.isFile();
  } catch {
    return false;
  }
}

function listDirs(dir: string): string[] {
  return readEntries(dir)
    .filter(
      (e) =>
        !e.name.startsWith('.') &&
        (e.isDirectory() || (e.isSymbolicLink() && isLinkTo(join(dir, e.name), 'dir'))),
    )
    .map((e) => e.name)
    .sort();
}

/** Read a reuse.yaml: `{reuse: X}` at version level, or a map `version: X` (optionally under `reuse:`) at backend level. */
function readReuse(file: string, versionLevel: boolean): Map<string, string> | string {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new InvalidInputError(`${file}: not valid YAML (${(error as Error).message.split('\n')[0]})`);
  }
  const parsed = ReuseFileSchema.safeParse(raw);
  if (!parsed.success)
    throw new InvalidInputError(
      `${file}: expected 'reuse: <version>' (in a version folder) or '<version>: <other version>' lines`,
    );
  const data = parsed.data as Record<string, unknown>;
  if (typeof data['reuse'] === 'string') {
    if (!versionLevel)
      throw new InvalidInputError(
        `${file}: 'reuse: <version>' belongs in a version folder; here map '<version>: <other>'`,
      );
    return data['reuse'];
  }
  const map = (typeof data['reuse'] === 'object' ? data['reuse'] : data) as Record<string, unknown>;
  return new Map(Object.entries(map).map(([k, v]) => [k, String(v)]));
}

function scanBackendDir(dir: string, backend: string, into: BackendCatalog, ignored: string[]): void {
  const versions = into.get(backend) ?? new Map<string, Map<TableName, TableFileRef>>();
  const aliases = new Map<string, string>();
  const backendReuse = join(dir, 'reuse.yaml');
  if (existsSync(backendReuse)) {
    const map = readReuse(backendReuse, false);
    if (map instanceof Map) for (const [v, target] of map) aliases.set(v, target);
  }
  const found = new Map<string, Map<TableName, TableFileRef>>();
  for (const version of listDirs(dir)) {
    const versionDir = join(dir, version);
    const tables = new Map<TableName, TableFileRef>();
    const files = readEntries(versionDir).filter(
      (e) => e.isFile() || (e.isSymbolicLink() && isLinkTo(join(versionDir, e.name), 'file')),
    );
    for (const file of files.map((e) => e.name).sort()) {
      const parsed = tableNameOfFile(file);
      if (!parsed) {
        if (/_perf\.(txt|csv|parquet)$/.test(file)) ignored.push(join(versionDir, file));
        continue;
      }
      const existing = tables.get(parsed.table);
      if (!existing || FORMAT_PREFERENCE[parsed.format] > FORMAT_PREFERENCE[existing.format])
        tables.set(parsed.table, {
          table: parsed.table,
          file: join(versionDir, file),
          format: parsed.format,
        });
    }
    const versionReuse = join(versionDir, 'reuse.yaml');
    if (existsSync(versionReuse)) {
      const target = readReuse(versionReuse, true);
      if (typeof target === 'string') aliases.set(version, target);
    }
    found.set(version, tables);
  }
  for (const [version, tables] of found) {
    if (tables.size > 0) versions.set(version, new Map([...(versions.get(version) ?? []), ...tables]));
  }
  // Aliases fill in tables a version lacks from the version it names (one hop, within this folder).
  for (const [version, target] of aliases) {
    const source = found.get(target);
    if (!source || source.size === 0)
      throw new InvalidInputError(
        `${join(dir, 'reuse.yaml')}: version '${version}' reuses '${target}', which has no tables here; ` +
          `known: ${sortVersions([...found.keys()].filter((v) => (found.get(v)?.size ?? 0) > 0)).join(', ') || '(none)'}`,
      );
    const tables = versions.get(version) ?? new Map<TableName, TableFileRef>();
    for (const [name, ref] of source) if (!tables.has(name)) tables.set(name, { ...ref, reusedFrom: target });
    versions.set(version, tables);
  }
  if (versions.size > 0) into.set(backend, versions);
}

/**
 * Scan a perf data root (an aiconfigurator `systems/data` folder, or ours). `source` names where
 * the path came from in errors: the flag by default, or a file's field (exp's `perf_data`).
 */
export function scanPerfData(root: string, source = '--perf-data'): PerfCatalog {
  if (!existsSync(root))
    throw new InvalidInputError(
      `${source} '${root}' does not exist; point it at an existing perf data folder`,
    );
  if (!statSync(root).isDirectory())
    throw new InvalidInputError(
      `${source} '${root}' is a file, not a folder; point it at the folder that holds <system>/<backend>/<version>/ tables`,
    );
  const systems = new Map<string, BackendCatalog>();
  const ignored: string[] = [];
  for (const system of listDirs(root)) {
    const systemDir = join(root, system);
    const backends: BackendCatalog = new Map();
    for (const child of listDirs(systemDir)) {
      if ((FAMILIES as readonly string[]).includes(child)) {
        for (const backend of listDirs(join(systemDir, child)))
          scanBackendDir(join(systemDir, child, backend), backend, backends, ignored);
      } else {
        scanBackendDir(join(systemDir, child), child, backends, ignored);
      }
    }
    if (backends.size > 0) systems.set(system, backends);
  }
  return { root, systems, ignoredFiles: ignored };
}
