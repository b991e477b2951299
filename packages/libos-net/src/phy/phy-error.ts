/**
 * The error thrown for misuse of the phy layer's API (bad options, foreign or detached
 * switch ports). Hot-path outcomes (a full queue, a dropped frame) are return values and
 * counters, never exceptions.
 */

/**
 * Stable codes of {@link PhyError}:
 * - `INVALID_OPTION`: an option is out of range (MTU, queue size, probability, MAC length…).
 * - `DETACHED_PORT`: a switch port was used after it was detached.
 * - `FOREIGN_PORT`: a port was handed to a switch that did not create it.
 *
 * @example
 * ```ts
 * import type { PhyErrorCode } from '@libos/net';
 * const code: PhyErrorCode = 'INVALID_OPTION';
 * ```
 */
export type PhyErrorCode = 'INVALID_OPTION' | 'DETACHED_PORT' | 'FOREIGN_PORT';

/**
 * API misuse in the phy layer. Extends `RangeError` because most misuse is an option
 * out of range; match on {@link PhyError.code}.
 *
 * @example
 * ```ts
 * import { createLoopback, PhyError } from '@libos/net';
 * try {
 *   createLoopback({ queueFrames: 0 });
 * } catch (e) {
 *   if (e instanceof PhyError) console.log(e.code); // 'INVALID_OPTION'
 * }
 * ```
 */
export class PhyError extends RangeError {
  /** Stable machine-readable reason. */
  readonly code: PhyErrorCode;

  /**
   * @param code Stable reason.
   * @param message Human-readable detail.
   */
  constructor(code: PhyErrorCode, message: string) {
    super(message);
    this.name = 'PhyError';
    this.code = code;
  }
}
