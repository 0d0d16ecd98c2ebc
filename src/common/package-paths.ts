// Locations inside the installed package. Works from src/ (tests, tsx), dist/ (tsc output) and
// the single-file bundle alike: walk up from this module to the folder holding our package.json.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(start: string): string {
  let dir = start;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'inferplan')
          return dir;
      } catch {
        // An unreadable manifest is not ours; keep walking.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`inferplan: cannot find the package root above ${start}`);
    dir = parent;
  }
}

/** Root of the inferplan package (the folder holding package.json, data/, workers/). */
export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** Folder with the shipped data (systems, models, embedded perf database). */
export const DATA_DIR = join(PACKAGE_ROOT, 'data');
