export * from './atomic-write.js';
export * from './dtypes.js';
export * from './errors.js';
export * from './min-heap.js';
export * from './package-paths.js';
export * from './seeded-random.js';
export * from './stats.js';
