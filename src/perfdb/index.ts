export * from './op-query.js';
