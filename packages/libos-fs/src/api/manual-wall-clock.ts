import type { WallClock } from '../wall-clock.js';

/**
 * A {@link WallClock} that only moves when told to: for tests and deterministic
 * simulations of file timestamps.
 *
 * @example
 * ```ts
 * import { ManualWallClock, MemoryVolume } from '@libos/fs';
 * const clock = new ManualWallClock(Date.UTC(2024, 0, 1));
 * const volume = new MemoryVolume({ clock });
 * clock.advance(10_000); // ten seconds later
 * ```
 */
export class ManualWallClock implements WallClock {
  #now: number;

  /**
   * @param startMs The first reading, in milliseconds since the Unix epoch. Default
   *   2000-01-01T00:00:00Z (inside every on-disk format's range).
   */
  constructor(startMs: number = Date.UTC(2000, 0, 1)) {
    this.#now = startMs;
  }

  /** The current reading in milliseconds since the Unix epoch. */
  now(): number {
    return this.#now;
  }

  /**
   * Moves the clock forward.
   *
   * @param ms Milliseconds to add; must be a finite number ≥ 0.
   * @throws RangeError when `ms` is negative or not finite.
   */
  advance(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`cannot advance by ${ms} ms`);
    this.#now += ms;
  }

  /**
   * Sets the reading (it may move backwards, like a host clock being corrected).
   *
   * @param ms Milliseconds since the Unix epoch.
   */
  set(ms: number): void {
    this.#now = ms;
  }
}
