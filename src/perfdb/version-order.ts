// Ordering of backend versions ("0.5.6.post2" < "0.5.9" < "1.2.0rc5" < "1.2.0") and nearest-version choice.

interface ParsedVersion {
  readonly release: number[];
  /** -1 pre-release (dev, a, b, rc), 0 release, 1 post-release. */
  readonly phase: number;
  readonly phaseNumber: number;
}

function parseVersion(version: string): ParsedVersion {
  const match = /^v?(\d+(?:\.\d+)*)(?:[.-]?(dev|a|alpha|b|beta|rc|post)\.?(\d*))?/i.exec(version);
  if (!match) return { release: [], phase: 0, phaseNumber: 0 };
  const tag = (match[2] ?? '').toLowerCase();
  return {
    release: match[1]!.split('.').map(Number),
    phase: tag === '' ? 0 : tag === 'post' ? 1 : -1,
    phaseNumber: Number(match[3] || 0),
  };
}

export function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  const length = Math.max(pa.release.length, pb.release.length);
  for (let i = 0; i < length; i++) {
    const diff = (pa.release[i] ?? 0) - (pb.release[i] ?? 0);
    if (diff !== 0) return diff;
  }
  if (pa.phase !== pb.phase) return pa.phase - pb.phase;
  if (pa.phaseNumber !== pb.phaseNumber) return pa.phaseNumber - pb.phaseNumber;
  return a.localeCompare(b);
}

export function sortVersions(versions: Iterable<string>): string[] {
  return [...versions].sort(compareVersions);
}

/** The newest of `versions` (undefined when there are none). */
export function newestVersion(versions: Iterable<string>): string | undefined {
  return sortVersions(versions).pop();
}

/**
 * How far `v` is from `wanted`: releases that agree on more leading components are closer
 * (0.5.9 is nearer 0.5.8 than 0.5.6.post2 is; 1.3.0rc10 nearer 1.3.0rc1 than 1.2.0rc5), then the
 * smaller difference in the first component that differs.
 */
function distance(wanted: ParsedVersion, v: ParsedVersion): [number, number] {
  const length = Math.max(wanted.release.length, v.release.length);
  for (let i = 0; i < length; i++) {
    const diff = Math.abs((wanted.release[i] ?? 0) - (v.release[i] ?? 0));
    if (diff !== 0) return [length - i, diff];
  }
  return [0, 0];
}

/**
 * The available version closest to `wanted` (see `distance`); between equally close ones the
 * older, since data for an older release is the safer guess.
 */
export function nearestVersion(wanted: string, available: readonly string[]): string | undefined {
  const target = parseVersion(wanted);
  let best: string | undefined;
  let bestDistance: [number, number] = [Number.POSITIVE_INFINITY, 0];
  for (const v of sortVersions(available)) {
    const d = distance(target, parseVersion(v));
    const closer = d[0] < bestDistance[0] || (d[0] === bestDistance[0] && d[1] < bestDistance[1]);
    if (closer) {
      best = v;
      bestDistance = d;
    }
  }
  return best;
}
