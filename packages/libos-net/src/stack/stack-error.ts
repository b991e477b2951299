/**
 * Stable codes of {@link StackError}, named like Node's system errors so callers can
 * handle libos and `node:net` failures alike.
 *
 * @example
 * ```ts
 * import type { StackErrorCode } from '@libos/net';
 * const retryable: StackErrorCode[] = ['ETIMEDOUT', 'EHOSTUNREACH'];
 * ```
 */
export type StackErrorCode =
  | 'EINVAL'
  | 'EADDRINUSE'
  | 'EADDRNOTAVAIL'
  | 'EACCES'
  | 'EMSGSIZE'
  | 'ENETUNREACH'
  | 'EHOSTUNREACH'
  | 'ECONNREFUSED'
  | 'ETIMEDOUT'
  | 'EPROTO'
  | 'ENOBUFS'
  | 'ECANCELED'
  | 'EBADF';

/**
 * What the network stack throws (or rejects with) on API misuse and on failures a
 * caller must handle: a message plus a stable {@link StackErrorCode}.
 *
 * @example
 * ```ts
 * import { StackError } from '@libos/net';
 * try {
 *   await socket.send(new Uint8Array(70000), '10.0.0.1', 7);
 * } catch (e) {
 *   if (e instanceof StackError && e.code === 'EMSGSIZE') console.log('too big');
 * }
 * ```
 */
export class StackError extends Error {
  /**
   * @param code Stable error code.
   * @param message Human-readable detail.
   */
  constructor(
    readonly code: StackErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'StackError';
  }
}
