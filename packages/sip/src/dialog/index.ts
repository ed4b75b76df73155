// Public exports of this layer; re-exported by ../index.ts.
export type { Dialog, DialogEndReason, DialogEvents, DialogId, DialogState } from './dialog.js';
