/**
 * The timer interface consumed by components that need callbacks at a time.
 *
 * @module
 */

import type { Micros } from './time.js';
import type { TimerId } from './timer-wheel.js';

/**
 * Callback timers on some clock. The {@link Scheduler} implements it (backed by its
 * {@link TimerWheel}); sans-IO code should prefer reporting `pollAt()` through a
 * {@link Poller}, and take `Timers` only where a callback is the natural shape.
 *
 * @example
 * ```ts
 * function keepAlive(timers: Timers, clock: Clock, ping: () => void): TimerId {
 *   return timers.setTimer(clock.now() + seconds(30), ping);
 * }
 * ```
 */
export interface Timers {
  /** Calls `callback(deadline)` once the clock reaches `deadline` (integer µs). */
  setTimer(deadline: Micros, callback: (deadline: Micros) => void): TimerId;
  /** Cancels a timer; `false` if it already fired or was cancelled. Safe to call twice. */
  cancelTimer(id: TimerId): boolean;
}
