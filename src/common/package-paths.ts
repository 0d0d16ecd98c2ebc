// Locations inside the installed package; works from src/ (tests, tsx) and dist/ (built CLI) alike.
import { fileURLToPath } from 'node:url';

/** Root of the inferplan package (the folder holding package.json, data/, workers/). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Folder with the shipped data (systems, models, embedded perf database). */
export const DATA_DIR = fileURLToPath(new URL('../../data/', import.meta.url));
