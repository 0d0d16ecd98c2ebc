// Regenerates data/models/ from a directory of Hugging Face configs:
//   npx tsx scripts/build-model-catalog.ts <config-dir> [out-dir (default data/models)]
// Config files are named `<org>--<name>_config.json` (+ `_hf_quant_config.json`). The output
// is our own compact facts, one file per model, plus unsupported.json with the reasons.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR, InferplanError, writeDirAtomic } from '../src/common/index.js';
import { buildCatalog, catalogFileName, formatCatalogJson } from '../src/models/catalog-builder.js';

async function main(args: readonly string[]): Promise<number> {
  const [configDir, outDir = join(DATA_DIR, 'models')] = args;
  if (!configDir) {
    process.stderr.write('usage: tsx scripts/build-model-catalog.ts <config-dir> [out-dir]\n');
    return 2;
  }
  const built = buildCatalog(configDir);
  await writeDirAtomic(outDir, async (staging) => {
    for (const entry of built.entries) {
      writeFileSync(join(staging, catalogFileName(entry.spec.id)), formatCatalogJson(entry));
    }
    writeFileSync(join(staging, 'unsupported.json'), formatCatalogJson(built.unsupported));
  });
  process.stdout.write(`wrote ${built.entries.length} models and ${built.unsupported.length} unsupported to ${outDir}\n`);
  for (const u of built.unsupported) process.stdout.write(`  unsupported ${u.id} (${u.hfArchitecture}): ${u.reason}\n`);
  for (const f of built.failed) process.stdout.write(`  FAILED ${f}\n`);
  return built.failed.length > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof InferplanError ? error.message : String(error)}\n`);
    process.exit(error instanceof InferplanError ? error.exitCode : 1);
  },
);
