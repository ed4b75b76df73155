// Public entry point: every export of this package is listed here, layer by layer.
export * from './message/index.js';
export * from './auth/index.js';
export * from './transport/index.js';
export * from './transaction/index.js';
export * from './dialog/index.js';
export * from './stack/index.js';
