/**
 * The one time unit of libos: integer microseconds held in a `number`.
 *
 * Every clock, deadline and duration in libos (`now`, `pollAt()`, RTOs, timeouts) is a
 * {@link Micros}. A `number` holds integers exactly up to 2^53 µs — about 285 years — so
 * there is no overflow to handle in practice, arithmetic is plain `+`/`-`, and no
 * `bigint` reaches a hot path. Microseconds resolve what a network stack needs
 * (RFC 7323 timestamps, RTT samples) while milliseconds would not.
 *
 * @module
 */

import { SchedError } from './errors.js';

/**
 * A time or duration in integer microseconds. The libos-wide time unit.
 *
 * @example
 * ```ts
 * const rto: Micros = millis(200); // 200_000
 * ```
 */
export type Micros = number;

/** Microseconds in one millisecond. */
export const MICROS_PER_MILLI = 1000;
/** Microseconds in one second. */
export const MICROS_PER_SECOND = 1_000_000;

/**
 * Converts milliseconds to {@link Micros}, rounding to the nearest microsecond.
 *
 * @example
 * ```ts
 * millis(1.5); // 1500
 * ```
 */
export function millis(ms: number): Micros {
  return Math.round(ms * MICROS_PER_MILLI);
}

/**
 * Converts seconds to {@link Micros}, rounding to the nearest microsecond.
 *
 * @example
 * ```ts
 * seconds(2); // 2_000_000
 * ```
 */
export function seconds(s: number): Micros {
  return Math.round(s * MICROS_PER_SECOND);
}

/**
 * Converts {@link Micros} to (fractional) milliseconds.
 *
 * @example
 * ```ts
 * toMillis(1500); // 1.5
 * ```
 */
export function toMillis(us: Micros): number {
  return us / MICROS_PER_MILLI;
}

/**
 * Converts {@link Micros} to (fractional) seconds.
 *
 * @example
 * ```ts
 * toSeconds(2_500_000); // 2.5
 * ```
 */
export function toSeconds(us: Micros): number {
  return us / MICROS_PER_SECOND;
}

/**
 * True when `value` is a valid {@link Micros}: a safe integer.
 *
 * @example
 * ```ts
 * isMicros(1000); // true
 * isMicros(1.5); // false
 * ```
 */
export function isMicros(value: number): boolean {
  return Number.isSafeInteger(value);
}

/**
 * Throws a {@link SchedError} with code `INVALID_TIME` unless `value` is a safe integer.
 *
 * @example
 * ```ts
 * assertMicros(deadline, 'deadline');
 * ```
 */
export function assertMicros(value: number, what: string): void {
  if (!Number.isSafeInteger(value)) {
    throw new SchedError(
      'INVALID_TIME',
      `${what} must be an integer number of microseconds, got ${value}`,
    );
  }
}
