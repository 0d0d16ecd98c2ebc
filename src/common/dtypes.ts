// Numeric formats that appear in perf tables and quantisation settings.

export const DTYPES = [
  'bfloat16',
  'float16',
  'fp8',
  'fp8_block',
  'nvfp4',
  'mxfp4',
  'int8',
  'int4_wo',
  'float32',
] as const;
export type Dtype = (typeof DTYPES)[number];

/** Bytes per element (nvfp4, mxfp4 and int4 are half a byte; block scales are ignored). */
export const BYTES_PER_ELEMENT: Readonly<Record<Dtype, number>> = {
  bfloat16: 2,
  float16: 2,
  fp8: 1,
  fp8_block: 1,
  nvfp4: 0.5,
  mxfp4: 0.5,
  int8: 1,
  int4_wo: 0.5,
  float32: 4,
};

export function isDtype(value: string): value is Dtype {
  return (DTYPES as readonly string[]).includes(value);
}
