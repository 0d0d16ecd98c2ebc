// Which inferplan system a worker's GPU is, and the version label of its torch build.

const DEVICE_SYSTEMS: ReadonlyArray<readonly [RegExp, string]> = [
  [/GB200/i, 'gb200'],
  [/B200/i, 'b200_sxm'],
  [/H200/i, 'h200_sxm'],
  [/H100.*PCIe/i, 'h100_pcie'],
  [/H100/i, 'h100_sxm'],
  [/A100/i, 'a100_sxm'],
  [/L40S/i, 'l40s'],
  [/\bL4\b/i, 'l4'],
];

/** System name for a CUDA device name ('NVIDIA H200' -> 'h200_sxm'); slug of the name otherwise. */
export function systemForDevice(device: string): string {
  for (const [pattern, system] of DEVICE_SYSTEMS) if (pattern.test(device)) return system;
  return device
    .toLowerCase()
    .replace(/^nvidia\s+/, '')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
}

/** '2.11.0+cu130' -> '2.11.0' (the local build tag is provenance, not part of the version dir). */
export function frameworkVersionLabel(torchVersion: string): string {
  return torchVersion.split('+')[0] ?? torchVersion;
}
