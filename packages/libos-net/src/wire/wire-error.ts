/**
 * The error thrown when the wire layer is misused (a value out of its field's range, a
 * buffer too small to emit into). Malformed input packets are never reported this way:
 * checked constructors return a reason string instead.
 */

/**
 * Stable codes of {@link WireFormatError}: `EINVAL` for a value that does not fit its
 * field, `ENOSPC` for a buffer too small for what is emitted into it.
 *
 * @example
 * ```ts
 * import type { WireFormatErrorCode } from '@libos/net';
 * const code: WireFormatErrorCode = 'ENOSPC';
 * ```
 */
export type WireFormatErrorCode = 'EINVAL' | 'ENOSPC';

/**
 * Thrown on API misuse of a wire view or emitter.
 *
 * @example
 * ```ts
 * import { emitEthernetRepr, EtherType, WireFormatError } from '@libos/net';
 * const mac = new Uint8Array(6);
 * try {
 *   emitEthernetRepr({ destination: mac, source: mac, etherType: EtherType.IPv4 }, new Uint8Array(4));
 * } catch (e) {
 *   if (e instanceof WireFormatError) console.log(e.code); // 'ENOSPC'
 * }
 * ```
 */
export class WireFormatError extends Error {
  /**
   * @param code Stable error code.
   * @param message What was wrong.
   */
  constructor(
    readonly code: WireFormatErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'WireFormatError';
  }
}

/** Throws `ENOSPC` unless `buffer` holds at least `needed` bytes. */
export function requireSpace(buffer: Uint8Array, needed: number, what: string): void {
  if (buffer.length < needed) {
    throw new WireFormatError(
      'ENOSPC',
      `${what} needs ${needed} bytes, buffer has ${buffer.length}`,
    );
  }
}

/** Throws `EINVAL` unless `value` is an integer in `0..max`. */
export function requireUint(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new WireFormatError('EINVAL', `${what} must be an integer in 0..${max}, got ${value}`);
  }
}

/** Throws `EINVAL` unless `mac` has exactly 6 bytes. */
export function requireMac(mac: Uint8Array, what: string): void {
  if (mac.length !== 6) {
    throw new WireFormatError('EINVAL', `${what} must have 6 bytes, got ${mac.length}`);
  }
}
