/**
 * The real clock, backed by the host's monotonic `performance.now()`.
 *
 * @module
 */

import type { Clock } from './clock.js';
import { hostMillis } from './host-globals.js';
import type { Micros } from './time.js';

/**
 * A {@link Clock} over the host's monotonic `performance.now()`, truncated to integer µs.
 *
 * The result is clamped so it never decreases, even on hosts whose timer is coarsened
 * or (as a last-resort fallback) based on `Date.now()`.
 *
 * @example
 * ```ts
 * const clock = new HostClock();
 * const t0 = clock.now();
 * // ... work ...
 * const elapsed = clock.now() - t0; // integer µs, >= 0
 * ```
 */
export class HostClock implements Clock {
  #last = 0;

  /** The current host time in integer µs since the host's time origin. */
  now(): Micros {
    const t = Math.floor(hostMillis() * 1000);
    if (t > this.#last) this.#last = t;
    return this.#last;
  }
}
