// Flags of the searching commands (default, recommend) checked once, with one message each.
import { UsageError } from '../common/index.js';
import { OBJECTIVES, type Objective, type SearchMode } from '../search/index.js';

/** --serving-mode: agg, disagg or both. */
export function parseServingModes(value: string): SearchMode[] {
  if (value === 'both') return ['agg', 'disagg'];
  if (value === 'agg' || value === 'disagg') return [value];
  throw new UsageError(`--serving-mode must be agg, disagg or both, got '${value}'`);
}

/** --objective: what "best" maximises. */
export function parseObjective(value: string): Objective {
  if (!(OBJECTIVES as readonly string[]).includes(value)) {
    throw new UsageError(`--objective must be one of ${OBJECTIVES.join(', ')}, got '${value}'`);
  }
  return value as Objective;
}
