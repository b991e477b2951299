/**
 * A clock that moves only when told to: the time base of deterministic simulation.
 *
 * @module
 */

import type { Clock } from './clock.js';
import { SchedError } from './errors.js';
import { assertMicros, type Micros } from './time.js';

/**
 * A {@link Clock} advanced explicitly. It never goes backwards: an attempt throws a
 * {@link SchedError} with code `CLOCK_BACKWARDS`.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * clock.advanceBy(millis(10));
 * clock.now(); // 10_000
 * clock.advanceTo(5); // throws SchedError('CLOCK_BACKWARDS')
 * ```
 */
export class VirtualClock implements Clock {
  #now: Micros;

  /** @param start - the initial time (default 0) */
  constructor(start: Micros = 0) {
    assertMicros(start, 'start');
    this.#now = start;
  }

  /** The current virtual time. */
  now(): Micros {
    return this.#now;
  }

  /** Moves the clock to `time`; throws `CLOCK_BACKWARDS` if `time` is before now. */
  advanceTo(time: Micros): void {
    assertMicros(time, 'time');
    if (time < this.#now) {
      throw new SchedError(
        'CLOCK_BACKWARDS',
        `virtual clock cannot go back from ${this.#now}µs to ${time}µs`,
      );
    }
    this.#now = time;
  }

  /** Moves the clock forward by `delta` µs; throws `CLOCK_BACKWARDS` if `delta` is negative. */
  advanceBy(delta: Micros): void {
    assertMicros(delta, 'delta');
    if (delta < 0) {
      throw new SchedError('CLOCK_BACKWARDS', `virtual clock cannot advance by ${delta}µs`);
    }
    this.advanceTo(this.#now + delta);
  }
}
