/**
 * The error {@link createUserNetwork} and its forwards report for problems a user can
 * cause: a host port in use, a bad option.
 */

/**
 * Stable codes of {@link UserNetworkError}: `EADDRINUSE` (a forwarded host port is
 * taken), `EACCES` (the host refused the bind, e.g. a privileged port), `EINVAL` (an
 * option is out of range or does not parse), `ECLOSED` (used after `close()`).
 *
 * @example
 * ```ts
 * import type { UserNetworkErrorCode } from '@libos/net/node';
 * const code: UserNetworkErrorCode = 'EADDRINUSE';
 * ```
 */
export type UserNetworkErrorCode = 'EADDRINUSE' | 'EACCES' | 'EINVAL' | 'ECLOSED';

/**
 * Thrown (or rejected with) by {@link createUserNetwork}. The message is one line meant
 * for the user, e.g. `host port 127.0.0.1:8080 is already in use (tcp forward to guest port 80)`.
 *
 * @example
 * ```ts
 * import { createUserNetwork, UserNetworkError } from '@libos/net/node';
 * try {
 *   await createUserNetwork({ hostForwards: [{ protocol: 'tcp', hostPort: 8080, guestPort: 80 }] });
 * } catch (e) {
 *   if (e instanceof UserNetworkError && e.code === 'EADDRINUSE') console.error(e.message);
 * }
 * ```
 */
export class UserNetworkError extends Error {
  /**
   * @param code Stable error code.
   * @param message One line for the user.
   */
  constructor(
    readonly code: UserNetworkErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'UserNetworkError';
  }
}
