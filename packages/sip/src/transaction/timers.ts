/**
 * The RFC 3261 timer base values (section 17.1.1.1 and Table 4 of Appendix A), in milliseconds.
 */
export interface TimerConfig {
  /** RTT estimate; default 500 ms. */
  readonly t1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses; default 4 s. */
  readonly t2: number;
  /** Maximum duration a message remains in the network; default 5 s. */
  readonly t4: number;
  /** Timer D for unreliable transports (at least 32 s); default 32 s. */
  readonly timerD: number;
}

/** RFC 3261 default values: T1 = 500 ms, T2 = 4 s, T4 = 5 s, Timer D = 32 s. */
export const DEFAULT_TIMERS: TimerConfig = Object.freeze({ t1: 500, t2: 4000, t4: 5000, timerD: 32_000 });

/** Fills in missing values of a partial timer configuration from {@link DEFAULT_TIMERS}. */
export function resolveTimers(partial?: Partial<TimerConfig>): TimerConfig {
  return { ...DEFAULT_TIMERS, ...partial };
}

/** The names of the RFC 3261 (A to K) and RFC 6026 (L, M) transaction timers. */
export type TimerName = 'A' | 'B' | 'D' | 'E' | 'F' | 'G' | 'H' | 'I' | 'J' | 'K' | 'L' | 'M';

/**
 * Initial duration of each timer (RFC 3261 Appendix A, Table 4; RFC 6026 section 8.11 for L and M).
 * Retransmit timers (A, E, G) give their first interval; the transaction doubles them.
 * Returns 0 where the RFC says the timer is zero on reliable transports.
 */
export function timerDuration(name: TimerName, config: TimerConfig, reliable: boolean): number {
  switch (name) {
    case 'A':
    case 'E':
    case 'G':
      return config.t1;
    case 'B':
    case 'F':
    case 'H':
    case 'L':
    case 'M':
      return 64 * config.t1;
    case 'D':
      return reliable ? 0 : config.timerD;
    case 'I':
    case 'K':
      return reliable ? 0 : config.t4;
    case 'J':
      return reliable ? 0 : 64 * config.t1;
    default: {
      const never: never = name;
      return never;
    }
  }
}
