// Public entry point: every export of this package is listed here.
export * from './transfer/index.js';
export * from './node/index.js';
