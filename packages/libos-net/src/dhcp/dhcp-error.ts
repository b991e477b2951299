/**
 * The error thrown when the DHCP codec or client is misused. Malformed packets from
 * the network are never reported this way: they are ignored and counted.
 */

/**
 * Stable codes of {@link DhcpError}: `EINVAL` for a value that does not fit its field
 * or option, `ENOSPC` for a buffer too small to emit into, `ESTATE` for a client call
 * made in a state that does not allow it (e.g. `decline` while not bound).
 *
 * @example
 * ```ts
 * import type { DhcpErrorCode } from '@libos/net';
 * const code: DhcpErrorCode = 'ESTATE';
 * ```
 */
export type DhcpErrorCode = 'EINVAL' | 'ENOSPC' | 'ESTATE';

/**
 * Thrown on API misuse of the DHCP codec or {@link DhcpClient}.
 *
 * @example
 * ```ts
 * import { DhcpError } from '@libos/net';
 * try { client.decline(now); } catch (e) { if (e instanceof DhcpError) console.log(e.code); }
 * ```
 */
export class DhcpError extends Error {
  /**
   * @param code Stable error code.
   * @param message What was wrong.
   */
  constructor(
    readonly code: DhcpErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DhcpError';
  }
}
