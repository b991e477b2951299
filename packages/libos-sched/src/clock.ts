/**
 * The clock interface every libos component takes as a parameter.
 *
 * @module
 */

import type { Micros } from './time.js';

/**
 * A monotonic source of the current time in integer microseconds.
 *
 * Sans-IO code never reads the host clock; it is handed a `Clock` (or a `now` value)
 * so that tests and simulations can substitute a {@link VirtualClock}.
 *
 * @example
 * ```ts
 * function age(clock: Clock, since: Micros): Micros {
 *   return clock.now() - since;
 * }
 * ```
 */
export interface Clock {
  /** The current time in integer µs. Never smaller than a previous result. */
  now(): Micros;
}
