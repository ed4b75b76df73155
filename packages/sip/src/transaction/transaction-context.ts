import type { Clock } from './clock.js';
import type { TimerConfig } from './timers.js';

/** What every transaction needs from its surroundings. */
export interface TransactionContext {
  /** Time source for all timers. */
  readonly clock: Clock;
  /** T1 / T2 / T4 / Timer D. */
  readonly timers: TimerConfig;
  /**
   * True when the transport is reliable (TCP): no retransmissions and zero-length
   * wait timers (D, I, J, K) per RFC 3261 section 17.
   */
  readonly reliable: boolean;
}
