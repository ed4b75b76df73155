/** Messages between the benchmark driver and its generator workers. */
export type ToWorker =
  | { readonly type: 'open'; readonly calls: number }
  | { readonly type: 'target'; readonly targets: readonly (readonly [number, number])[] }
  | { readonly type: 'run'; readonly seconds: number; readonly pps: number }
  | { readonly type: 'close' };

/** Replies from a generator worker. */
export type FromWorker =
  | { readonly type: 'opened'; readonly ports: readonly (readonly [number, number])[] }
  | { readonly type: 'targeted' }
  | {
      readonly type: 'result';
      readonly sent: number;
      readonly received: number;
      readonly lostBySequence: number;
      readonly perSecond: readonly number[];
      readonly eventLoopUtilization: number;
    }
  | { readonly type: 'closed' };
