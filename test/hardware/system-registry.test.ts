import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, UnknownNameError } from '../../src/common/index.js';
import { ncclMemBytes, SystemRegistry, tensorFlopsPerS, weightOnlyOn } from '../../src/hardware/index.js';

describe('SystemRegistry', () => {
  it('ships the systems the issue names, all valid', () => {
    const registry = new SystemRegistry();
    const names = registry.names();
    for (const n of ['h100_sxm', 'h200_sxm', 'b200_sxm', 'gb200', 'a100_sxm', 'l40s', 'h100_pcie', 'l4']) {
      expect(names).toContain(n);
    }
    // Shipped files are parsed on first use: every one of them parses and validates.
    expect(registry.list().map((s) => s.name)).toEqual(names);
  });

  it('knows the H200 facts the predictions depend on', () => {
    const h200 = new SystemRegistry().get('h200_sxm');
    expect(h200.gpu.mem_capacity_bytes / 2 ** 30).toBeCloseTo(141, 0);
    expect(h200.gpu.mem_bandwidth_bytes_per_s).toBe(4.8e12);
    expect(tensorFlopsPerS(h200, 'fp8')).toBe(1979e12);
    // No FP4 tensor cores on Hopper: NVFP4 runs weight-only, at 16-bit math rate.
    expect(tensorFlopsPerS(h200, 'nvfp4')).toBe(989e12);
    expect(tensorFlopsPerS(h200, 'fp8_block')).toBe(1979e12);
    expect(ncclMemBytes(h200, 1)).toBe(0);
    expect(ncclMemBytes(h200, 4)).toBe(411041792);
  });

  it('says which formats a GPU can only run weight-only', () => {
    const registry = new SystemRegistry();
    const [h200, a100, b200] = ['h200_sxm', 'a100_sxm', 'b200_sxm'].map((n) => registry.get(n));
    expect(weightOnlyOn(h200!, 'nvfp4')).toBe(true);
    expect(weightOnlyOn(h200!, 'fp8')).toBe(false);
    expect(weightOnlyOn(a100!, 'fp8')).toBe(true);
    expect(weightOnlyOn(a100!, 'fp8_block')).toBe(true);
    expect(weightOnlyOn(b200!, 'nvfp4')).toBe(false);
    // Weight-only by nature, never a surprise: no warning.
    expect(weightOnlyOn(h200!, 'mxfp4')).toBe(false);
    expect(weightOnlyOn(h200!, 'int4_wo')).toBe(false);
  });

  it('lists the known systems for an unknown name', () => {
    expect(() => new SystemRegistry().get('h300')).toThrow(UnknownNameError);
    expect(() => new SystemRegistry().get('h300')).toThrow(/known: .*h200_sxm/);
  });

  it('adds a user directory and names file and field on a bad value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'systems-'));
    const good = new SystemRegistry().get('h100_sxm');
    writeFileSync(join(dir, 'my_gpu.yaml'), JSON.stringify({ ...good, name: 'my_gpu' }));
    expect(new SystemRegistry([dir]).names()).toContain('my_gpu');

    const badDir = mkdtempSync(join(tmpdir(), 'systems-'));
    const bad = { ...good, name: 'broken', gpu: { ...good.gpu, mem_bandwidth_bytes_per_s: -1 } };
    writeFileSync(join(badDir, 'broken.yaml'), JSON.stringify(bad));
    expect(() => new SystemRegistry([badDir])).toThrow(InvalidInputError);
    expect(() => new SystemRegistry([badDir])).toThrow(
      /broken\.yaml: field 'gpu\.mem_bandwidth_bytes_per_s'/,
    );
  });

  it('names a file that is not YAML, a name that does not match its file, and a missing folder', () => {
    const notYaml = mkdtempSync(join(tmpdir(), 'systems-'));
    writeFileSync(join(notYaml, 'x.yaml'), 'name: [unclosed\n');
    expect(() => new SystemRegistry([notYaml])).toThrow(InvalidInputError);
    expect(() => new SystemRegistry([notYaml])).toThrow(`${join(notYaml, 'x.yaml')}: not valid YAML (`);

    const renamed = mkdtempSync(join(tmpdir(), 'systems-'));
    const good = new SystemRegistry().get('h100_sxm');
    writeFileSync(join(renamed, 'gpu_b.yaml'), JSON.stringify({ ...good, name: 'gpu_a' }));
    expect(() => new SystemRegistry([renamed])).toThrow(
      `${join(renamed, 'gpu_b.yaml')}: field 'name' is 'gpu_a' but the file is named 'gpu_b'`,
    );

    const missing = join(renamed, 'nope');
    expect(() => new SystemRegistry([missing])).toThrow(
      new InvalidInputError(`systems directory '${missing}' does not exist`),
    );
  });
});
