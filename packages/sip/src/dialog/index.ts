// Public exports of this layer; re-exported by ../index.ts.
export {};
